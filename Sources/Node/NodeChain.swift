// The node behind the Ethereum API (Docs/layout.md §EthereumAPI): its chain store as
// `ChainReading` (reads on the node's read queue), its pool as `TransactionAdmission`, and the
// API's subscription hub fed on every commit.
import ChainQueries
import EthereumAPI
import Execution
import LedgerPrimitives
import LedgerTypes
import Mempool

extension ChainStore: ChainView {}

/// The committed chain of a node.
struct NodeChainReader: ChainReading {
    let node: LedgerNode

    var head: BlockHeader { node.status.head }

    func read<T: Sendable>(_ body: @escaping @Sendable (any ChainView) throws -> T) async throws -> T {
        try await node.read { store in try body(store) }
    }
}

/// The transaction pool of a node.
struct NodeAdmission: TransactionAdmission {
    let node: LedgerNode

    func submit(_ transactions: [RecoveredTransaction]) async -> [Result<Hash32, MempoolError>] {
        await node.submit(transactions)
    }

    func pendingNonce(of address: Address) async -> UInt64 { await node.pendingNonce(of: address) }

    func pooledTransaction(hash: Hash32) async -> RecoveredTransaction? { await node.pooledTransaction(hash: hash) }
}

extension LedgerNode {
    /// The Ethereum API over this node, its subscriptions fed by the node's commits.
    public func ethereumAPI(clientVersion: String, hub: SubscriptionHub = SubscriptionHub(), debug: Bool = false) -> EthereumAPI {
        let genesis = configuration.genesis
        let api = EthereumAPI(chain: NodeChainReader(node: self), pool: NodeAdmission(node: self),
                              facts: ChainFacts(chainId: genesis.chainId, baseFeeFloats: genesis.settings.baseFeeFloats,
                                                feeRecipient: genesis.settings.feeRecipient,
                                                transactionOptions: genesis.rules.transactionOptions),
                              executor: executor, simulations: configuration.simulations, hub: hub,
                              clientVersion: clientVersion, debug: debug)
        observeCommits { committed in
            api.didCommit(BlockReceipts(header: committed.block.header, hash: committed.block.hash,
                                        transactionHashes: committed.transactions.map(\.hash),
                                        receipts: committed.execution.receipts))
        }
        return api
    }
}
