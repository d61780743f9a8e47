// What goes into a call and what comes out, and the two entry points: `VM.call` for a message
// to an account, `VM.deploy` for a deploy payload (Docs/vm.md §Calls).
import Bytecode
import LedgerPrimitives

/// One call into an account.
public struct Message: Sendable, Equatable {
    public var caller: Address
    /// The account whose code runs (and whose storage it sees).
    public var recipient: Address
    /// The externally owned account that signed the transaction.
    public var origin: Address
    public var value: UInt256
    public var input: [UInt8]
    public var gas: Int64
    /// A static call may not write: SSTORE, LOG and value-bearing CALL fail.
    public var isStatic: Bool

    public init(caller: Address, recipient: Address, origin: Address? = nil, value: UInt256 = .zero,
                input: [UInt8] = [], gas: Int64, isStatic: Bool = false) {
        self.caller = caller
        self.recipient = recipient
        self.origin = origin ?? caller
        self.value = value
        self.input = input
        self.gas = gas
        self.isStatic = isStatic
    }
}

/// Why a call failed. Every failure undoes the call's writes, transfers and logs.
public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
    case outOfGas
    /// A checked ADD, SUB, MUL, EXP or SDIV overflowed.
    case arithmeticOverflow
    /// DIV, SDIV, MOD, SMOD, ADDMOD or MULMOD by zero.
    case divisionByZero
    /// INVALID ran.
    case invalidInstruction
    /// SSTORE, LOG or a value-bearing CALL inside a static call.
    case staticStateChange
    /// CALLF would let the operand stack pass its limit, or the return stack is full.
    case stackOverflow
    /// RETURNDATACOPY read past the last call's output.
    case returnDataOutOfBounds
    /// The call would nest deeper than `Limits.callDepth`.
    case callDepthExceeded
    /// The callee is already on the call stack and its container does not opt in.
    case reentrancyRefused
    /// The caller holds less than the value sent.
    case insufficientBalance
    /// The transaction ran more LOGs, or logged more bytes, than `Limits` allows.
    case logLimitExceeded
    /// The host asked the run to stop (a simulation over its time limit); never in a block.
    case interrupted
    /// A deploy payload that does not decode.
    case malformedContainer(Container.DecodingError)
    /// A deploy payload, or the runtime container its init code produced, that does not verify.
    case rejectedCode(VerificationError)

    /// Failures that consume all the call's gas; the others (checked arithmetic, refusals
    /// before the callee runs) return what is left, as REVERT does.
    public var consumesAllGas: Bool {
        switch self {
        case .outOfGas, .invalidInstruction, .staticStateChange, .stackOverflow, .returnDataOutOfBounds,
             .logLimitExceeded, .interrupted, .malformedContainer, .rejectedCode:
            return true
        case .arithmeticOverflow, .divisionByZero, .callDepthExceeded, .reentrancyRefused, .insufficientBalance:
            return false
        }
    }

    public var description: String {
        switch self {
        case .outOfGas: return "out of gas"
        case .arithmeticOverflow: return "arithmetic overflow"
        case .divisionByZero: return "division by zero"
        case .invalidInstruction: return "invalid instruction"
        case .staticStateChange: return "state change in a static call"
        case .stackOverflow: return "stack overflow"
        case .returnDataOutOfBounds: return "return data read out of bounds"
        case .callDepthExceeded: return "call depth limit (\(Limits.callDepth)) exceeded"
        case .reentrancyRefused: return "re-entrant call refused"
        case .insufficientBalance: return "insufficient balance for the value sent"
        case .logLimitExceeded:
            return "log limit exceeded (\(Limits.logsPerTransaction) logs or \(Limits.logBytesPerTransaction) bytes per transaction)"
        case .interrupted: return "execution interrupted"
        case .malformedContainer(let error): return "malformed container: \(error)"
        case .rejectedCode(let error): return "code rejected: \(error)"
        }
    }
}

public enum Outcome: Sendable, Equatable {
    case success
    /// REVERT ran; the output is the revert data.
    case revert
    case failure(Failure)
}

public struct ExecutionResult: Sendable, Equatable {
    public var outcome: Outcome
    public var gasLeft: Int64
    /// RETURN's or REVERT's data; empty otherwise.
    public var output: [UInt8]

    public init(outcome: Outcome, gasLeft: Int64, output: [UInt8] = []) {
        (self.outcome, self.gasLeft, self.output) = (outcome, gasLeft, output)
    }

    public var succeeded: Bool { outcome == .success }
}

public struct DeploymentResult: Sendable {
    public var outcome: Outcome
    public var gasLeft: Int64
    /// The init code's revert data on a revert; empty otherwise.
    public var output: [UInt8]
    /// The runtime container to store at the new address (its keccak-256 is the code hash).
    public var runtimeCode: [UInt8]?
    /// Its verified program, ready for a `ProgramCache`-backed host.
    public var program: Program?

    public var succeeded: Bool { outcome == .success }
}

public enum VM {
    /// Runs `message`: moves its value, then runs the recipient's code if it has any.
    /// With an `observer`, it is told of every instruction of every frame.
    public static func call(_ message: Message, host: any Host, observer: (any StepObserver)? = nil) -> ExecutionResult {
        Session(host: host, warm: [message.origin, message.caller, message.recipient], observer: observer)
            .call(message, depth: 0)
    }

    /// Deploys `payload` (a container with an init section, then the constructor arguments) at
    /// `message.recipient`, which the caller has chosen (keccak(rlp([sender, nonce]))[12:]).
    /// The init code runs with the arguments as call data; its output is appended to the
    /// data section of the runtime container returned. Storing that code is the caller's job,
    /// after a success. Costs `Gas.codeDepositPerByte` per byte of the runtime container.
    /// With an `observer`, it is told of every instruction of the init code and what it calls.
    public static func deploy(payload: [UInt8], message: Message, host: any Host,
                              observer: (any StepObserver)? = nil) -> DeploymentResult {
        func failed(_ failure: Failure, gasLeft: Int64 = 0) -> DeploymentResult {
            DeploymentResult(outcome: .failure(failure), gasLeft: failure.consumesAllGas ? 0 : gasLeft, output: [])
        }
        let container: Container, arguments: [UInt8]
        do { (container, arguments) = try Container.decode(payload) } catch { return failed(.malformedContainer(error)) }
        let initProgram: Program
        // A traced deployment decodes stepwise, so the observer sees every instruction.
        do { initProgram = try Verifier.deployment(of: container, stepwise: observer != nil) } catch {
            return failed(.rejectedCode(error))
        }

        var initMessage = message
        initMessage.input = arguments
        let session = Session(host: host, warm: [message.origin, message.caller, message.recipient], observer: observer)
        let checkpoint = host.checkpoint()
        if !message.value.isZero && !host.transfer(message.value, from: message.caller, to: message.recipient) {
            host.revert(to: checkpoint)
            return failed(.insufficientBalance, gasLeft: message.gas)
        }
        session.active.append(message.recipient)
        let result = session.run(initProgram, message: initMessage, depth: 0)
        guard result.outcome == .success else {
            host.revert(to: checkpoint)
            return DeploymentResult(outcome: result.outcome, gasLeft: result.gasLeft, output: result.output)
        }
        let runtime = container.runtimeContainer(appendingData: result.output)
        let bytes: [UInt8], program: Program
        do {
            bytes = try runtime.encoded()
            // Traced: the program a later traced call of the same block finds in the cache.
            program = try Verifier.runtimeProgram(of: runtime, codeHash: Keccak256.hash(bytes), stepwise: observer != nil)
        } catch let error as Container.DecodingError {
            host.revert(to: checkpoint)
            return failed(.malformedContainer(error))
        } catch let error as VerificationError {
            host.revert(to: checkpoint)
            return failed(.rejectedCode(error))
        } catch {
            fatalError("unreachable: \(error)")
        }
        let deposit = Int64(bytes.count) * Gas.codeDepositPerByte
        guard result.gasLeft >= deposit else {
            host.revert(to: checkpoint)
            return failed(.outOfGas)
        }
        host.commit(checkpoint)
        return DeploymentResult(outcome: .success, gasLeft: result.gasLeft - deposit, output: [],
                                runtimeCode: bytes, program: program)
    }
}
