// The pool's rules and limits: chain, prices, sizes, allowlists. Docs/mempool.md §Configuration.
import LedgerPrimitives

public struct MempoolConfiguration: Hashable, Sendable {
    public var chainId: UInt64
    /// Gas limit of the blocks the chain builds: a transaction above it can never be included.
    public var blockGasLimit: UInt64
    /// The head's base fee. Change it with `Mempool.reset(headState:baseFee:)`, which re-prices.
    public var baseFee: UInt256
    /// The lowest fee cap the pool accepts even when the base fee is lower (e.g. 0).
    public var minimumFeePerGas: UInt256
    /// Largest encoded transaction accepted (geth's 128 KiB).
    public var maximumTransactionSize: Int
    /// Transactions in the pool, pending and queued together.
    public var maximumTransactions: Int
    /// Transactions one sender may hold, pending and queued together.
    public var maximumPerSender: Int
    /// Future-nonce (queued) transactions one sender may hold: they cost memory and cannot run.
    public var maximumQueuedPerSender: Int
    /// A replacement must raise both the fee cap and the tip by this many percent.
    public var priceBumpPercent: UInt64
    /// Accept legacy transactions without a chain id (replayable on every chain).
    public var allowsUnprotectedLegacy: Bool

    /// The defaults hold five seconds of P4's 10,000 transfers/s (50,000 transactions, roughly
    /// 30 MB) and let one sender pipeline 1,024 transactions, while a sender's future nonces
    /// stay at geth's 64.
    public init(chainId: UInt64, blockGasLimit: UInt64 = 30_000_000, baseFee: UInt256 = .zero,
                minimumFeePerGas: UInt256 = .zero, maximumTransactionSize: Int = 128 * 1024,
                maximumTransactions: Int = 50_000, maximumPerSender: Int = 1_024,
                maximumQueuedPerSender: Int = 64, priceBumpPercent: UInt64 = 10,
                allowsUnprotectedLegacy: Bool = false) {
        self.chainId = chainId
        self.blockGasLimit = blockGasLimit
        self.baseFee = baseFee
        self.minimumFeePerGas = minimumFeePerGas
        self.maximumTransactionSize = maximumTransactionSize
        self.maximumTransactions = maximumTransactions
        self.maximumPerSender = maximumPerSender
        self.maximumQueuedPerSender = maximumQueuedPerSender
        self.priceBumpPercent = priceBumpPercent
        self.allowsUnprotectedLegacy = allowsUnprotectedLegacy
    }

    /// The lowest fee cap admitted: the base fee or the configured floor, whichever is higher.
    public var requiredFeePerGas: UInt256 { Swift.max(baseFee, minimumFeePerGas) }
}
