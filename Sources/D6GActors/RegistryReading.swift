// Reads of the AttestationRegistry that need more than a view: agents' ids from their
// registration events, and the nonce a challenge revealed (it is in the challenge's call data,
// always the last argument, never stored by the contract).
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

    /// agent → its agentId, from `AgentRegistered` since `fromBlock`.
    public func agentIds(fromBlock: UInt64) async throws(ClientError) -> [Address: Hash32] {
        let logs = try await client.logs(LogFilter(fromBlock: .number(fromBlock), address: registry.address,
                                                   topics: [RegistryEvent.agentRegistered]))
        var ids: [Address: Hash32] = [:]
        for log in logs where log.topics.count == 2 {
            guard let id = word(log.data, 0).map(Hash32.init) else { continue }
            ids[Address(truncating: UInt256(bigEndianBytes: log.topics[1].bytes) ?? .zero)] = id
        }
        return ids
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
