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

/// An agent's secret keys, sealed at rest: its account and its encryption keys, newest last.
/// A replaced encryption key is kept while a round begun before its replacement (or the one
/// after, which the SECaaS may have planned at that moment) can still be due: that round's
/// challenges may be sealed to it. Then it is deleted, so a key leaked later opens nothing older.
public struct AgentKeys: Codable, Sendable {
    public var agentId: String
    public var account: String
    public var encryptionKeys: [String]
    /// Per encryption key: nil for the current one, else the last round that may be sealed to it.
    public var neededUntilRound: [UInt64?] = []

    static let purpose = "d6g-agent-keys"

    public static func generate(agentId: String) -> AgentKeys {
        AgentKeys(agentId: agentId, account: Hex.encode(PrivateKey.generate().bytes),
                  encryptionKeys: [Hex.encode(PrivateKey.generate().bytes)], neededUntilRound: [nil])
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
    var keys: [PrivateKey]
    let imagePath: String
    let fromBlock: UInt64
    /// Opened blobs by "round/step" (nil: not for this agent), so each costs one ECDH.
    var opened: [String: StepSecret?] = [:]
    /// Steps this agent answered or acted on, so that a slow receipt does not make it act twice.
    var done: Set<String> = []
    /// When this agent first saw each of its steps challenged (the start of its step latency).
    var challengeSeen: [String: Date] = [:]
    /// Where the service's events go (`--events`).
    public var events: EventLog = .none
    /// Group keys and traffic, when the agent runs in a pipeline.
    public var traffic: AgentTraffic?
    /// The sealed key file, rewritten at each rotation of the encryption key.
    var keyFile: (path: String, storeKey: StoreKey, keys: AgentKeys, account: PrivateKey)?
    var installedEpoch: UInt64 = 0

    public init(actor: ChainActor, deployment: Deployment, deployedAtBlock: UInt64, encryptionKeys: [PrivateKey], imagePath: String) {
        self.actor = actor
        self.deployment = deployment
        self.reader = RegistryReader(client: actor.client, registry: deployment.registry)
        self.keys = encryptionKeys
        self.imagePath = imagePath
        self.fromBlock = deployedAtBlock
    }

    var registry: AttestationRegistryContract { reader.registry }
    var exchange: KeyExchangeContract { KeyExchangeContract(address: deployment.keyExchange) }

    /// Rotates the encryption key after each new group key, rewriting `path`.
    public func rotateKeys(in path: String, storeKey: StoreKey, keys: AgentKeys) throws(ActorError) {
        keyFile = (path, storeKey, keys, try keys.accountKey)
    }
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
        let due = try await registry.dueStep(on: client)
        try forgetOldKeys(activeRound: due?.round)
        guard let due else { return }
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

    /// A newer group key for this agent: opened, installed for traffic, and followed by a fresh
    /// encryption key (so a key leaked later opens no epoch before it).
    public func keyTick() async throws {
        guard let traffic else { return }
        let latest = try await exchange.key(of: me, group: traffic.group, on: client)
        guard latest.epoch > installedEpoch, !latest.sealed.isEmpty else { return }
        let opened = keys.lazy.compactMap {
            try? self.deployment.openGroupKey(latest.sealed, group: traffic.group, epoch: latest.epoch, member: self.me, key: $0)
        }.first
        guard let key = opened else {
            throw ActorError("the group key of epoch \(latest.epoch) opens with none of this agent's encryption keys")
        }
        let members = try await keyedMembers(group: traffic.group, epoch: latest.epoch)
        try traffic.install(epoch: latest.epoch, key: key, members: members)
        installedEpoch = latest.epoch
        actor.log("group key of epoch \(latest.epoch) opened; \(members.count) members")
        events.record("group_key_opened", ["agent": me.description, "epoch": latest.epoch])
        try await rotateEncryptionKey(after: latest.epoch)
    }

    /// Deletes the replaced encryption keys that no round still to come can be sealed to.
    func forgetOldKeys(activeRound: UInt64?) throws {
        guard var file = keyFile else { return }
        let keep = file.keys.encryptionKeys.indices.filter { index in
            guard index < file.keys.neededUntilRound.count, let until = file.keys.neededUntilRound[index] else { return true }
            // With no round running a round may be being begun right now: keep it until one runs.
            return activeRound.map { $0 <= until } ?? true
        }
        guard keep.count < file.keys.encryptionKeys.count else { return }
        file.keys.encryptionKeys = keep.map { file.keys.encryptionKeys[$0] }
        file.keys.neededUntilRound = keep.map { index in index < file.keys.neededUntilRound.count ? file.keys.neededUntilRound[index] : nil }
        try file.keys.write(to: file.path, key: file.storeKey)
        keyFile = file
        keys = try file.keys.allEncryptionKeys
    }

    func keyedMembers(group: UInt256, epoch: UInt64) async throws -> Set<Address> {
        let logs = try await client.logs(LogFilter(fromBlock: .number(fromBlock), address: deployment.keyExchange,
                                                   topics: [KeyExchangeEvent.memberKeyed, Hash32(group)]))
        return Set(logs.filter { $0.topics.count == 3 && word($0.data, 0) == UInt256(epoch) }
            .map { Address(truncating: UInt256($0.topics[2])) })
    }

    func rotateEncryptionKey(after epoch: UInt64) async throws {
        guard var file = keyFile else { return }
        let fresh = PrivateKey.generate()
        let signature = try deployment.encryptionKeySignature(agentKey: file.account, encryptionKey: fresh.publicKey)
        let request = registry.rotateEncryptionKey(fresh.publicKey, signature: signature)
        guard try await actor.wouldSucceed(request) else { return }
        // The replaced key may be sealed to by every round begun so far and the next one.
        let lastBegun = try await client.logs(LogFilter(fromBlock: .number(fromBlock), address: deployment.registry,
                                                        topics: [RegistryEvent.roundBegun]))
            .compactMap { $0.topics.count > 1 ? UInt256($0.topics[1]).exactUInt64 : nil }.max()
        file.keys.neededUntilRound = file.keys.encryptionKeys.indices.map { index in
            index < file.keys.neededUntilRound.count ? file.keys.neededUntilRound[index] ?? (lastBegun ?? 0) &+ 1 : (lastBegun ?? 0) &+ 1
        }
        // Kept before it is announced: a crash after the announcement must not lose the key.
        file.keys.encryptionKeys.append(Hex.encode(fresh.bytes))
        file.keys.neededUntilRound.append(nil)
        try file.keys.write(to: file.path, key: file.storeKey)
        keyFile = file
        keys = try file.keys.allEncryptionKeys
        try await actor.send(request, "rotateEncryptionKey")
        actor.log("encryption key rotated after epoch \(epoch)")
        events.record("key_rotated", ["agent": me.description, "epoch": epoch])
    }

    func challengeOrDecline(round: UInt64, step: UInt64, secret: StepSecret) async throws {
        let name = "\(round)/\(step)"
        if try await actor.sendIfValid(registry.challenge(round: round, step: step, secret: secret), "challenge") != nil {
            done.insert(name)
            actor.log("round \(round) step \(step): challenged \(short(secret.prover)) as the RoT")
            recordChallenge(round: round, step: step, prover: secret.prover)
            return
        }
        // PENDING (the SECaaS's), revoked, unreachable or attested already: not ours to challenge.
        if try await actor.sendIfValid(registry.declineStep(round: round, step: step, prover: secret.prover, salt: secret.salt),
                                       "declineStep") != nil {
            done.insert(name)
            actor.log("round \(round) step \(step): declined \(short(secret.prover))")
        }
    }

    func recordChallenge(round: UInt64, step: UInt64, prover: Address) {
        events.record("step_challenged", ["round": round, "step": step, "prover": prover.description,
                                          "challenger": me.description, "fallback": false])
    }

    /// The evidence over this agent's image as it is on disk now.
    public func evidence(nonce: Hash32, round: UInt64, step: UInt64) throws -> Hash32 {
        guard let image = FileManager.default.contents(atPath: imagePath) else { throw ActorError("cannot read the image \(imagePath)") }
        return try deployment.evidence(nonce: nonce, round: round, step: step, prover: me, image: [[UInt8](image)])
    }

    func answer(round: UInt64, step: UInt64) async throws {
        let seen = challengeSeen["\(round)/\(step)"] ?? Date()
        challengeSeen["\(round)/\(step)"] = seen
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
        challengeSeen["\(round)/\(step)"] = nil
        let latency = Int(Date().timeIntervalSince(seen) * 1000)
        events.record("step_answered", ["round": round, "step": step, "prover": me.description, "passed": passed,
                                        "latency_ms": latency, "block": receipt.blockNumber])
        if challenged, let chained { recordChallenge(round: round, step: step + 1, prover: chained.prover) }
        actor.log("round \(round) step \(step): answered, \(passed ? "passed" : "FAILED")"
                  + (challenged ? ", challenged \(short(chained?.prover ?? .zero)) in the same transaction" : ""))
    }
}
