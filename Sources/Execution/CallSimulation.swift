// Running a call or creation without a transaction and without committing anything: what
// eth_call, eth_estimateGas and tools need (Docs/execution.md §Simulated calls). The state is an
// overlay over a read-only state that is dropped afterwards; no gas is bought, no nonce is
// checked, and fees are not paid. The checks that would make the call fail as a transaction for
// reasons other than its code (intrinsic gas, init-code size, deploy allowlist, balance for the
// value) are reported as rejections, as the transaction would be.
import LedgerPrimitives
import LedgerTypes

/// What a simulated call did.
public struct CallSimulation: Sendable, Hashable {
    /// `.success`, `.revert` (the return data is the revert data) or `.failure(reason:)`.
    public var status: ContractOutcome.Status
    /// RETURN's data, REVERT's data, or, for a creation, the runtime code it would store.
    public var returnData: [UInt8]
    /// Gas the call would use as a transaction: intrinsic gas plus the code's (all of the gas
    /// given on a failure).
    public var gasUsed: UInt64
    /// The logs it would emit (none unless it succeeded).
    public var logs: [Log]
    /// For a creation: the address it would deploy to.
    public var contractAddress: Address?
    /// It failed because its stop condition was met (a time limit), not because of its code.
    public var interrupted = false

    public var succeeded: Bool { status == .success }
}

/// Why eth_estimateGas has no answer.
public enum GasEstimationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The call would be rejected before any code runs.
    case rejected(TransactionRejection)
    /// It does not succeed even with all the gas allowed: its outcome there (revert data, reason).
    case failsWithAllowedGas(CallSimulation)
    /// The search was stopped by its stop condition (a time limit) before it had an answer.
    case interrupted

    public var description: String {
        switch self {
        case .rejected(let rejection): return rejection.description
        case .interrupted: return "execution interrupted"
        case .failsWithAllowedGas(let simulation):
            switch simulation.status {
            case .failure(let reason): return "gas required exceeds allowance or always failing transaction: \(reason)"
            default: return "execution reverted"
            }
        }
    }
}

extension BlockExecutor {
    /// Runs a message from `sender` to `target` (nil: a creation with `data` as its payload) on
    /// `base` as if it were a transaction with `gas` (default: the block's gas limit) and a gas
    /// price of zero, in the block `context`. Nothing is committed. `stop` can end the code early
    /// (then the result is a failure marked `interrupted`).
    public func simulateCall(from sender: Address, to target: Address?, value: UInt256 = .zero,
                             data: [UInt8] = [], gas: UInt64? = nil, context: BlockContext,
                             on base: TrieStateReader, stop: StopCondition? = nil) throws(StateError) -> Result<CallSimulation, TransactionRejection> {
        let gasLimit = gas ?? context.gasLimit
        let isCreation = target == nil
        if isCreation && data.count > rules.transactionOptions.maximumInitcodeSize {
            return .failure(.invalid(.initcodeTooLarge(size: data.count, limit: rules.transactionOptions.maximumInitcodeSize)))
        }
        let intrinsic = IntrinsicGas.cost(data: data, isContractCreation: isCreation, accessList: [])
        guard gasLimit >= intrinsic else { return .failure(.invalid(.intrinsicGasTooLow(have: gasLimit, want: intrinsic))) }
        if isCreation, !(try Permissions.mayDeploy(sender, in: base)) { return .failure(.deployerNotAllowed(sender)) }

        let state = WorldState(base: base)
        let account = try state.account(at: sender) ?? Account()
        guard !(account.balance < value) else {
            return .failure(.insufficientFunds(address: sender, have: account.balance, want: value))
        }
        if account.nonce < UInt64.max { try state.setNonce(account.nonce + 1, of: sender) }
        let gasForCode = gasLimit - intrinsic
        let environment = ExecutionEnvironment(block: context, chainId: rules.chainId, gasPrice: .zero, stop: stop)

        var simulation = CallSimulation(status: .success, returnData: [], gasUsed: intrinsic, logs: [])
        let outcome: ContractOutcome
        if let target {
            let code = try state.code(at: target)
            // The runtime moves the value to code; without code it is a plain transfer.
            if code.isEmpty {
                guard try state.transfer(value, from: sender, to: target) else { preconditionFailure("balance was checked") }
                return .success(simulation)
            }
            guard let runtime else { return .success(Self.withoutRuntime(simulation, gas: gasLimit)) }
            let message = ContractMessage(caller: sender, origin: sender, address: target, value: value, input: data,
                                          gas: gasForCode)
            outcome = try runtime.call(message, code: code, state: state, environment: environment)
        } else {
            let address = Address.contractAddress(creator: sender, nonce: account.nonce)
            simulation.contractAddress = address
            if let existing = try state.account(at: address), existing.nonce != 0 || existing.hasCode {
                simulation.status = .failure(reason: "contract address collision")
                simulation.gasUsed = gasLimit
                return .success(simulation)
            }
            guard let runtime else { return .success(Self.withoutRuntime(simulation, gas: gasLimit)) }
            try state.updateAccount(at: address) { $0.nonce = 1 }
            let message = ContractMessage(caller: sender, origin: sender, address: address, value: value, input: data,
                                          gas: gasForCode)
            outcome = try runtime.create(message, initCode: data, state: state, environment: environment)
        }
        simulation.status = outcome.status
        simulation.returnData = outcome.returnData
        switch outcome.status {
        case .success:
            simulation.gasUsed = intrinsic + min(outcome.gasUsed, gasForCode)
            simulation.logs = state.logs
        case .revert:
            simulation.gasUsed = intrinsic + min(outcome.gasUsed, gasForCode)
        case .failure:
            simulation.gasUsed = gasLimit
            simulation.returnData = []
            simulation.interrupted = stop?.shouldStop == true
        }
        return .success(simulation)
    }

    private static func withoutRuntime(_ simulation: CallSimulation, gas: UInt64) -> CallSimulation {
        var failed = simulation
        failed.status = .failure(reason: TransactionProcessor.noRuntime)
        failed.gasUsed = gas
        return failed
    }

    /// The least gas with which the message succeeds with the same return data as with all the gas
    /// (eth_estimateGas), searched between its intrinsic gas and `allowance` (default: the block's
    /// gas limit). Comparing the return data catches a nested call that fails for want of the
    /// 1/64 held back while its caller goes on; code whose output depends on the gas it has gets
    /// the allowance, an over-estimate, never an under-estimate. The gas a successful run uses is
    /// tried first: it is the answer unless a nested call needed more.
    /// `stop` ends the search early with `.interrupted`.
    public func estimateGas(from sender: Address, to target: Address?, value: UInt256 = .zero,
                            data: [UInt8] = [], allowance: UInt64? = nil, context: BlockContext,
                            on base: TrieStateReader, stop: StopCondition? = nil) throws(StateError) -> Result<UInt64, GasEstimationError> {
        func run(_ gas: UInt64) throws(StateError) -> Result<CallSimulation, TransactionRejection> {
            try simulateCall(from: sender, to: target, value: value, data: data, gas: gas, context: context, on: base, stop: stop)
        }
        let cap = allowance ?? context.gasLimit
        let atCap: CallSimulation
        switch try run(cap) {
        case .failure(let rejection): return .failure(.rejected(rejection))
        case .success(let simulation): atCap = simulation
        }
        if atCap.interrupted { return .failure(.interrupted) }
        guard atCap.succeeded else { return .failure(.failsWithAllowedGas(atCap)) }
        func succeeds(_ gas: UInt64) throws(StateError) -> Bool? {
            guard case .success(let simulation) = try run(gas) else { return false }
            return simulation.interrupted ? nil : simulation.succeeded && simulation.returnData == atCap.returnData
        }
        // Invariant: `high` succeeds, `low` does not (less than a successful run used is taken
        // to fail, as geth does).
        var high = cap
        var low = atCap.gasUsed - 1
        if atCap.gasUsed < cap {
            guard let succeeded = try succeeds(atCap.gasUsed) else { return .failure(.interrupted) }
            if succeeded { return .success(atCap.gasUsed) }
            low = atCap.gasUsed
        }
        while high - low > 1 {
            let middle = low + (high - low) / 2
            guard let succeeded = try succeeds(middle) else { return .failure(.interrupted) }
            if succeeded { high = middle } else { low = middle }
        }
        return .success(high)
    }
}
