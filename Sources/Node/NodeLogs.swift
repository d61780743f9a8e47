// The node's side of eth_getLogs, filters and subscriptions (Docs/rpc.md §Node wiring): the
// chain as a `ChainLogSource` read on the node's read queue, and the hub fed on every commit.
import ChainQueries
import LedgerPrimitives
import LedgerTypes
import RPCServer

/// Headers and receipts from the node's chain store.
struct NodeLogSource: ChainLogSource {
    let node: LedgerNode

    func headNumber() async throws -> UInt64 { node.status.head.number }

    func header(number: UInt64) async throws -> BlockHeader? {
        try await node.read { try $0.header(number: number) }
    }

    func headers(in range: ClosedRange<UInt64>) async throws -> [BlockHeader] {
        try await node.read { store in try range.compactMap { try store.header(number: $0) } }
    }

    func blockNumber(hash: Hash32) async throws -> UInt64? {
        try await node.read { try $0.blockNumber(hash: hash) }
    }

    func blockReceipts(number: UInt64) async throws -> BlockReceipts? {
        try await node.read { store in
            guard let header = try store.header(number: number), let body = try store.body(number: number),
                  let receipts = try store.receipts(number: number) else { return nil }
            return BlockReceipts(header: header, transactionHashes: body.transactions.map(\.hash),
                                 receipts: receipts.map(\.receipt))
        }
    }
}

extension EthereumRPC {
    /// Adds eth_getLogs, the filter methods and eth_subscribe to `table`, and feeds `hub` the
    /// node's commits so subscriptions get newHeads and logs.
    public static func registerLogMethods(in table: inout RPCMethodTable, for node: LedgerNode,
                                          hub: SubscriptionHub = SubscriptionHub()) {
        table.registerLogAndFilterMethods(source: NodeLogSource(node: node), hub: hub)
        node.observeCommits { committed in
            hub.didCommit(BlockReceipts(header: committed.block.header, hash: committed.block.hash,
                                        transactionHashes: committed.transactions.map(\.hash),
                                        receipts: committed.execution.receipts))
        }
    }
}
