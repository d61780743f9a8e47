// What the chain keeps for each committed block besides its header, as RPC reads it: the body
// with the senders already recovered, the receipts with the figures JSON-RPC shows beside them,
// and where each transaction sits. The node stores them (Node/ChainSchema.swift holds the codecs).
import LedgerPrimitives
import LedgerTypes

/// A committed block's body as stored: its transactions with their recovered senders, and the
/// commit certificate of the previous height it carries.
public struct StoredBody: Sendable, Hashable {
    public var transactions: [RecoveredTransaction]
    public var lastCommit: [UInt8]

    public init(transactions: [RecoveredTransaction], lastCommit: [UInt8]) {
        self.transactions = transactions
        self.lastCommit = lastCommit
    }
}

/// One transaction's receipt as stored: the consensus receipt plus what JSON-RPC shows beside it.
public struct StoredReceipt: Sendable, Hashable {
    public var receipt: Receipt
    /// Gas used by this transaction alone.
    public var gasUsed: UInt64
    public var effectiveGasPrice: UInt256
    /// The deployed contract, for a successful creation.
    public var contractAddress: Address?

    public init(receipt: Receipt, gasUsed: UInt64, effectiveGasPrice: UInt256, contractAddress: Address?) {
        self.receipt = receipt
        self.gasUsed = gasUsed
        self.effectiveGasPrice = effectiveGasPrice
        self.contractAddress = contractAddress
    }
}

/// Where a committed transaction sits.
public struct TransactionLocation: Sendable, Hashable {
    public var blockNumber: UInt64
    public var index: Int

    public init(blockNumber: UInt64, index: Int) {
        self.blockNumber = blockNumber
        self.index = index
    }
}
