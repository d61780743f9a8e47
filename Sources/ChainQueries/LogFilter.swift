// Which logs a query wants, by Ethereum's rules: a set of contract addresses and up to four
// topic positions, each a wildcard or an OR-set; a log matches when its address is in the set
// and each position's topic is in that position's set. The bloom pre-check lets a scan skip
// blocks and receipts that cannot hold a match without reading their logs.
import LedgerPrimitives
import LedgerTypes

public struct LogFilter: Sendable, Hashable {
    /// Logs have at most four topics, so more positions could never match (geth refuses them).
    public static let maximumTopicPositions = 4

    /// Logs from any of these contracts; empty means any contract.
    public let addresses: [Address]
    /// Position i: nil matches any topic, otherwise the log's topic i must be one of the set.
    /// A log with fewer topics than there are positions never matches, even when the extra
    /// positions are wildcards (geth's rule).
    public let topics: [[Hash32]?]

    private let addressSet: Set<Address>
    private let addressProbes: [BloomProbe]
    private let topicProbes: [[BloomProbe]?]

    /// An empty OR-set is read as a wildcard, as geth reads `[]`.
    public init(addresses: [Address] = [], topics: [[Hash32]?] = []) {
        self.addresses = addresses
        self.topics = topics.map { set in set.flatMap { $0.isEmpty ? nil : $0 } }
        addressSet = Set(addresses)
        addressProbes = addresses.map { BloomProbe($0.bytes) }
        topicProbes = self.topics.map { set in set.map { $0.map { BloomProbe($0.bytes) } } }
    }

    /// Exact match of one log.
    public func matches(_ log: Log) -> Bool {
        if !addressSet.isEmpty, !addressSet.contains(log.address) { return false }
        if topics.count > log.topics.count { return false }
        for (position, allowed) in topics.enumerated() {
            if let allowed, !allowed.contains(log.topics[position]) { return false }
        }
        return true
    }

    /// False only when no log summarized by `bloom` can match: every address or topic the filter
    /// needs must have its bits set. True may still be a false positive.
    public func mayMatch(_ bloom: Bloom) -> Bool {
        if !addressProbes.isEmpty, !addressProbes.contains(where: { $0.isSet(in: bloom) }) { return false }
        for probes in topicProbes {
            if let probes, !probes.contains(where: { $0.isSet(in: bloom) }) { return false }
        }
        return true
    }

    /// The matching logs of one block, with their positions. Receipts whose bloom rules out a
    /// match are skipped, but their logs still count towards the block-wide log index.
    public func logs(in block: BlockReceipts) -> [MatchedLog] {
        var matched: [MatchedLog] = []
        var logIndex = 0
        for (index, receipt) in block.receipts.enumerated() {
            defer { logIndex += receipt.logs.count }
            guard index < block.transactionHashes.count, mayMatch(receipt.logsBloom) else { continue }
            for (offset, log) in receipt.logs.enumerated() where matches(log) {
                matched.append(MatchedLog(log: log, blockNumber: block.header.number, blockHash: block.hash,
                                          transactionHash: block.transactionHashes[index], transactionIndex: index,
                                          logIndex: logIndex + offset))
            }
        }
        return matched
    }

    public static func == (a: LogFilter, b: LogFilter) -> Bool { a.addresses == b.addresses && a.topics == b.topics }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(addresses)
        hasher.combine(topics)
    }
}

/// The bits one item sets in a bloom, found with `Bloom.insert` itself so the rule lives in one
/// place; testing them is three byte reads instead of a 256-byte comparison.
struct BloomProbe: Sendable, Hashable {
    private let positions: [Int]
    private let masks: [UInt8]

    init(_ item: [UInt8]) {
        var bloom = Bloom()
        bloom.insert(item)
        var positions: [Int] = []
        var masks: [UInt8] = []
        for (position, byte) in bloom.bytes.enumerated() where byte != 0 {
            positions.append(position)
            masks.append(byte)
        }
        self.positions = positions
        self.masks = masks
    }

    func isSet(in bloom: Bloom) -> Bool {
        let bytes = bloom.bytes
        for (position, mask) in zip(positions, masks) where bytes[position] & mask != mask { return false }
        return true
    }
}

/// One committed block's receipts with what a log's position needs: the block hash and the
/// hash of each transaction (receipts and hashes in block order).
public struct BlockReceipts: Sendable, Hashable {
    public var header: BlockHeader
    public var hash: Hash32
    public var transactionHashes: [Hash32]
    public var receipts: [Receipt]

    /// `hash` defaults to the header's hash (one keccak of its RLP).
    public init(header: BlockHeader, hash: Hash32? = nil, transactionHashes: [Hash32], receipts: [Receipt]) {
        self.header = header
        self.hash = hash ?? header.hash
        self.transactionHashes = transactionHashes
        self.receipts = receipts
    }
}

/// A log with its place in the chain, as eth_getLogs reports it.
public struct MatchedLog: Sendable, Hashable {
    public var log: Log
    public var blockNumber: UInt64
    public var blockHash: Hash32
    public var transactionHash: Hash32
    public var transactionIndex: Int
    /// Index among all logs of the block (not of the transaction), as Ethereum numbers them.
    public var logIndex: Int
    /// Always false here: committed blocks are final, nothing is reorganized away.
    public var removed: Bool

    public init(log: Log, blockNumber: UInt64, blockHash: Hash32, transactionHash: Hash32, transactionIndex: Int,
                logIndex: Int, removed: Bool = false) {
        self.log = log
        self.blockNumber = blockNumber
        self.blockHash = blockHash
        self.transactionHash = transactionHash
        self.transactionIndex = transactionIndex
        self.logIndex = logIndex
        self.removed = removed
    }
}
