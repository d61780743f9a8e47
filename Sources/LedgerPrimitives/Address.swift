// A 20-byte account address, with EIP-55 mixed-case checksums in and out.

public struct Address: Hashable, Comparable, Sendable, CustomStringConvertible {
    @usableFromInline var high: UInt64, middle: UInt64, low: UInt32

    public static let zero = Address(high: 0, middle: 0, low: 0)

    @inlinable init(high: UInt64, middle: UInt64, low: UInt32) {
        (self.high, self.middle, self.low) = (high, middle, low)
    }

    /// Exactly 20 bytes, or nil.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 20 else { return nil }
        let array = Array(bytes)
        self = array.withUnsafeBytes { raw in
            Address(high: loadBigEndianUInt64(raw, at: 0), middle: loadBigEndianUInt64(raw, at: 8),
                    low: UInt32(raw[16]) << 24 | UInt32(raw[17]) << 16 | UInt32(raw[18]) << 8 | UInt32(raw[19]))
        }
    }

    /// The address of a secp256k1 public key: the last 20 bytes of keccak-256 of X‖Y
    /// (64 bytes; a leading 0x04 of the uncompressed form is accepted and skipped).
    public init?(publicKey: some Collection<UInt8>) {
        var key = Array(publicKey)
        if key.count == 65, key[0] == 0x04 { key.removeFirst() }
        guard key.count == 64 else { return nil }
        self.init(bytes: Keccak256.hash(key).bytes[12...])
    }

    public enum ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        case hex(HexError)
        case badChecksum(String)
        public var description: String {
            switch self {
            case .hex(let error): return "invalid address: \(error)"
            case .badChecksum(let text): return "address \(text) has mixed case but a wrong EIP-55 checksum"
            }
        }
    }

    /// Parses "0x" + 40 hex digits. All-lowercase or all-uppercase is accepted as is;
    /// mixed case must be a correct EIP-55 checksum.
    public init(hex text: some StringProtocol) throws(ParseError) {
        let bytes: [UInt8]
        do { bytes = try Hex.decode(text) } catch { throw .hex(error) }
        guard let address = Address(bytes: bytes) else {
            throw .hex(.wrongLength(expected: 20, actual: bytes.count))
        }
        let full = Substring(text)
        let digits = full.hasPrefix("0x") || full.hasPrefix("0X") ? full.dropFirst(2) : full
        let hasLower = digits.contains { $0.isLowercase }
        let hasUpper = digits.contains { $0.isUppercase }
        if hasLower && hasUpper && "0x" + digits != address.checksummed {
            throw .badChecksum(String(text))
        }
        self = address
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        storeBigEndian(high, into: &out, at: 0)
        storeBigEndian(middle, into: &out, at: 8)
        for i in 0..<4 { out[16 + i] = UInt8(truncatingIfNeeded: low >> (24 - 8 * i)) }
        return out
    }

    /// EIP-55: a hex letter is uppercase when the matching nibble of keccak(lowercase hex) is ≥ 8.
    public var checksummed: String {
        let lower = Array(Hex.encode(bytes, prefix: false).utf8)
        let hash = Keccak256.hash(lower).bytes
        var out: [UInt8] = Array("0x".utf8)
        for (i, char) in lower.enumerated() {
            let nibble = i % 2 == 0 ? hash[i / 2] >> 4 : hash[i / 2] & 0x0f
            out.append(char >= UInt8(ascii: "a") && nibble >= 8 ? char - 32 : char)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase "0x…" form.
    public var hexString: String { Hex.encode(bytes) }
    public var description: String { checksummed }

    public static func < (a: Address, b: Address) -> Bool {
        (a.high, a.middle, a.low) < (b.high, b.middle, b.low)
    }
}
