// Why the pool refused a transaction. Each description starts with geth's message for the same
// rule, because wallets and tools match on those words; the RPC layer sends them as -32000.
import LedgerPrimitives

public enum MempoolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A transaction with this hash is in the pool already.
    case alreadyKnown
    /// The encoded transaction is larger than the pool accepts.
    case oversizedData(size: Int, limit: Int)
    /// Signed for another chain (`have` nil: without EIP-155 replay protection).
    case invalidChainId(have: UInt64?, want: UInt64)
    /// The sender is not on the send allowlist (DESIGN.md §9).
    case senderNotAllowed(Address)
    /// A contract creation by a sender that is not on the deploy allowlist.
    case deployNotAllowed(Address)
    case exceedsBlockGasLimit(gas: UInt64, limit: UInt64)
    /// The fee cap is below the base fee or the pool's minimum price.
    case underpriced(maxFeePerGas: UInt256, minimum: UInt256)
    /// The nonce is below the sender's nonce at the head: it can never execute.
    case nonceTooLow(sender: Address, nonce: UInt64, stateNonce: UInt64)
    /// Same sender and nonce as a pooled transaction, without the required price bump.
    case replacementUnderpriced
    /// The balance does not cover this transaction's maximum cost plus the sender's others in
    /// the pool (`cost` is the total wanted).
    case insufficientFunds(sender: Address, balance: UInt256, cost: UInt256)
    /// The sender holds as many transactions (or future-nonce ones) as it may.
    case accountLimitExceeded(sender: Address, limit: Int)
    /// The pool is full and this transaction would be the first to go.
    case txpoolFull

    /// A short, stable name of the rule (the `reason` label of `d6g_mempool_rejected_total`).
    public var reason: String {
        switch self {
        case .alreadyKnown: "already_known"
        case .oversizedData: "oversized"
        case .invalidChainId: "chain_id"
        case .senderNotAllowed: "sender_not_allowed"
        case .deployNotAllowed: "deploy_not_allowed"
        case .exceedsBlockGasLimit: "gas_limit"
        case .underpriced: "underpriced"
        case .nonceTooLow: "nonce_too_low"
        case .replacementUnderpriced: "replacement_underpriced"
        case .insufficientFunds: "insufficient_funds"
        case .accountLimitExceeded: "account_limit"
        case .txpoolFull: "pool_full"
        }
    }

    public var description: String {
        switch self {
        case .alreadyKnown:
            return "already known"
        case .oversizedData(let size, let limit):
            return "oversized data: transaction size \(size), limit \(limit)"
        case .invalidChainId(let have?, let want):
            return "invalid chain id for signer: have \(have) want \(want)"
        case .invalidChainId(nil, _):
            return "only replay-protected (EIP-155) transactions allowed over RPC"
        case .senderNotAllowed(let sender):
            return "sender not allowed: \(sender) is not on the send allowlist"
        case .deployNotAllowed(let sender):
            return "sender not allowed to deploy contracts: \(sender) is not on the deploy allowlist"
        case .exceedsBlockGasLimit(let gas, let limit):
            return "exceeds block gas limit: gas \(gas), limit \(limit)"
        case .underpriced(let fee, let minimum):
            return "transaction underpriced: max fee per gas \(fee), minimum \(minimum)"
        case .nonceTooLow(let sender, let nonce, let stateNonce):
            return "nonce too low: address \(sender), tx: \(nonce) state: \(stateNonce)"
        case .replacementUnderpriced:
            return "replacement transaction underpriced"
        case .insufficientFunds(let sender, let balance, let cost):
            return "insufficient funds for gas * price + value: address \(sender) have \(balance) want \(cost)"
        case .accountLimitExceeded(let sender, let limit):
            return "account limit exceeded: address \(sender) holds \(limit) transactions"
        case .txpoolFull:
            return "txpool is full"
        }
    }
}
