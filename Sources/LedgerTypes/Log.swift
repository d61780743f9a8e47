// An event emitted during execution: the emitting contract, up to four indexed topics and
// unindexed data. Encoded as Ethereum's rlp([address, [topics…], data]) inside receipts.
import LedgerPrimitives

public struct Log: Hashable, Sendable {
    public var address: Address
    public var topics: [Hash32]
    public var data: [UInt8]

    public init(address: Address, topics: [Hash32] = [], data: [UInt8] = []) {
        self.address = address
        self.topics = topics
        self.data = data
    }

    public var rlpItem: RLP.Item {
        .list([.address(address), .list(topics.map(RLP.Item.hash)), .bytes(data)])
    }

    /// Reads a log from its decoded RLP item.
    public init(rlpItem item: RLP.Item) throws(RLPError) {
        let fields = try item.list(count: 3)
        address = try fields[0].address()
        var topics: [Hash32] = []
        for topic in try fields[1].list() { topics.append(try topic.hash()) }
        self.topics = topics
        data = try fields[2].bytes()
    }
}
