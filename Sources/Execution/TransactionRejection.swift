// Why a transaction cannot be part of a block at its position: the proposer skips it, a validator
// rejects a block containing it. Messages follow geth's wording where geth has one.
import LedgerPrimitives
import LedgerTypes

public enum TransactionRejection: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fails a state-free rule (chain id, signature, intrinsic gas…).
    case invalid(TransactionValidationError)
    /// The sender is not on the genesis send allowlist.
    case senderNotAllowed(Address)
    /// A contract creation by a sender not on the deploy allowlist.
    case deployerNotAllowed(Address)
    /// The fee cap (gas price for legacy) is below the block's base fee.
    case feeCapBelowBaseFee(maxFeePerGas: UInt256, baseFee: UInt256)
    /// More gas than the block has left.
    case gasLimitExceedsBlockRemaining(gasLimit: UInt64, remaining: UInt64)
    case nonceTooLow(address: Address, transaction: UInt64, state: UInt64)
    case nonceTooHigh(address: Address, transaction: UInt64, state: UInt64)
    /// Balance below gas limit × fee cap + value.
    case insufficientFunds(address: Address, have: UInt256, want: UInt256?)
    /// EIP-3607: the sender's address holds code.
    case senderNotEOA(Address)

    public var description: String {
        switch self {
        case .invalid(let error): return error.description
        case .senderNotAllowed(let address): return "sender \(address) is not allowed to send transactions"
        case .deployerNotAllowed(let address): return "sender \(address) is not allowed to deploy contracts"
        case .feeCapBelowBaseFee(let cap, let baseFee):
            return "max fee per gas less than block base fee: maxFeePerGas: \(cap), baseFee: \(baseFee)"
        case .gasLimitExceedsBlockRemaining(let gasLimit, let remaining):
            return "gas limit reached: transaction gas \(gasLimit), block gas left \(remaining)"
        case .nonceTooLow(let address, let transaction, let state):
            return "nonce too low: address \(address), tx: \(transaction) state: \(state)"
        case .nonceTooHigh(let address, let transaction, let state):
            return "nonce too high: address \(address), tx: \(transaction) state: \(state)"
        case .insufficientFunds(let address, let have, let want):
            let wanted = want.map { "\($0)" } ?? "more than 2^256-1"
            return "insufficient funds for gas * price + value: address \(address) have \(have) want \(wanted)"
        case .senderNotEOA(let address): return "sender not an eoa: address \(address)"
        }
    }
}
