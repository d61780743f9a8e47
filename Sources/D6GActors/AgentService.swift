// An agent at work (`d6g-agent run`): at each look at the chain it finds the due step; if the
// step's sealed challenge opens with its encryption key it is the challenger (the RoT) and
// challenges — or declines a prover it may not challenge; if it is the step's prover it reads
// the revealed nonce, measures its own wrapped image and answers, chaining the next step's
// challenge in the same transaction when that blob is sealed to it.
import D6GProtocol
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

/// An agent's secret keys, sealed at rest: its account and its encryption keys, newest last
/// (older ones are kept while rounds posted ahead may still be sealed to them).
public struct AgentKeys: Codable, Sendable {
    public var agentId: String
    public var account: String
    public var encryptionKeys: [String]

    static let purpose = "d6g-agent-keys"

    public static func generate(agentId: String) -> AgentKeys {
        AgentKeys(agentId: agentId, account: Hex.encode(PrivateKey.generate().bytes),
                  encryptionKeys: [Hex.encode(PrivateKey.generate().bytes)])
    }

    public var accountKey: PrivateKey { get throws(ActorError) { try key(account) } }
    public var encryptionKey: PrivateKey { get throws(ActorError) { try key(encryptionKeys.last ?? "") } }
    public var allEncryptionKeys: [PrivateKey] {
        get throws(ActorError) {
            var keys: [PrivateKey] = []
            for text in encryptionKeys { keys.append(try key(text)) }
            return keys
        }
    }

    func key(_ text: String) throws(ActorError) -> PrivateKey {
        guard let bytes = try? Hex.decode(text), let key = try? PrivateKey(bytes: bytes) else { throw ActorError("the agent's key file is damaged") }
        return key
    }

    public func write(to path: String, key: StoreKey) throws(ActorError) {
        try SealedFile.writeJSON(self, to: path, purpose: Self.purpose, key: key)
    }

    public static func read(from path: String, key: StoreKey) throws(ActorError) -> AgentKeys {
        try SealedFile.readJSON(AgentKeys.self, from: path, purpose: purpose, key: key)
    }
}

/// What the MLFO hands an agent at registration (`d6g-mlfo register` writes it).
public struct ProvisioningBundle: Codable, Equatable, Sendable {
    public var agentId: String
    public var account: String
    public var pipeline: String
    public var deployment: DeploymentFile

    public init(agentId: String, account: Address, pipeline: String, deployment: DeploymentFile) {
        self.agentId = agentId
        self.account = account.description
        self.pipeline = pipeline
        self.deployment = deployment
    }
}

public final class AgentService: @unchecked Sendable {
    let actor: ChainActor
    let deployment: Deployment
    let reader: RegistryReader
    let keys: [PrivateKey]
    let imagePath: String
    let fromBlock: UInt64
    /// Opened blobs by "round/step" (nil: not for this agent), so each costs one ECDH.
    var opened: [String: StepSecret?] = [:]
    /// Steps this agent answered or acted on, so that a slow receipt does not make it act twice.
    var done: Set<String> = []

    public init(actor: ChainActor, deployment: Deployment, deployedAtBlock: UInt64, encryptionKeys: [PrivateKey], imagePath: String) {
        self.actor = actor
        self.deployment = deployment
        self.reader = RegistryReader(client: actor.client, registry: deployment.registry)
        self.keys = encryptionKeys
        self.imagePath = imagePath
        self.fromBlock = deployedAtBlock
    }

    var registry: AttestationRegistryContract { reader.registry }
    var client: LedgerClient { actor.client }
    var me: Address { actor.address }

    /// The secret of (round, step) if its blob is sealed to this agent.
    func openedSecret(round: UInt64, step: UInt64) async throws -> StepSecret? {
        let name = "\(round)/\(step)"
        if let known = opened[name] { return known }
        let blob = try await registry.sealedChallenge(round: round, step: step, on: client)
        let secret = blob.isEmpty ? nil
            : keys.lazy.compactMap { self.deployment.openChallenge(blob, round: round, step: step, challenger: self.me, key: $0) }.first
        opened[name] = secret
        return secret
    }

    public func tick() async throws {
        guard let due = try await registry.dueStep(on: client) else { return }
        let (round, step) = due
        let name = "\(round)/\(step)"
        guard !done.contains(name) else { return }
        switch try await registry.stepState(round: round, step: step, on: client) {
        case .posted:
            guard let secret = try await openedSecret(round: round, step: step) else { return }
            try await challengeOrDecline(round: round, step: step, secret: secret)
        case .challenged:
            guard try await registry.prover(round: round, step: step, on: client) == me else { return }
            try await answer(round: round, step: step)
        default:
            return
        }
    }

    func challengeOrDecline(round: UInt64, step: UInt64, secret: StepSecret) async throws {
        let name = "\(round)/\(step)"
        if try await actor.sendIfValid(registry.challenge(round: round, step: step, secret: secret), "challenge") != nil {
            done.insert(name)
            actor.log("round \(round) step \(step): challenged \(short(secret.prover)) as the RoT")
            return
        }
        // PENDING (the SECaaS's), revoked, unreachable or attested already: not ours to challenge.
        if try await actor.sendIfValid(registry.declineStep(round: round, step: step, prover: secret.prover, salt: secret.salt),
                                       "declineStep") != nil {
            done.insert(name)
            actor.log("round \(round) step \(step): declined \(short(secret.prover))")
        }
    }

    /// The evidence over this agent's image as it is on disk now.
    public func evidence(nonce: Hash32, round: UInt64, step: UInt64) throws -> Hash32 {
        guard let image = FileManager.default.contents(atPath: imagePath) else { throw ActorError("cannot read the image \(imagePath)") }
        return try deployment.evidence(nonce: nonce, round: round, step: step, prover: me, image: [[UInt8](image)])
    }

    func answer(round: UInt64, step: UInt64) async throws {
        guard let nonce = try await reader.revealedNonce(round: round, step: step, prover: me, deployment: deployment,
                                                         fromBlock: fromBlock) else { return }
        let evidence = try evidence(nonce: nonce, round: round, step: step)
        var request = registry.respond(round: round, step: step, evidence: evidence)
        var chained: StepSecret?
        if step + 1 < (try await registry.stepCount(round: round, on: client)),
           let next = try await openedSecret(round: round, step: step + 1),
           try await registry.status(of: next.prover, on: client) == .trusted {
            request = registry.respondAndChallenge(round: round, step: step, evidence: evidence, next: next)
            chained = next
        }
        let receipt = try await actor.send(request, "respond")
        done.insert("\(round)/\(step)")
        let passed = receipt.logs.contains { $0.topics.first == RegistryEvent.attestationRecorded && word($0.data, 2) == .one }
        let challenged = receipt.logs.contains { $0.topics.first == RegistryEvent.challengeIssued }
        if challenged { done.insert("\(round)/\(step + 1)") }
        actor.log("round \(round) step \(step): answered, \(passed ? "passed" : "FAILED")"
                  + (challenged ? ", challenged \(short(chained?.prover ?? .zero)) in the same transaction" : ""))
    }
}
