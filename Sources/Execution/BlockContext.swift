// What execution needs to know besides the transactions and the state: the block being built
// (`BlockContext`) and the chain's rules from genesis (`ChainRules`).
import LedgerPrimitives
import LedgerTypes

/// The block a transaction executes in.
public struct BlockContext: Sendable, Hashable {
    public var number: UInt64
    /// Seconds.
    public var timestamp: UInt64
    public var gasLimit: UInt64
    public var baseFeePerGas: UInt256
    /// Who receives every fee, base fee and tip alike: genesis's feeRecipient, else the proposer.
    public var feeRecipient: Address

    public init(number: UInt64, timestamp: UInt64, gasLimit: UInt64, baseFeePerGas: UInt256, feeRecipient: Address) {
        self.number = number
        self.timestamp = timestamp
        self.gasLimit = gasLimit
        self.baseFeePerGas = baseFeePerGas
        self.feeRecipient = feeRecipient
    }

    /// The context of `header`'s block; fees go to `feeRecipient`, or to the proposer if nil.
    public init(header: BlockHeader, feeRecipient: Address?) {
        self.init(number: header.number, timestamp: header.timestamp, gasLimit: header.gasLimit,
                  baseFeePerGas: header.baseFeePerGas, feeRecipient: feeRecipient ?? header.proposer)
    }
}

/// The chain-wide rules execution enforces (from the genesis file). Who may send and deploy is
/// not here but in the state, in the Permissions system contract (Permissions.swift).
public struct ChainRules: Sendable, Hashable {
    public var chainId: UInt64
    public var transactionOptions: TransactionValidationOptions

    public init(chainId: UInt64, transactionOptions: TransactionValidationOptions = .init()) {
        self.chainId = chainId
        self.transactionOptions = transactionOptions
    }
}
