// Reads of the AttestationRegistry that need more than a view: agents' ids from their
// registration events, and the nonce a challenge revealed (it is in the challenge's call data,
// always the last argument, never stored by the contract).
import ContractCompiler
import D6GProtocol
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

public enum RegistryEvent {
    public static let agentRegistered = Keccak256.hash(Array("AgentRegistered(address,bytes32,bytes32)".utf8))
    public static let challengeIssued = Keccak256.hash(Array("ChallengeIssued(uint64,uint64,address,address)".utf8))
    public static let attestationRecorded =
        Keccak256.hash(Array("AttestationRecorded(uint64,uint64,address,address,bool,uint256,address)".utf8))
    public static let agentMissed = Keccak256.hash(Array("AgentMissed(address,uint64,uint64)".utf8))
    public static let agentRevoked = Keccak256.hash(Array("AgentRevoked(address,string)".utf8))
    public static let roundBegun = Keccak256.hash(Array("RoundBegun(uint64,uint256)".utf8))
}

func topic(_ address: Address) -> Hash32 { Hash32(UInt256(address)) }
func topic(_ value: UInt64) -> Hash32 { Hash32(UInt256(value)) }

/// The 32-byte word at `index` of `data`, or nil past its end.
func word(_ data: [UInt8], _ index: Int) -> UInt256? {
    let start = 32 * index
    guard start >= 0, data.count >= start + 32 else { return nil }
    return UInt256(bigEndianBytes: Array(data[start..<start + 32]))
}

public struct RegistryReader: Sendable {
    public let client: LedgerClient
    public let registry: AttestationRegistryContract

    public init(client: LedgerClient, registry: Address) {
        self.client = client
        self.registry = AttestationRegistryContract(address: registry)
    }

    public struct Registration: Sendable, Hashable {
        public var agentId: Hash32
        public var pipelineId: Hash32
    }

    /// agent → its agentId and pipelineId, from `AgentRegistered` since `fromBlock`.
    public func registrations(fromBlock: UInt64) async throws(ClientError) -> [Address: Registration] {
        let logs = try await client.logs(LogFilter(fromBlock: .number(fromBlock), address: registry.address,
                                                   topics: [RegistryEvent.agentRegistered]))
        var found: [Address: Registration] = [:]
        for log in logs where log.topics.count == 2 {
            guard let id = word(log.data, 0), let pipeline = word(log.data, 1) else { continue }
            found[Address(truncating: UInt256(log.topics[1]))] = Registration(agentId: Hash32(id), pipelineId: Hash32(pipeline))
        }
        return found
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

    /// The nonce revealed by the challenge of `prover` at (round, step): the last word of the
    /// call data of the transaction that emitted its `ChallengeIssued`, checked against the
    /// step's nonce hash. nil if no such challenge is on chain yet.
    public func revealedNonce(round: UInt64, step: UInt64, prover: Address, deployment: Deployment,
                              fromBlock: UInt64) async throws(ClientError) -> Hash32? {
        let logs = try await client.logs(LogFilter(fromBlock: .number(fromBlock), address: registry.address,
                                                   topics: [RegistryEvent.challengeIssued, topic(round), topic(prover)]))
        for log in logs.reversed() where word(log.data, 0) == UInt256(step) {
            guard let hash = log.transactionHash, let transaction = try await client.transaction(hash: hash),
                  transaction.input.count >= 36 else { continue }
            guard let nonce = Hash32(bytes: transaction.input.suffix(32)) else { continue }
            let expected = try await registry.nonceHash(round: round, step: step, on: client)
            if deployment.nonceHash(round: round, step: step, nonce: nonce) == expected { return nonce }
        }
        return nil
    }
}
