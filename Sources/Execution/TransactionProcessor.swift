// One transaction's state transition, shared by the block builder (which skips what it rejects)
// and block validation (which rejects the block): the checks of Docs/execution.md §Validity in a
// fixed order, then gas purchase, nonce, value transfer or contract code, refund and fees.
import LedgerPrimitives
import LedgerTypes

/// A transaction as executed: its receipt and the figures RPC shows beside it.
public struct ExecutedTransaction: Sendable, Hashable {
    public var transaction: RecoveredTransaction
    public var receipt: Receipt
    /// Gas used by this transaction alone.
    public var gasUsed: UInt64
    /// What the sender paid per gas (all of it to the fee recipient).
    public var effectiveGasPrice: UInt256
    /// The created contract's address, for a creation (whether or not it succeeded, as geth reports).
    public var contractAddress: Address?
    /// The returned or revert data of contract code (empty for plain transfers).
    public var returnData: [UInt8]
    /// Why the contract code failed, when it did.
    public var failureReason: String?
}

struct TransactionProcessor {
    let rules: ChainRules
    let runtime: (any ContractRuntime)?

    /// Executes `transaction` on `state` with `gasUsedBefore` gas already used in the block.
    /// A rejection leaves `state` untouched.
    func execute(_ recovered: RecoveredTransaction, in state: WorldState, context: BlockContext,
                 gasUsedBefore: UInt64) throws(StateError) -> Result<ExecutedTransaction, TransactionRejection> {
        let transaction = recovered.transaction
        let sender = recovered.sender

        // Validity, cheapest and state-free checks first.
        do {
            try transaction.checkIntrinsicValidity(chainId: rules.chainId, options: rules.transactionOptions)
        } catch { return .failure(.invalid(error)) }
        // The Permissions contract's storage as it stands before this transaction: an earlier
        // transaction of the same block that changes it counts.
        guard try Permissions.maySend(sender, in: state) else { return .failure(.senderNotAllowed(sender)) }
        if transaction.isContractCreation, !(try Permissions.mayDeploy(sender, in: state)) {
            return .failure(.deployerNotAllowed(sender))
        }
        guard !(transaction.maxFeePerGas < context.baseFeePerGas) else {
            return .failure(.feeCapBelowBaseFee(maxFeePerGas: transaction.maxFeePerGas, baseFee: context.baseFeePerGas))
        }
        let remaining = context.gasLimit > gasUsedBefore ? context.gasLimit - gasUsedBefore : 0
        guard transaction.gasLimit <= remaining else {
            return .failure(.gasLimitExceedsBlockRemaining(gasLimit: transaction.gasLimit, remaining: remaining))
        }
        let account = try state.account(at: sender) ?? Account()
        guard transaction.nonce >= account.nonce else {
            return .failure(.nonceTooLow(address: sender, transaction: transaction.nonce, state: account.nonce))
        }
        guard transaction.nonce == account.nonce else {
            return .failure(.nonceTooHigh(address: sender, transaction: transaction.nonce, state: account.nonce))
        }
        guard !account.hasCode else { return .failure(.senderNotEOA(sender)) }
        // gas limit × fee cap fits 256 bits (intrinsic validity); adding the value may not.
        let maximumGasCost = transaction.maxFeePerGas &* UInt256(transaction.gasLimit)
        let (maximumCost, overflow) = maximumGasCost.addingReportingOverflow(transaction.value)
        guard !overflow, !(account.balance < maximumCost) else {
            return .failure(.insufficientFunds(address: sender, have: account.balance,
                                               want: overflow ? nil : maximumCost))
        }

        // The transition. DESIGN.md §2: legacy pays its gas price; type 2 pays
        // min(fee cap, base fee + tip). All of it goes to the fee recipient: nothing is burned.
        let price = Self.effectiveGasPrice(of: transaction, baseFee: context.baseFeePerGas)
        let gasLimit = transaction.gasLimit
        guard try state.subtractBalance(price &* UInt256(gasLimit), from: sender) else {
            preconditionFailure("balance was checked against a larger amount")
        }
        try state.setNonce(account.nonce + 1, of: sender)

        let gasForCode = gasLimit - transaction.intrinsicGas
        let environment = ExecutionEnvironment(block: context, chainId: rules.chainId, gasPrice: price)
        let firstLog = state.logs.count
        let run = try transaction.isContractCreation
            ? create(recovered, nonce: account.nonce, gas: gasForCode, state: state, environment: environment)
            : call(recovered, gas: gasForCode, state: state, environment: environment)

        let gasUsed = gasLimit - (gasForCode - min(run.codeGasUsed, gasForCode))
        // Refund what was not used, then pay the fee recipient.
        try state.addBalance(price &* UInt256(gasLimit - gasUsed), to: sender)
        try state.addBalance(price &* UInt256(gasUsed), to: context.feeRecipient)

        let logs = Array(state.logs[firstLog...])
        let receipt = Receipt(type: transaction.type, succeeded: run.succeeded,
                              cumulativeGasUsed: gasUsedBefore + gasUsed, logs: logs)
        return .success(ExecutedTransaction(
            transaction: recovered, receipt: receipt, gasUsed: gasUsed, effectiveGasPrice: price,
            contractAddress: run.contractAddress, returnData: run.returnData, failureReason: run.failureReason))
    }

    static func effectiveGasPrice(of transaction: SignedTransaction, baseFee: UInt256) -> UInt256 {
        guard case .dynamicFee(let fields) = transaction.unsigned else { return transaction.maxFeePerGas }
        let (withTip, overflow) = baseFee.addingReportingOverflow(fields.maxPriorityFeePerGas)
        return overflow || fields.maxFeePerGas < withTip ? fields.maxFeePerGas : withTip
    }

    private struct CodeRun {
        var succeeded: Bool
        var codeGasUsed: UInt64
        var returnData: [UInt8] = []
        var contractAddress: Address? = nil
        var failureReason: String? = nil
    }

    private func call(_ recovered: RecoveredTransaction, gas: UInt64, state: WorldState,
                      environment: ExecutionEnvironment) throws(StateError) -> CodeRun {
        let transaction = recovered.transaction
        let target = transaction.to!
        let code = try state.code(at: target)
        // A call to an account without code is a plain transfer; its data is ignored (as Ethereum).
        // With code, the runtime moves the value itself, inside its own checkpoint.
        if code.isEmpty {
            guard try state.transfer(transaction.value, from: recovered.sender, to: target) else {
                preconditionFailure("balance was checked against a larger amount")
            }
            return CodeRun(succeeded: true, codeGasUsed: 0)
        }
        guard let runtime else { return CodeRun(succeeded: false, codeGasUsed: gas, failureReason: Self.noRuntime) }
        let snapshot = state.snapshot()
        let message = ContractMessage(caller: recovered.sender, origin: recovered.sender, address: target,
                                      value: transaction.value, input: transaction.data, gas: gas)
        let outcome = try runtime.call(message, code: code, state: state, environment: environment)
        return finish(outcome, gas: gas, snapshot: snapshot, state: state)
    }

    private func create(_ recovered: RecoveredTransaction, nonce: UInt64, gas: UInt64, state: WorldState,
                        environment: ExecutionEnvironment) throws(StateError) -> CodeRun {
        let transaction = recovered.transaction
        let address = Address.contractAddress(creator: recovered.sender, nonce: nonce)
        let snapshot = state.snapshot()
        // An address that already has a nonce or code cannot be deployed to (as Ethereum).
        if let existing = try state.account(at: address), existing.nonce != 0 || existing.hasCode {
            return CodeRun(succeeded: false, codeGasUsed: gas, contractAddress: address,
                           failureReason: "contract address collision")
        }
        guard let runtime else {
            return CodeRun(succeeded: false, codeGasUsed: gas, contractAddress: address,
                           failureReason: Self.noRuntime)
        }
        try state.updateAccount(at: address) { $0.nonce = 1 }  // EIP-161: contracts start at nonce 1.
        let message = ContractMessage(caller: recovered.sender, origin: recovered.sender, address: address,
                                      value: transaction.value, input: transaction.data, gas: gas)
        let outcome = try runtime.create(message, initCode: transaction.data, state: state, environment: environment)
        var run = finish(outcome, gas: gas, snapshot: snapshot, state: state)
        run.contractAddress = address
        if run.succeeded { try state.setCode(outcome.returnData, at: address) }
        return run
    }

    private func finish(_ outcome: ContractOutcome, gas: UInt64, snapshot: WorldState.Snapshot,
                        state: WorldState) -> CodeRun {
        switch outcome.status {
        case .success:
            return CodeRun(succeeded: true, codeGasUsed: min(outcome.gasUsed, gas), returnData: outcome.returnData)
        case .revert:
            state.revert(to: snapshot)
            return CodeRun(succeeded: false, codeGasUsed: min(outcome.gasUsed, gas), returnData: outcome.returnData)
        case .failure(let reason):
            state.revert(to: snapshot)
            return CodeRun(succeeded: false, codeGasUsed: gas, failureReason: reason)
        }
    }

    static let noRuntime = "no contract runtime on this node"
}
