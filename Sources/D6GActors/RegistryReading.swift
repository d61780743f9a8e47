// Reads of the AttestationRegistry that need more than a view: agents' registrations from
// their events (kept, and read on from where the last read stopped), the nonce a challenge
// revealed (in its ChallengeIssued event), revocations and misses.
import ContractCompiler
import D6GProtocol
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

/// The topic of the D6G contracts' event `name`, from their compiled ABI, so that it follows
/// the contracts (the zero hash, which matches no log, if there is no such event).
public func eventTopic(_ name: String) -> Hash32 {
    guard let entry = contractABIs.first(where: { $0.type == "event" && $0.name == name }), let types = entry.valueTypes else {
        return Hash32(UInt256.zero)
    }
    return Keccak256.hash(Array(entry.signature(types).utf8))
}

public enum RegistryEvent {
    public static let agentRegistered = eventTopic("AgentRegistered")
    public static let challengeIssued = eventTopic("ChallengeIssued")
    public static let attestationRecorded = eventTopic("AttestationRecorded")
    public static let agentMissed = eventTopic("AgentMissed")
    public static let agentRevoked = eventTopic("AgentRevoked")
    public static let roundBegun = eventTopic("RoundBegun")
}

func topic(_ address: Address) -> Hash32 { Hash32(UInt256(address)) }
func topic(_ value: UInt64) -> Hash32 { Hash32(UInt256(value)) }

/// The 32-byte word at `index` of `data`, or nil past its end.
func word(_ data: [UInt8], _ index: Int) -> UInt256? {
    let start = 32 * index
    guard start >= 0, data.count >= start + 32 else { return nil }
    return UInt256(bigEndianBytes: Array(data[start..<start + 32]))
}

public final class RegistryReader: @unchecked Sendable {
    public let client: LedgerClient
    public let registry: AttestationRegistryContract
    /// Registrations read so far, and the first block not read yet.
    private var known: [Address: Registration] = [:]
    private var readFrom: UInt64?

    public init(client: LedgerClient, registry: Address) {
        self.client = client
        self.registry = AttestationRegistryContract(address: registry)
    }

    public struct Registration: Sendable, Hashable {
        public var agentId: Hash32
        public var pipelineId: Hash32
    }

    /// agent → its agentId and pipelineId, from `AgentRegistered` since `fromBlock` (each call
    /// reads only the blocks the previous one did not).
    public func registrations(fromBlock: UInt64) async throws(ClientError) -> [Address: Registration] {
        let head = try await client.blockNumber()
        let start = readFrom ?? fromBlock
        guard head >= start else { return known }
        let logs = try await client.logs(LogFilter(fromBlock: .number(start), toBlock: .number(head), address: registry.address,
                                                   topics: [RegistryEvent.agentRegistered]))
        for log in logs where log.topics.count == 2 {
            guard let id = word(log.data, 0), let pipeline = word(log.data, 1) else { continue }
            known[Address(truncating: UInt256(log.topics[1]))] = Registration(agentId: Hash32(id), pipelineId: Hash32(pipeline))
        }
        readFrom = head &+ 1
        return known
    }

    /// agent → its agentId, from `AgentRegistered` since `fromBlock`.
    public func agentIds(fromBlock: UInt64) async throws(ClientError) -> [Address: Hash32] {
        try await registrations(fromBlock: fromBlock).mapValues(\.agentId)
    }

    /// `AgentRevoked` and `AgentMissed` between two blocks, in chain order.
    public func losses(from: UInt64, to: UInt64) async throws(ClientError) -> [Loss] {
        let logs = try await client.logs(LogFilter(fromBlock: .number(from), toBlock: .number(to), address: registry.address))
        var losses: [Loss] = []
        for log in logs where log.topics.count >= 2 {
            let agent = Address(truncating: UInt256(log.topics[1]))
            let block = log.blockNumber ?? to
            if log.topics[0] == RegistryEvent.agentRevoked {
                let reason: String
                if case .string(let text)? = ABICodec.decode(log.data, as: [.string])?.first { reason = text } else { reason = "?" }
                losses.append(Loss(agent: agent, revoked: true, reason: reason, block: block))
            } else if log.topics[0] == RegistryEvent.agentMissed {
                losses.append(Loss(agent: agent, revoked: false, reason: "missed", block: block))
            }
        }
        return losses
    }

    public struct Loss: Sendable, Hashable {
        public var agent: Address
        /// REVOKED or UNREACHABLE (else a miss).
        public var revoked: Bool
        public var reason: String
        public var block: UInt64
    }

    /// The nonce revealed by the challenge of `prover` at (round, step), from its
    /// `ChallengeIssued` event, checked against the step's nonce hash. nil if no such challenge
    /// is on chain yet.
    public func revealedNonce(round: UInt64, step: UInt64, prover: Address, deployment: Deployment,
                              fromBlock: UInt64) async throws(ClientError) -> Hash32? {
        let logs = try await client.logs(LogFilter(fromBlock: .number(fromBlock), address: registry.address,
                                                   topics: [RegistryEvent.challengeIssued, topic(round), topic(prover)]))
        for log in logs.reversed() where word(log.data, 0) == UInt256(step) {
            guard let nonce = word(log.data, 2).map(Hash32.init) else { continue }
            let expected = try await registry.nonceHash(round: round, step: step, on: client)
            if deployment.nonceHash(round: round, step: step, nonce: nonce) == expected { return nonce }
        }
        return nil
    }
}
