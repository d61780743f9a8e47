// Typed bindings of the D6G contracts (Contracts/AttestationRegistry.swift, Contracts/KeyExchange.swift;
// Docs/protocol.md §The contracts) for the MLFO, SECaaS and agent programs: each transaction is a
// `TransactionRequest` to send with a `TransactionSender` (signed by the caller's own key: every
// check in the contracts is on the sender), each view an async read through a `LedgerClient`.
// The values they carry come from the D6GProtocol library. `LedgerClientTests` checks every
// signature here against the contracts' compiled ABI, so a contract change that a binding does
// not follow fails a test.
import ContractCompiler
import ContractDSL
import D6GProtocol
import LedgerCrypto
import LedgerPrimitives

/// An agent's status in the registry.
public enum AgentStatus: UInt8, Sendable, Hashable {
    case unregistered = 0, pending, trusted, revoked, unreachable
}

/// A step's state in the registry.
public enum StepState: UInt8, Sendable, Hashable {
    case none = 0, posted, challenged, passed, failed, missed, skipped
}

/// A function of a deployed contract: its ABI signature, its call data, and its single result.
struct ContractFunction: Sendable {
    let name: String
    let parameters: [ValueType]
    let result: ValueType?

    var signature: String { "\(name)(\(parameters.map(\.description).joined(separator: ",")))" }

    func callData(_ arguments: [ABIValue]) -> [UInt8] { ABICodec.callData(signature, arguments) }

    /// Calls the view at `address` and decodes its result.
    func read(_ arguments: [ABIValue], at address: Address, on client: LedgerClient) async throws(ClientError) -> ABIValue {
        let output = try await client.call(CallRequest(to: address, data: callData(arguments)))
        guard let result, let value = ABICodec.decode(output, as: [result])?.first else {
            throw .decoding("\(signature) returned \(output.count) bytes that are not \(result.map(\.description) ?? "a value")")
        }
        return value
    }
}

public struct AttestationRegistryContract: Sendable, Hashable {
    public let address: Address

    public init(address: Address) { self.address = address }

    static let functions: [String: ContractFunction] = Dictionary(uniqueKeysWithValues: [
        ContractFunction(name: "registerAgent", parameters: [.address, .bytes32, .bytes32, .bytes, .bytes], result: nil),
        ContractFunction(name: "rotateEncryptionKey", parameters: [.bytes, .bytes], result: nil),
        ContractFunction(name: "revokeAgent", parameters: [.address, .string], result: nil),
        ContractFunction(name: "setSecaas", parameters: [.address], result: nil),
        ContractFunction(name: "transferAdmin", parameters: [.address], result: nil),
        ContractFunction(name: "acceptAdmin", parameters: [], result: nil),
        ContractFunction(name: "beginRound", parameters: [.uint64, .uint64, .array(.bytes32), .array(.bytes32), .array(.bytes32),
                                                          .array(.bytes)], result: nil),
        ContractFunction(name: "challenge", parameters: [.uint64, .uint64, .address, .bytes32, .bytes32], result: nil),
        ContractFunction(name: "respond", parameters: [.uint64, .uint64, .bytes32], result: nil),
        ContractFunction(name: "respondAndChallenge", parameters: [.uint64, .uint64, .bytes32, .address, .bytes32, .bytes32], result: nil),
        ContractFunction(name: "fallbackChallenge", parameters: [.uint64, .uint64, .bytes32, .bytes32, .bytes32, .address, .bytes32,
                                                                 .bytes32], result: nil),
        ContractFunction(name: "declineStep", parameters: [.uint64, .uint64, .address, .bytes32], result: nil),
        ContractFunction(name: "markMissed", parameters: [.uint64, .uint64], result: nil),
        ContractFunction(name: "cancelRound", parameters: [.uint64, .string], result: nil),
        ContractFunction(name: "dueChallenger", parameters: [], result: .address),
        ContractFunction(name: "isRoundCancelled", parameters: [.uint64], result: .bool),
        ContractFunction(name: "isEligible", parameters: [.address], result: .bool),
        ContractFunction(name: "statusOf", parameters: [.address], result: .uint8),
        ContractFunction(name: "encryptionKeyOf", parameters: [.address], result: .bytes),
        ContractFunction(name: "lastAttestedOf", parameters: [.address], result: .uint64),
        ContractFunction(name: "missesOf", parameters: [.address], result: .uint64),
        ContractFunction(name: "agentCount", parameters: [], result: .uint256),
        ContractFunction(name: "agentAt", parameters: [.uint256], result: .address),
        ContractFunction(name: "rootOfTrust", parameters: [], result: .address),
        ContractFunction(name: "rotChainHead", parameters: [], result: .bytes32),
        ContractFunction(name: "activeRound", parameters: [], result: .uint64),
        ContractFunction(name: "dueStep", parameters: [], result: .uint64),
        ContractFunction(name: "stepCountOf", parameters: [.uint64], result: .uint64),
        ContractFunction(name: "stepStateOf", parameters: [.uint64, .uint64], result: .uint8),
        ContractFunction(name: "sealedChallengeOf", parameters: [.uint64, .uint64], result: .bytes),
        ContractFunction(name: "planCommitOf", parameters: [.uint64, .uint64], result: .bytes32),
        ContractFunction(name: "nonceHashOf", parameters: [.uint64, .uint64], result: .bytes32),
        ContractFunction(name: "proverOf", parameters: [.uint64, .uint64], result: .address),
    ].map { ($0.name, $0) })

    /// Every function's signature and result type (for the check against the compiled ABI).
    public static var signatures: [String: ValueType?] {
        Dictionary(uniqueKeysWithValues: functions.values.map { ($0.signature, $0.result) })
    }

    private func request(_ name: String, _ arguments: [ABIValue]) -> TransactionRequest {
        // The table above holds every name used below.
        TransactionRequest(to: address, data: Self.functions[name]?.callData(arguments) ?? [])
    }

    private func read(_ name: String, _ arguments: [ABIValue], on client: LedgerClient) async throws(ClientError) -> ABIValue {
        guard let function = Self.functions[name] else { throw .decoding("no binding for \(name)") }
        return try await function.read(arguments, at: address, on: client)
    }

    // MARK: Transactions

    public func registerAgent(_ agent: Address, agentId: Hash32, pipelineId: Hash32, encryptionKey: PublicKey,
                              signature: [UInt8]) -> TransactionRequest {
        request("registerAgent", [.address(agent), .fixedBytes(UInt256(agentId)), .fixedBytes(UInt256(pipelineId)),
                                  .bytes(encryptionKey.compressedBytes), .bytes(signature)])
    }

    public func rotateEncryptionKey(_ key: PublicKey, signature: [UInt8]) -> TransactionRequest {
        request("rotateEncryptionKey", [.bytes(key.compressedBytes), .bytes(signature)])
    }

    public func revokeAgent(_ agent: Address, reason: String) -> TransactionRequest {
        request("revokeAgent", [.address(agent), .string(reason)])
    }

    public func setSecaas(_ secaas: Address) -> TransactionRequest { request("setSecaas", [.address(secaas)]) }
    public func transferAdmin(to next: Address) -> TransactionRequest { request("transferAdmin", [.address(next)]) }
    public func acceptAdmin() -> TransactionRequest { request("acceptAdmin", []) }

    public func beginRound(_ round: UInt64, deadlineBlocks: UInt64, steps: [StepCommitments]) -> TransactionRequest {
        request("beginRound", [.unsigned(UInt256(round)), .unsigned(UInt256(deadlineBlocks)),
                               .array(steps.map { .fixedBytes(UInt256($0.planCommit)) }),
                               .array(steps.map { .fixedBytes(UInt256($0.nonceHash)) }),
                               .array(steps.map { .fixedBytes(UInt256($0.evidenceCommit)) }),
                               .array(steps.map { .bytes($0.sealedChallenge) })])
    }

    public func challenge(round: UInt64, step: UInt64, secret: StepSecret) -> TransactionRequest {
        request("challenge", [.unsigned(UInt256(round)), .unsigned(UInt256(step)), .address(secret.prover),
                              .fixedBytes(UInt256(secret.salt)), .fixedBytes(UInt256(secret.nonce))])
    }

    public func respond(round: UInt64, step: UInt64, evidence: Hash32) -> TransactionRequest {
        request("respond", [.unsigned(UInt256(round)), .unsigned(UInt256(step)), .fixedBytes(UInt256(evidence))])
    }

    public func respondAndChallenge(round: UInt64, step: UInt64, evidence: Hash32, next: StepSecret) -> TransactionRequest {
        request("respondAndChallenge", [.unsigned(UInt256(round)), .unsigned(UInt256(step)), .fixedBytes(UInt256(evidence)),
                                        .address(next.prover), .fixedBytes(UInt256(next.salt)), .fixedBytes(UInt256(next.nonce))])
    }

    public func fallbackChallenge(round: UInt64, step: UInt64, commitments: StepCommitments,
                                  secret: StepSecret) -> TransactionRequest {
        request("fallbackChallenge", [.unsigned(UInt256(round)), .unsigned(UInt256(step)),
                                      .fixedBytes(UInt256(commitments.planCommit)), .fixedBytes(UInt256(commitments.nonceHash)),
                                      .fixedBytes(UInt256(commitments.evidenceCommit)), .address(secret.prover),
                                      .fixedBytes(UInt256(secret.salt)), .fixedBytes(UInt256(secret.nonce))])
    }

    public func declineStep(round: UInt64, step: UInt64, prover: Address, salt: Hash32) -> TransactionRequest {
        request("declineStep", [.unsigned(UInt256(round)), .unsigned(UInt256(step)), .address(prover), .fixedBytes(UInt256(salt))])
    }

    public func markMissed(round: UInt64, step: UInt64) -> TransactionRequest {
        request("markMissed", [.unsigned(UInt256(round)), .unsigned(UInt256(step))])
    }

    /// By the admin or the SECaaS: a begun round that is not over is withdrawn, blaming nobody.
    public func cancelRound(_ round: UInt64, reason: String) -> TransactionRequest {
        request("cancelRound", [.unsigned(UInt256(round)), .string(reason)])
    }

    // MARK: Views

    public func isEligible(_ agent: Address, on client: LedgerClient) async throws(ClientError) -> Bool {
        try await read("isEligible", [.address(agent)], on: client) == .bool(true)
    }

    public func status(of agent: Address, on client: LedgerClient) async throws(ClientError) -> AgentStatus {
        let value = try await read("statusOf", [.address(agent)], on: client).word ?? .zero
        guard let status = AgentStatus(rawValue: UInt8(truncatingIfNeeded: value.limb0)), value.limb0 < 256 else {
            throw .decoding("statusOf returned \(value)")
        }
        return status
    }

    public func encryptionKey(of agent: Address, on client: LedgerClient) async throws(ClientError) -> [UInt8] {
        try await read("encryptionKeyOf", [.address(agent)], on: client).byteContent ?? []
    }

    public func rootOfTrust(on client: LedgerClient) async throws(ClientError) -> Address {
        Address(truncating: try await read("rootOfTrust", [], on: client).word ?? .zero)
    }

    public func rotChainHead(on client: LedgerClient) async throws(ClientError) -> Hash32 {
        let word = try await read("rotChainHead", [], on: client).word ?? .zero
        guard let head = Hash32(bytes: word.bigEndianBytes) else { throw .decoding("rotChainHead returned \(word)") }
        return head
    }

    public func sealedChallenge(round: UInt64, step: UInt64, on client: LedgerClient) async throws(ClientError) -> [UInt8] {
        try await read("sealedChallengeOf", [.unsigned(UInt256(round)), .unsigned(UInt256(step))], on: client).byteContent ?? []
    }

    public func stepState(round: UInt64, step: UInt64, on client: LedgerClient) async throws(ClientError) -> StepState {
        let value = try await read("stepStateOf", [.unsigned(UInt256(round)), .unsigned(UInt256(step))], on: client).word ?? .zero
        guard value.limb0 < 7, let state = StepState(rawValue: UInt8(value.limb0)) else { throw .decoding("stepStateOf returned \(value)") }
        return state
    }

    public func stepCount(round: UInt64, on client: LedgerClient) async throws(ClientError) -> UInt64 {
        (try await read("stepCountOf", [.unsigned(UInt256(round))], on: client).word ?? .zero).limb0
    }

    /// The running round and its due step, or nil when no round runs.
    public func dueStep(on client: LedgerClient) async throws(ClientError) -> (round: UInt64, step: UInt64)? {
        let round: ABIValue
        do { round = try await read("activeRound", [], on: client) } catch { if error.isRevert { return nil }; throw error }
        let step = try await read("dueStep", [], on: client)
        return ((round.word ?? .zero).limb0, (step.word ?? .zero).limb0)
    }

    public func nonceHash(round: UInt64, step: UInt64, on client: LedgerClient) async throws(ClientError) -> Hash32 {
        Hash32(try await read("nonceHashOf", [.unsigned(UInt256(round)), .unsigned(UInt256(step))], on: client).word ?? .zero)
    }

    public func prover(round: UInt64, step: UInt64, on client: LedgerClient) async throws(ClientError) -> Address {
        Address(truncating: try await read("proverOf", [.unsigned(UInt256(round)), .unsigned(UInt256(step))], on: client).word ?? .zero)
    }

    /// Every registered agent, in registration order.
    public func agents(on client: LedgerClient) async throws(ClientError) -> [Address] {
        let count = (try await read("agentCount", [], on: client).word ?? .zero).limb0
        var agents: [Address] = []
        for index in 0..<count {
            agents.append(Address(truncating: try await read("agentAt", [.unsigned(UInt256(index))], on: client).word ?? .zero))
        }
        return agents
    }

    public func misses(of agent: Address, on client: LedgerClient) async throws(ClientError) -> UInt64 {
        (try await read("missesOf", [.address(agent)], on: client).word ?? .zero).limb0
    }

    public func lastAttested(of agent: Address, on client: LedgerClient) async throws(ClientError) -> UInt64 {
        (try await read("lastAttestedOf", [.address(agent)], on: client).word ?? .zero).limb0
    }

    /// Who may challenge the due step now (the SECaaS or the RoT); the call reverts when no round runs.
    public func dueChallenger(on client: LedgerClient) async throws(ClientError) -> Address {
        Address(truncating: try await read("dueChallenger", [], on: client).word ?? .zero)
    }

    public func isRoundCancelled(_ round: UInt64, on client: LedgerClient) async throws(ClientError) -> Bool {
        try await read("isRoundCancelled", [.unsigned(UInt256(round))], on: client) == .bool(true)
    }
}

public struct KeyExchangeContract: Sendable, Hashable {
    public let address: Address

    public init(address: Address) { self.address = address }

    static let functions: [String: ContractFunction] = Dictionary(uniqueKeysWithValues: [
        ContractFunction(name: "publishEpoch", parameters: [.uint256, .uint64, .array(.address), .array(.bytes)], result: nil),
        ContractFunction(name: "transferAdmin", parameters: [.address], result: nil),
        ContractFunction(name: "acceptAdmin", parameters: [], result: nil),
        ContractFunction(name: "currentEpoch", parameters: [.uint256], result: .uint64),
        ContractFunction(name: "publishedAt", parameters: [.uint256], result: .uint64),
        ContractFunction(name: "keyOf", parameters: [.uint256, .address], result: .bytes),
        ContractFunction(name: "epochOf", parameters: [.uint256, .address], result: .uint64),
    ].map { ($0.name, $0) })

    public static var signatures: [String: ValueType?] {
        Dictionary(uniqueKeysWithValues: functions.values.map { ($0.signature, $0.result) })
    }

    /// Epoch `epoch` of `group`: each member with its sealed key (Deployment.sealGroupKey).
    public func publishEpoch(group: UInt256, epoch: UInt64, keys: [(member: Address, sealed: [UInt8])]) -> TransactionRequest {
        TransactionRequest(to: address, data: Self.functions["publishEpoch"]?.callData(
            [.unsigned(group), .unsigned(UInt256(epoch)), .array(keys.map { .address($0.member) }), .array(keys.map { .bytes($0.sealed) })]) ?? [])
    }

    public func transferAdmin(to next: Address) -> TransactionRequest {
        TransactionRequest(to: address, data: Self.functions["transferAdmin"]?.callData([.address(next)]) ?? [])
    }

    public func acceptAdmin() -> TransactionRequest {
        TransactionRequest(to: address, data: Self.functions["acceptAdmin"]?.callData([]) ?? [])
    }

    private func read(_ name: String, _ arguments: [ABIValue], on client: LedgerClient) async throws(ClientError) -> ABIValue {
        guard let function = Self.functions[name] else { throw .decoding("no binding for \(name)") }
        return try await function.read(arguments, at: address, on: client)
    }

    public func currentEpoch(group: UInt256, on client: LedgerClient) async throws(ClientError) -> UInt64 {
        (try await read("currentEpoch", [.unsigned(group)], on: client).word ?? .zero).limb0
    }

    /// The epoch of the member's latest sealed key (0: none yet).
    public func epoch(of member: Address, group: UInt256, on client: LedgerClient) async throws(ClientError) -> UInt64 {
        (try await read("epochOf", [.unsigned(group), .address(member)], on: client).word ?? .zero).limb0
    }

    /// The member's latest sealed key and its epoch (older than `currentEpoch` if it was skipped since).
    public func key(of member: Address, group: UInt256, on client: LedgerClient) async throws(ClientError) -> (epoch: UInt64, sealed: [UInt8]) {
        let epoch = (try await read("epochOf", [.unsigned(group), .address(member)], on: client).word ?? .zero).limb0
        let sealed = try await read("keyOf", [.unsigned(group), .address(member)], on: client).byteContent ?? []
        return (epoch, sealed)
    }
}
