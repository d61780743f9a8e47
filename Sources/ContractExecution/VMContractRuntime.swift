// The VM as the execution layer's `ContractRuntime` (Docs/adr/0003-vm-in-execution.md,
// Docs/execution.md §Contract execution). The executor does what Ethereum does around the code
// (nonce, intrinsic gas, gas purchase, contract address, fees, receipt); this runs the code:
// `VM.deploy` for a creation, `VM.call` for a call to an account with code, over a
// `WorldStateHost`. Programs are verified once per code hash and shared through a `ProgramCache`.
import Bytecode
import Execution
import LedgerPrimitives
import VM

public struct VMContractRuntime: ContractRuntime, Sendable {
    /// Verified programs by code hash, shared by every execution that uses this runtime.
    public let programs: ProgramCache
    /// Where every instruction is recorded, when tracing.
    private let trace: ExecutionTrace?

    public init(programs: ProgramCache = ProgramCache()) {
        self.programs = programs
        self.trace = nil
    }

    /// A runtime that records into `trace`. Its programs are decoded stepwise (Docs/vm.md
    /// §Tracing): each step is an instruction the contract holds; gas is the same in total.
    public func tracing(into trace: ExecutionTrace) -> any ContractRuntime {
        VMContractRuntime(programs: ProgramCache(stepwise: true), trace: trace)
    }

    private init(programs: ProgramCache, trace: ExecutionTrace) {
        self.programs = programs
        self.trace = trace
    }

    /// Runs the deploy payload `initCode` (a container with an init section, then the constructor
    /// arguments). On success the outcome's data is the runtime container to store, whose
    /// keccak-256 is the new account's code hash.
    public func create(_ message: ContractMessage, initCode: [UInt8], state: WorldState,
                       environment: ExecutionEnvironment) throws(StateError) -> ContractOutcome {
        let host = WorldStateHost(state: state, environment: environment, programs: programs)
        // The VM moves the message's value itself, inside the frame's checkpoint.
        let result = VM.deploy(payload: initCode, message: vmMessage(message), host: host,
                               observer: trace.map(TraceRecorder.init))
        if let fault = host.fault { throw fault }
        if let program = result.program { programs.remember(program) }
        return outcome(result.outcome, gas: message.gas, gasLeft: result.gasLeft,
                       output: result.runtimeCode ?? result.output)
    }

    /// Runs the code of `message.address` with the message's call data.
    public func call(_ message: ContractMessage, code: [UInt8], state: WorldState,
                     environment: ExecutionEnvironment) throws(StateError) -> ContractOutcome {
        let host = WorldStateHost(state: state, environment: environment, programs: programs)
        // Code that does not verify can only come from genesis; say why the call fails.
        let codeHash = try state.account(at: message.address)?.codeHash ?? Keccak256.hash(code)
        if let error = try host.loadProgram(codeHash: codeHash).error {
            return ContractOutcome(status: .failure(reason: error.description), gasUsed: message.gas)
        }
        let result = VM.call(vmMessage(message), host: host, observer: trace.map(TraceRecorder.init))
        if let fault = host.fault { throw fault }
        return outcome(result.outcome, gas: message.gas, gasLeft: result.gasLeft, output: result.output)
    }

    private func vmMessage(_ message: ContractMessage) -> Message {
        Message(caller: message.caller, recipient: message.address, origin: message.origin, value: message.value,
                input: message.input, gas: Int64(clamping: message.gas))
    }

    /// The VM's outcome in the seam's terms. Checked-arithmetic failures return their unused gas
    /// in the VM (as REVERT does), so they are reverts here, with no data; failures that consume
    /// all gas (out of gas, invalid instruction, rejected code…) are failures with their reason.
    private func outcome(_ outcome: Outcome, gas: UInt64, gasLeft: Int64, output: [UInt8]) -> ContractOutcome {
        let used = gas - min(UInt64(max(gasLeft, 0)), gas)
        switch outcome {
        case .success: return ContractOutcome(status: .success, gasUsed: used, returnData: output)
        case .revert: return ContractOutcome(status: .revert, gasUsed: used, returnData: output)
        case .failure(let failure) where !failure.consumesAllGas:
            return ContractOutcome(status: .revert, gasUsed: used)
        case .failure(let failure):
            return ContractOutcome(status: .failure(reason: failure.description), gasUsed: gas)
        }
    }
}

/// The VM's step observer writing into an `ExecutionTrace`.
private struct TraceRecorder: StepObserver {
    let trace: ExecutionTrace

    func step(at index: Int, opcode: Opcode, gasLeft: Int64, stackDepth: Int, callDepth: Int) {
        let definition = opcode.definition
        trace.record(TraceStep(pc: index, op: definition.name, gas: gasLeft, gasCost: Int64(definition.gas),
                               depth: callDepth + 1, stackDepth: stackDepth))
    }
}
