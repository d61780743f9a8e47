// Strict DER (ITU-T X.690) for the two structures LedgerCrypto reads from outside:
// ECDSA signatures and SubjectPublicKeyInfo of EC public keys (RFC 5480). Written to refuse
// every BER liberty: indefinite or non-minimal lengths, non-minimal or negative integers,
// trailing bytes, unused bits in the key's BIT STRING.

enum DER {
    private static let sequenceTag: UInt8 = 0x30
    private static let integerTag: UInt8 = 0x02
    private static let bitStringTag: UInt8 = 0x03
    private static let objectIdentifierTag: UInt8 = 0x06

    /// 1.2.840.10045.2.1, id-ecPublicKey (RFC 5480).
    private static let ecPublicKeyOID: [UInt8] = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]
    /// 1.3.132.0.10, secp256k1 (SEC 2).
    private static let secp256k1OID: [UInt8] = [0x2b, 0x81, 0x04, 0x00, 0x0a]

    /// Reads tag-length-value elements from a byte array, one after another.
    private struct Reader {
        let bytes: [UInt8]
        var position: Int
        let end: Int

        init(_ bytes: [UInt8]) {
            self.bytes = bytes
            position = 0
            end = bytes.count
        }

        init(_ bytes: [UInt8], range: Range<Int>) {
            self.bytes = bytes
            position = range.lowerBound
            end = range.upperBound
        }

        var isAtEnd: Bool { position == end }

        /// The next element's tag and the range of its contents; advances past it.
        mutating func readElement() throws(CryptoError) -> (tag: UInt8, contents: Range<Int>) {
            guard position < end else { throw .malformedDER("element expected, input ended") }
            let tag = bytes[position]
            // High tag numbers (low five bits all set) never occur in these structures.
            guard tag & 0x1f != 0x1f else { throw .malformedDER("multi-byte tag") }
            position += 1
            guard position < end else { throw .malformedDER("length expected, input ended") }
            let first = bytes[position]
            position += 1
            var length = 0
            if first < 0x80 {
                length = Int(first)
            } else {
                let lengthBytes = Int(first & 0x7f)
                guard lengthBytes != 0 else { throw .malformedDER("indefinite length") }
                guard lengthBytes <= 4 else { throw .malformedDER("length of \(lengthBytes) bytes") }
                guard end - position >= lengthBytes else { throw .malformedDER("length runs past the input") }
                guard bytes[position] != 0 else { throw .malformedDER("length with a leading zero byte") }
                for _ in 0..<lengthBytes {
                    length = length << 8 | Int(bytes[position])
                    position += 1
                }
                guard length >= 0x80 else { throw .malformedDER("long-form length below 128") }
            }
            guard length <= end - position else { throw .malformedDER("contents run past the input") }
            let contents = position..<(position + length)
            position += length
            return (tag, contents)
        }

        /// The contents of the next element, which must carry `tag`.
        mutating func read(_ tag: UInt8, named name: String) throws(CryptoError) -> Range<Int> {
            let element = try readElement()
            guard element.tag == tag else {
                throw .malformedDER("expected \(name) (tag 0x\(String(tag, radix: 16))), found tag 0x\(String(element.tag, radix: 16))")
            }
            return element.contents
        }
    }

    /// The magnitude of a non-negative, minimally encoded INTEGER (sign byte stripped).
    private static func unsignedInteger(_ bytes: [UInt8], _ range: Range<Int>, named name: String) throws(CryptoError) -> ArraySlice<UInt8> {
        guard !range.isEmpty else { throw .malformedDER("\(name): empty INTEGER") }
        let first = bytes[range.lowerBound]
        guard first & 0x80 == 0 else { throw .malformedDER("\(name): negative INTEGER") }
        if first == 0 && range.count > 1 {
            guard bytes[range.lowerBound + 1] & 0x80 != 0 else { throw .malformedDER("\(name): INTEGER with a needless leading zero") }
            return bytes[(range.lowerBound + 1)..<range.upperBound]
        }
        return bytes[range]
    }

    /// `SEQUENCE { INTEGER r, INTEGER s }` → big-endian magnitudes of r and s.
    static func parseSignature(_ bytes: [UInt8]) throws(CryptoError) -> (r: ArraySlice<UInt8>, s: ArraySlice<UInt8>) {
        var outer = Reader(bytes)
        let body = try outer.read(sequenceTag, named: "SEQUENCE")
        guard outer.isAtEnd else { throw .malformedDER("bytes after the signature") }
        var inner = Reader(bytes, range: body)
        let r = try unsignedInteger(bytes, inner.read(integerTag, named: "INTEGER r"), named: "r")
        let s = try unsignedInteger(bytes, inner.read(integerTag, named: "INTEGER s"), named: "s")
        guard inner.isAtEnd else { throw .malformedDER("bytes after s inside the signature") }
        return (r, s)
    }

    /// The DER encoding of a signature from big-endian r and s.
    static func encodeSignature(r: [UInt8], s: [UInt8]) -> [UInt8] {
        let body = encodeInteger(r) + encodeInteger(s)
        return [sequenceTag] + encodeLength(body.count) + body
    }

    private static func encodeInteger(_ magnitude: [UInt8]) -> [UInt8] {
        var digits = Array(magnitude.drop(while: { $0 == 0 }))
        if digits.isEmpty || digits[0] & 0x80 != 0 { digits.insert(0, at: 0) }
        return [integerTag] + encodeLength(digits.count) + digits
    }

    private static func encodeLength(_ length: Int) -> [UInt8] {
        if length < 0x80 { return [UInt8(length)] }
        var bytes: [UInt8] = []
        var remaining = length
        while remaining > 0 {
            bytes.insert(UInt8(remaining & 0xff), at: 0)
            remaining >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }

    /// `SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID secp256k1 }, BIT STRING point }` → the
    /// point's bytes (compressed or uncompressed). Explicit curve parameters and other curves
    /// or key types are refused with `.unsupportedKeyType`.
    static func parseSubjectPublicKeyInfo(_ bytes: [UInt8]) throws(CryptoError) -> ArraySlice<UInt8> {
        var outer = Reader(bytes)
        let body = try outer.read(sequenceTag, named: "SubjectPublicKeyInfo SEQUENCE")
        guard outer.isAtEnd else { throw .malformedDER("bytes after the SubjectPublicKeyInfo") }

        var info = Reader(bytes, range: body)
        var algorithm = Reader(bytes, range: try info.read(sequenceTag, named: "AlgorithmIdentifier SEQUENCE"))
        let keyType = try algorithm.read(objectIdentifierTag, named: "algorithm OID")
        guard bytes[keyType].elementsEqual(ecPublicKeyOID) else {
            throw .unsupportedKeyType("algorithm is not id-ecPublicKey")
        }
        let parameters = try algorithm.readElement()
        switch parameters.tag {
        case objectIdentifierTag:
            guard bytes[parameters.contents].elementsEqual(secp256k1OID) else {
                throw .unsupportedKeyType("named curve is not secp256k1")
            }
        case sequenceTag:
            throw .unsupportedKeyType("explicit curve parameters (unnamed curve)")
        default:
            throw .malformedDER("EC parameters are neither a named curve nor explicit parameters")
        }
        guard algorithm.isAtEnd else { throw .malformedDER("bytes after the curve in AlgorithmIdentifier") }

        let keyBits = try info.read(bitStringTag, named: "subjectPublicKey BIT STRING")
        guard info.isAtEnd else { throw .malformedDER("bytes after the public key BIT STRING") }
        guard !keyBits.isEmpty else { throw .malformedDER("empty BIT STRING") }
        guard bytes[keyBits.lowerBound] == 0 else { throw .malformedDER("BIT STRING with unused bits") }
        return bytes[(keyBits.lowerBound + 1)..<keyBits.upperBound]
    }
}

extension PublicKey {
    /// Parses a DER SubjectPublicKeyInfo (RFC 5480) holding a secp256k1 key, compressed or
    /// uncompressed. Throws `.malformedDER` for bad DER, `.unsupportedKeyType` for another
    /// algorithm or curve (or explicit parameters), `.invalidPublicKey` for a point off the curve.
    public init(subjectPublicKeyInfo der: some Collection<UInt8>) throws(CryptoError) {
        let point = try DER.parseSubjectPublicKeyInfo(Array(der))
        guard point.count == 33 || point.count == 65 else { throw .invalidPublicKey }
        try self.init(bytes: point)
    }
}
