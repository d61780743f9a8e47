// The seams between the Ethereum API and a node (Docs/layout.md §EthereumAPI): the API reads the
// committed chain through `ChainReading`, hands signed transactions to `TransactionAdmission`,
// and knows the chain's constants from `ChainFacts`. The node implements the protocols; tests
// and tools may implement them over anything else.
import ChainQueries
import Execution
import LedgerPrimitives
import LedgerTypes
import Mempool

/// What the methods need to know of the chain's configuration.
public struct ChainFacts: Sendable {
    public var chainId: UInt64
    /// Whether the base fee follows EIP-1559 or stays at the genesis value (DESIGN.md §5).
    public var baseFeeFloats: Bool
    /// Who receives the fees (nil: each block's proposer); simulated calls see it as COINBASE.
    public var feeRecipient: Address?
    /// How signed transactions are decoded and checked (the chain's rules).
    public var transactionOptions: TransactionValidationOptions

    public init(chainId: UInt64, baseFeeFloats: Bool, feeRecipient: Address?, transactionOptions: TransactionValidationOptions) {
        self.chainId = chainId
        self.baseFeeFloats = baseFeeFloats
        self.feeRecipient = feeRecipient
        self.transactionOptions = transactionOptions
    }
}

/// Typed reads of the committed chain. Every method may block on storage: they are called only
/// inside `ChainReading.read`, on the node's read threads.
public protocol ChainView: Sendable {
    func header(number: UInt64) throws -> BlockHeader?
    func header(hash: Hash32) throws -> BlockHeader?
    func blockNumber(hash: Hash32) throws -> UInt64?
    func body(number: UInt64) throws -> StoredBody?
    func receipts(number: UInt64) throws -> [StoredReceipt]?
    func transactionLocation(hash: Hash32) throws -> TransactionLocation?
    func block(number: UInt64) throws -> (block: Block, transactions: [RecoveredTransaction])?
    /// The state after the block `header` names.
    func state(at header: BlockHeader) throws -> TrieStateReader
}

/// The committed chain: its head without waiting, and blocking reads off the concurrency pool.
public protocol ChainReading: Sendable {
    /// The last committed block's header.
    var head: BlockHeader { get }
    /// Runs `body` where blocking reads are allowed, and returns its result.
    func read<T: Sendable>(_ body: @escaping @Sendable (any ChainView) throws -> T) async throws -> T
}

/// The transaction pool, as eth_sendRawTransaction and the pending views use it.
public protocol TransactionAdmission: Sendable {
    /// Admits transactions whose senders are recovered, in order; one result each.
    func submit(_ transactions: [RecoveredTransaction]) async -> [Result<Hash32, MempoolError>]
    /// The nonce the next transaction of `address` should carry, counting the pool.
    func pendingNonce(of address: Address) async -> UInt64
    /// A transaction waiting in the pool.
    func pooledTransaction(hash: Hash32) async -> RecoveredTransaction?
}

/// eth_getLogs, filters and subscriptions read headers and receipts through the same seam.
struct ChainLogs: ChainLogSource {
    let chain: any ChainReading

    func headNumber() async throws -> UInt64 { chain.head.number }

    func header(number: UInt64) async throws -> BlockHeader? {
        try await chain.read { try $0.header(number: number) }
    }

    func headers(in range: ClosedRange<UInt64>) async throws -> [BlockHeader] {
        try await chain.read { view in try range.compactMap { try view.header(number: $0) } }
    }

    func blockNumber(hash: Hash32) async throws -> UInt64? {
        try await chain.read { try $0.blockNumber(hash: hash) }
    }

    func blockReceipts(number: UInt64) async throws -> BlockReceipts? {
        try await chain.read { view in
            guard let header = try view.header(number: number), let body = try view.body(number: number),
                  let receipts = try view.receipts(number: number) else { return nil }
            return BlockReceipts(header: header, transactionHashes: body.transactions.map(\.hash),
                                 receipts: receipts.map(\.receipt))
        }
    }
}
