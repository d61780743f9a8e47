// Thirty-two bytes stored inline (no heap), for private keys, r and s: the hot paths
// (signing, recovery) build these per call and must not allocate.

/// 32 bytes in memory order, held in a homogeneous tuple (laid out contiguously like a C array).
struct InlineBytes32: Sendable {
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    init() {}

    /// Copies exactly 32 bytes; nil for any other count.
    init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        Swift.withUnsafeMutableBytes(of: &storage) { destination in
            destination.copyBytes(from: bytes)
        }
    }

    /// Copies the 32 bytes at `source` (which must hold at least 32).
    init(copying source: UnsafeRawBufferPointer) {
        Swift.withUnsafeMutableBytes(of: &storage) { destination in
            destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(32)))
        }
    }

    func withUnsafeBytes<Result, Failure: Error>(
        _ body: (UnsafeRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result {
        var copy = storage
        return try Swift.withUnsafeBytes(of: &copy) { (buffer) throws(Failure) -> Result in try body(buffer) }
    }

    mutating func withUnsafeMutableBytes<Result>(_ body: (UnsafeMutableRawBufferPointer) -> Result) -> Result {
        Swift.withUnsafeMutableBytes(of: &storage, body)
    }

    /// The bytes as an array (allocates; for the public accessors, not for hot paths).
    var array: [UInt8] { withUnsafeBytes { Array($0) } }

    /// True when every byte is zero.
    var isZero: Bool { storage.0 | storage.1 | storage.2 | storage.3 == 0 }

    /// Compares as 256-bit big-endian integers.
    func isLess(than other: InlineBytes32) -> Bool {
        withUnsafeBytes { mine in
            other.withUnsafeBytes { theirs in
                for index in 0..<32 where mine[index] != theirs[index] {
                    return mine[index] < theirs[index]
                }
                return false
            }
        }
    }
}

extension InlineBytes32: Equatable {
    /// Compares every byte without an early exit, so that comparing secrets leaks no timing.
    static func == (lhs: InlineBytes32, rhs: InlineBytes32) -> Bool {
        let difference = (lhs.storage.0 ^ rhs.storage.0) | (lhs.storage.1 ^ rhs.storage.1)
            | (lhs.storage.2 ^ rhs.storage.2) | (lhs.storage.3 ^ rhs.storage.3)
        return difference == 0
    }
}

extension InlineBytes32: Hashable {
    func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }
}
