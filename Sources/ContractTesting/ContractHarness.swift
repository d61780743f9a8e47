// Off-chain testing of compiled contracts (Docs/contract-dsl.md §Testing): deploy an artifact into
// an in-memory world (the VM's TestHost) and call it from Swift with typed arguments; results
// come back decoded — return values, `Error(string)` reasons, custom errors and events — by the
// artifact's own ABI.
import Bytecode
import ContractCompiler
import ContractDSL
import LedgerPrimitives
import VM

/// A failed call, decoded.
public enum CallFailure: Sendable, Equatable, CustomStringConvertible {
    /// `Require`/`Revert` with a message.
    case message(String)
    /// A declared error with its values.
    case error(name: String, values: [ABIValue])
    /// `Panic(uint256)`: 0x32 for an index out of bounds or RemoveLast on an empty array.
    case panic(UInt256)
    /// A revert with other data (empty for bad call data or a missing function).
    case revert([UInt8])
    /// A VM failure: checked arithmetic overflow, division by zero, out of gas, …
    case failure(Failure)

    public var description: String {
        switch self {
        case .message(let text): return "reverted: \(text)"
        case .error(let name, let values): return "reverted: \(name)(\(values.map(\.description).joined(separator: ", ")))"
        case .panic(let code): return "panic 0x\(code.hexString)"
        case .revert(let data): return "reverted with \(Hex.encode(data))"
        case .failure(let failure): return "failed: \(failure)"
        }
    }
}

public struct CallResult: Sendable {
    /// The decoded return value, nil for none or on failure.
    public var value: ABIValue?
    public var failure: CallFailure?
    public var events: [DecodedEvent]
    public var gasUsed: Int64
    public var output: [UInt8]

    public var succeeded: Bool { failure == nil }
}

public enum HarnessError: Error, Sendable, CustomStringConvertible {
    case unknownFunction(String)
    case wrongArguments(function: String, expected: Int, given: Int)
    case deploymentFailed(CallFailure)
    case badArtifact(String)

    public var description: String {
        switch self {
        case .unknownFunction(let name): return "the ABI has no function \(name)"
        case .wrongArguments(let function, let expected, let given): return "\(function) takes \(expected) arguments, \(given) given"
        case .deploymentFailed(let failure): return "deployment \(failure)"
        case .badArtifact(let reason): return "bad artifact: \(reason)"
        }
    }
}

/// An in-memory world to deploy contracts into.
public final class ContractHarness {
    public let host: TestHost
    private var nextAddress: UInt64 = 0xC0_0000
    private var deployed: [Address: ContractArtifact] = [:]

    public init(block: BlockContext = BlockContext(number: 1, timestamp: 1_700_000_000, chainID: 1337), fusing: Bool = true) {
        host = TestHost(block: block, cache: ProgramCache(fusing: fusing))
    }

    /// Deploys `artifact` with constructor `arguments`; the contract gets a fresh address.
    public func deploy(_ artifact: ContractArtifact, _ arguments: ABIValue..., from sender: Address = ContractHarness.defaultSender,
                       value: UInt256 = .zero, gas: Int64 = 30_000_000) throws -> DeployedContract {
        nextAddress += 1
        return try deploy(artifact, arguments: arguments, at: Address(truncating: UInt256(nextAddress)), from: sender, value: value, gas: gas)
    }

    /// The same at a chosen address (a test vector's, say).
    public func deploy(_ artifact: ContractArtifact, arguments: [ABIValue], at address: Address,
                       from sender: Address = ContractHarness.defaultSender, value: UInt256 = .zero,
                       gas: Int64 = 30_000_000) throws -> DeployedContract {
        guard let payload = try? Hex.decode(artifact.bytecode) else { throw HarnessError.badArtifact("bytecode is not hex") }
        let result = host.deploy(payload + ABICodec.encode(arguments), at: address, from: sender, value: value, gas: gas)
        guard result.succeeded else {
            throw HarnessError.deploymentFailed(Self.failure(result.outcome, output: result.output, abi: artifact.abi))
        }
        // The VM keeps the program it built at deployment (fused); loading the stored code through
        // the harness's cache gives the program its `fusing` setting asks for.
        if let code = host.code(at: address) {
            do { try host.installCode(code, at: address) } catch { throw HarnessError.badArtifact("stored code does not load: \(error)") }
        }
        deployed[address] = artifact
        return DeployedContract(harness: self, address: address, artifact: artifact)
    }

    public static let defaultSender = Address(truncating: UInt256(0xA11CE))

    /// Decodes the logs of a call by the ABIs of the contracts that emitted them.
    func decode(_ logs: [Log]) -> [DecodedEvent] {
        logs.compactMap { log in
            deployed[log.address].flatMap { DecodedEvent(topics: log.topics, data: log.data, address: log.address, abi: $0.abi) }
        }
    }

    static func failure(_ outcome: Outcome, output: [UInt8], abi: [ABIEntry]) -> CallFailure {
        switch outcome {
        case .failure(let failure): return .failure(failure)
        case .success: return .revert(output)
        case .revert:
            switch RevertReason(output: output, abi: abi) {
            case .message(let text): return .message(text)
            case .error(let name, let values): return .error(name: name, values: values)
            case .panic(let code): return .panic(code)
            case .data(let data): return .revert(data)
            }
        }
    }
}

/// A contract deployed in a harness.
public struct DeployedContract {
    public let harness: ContractHarness
    public let address: Address
    public let artifact: ContractArtifact

    /// Calls `function` (by name; a contract's function names are unique) with `arguments`.
    public func call(_ function: String, _ arguments: ABIValue..., from sender: Address = ContractHarness.defaultSender,
                     value: UInt256 = .zero, gas: Int64 = 10_000_000) throws -> CallResult {
        try call(function, arguments: arguments, from: sender, value: value, gas: gas)
    }

    /// The same, with the arguments in an array.
    public func call(_ function: String, arguments: [ABIValue], from sender: Address = ContractHarness.defaultSender,
                     value: UInt256 = .zero, gas: Int64 = 10_000_000) throws -> CallResult {
        guard let entry = artifact.abi.first(where: { $0.type == "function" && $0.name == function }) else {
            throw HarnessError.unknownFunction(function)
        }
        guard entry.inputs.count == arguments.count else {
            throw HarnessError.wrongArguments(function: function, expected: entry.inputs.count, given: arguments.count)
        }
        let types = entry.inputs.compactMap { ABICodec.valueType(named: $0.type) }
        let signature = "\(function)(\(types.map(\.description).joined(separator: ",")))"
        return send(ABICodec.callData(signature, arguments), entry: entry, from: sender, value: value, gas: gas)
    }

    /// Sends raw call data (bad-input tests).
    public func send(_ data: [UInt8], entry: ABIEntry? = nil, from sender: Address = ContractHarness.defaultSender,
                     value: UInt256 = .zero, gas: Int64 = 10_000_000) -> CallResult {
        harness.host.clearLogs()
        let result = VM.call(Message(caller: sender, recipient: address, value: value, input: data, gas: gas), host: harness.host)
        let gasUsed = gas - result.gasLeft
        guard result.succeeded else {
            return CallResult(value: nil, failure: ContractHarness.failure(result.outcome, output: result.output, abi: artifact.abi),
                              events: [], gasUsed: gasUsed, output: result.output)
        }
        var value: ABIValue?
        if let output = entry?.outputs?.first, let type = ABICodec.valueType(named: output.type) {
            value = ABICodec.decode(result.output, as: [type])?.first
        }
        return CallResult(value: value, failure: nil, events: harness.decode(harness.host.logs), gasUsed: gasUsed, output: result.output)
    }

    /// A storage word of this contract.
    public func storage(at slot: UInt256) -> UInt256 { harness.host.storage(of: address, at: slot) }
}
