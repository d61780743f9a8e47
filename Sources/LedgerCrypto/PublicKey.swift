// secp256k1 public keys: parsing and serializing the three encodings, addresses,
// signature verification and public-key recovery.
import CSecp256k1
import LedgerPrimitives

/// A point on secp256k1 (never the point at infinity).
///
/// Encodings: compressed (33 bytes, 0x02/0x03 ‖ X), uncompressed (65 bytes, 0x04 ‖ X ‖ Y)
/// and raw (64 bytes, X ‖ Y, what Ethereum hashes into an address). Hybrid encodings
/// (0x06/0x07) are refused.
public struct PublicKey: Sendable {
    /// libsecp256k1's parsed form, kept so verification and ECDH skip re-parsing.
    var point: secp256k1_pubkey

    init(point: secp256k1_pubkey) {
        self.point = point
    }

    /// Parses a compressed (33), uncompressed (65) or raw X‖Y (64) public key; throws
    /// `.invalidPublicKey` for anything that is not a point on the curve.
    public init(bytes: some Collection<UInt8>) throws(CryptoError) {
        let count = bytes.count
        guard count == 33 || count == 64 || count == 65 else {
            throw .invalidLength(what: "public key", expected: "33, 64 or 65", actual: count)
        }
        var point = secp256k1_pubkey()
        let parsed = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 65) { buffer -> Bool in
            var length = 0
            if count == 64 {
                buffer[0] = 0x04
                length = UnsafeMutableBufferPointer(rebasing: buffer[1...]).initialize(from: bytes).1 + 1
            } else {
                length = buffer.initialize(from: bytes).1
            }
            let prefix = buffer[0]
            // libsecp256k1 also accepts hybrid 0x06/0x07 keys: refuse them here.
            guard (length == 33 && (prefix == 0x02 || prefix == 0x03)) || (length == 65 && prefix == 0x04) else {
                return false
            }
            return secp256k1_ec_pubkey_parse(Secp256k1Context.shared.pointer, &point,
                                             buffer.baseAddress!, length) == 1
        }
        guard parsed else { throw .invalidPublicKey }
        self.point = point
    }

    /// 33 bytes: 0x02 or 0x03 (the parity of Y) ‖ X.
    public var compressedBytes: [UInt8] { serialized(compressed: true) }

    /// 65 bytes: 0x04 ‖ X ‖ Y.
    public var uncompressedBytes: [UInt8] { serialized(compressed: false) }

    /// 64 bytes: X ‖ Y.
    public var rawBytes: [UInt8] { Array(serialized(compressed: false).dropFirst()) }

    /// The Ethereum address: the last 20 bytes of keccak-256 of X ‖ Y.
    public var address: Address {
        withUncompressedBytes { uncompressed in
            let hash = Keccak256.hash(UnsafeRawBufferPointer(rebasing: uncompressed[1...]))
            // Keccak256 output is 32 bytes, so the 20-byte suffix always makes an address.
            return Address(bytes: hash.bytes[12...])!
        }
    }

    /// Verifies an ECDSA signature over a 32-byte digest. With `requiringLowS` (the default,
    /// as transactions require) a signature with s > n/2 is refused; without it, such a
    /// signature is normalized first and accepted if it is otherwise valid.
    public func isValidSignature(
        _ signature: ECDSASignature, for digest: Hash32, requiringLowS: Bool = true
    ) -> Bool {
        if requiringLowS && !signature.isLowS { return false }
        var parsed = signature.libraryForm
        var lowS = secp256k1_ecdsa_signature()
        // libsecp256k1 verifies only low-s; normalizing leaves a low-s signature unchanged.
        _ = secp256k1_ecdsa_signature_normalize(Secp256k1Context.shared.pointer, &lowS, &parsed)
        var point = point
        let digestBytes = digest.bytes
        return digestBytes.withUnsafeBufferPointer { digest in
            secp256k1_ecdsa_verify(Secp256k1Context.shared.pointer, &lowS, digest.baseAddress!, &point) == 1
        }
    }

    /// The public key that made `signature` over `digest`; throws `.recoveryFailed` when no
    /// key fits. High-s signatures recover too: a caller that needs low-s checks `isLowS`.
    public init(recoveringFrom signature: RecoverableSignature, digest: Hash32) throws(CryptoError) {
        var parsed = signature.libraryForm
        var point = secp256k1_pubkey()
        let digestBytes = digest.bytes
        let recovered = digestBytes.withUnsafeBufferPointer { digest in
            secp256k1_ecdsa_recover(Secp256k1Context.shared.pointer, &point, &parsed, digest.baseAddress!)
        }
        guard recovered == 1 else { throw .recoveryFailed }
        self.point = point
    }

    private func serialized(compressed: Bool) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: compressed ? 33 : 65)
        var length = output.count
        var point = point
        output.withUnsafeMutableBufferPointer { output in
            // Serializing a parsed key cannot fail when the output is large enough (it is).
            _ = secp256k1_ec_pubkey_serialize(
                Secp256k1Context.shared.pointer, output.baseAddress!, &length, &point,
                UInt32(compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED))
        }
        return output
    }

    /// The 65-byte uncompressed form in a stack buffer, for hashing without allocating.
    private func withUncompressedBytes<Value>(_ body: (UnsafeRawBufferPointer) -> Value) -> Value {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 8) { buffer in
            var length = 65
            var point = point
            _ = secp256k1_ec_pubkey_serialize(
                Secp256k1Context.shared.pointer, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self),
                &length, &point, UInt32(SECP256K1_EC_UNCOMPRESSED))
            return body(UnsafeRawBufferPointer(buffer))
        }
    }
}

extension PublicKey: Hashable {
    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        var left = lhs.point, right = rhs.point
        return secp256k1_ec_pubkey_cmp(Secp256k1Context.shared.pointer, &left, &right) == 0
    }

    public func hash(into hasher: inout Hasher) {
        withUncompressedBytes { hasher.combine(bytes: $0) }
    }
}

extension PublicKey: CustomStringConvertible {
    /// The compressed form in hex.
    public var description: String { compressedBytes.hexString }
}
