// A 32-byte hash (keccak-256, SHA-256 output, block and transaction ids, trie roots).

public struct Hash32: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Four big-endian words: comparing them in order compares the bytes lexicographically.
    @usableFromInline var w0, w1, w2, w3: UInt64

    public static let zero = Hash32(words: 0, 0, 0, 0)

    @inlinable init(words w0: UInt64, _ w1: UInt64, _ w2: UInt64, _ w3: UInt64) {
        (self.w0, self.w1, self.w2, self.w3) = (w0, w1, w2, w3)
    }

    /// Exactly 32 bytes, or nil.
    @inlinable public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        let array = Array(bytes)
        self = array.withUnsafeBytes { Hash32(unsafeBytes: $0) }
    }

    /// Reads the first 32 bytes of a buffer the caller guarantees is long enough.
    @inlinable public init(unsafeBytes raw: UnsafeRawBufferPointer) {
        precondition(raw.count >= 32)
        self.init(words: loadBigEndianUInt64(raw, at: 0), loadBigEndianUInt64(raw, at: 8),
                  loadBigEndianUInt64(raw, at: 16), loadBigEndianUInt64(raw, at: 24))
    }

    /// Parses "0x" + 64 hex digits (prefix optional).
    public init(hex text: some StringProtocol) throws(HexError) {
        let bytes = try Hex.decode(text)
        guard let hash = Hash32(bytes: bytes) else { throw .wrongLength(expected: 32, actual: bytes.count) }
        self = hash
    }

    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        storeBigEndian(w0, into: &out, at: 0)
        storeBigEndian(w1, into: &out, at: 8)
        storeBigEndian(w2, into: &out, at: 16)
        storeBigEndian(w3, into: &out, at: 24)
        return out
    }

    public var isZero: Bool { (w0 | w1 | w2 | w3) == 0 }

    public var hexString: String { Hex.encode(bytes) }
    public var description: String { hexString }

    @inlinable public static func < (a: Hash32, b: Hash32) -> Bool {
        (a.w0, a.w1, a.w2, a.w3) < (b.w0, b.w1, b.w2, b.w3)
    }
}
