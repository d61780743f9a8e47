// The 2048-bit logs bloom of receipts and headers, by Ethereum's rule: each of a log's address and
// topics sets 3 bits, taken from keccak-256 of the item as the low 11 bits of the byte pairs
// (0,1), (2,3) and (4,5). Clients (web3.py's filters, explorers) test membership with the same rule.
import LedgerPrimitives

public struct Bloom: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 256

    /// Big-endian: bit i of the 2048-bit number is bit (i mod 8) of byte 255 − i/8.
    public private(set) var bytes: [UInt8]

    public static let empty = Bloom()

    public init() { bytes = [UInt8](repeating: 0, count: Self.byteCount) }

    /// nil unless exactly 256 bytes.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = Array(bytes)
    }

    /// The bloom of these logs (a receipt's bloom).
    public init(logs: some Sequence<Log>) {
        self.init()
        for log in logs { insert(log) }
    }

    public var isEmpty: Bool { bytes.allSatisfy { $0 == 0 } }

    /// Adds one item (an address's 20 bytes or a topic's 32 bytes).
    public mutating func insert(_ item: [UInt8]) {
        let hash = Keccak256.hash(item).bytes
        for pair in stride(from: 0, to: 6, by: 2) {
            let bit = (Int(hash[pair]) << 8 | Int(hash[pair + 1])) & 2047
            bytes[Self.byteCount - 1 - bit / 8] |= 1 << UInt8(bit % 8)
        }
    }

    /// Adds a log's address and each of its topics (its data is not indexed).
    public mutating func insert(_ log: Log) {
        insert(log.address.bytes)
        for topic in log.topics { insert(topic.bytes) }
    }

    /// Whether the item's 3 bits are all set: false means certainly absent, true means maybe present.
    public func mayContain(_ item: [UInt8]) -> Bool {
        var probe = Bloom()
        probe.insert(item)
        return contains(probe)
    }

    /// Whether every bit of `other` is set here.
    public func contains(_ other: Bloom) -> Bool {
        zip(bytes, other.bytes).allSatisfy { $0 & $1 == $1 }
    }

    /// A block's bloom is the union of its receipts' blooms.
    public mutating func formUnion(_ other: Bloom) {
        for index in 0..<Self.byteCount { bytes[index] |= other.bytes[index] }
    }

    public var description: String { bytes.hexString }
}
