// An agent at work (`d6g-agent run`): at each look at the chain it finds the due step; if the
// step's sealed challenge opens with its encryption key it is the challenger (the RoT) and
// challenges — or declines a prover it may not challenge; if it is the step's prover it reads
// the revealed nonce, measures its own wrapped image and answers, chaining the next step's
// challenge in the same transaction when that blob is sealed to it. With a pipeline, it opens
// each new group key and then replaces its encryption key.
import D6GProtocol
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

/// An agent's secret keys, sealed at rest: its account and its encryption keys, newest last.
public struct AgentKeys: Codable, Sendable {
    /// An encryption key, and until when a replaced one must be kept: challenges of rounds begun
    /// up to a few blocks after its replacement may be sealed to it (the SECaaS read the key
    /// when it planned them). Once a round begun later runs, those are over and it is deleted,
    /// so a key leaked later opens nothing older.
    public struct Kept: Codable, Sendable {
        public var key: String
        /// nil while it is the key on chain (or about to be); else the block of its replacement.
        public var replacedAtBlock: UInt64?
    }

    public var agentId: String
    public var account: String
    public var encryptionKeys: [Kept]

    static let purpose = "d6g-agent-keys"

    public static func generate(agentId: String) -> AgentKeys {
        AgentKeys(agentId: agentId, account: Hex.encode(PrivateKey.generate().bytes),
                  encryptionKeys: [Kept(key: Hex.encode(PrivateKey.generate().bytes), replacedAtBlock: nil)])
    }

    public var accountKey: PrivateKey { get throws(ActorError) { try key(account) } }
    /// The newest encryption key.
    public var encryptionKey: PrivateKey { get throws(ActorError) { try key(encryptionKeys.last?.key ?? "") } }
    public var allEncryptionKeys: [PrivateKey] {
        get throws(ActorError) {
            var keys: [PrivateKey] = []
            for kept in encryptionKeys { keys.append(try key(kept.key)) }
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

/// A step of a round.
struct StepID: Hashable {
    var round: UInt64
    var step: UInt64
}

/// `step_challenged`, as the SECaaS and the agents record it.
func recordChallenge(_ events: EventLog, round: UInt64, step: UInt64, prover: Address, challenger: Address, fallback: Bool) {
    events.record("step_challenged", ["round": round, "step": step, "prover": prover.description,
                                      "challenger": challenger.description, "fallback": fallback])
}

/// An actor: attestation (`tick`) and group keys (`keyTick`) run in loops of their own, so that
/// an answer never waits behind a key rotation's receipt; their state changes one at a time.
public actor AgentService {
    let actor: ChainActor
    let deployment: Deployment
    let reader: RegistryReader
    var keys: [PrivateKey]
    let imagePath: String
    let fromBlock: UInt64
    /// Blobs opened (nil: sealed to someone else), so each costs one ECDH.
    var opened: [StepID: StepSecret?] = [:]
    /// Steps this agent answered or acted on, so that a slow receipt does not make it act twice.
    var done: Set<StepID> = []
    /// When this agent first saw each of its steps challenged (the start of its step latency).
    var challengeSeen: [StepID: Date] = [:]
    /// Where the service's events go (`--events`).
    var events: EventLog = .none
    /// Group keys and traffic, when the agent runs in a pipeline.
    var traffic: AgentTraffic?
    /// The sealed key file, rewritten when the encryption key is replaced or an old one deleted.
    var keyFile: (path: String, storeKey: StoreKey, keys: AgentKeys, account: PrivateKey)?
    var installedEpoch: UInt64 = 0
    /// The running round when replaced keys were last looked at.
    var keysCheckedInRound: UInt64?
    /// Members keyed by epoch, and the first block not read yet.
    var keyedIn: [UInt64: Set<Address>] = [:]
    var keyedReadFrom: UInt64?
    /// Rounds begun: number → block (read on from the last block read).
    var roundsBegun: [UInt64: UInt64] = [:]
    var roundsReadFrom: UInt64?
    /// Blocks between the SECaaS reading an encryption key and its round being on chain, at most.
    static let planningBlocks: UInt64 = 20

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
    var client: LedgerClient { actor.client }
    var me: Address { actor.address }

    /// Keeps `keys` in the sealed file at `path` when encryption keys are replaced or deleted.
    public func keepKeyFile(at path: String, storeKey: StoreKey, keys: AgentKeys) throws(ActorError) {
        keyFile = (path, storeKey, keys, try keys.accountKey)
    }

    public func record(to events: EventLog) { self.events = events }

    /// Takes group keys and talks to the pipeline's peers through `traffic`.
    public func join(_ traffic: AgentTraffic) { self.traffic = traffic }

    /// The secret of (round, step) if its blob is sealed to this agent.
    func openedSecret(_ id: StepID) async throws -> StepSecret? {
        if let known = opened[id] { return known }
        let blob = try await registry.sealedChallenge(round: id.round, step: id.step, on: client)
        // An empty answer may come from a node that is behind: not remembered.
        guard !blob.isEmpty else { return nil }
        let secret = keys.lazy.compactMap {
            self.deployment.openChallenge(blob, round: id.round, step: id.step, challenger: self.me, key: $0)
        }.first
        opened[id] = secret
        return secret
    }

    // MARK: Attestation

    public func tick() async throws {
        let due = try await registry.dueStep(on: client)
        try await forgetReplacedKeys(activeRound: due?.round)
        guard let due else { return }
        let id = StepID(round: due.round, step: due.step)
        guard !done.contains(id) else { return }
        switch try await registry.stepState(round: id.round, step: id.step, on: client) {
        case .posted:
            guard let secret = try await openedSecret(id) else { return }
            try await challengeOrDecline(id, secret: secret)
        case .challenged:
            guard try await registry.prover(round: id.round, step: id.step, on: client) == me else { return }
            try await answer(id)
        default:
            return
        }
    }

    func challengeOrDecline(_ id: StepID, secret: StepSecret) async throws {
        if try await actor.sendIfValid(registry.challenge(round: id.round, step: id.step, secret: secret), "challenge") != nil {
            done.insert(id)
            actor.log("round \(id.round) step \(id.step): challenged \(short(secret.prover)) as the RoT")
            recordChallenge(events, round: id.round, step: id.step, prover: secret.prover, challenger: me, fallback: false)
            return
        }
        // PENDING (the SECaaS's), revoked, unreachable or attested already: not ours to challenge.
        if try await actor.sendIfValid(registry.declineStep(round: id.round, step: id.step, prover: secret.prover, salt: secret.salt),
                                       "declineStep") != nil {
            done.insert(id)
            actor.log("round \(id.round) step \(id.step): declined \(short(secret.prover))")
        }
    }

    /// The evidence over this agent's image as it is on disk now.
    public func evidence(nonce: Hash32, round: UInt64, step: UInt64) throws -> Hash32 {
        guard let image = FileManager.default.contents(atPath: imagePath) else { throw ActorError("cannot read the image \(imagePath)") }
        return try deployment.evidence(nonce: nonce, round: round, step: step, prover: me, image: [[UInt8](image)])
    }

    func answer(_ id: StepID) async throws {
        let seen = challengeSeen[id] ?? Date()
        challengeSeen[id] = seen
        // The challenge came after its round was begun: no need to read the logs before that.
        let since = try await blockBegun(id.round) ?? fromBlock
        guard let nonce = try await reader.revealedNonce(round: id.round, step: id.step, prover: me, deployment: deployment,
                                                         fromBlock: since) else { return }
        let evidence = try evidence(nonce: nonce, round: id.round, step: id.step)
        // The next step's challenge goes with the answer when its blob is for this agent; if the
        // registry would not take it (the prover or this agent may not be challenged or challenge
        // now), the answer goes alone.
        var receipt: TransactionReceipt?
        var chained: StepSecret?
        let (next, overflow) = id.step.addingReportingOverflow(1)
        if !overflow, next < (try await registry.stepCount(round: id.round, on: client)),
           let secret = try await openedSecret(StepID(round: id.round, step: next)),
           try await registry.status(of: secret.prover, on: client) == .trusted {
            receipt = try await actor.sendIfValid(registry.respondAndChallenge(round: id.round, step: id.step, evidence: evidence,
                                                                               next: secret), "respondAndChallenge")
            if receipt != nil { chained = secret }
        }
        let final: TransactionReceipt
        if let receipt {
            final = receipt
        } else {
            final = try await actor.send(registry.respond(round: id.round, step: id.step, evidence: evidence), "respond")
        }
        done.insert(id)
        challengeSeen[id] = nil
        let passed = final.logs.contains { $0.topics.first == RegistryEvent.attestationRecorded && word($0.data, 2) == .one }
        let challenged = final.logs.contains { $0.topics.first == RegistryEvent.challengeIssued }
        if challenged, let chained {
            done.insert(StepID(round: id.round, step: next))
            recordChallenge(events, round: id.round, step: next, prover: chained.prover, challenger: me, fallback: false)
        }
        actor.log("round \(id.round) step \(id.step): answered, \(passed ? "passed" : "FAILED")"
                  + (challenged ? ", challenged \(short(chained?.prover ?? .zero)) in the same transaction" : ""))
        events.record("step_answered", ["round": id.round, "step": id.step, "prover": me.description, "passed": passed,
                                        "latency_ms": Int(Date().timeIntervalSince(seen) * 1000), "block": final.blockNumber])
    }

    // MARK: Group keys and encryption keys

    /// A newer group key for this agent: opened, installed for traffic, and followed by a fresh
    /// encryption key (so a key leaked later opens no epoch before it).
    public func keyTick() async throws {
        guard let traffic else { return }
        // One call per block while nothing changes; the blob only for a newer epoch.
        guard try await exchange.epoch(of: me, group: traffic.group, on: client) > installedEpoch else { return }
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
        try await replaceEncryptionKey(after: latest.epoch)
    }

    /// The members keyed in `epoch`, from `MemberKeyed` (read on from the last block read).
    func keyedMembers(group: UInt256, epoch: UInt64) async throws -> Set<Address> {
        let head = try await client.blockNumber()
        let start = keyedReadFrom ?? fromBlock
        if head >= start {
            for log in try await client.logs(LogFilter(fromBlock: .number(start), toBlock: .number(head), address: deployment.keyExchange,
                                                       topics: [KeyExchangeEvent.memberKeyed, Hash32(group)])) {
                guard log.topics.count == 3, let number = word(log.data, 0)?.exactUInt64 else { continue }
                keyedIn[number, default: []].insert(Address(truncating: UInt256(log.topics[2])))
            }
            keyedReadFrom = head &+ 1
        }
        // Only the epochs still of use: this one and the one before (its grace).
        keyedIn = keyedIn.filter { $0.key &+ 1 >= epoch }
        return keyedIn[epoch] ?? []
    }

    func replaceEncryptionKey(after epoch: UInt64) async throws {
        guard var file = keyFile else { return }
        let fresh = PrivateKey.generate()
        let signature = try deployment.encryptionKeySignature(agentKey: file.account, encryptionKey: fresh.publicKey)
        let request = registry.rotateEncryptionKey(fresh.publicKey, signature: signature)
        guard try await actor.wouldSucceed(request) else { return }
        // Kept before it is announced: a crash after the announcement must not lose the key. The
        // old ones stay current (not replaced) until the receipt says the chain has the new one.
        file.keys.encryptionKeys.append(AgentKeys.Kept(key: Hex.encode(fresh.bytes), replacedAtBlock: nil))
        try save(file)
        let receipt = try await actor.send(request, "rotateEncryptionKey")
        // Read again: old keys may have been deleted meanwhile.
        guard var current = keyFile else { return }
        let freshKey = Hex.encode(fresh.bytes)
        for index in current.keys.encryptionKeys.indices
        where current.keys.encryptionKeys[index].key != freshKey && current.keys.encryptionKeys[index].replacedAtBlock == nil {
            current.keys.encryptionKeys[index].replacedAtBlock = receipt.blockNumber
        }
        try save(current)
        actor.log("encryption key replaced after epoch \(epoch)")
        events.record("key_rotated", ["agent": me.description, "epoch": epoch])
    }

    func save(_ file: (path: String, storeKey: StoreKey, keys: AgentKeys, account: PrivateKey)) throws {
        try file.keys.write(to: file.path, key: file.storeKey)
        keyFile = file
        keys = try file.keys.allEncryptionKeys
    }

    /// Deletes replaced encryption keys once the running round was begun after their replacement
    /// (plus the blocks a plan takes to reach the chain): every round before it is over, so no
    /// challenge to come is sealed to them. Never the key the chain holds.
    func forgetReplacedKeys(activeRound: UInt64?) async throws {
        // Only a new running round can change the answer: once per round, not once per block.
        guard var file = keyFile, let activeRound, activeRound != keysCheckedInRound,
              file.keys.encryptionKeys.contains(where: { $0.replacedAtBlock != nil }) else { return }
        guard let begunAt = try await blockBegun(activeRound) else { return }
        keysCheckedInRound = activeRound
        let onChain = try await registry.encryptionKey(of: me, on: client)
        let kept = try file.keys.encryptionKeys.filter { entry in
            guard let replaced = entry.replacedAtBlock else { return true }
            if try file.keys.key(entry.key).publicKey.compressedBytes == onChain { return true }
            return begunAt <= replaced &+ Self.planningBlocks
        }
        guard kept.count < file.keys.encryptionKeys.count else { return }
        file.keys.encryptionKeys = kept
        try save(file)
    }

    /// The block `round` was begun in, from `RoundBegun` (read on from the last block read).
    func blockBegun(_ round: UInt64) async throws -> UInt64? {
        if let known = roundsBegun[round] { return known }
        let head = try await client.blockNumber()
        let start = roundsReadFrom ?? fromBlock
        guard head >= start else { return nil }
        for log in try await client.logs(LogFilter(fromBlock: .number(start), toBlock: .number(head), address: deployment.registry,
                                                   topics: [RegistryEvent.roundBegun])) {
            guard log.topics.count > 1, let number = UInt256(log.topics[1]).exactUInt64, let block = log.blockNumber else { continue }
            roundsBegun[number] = block
        }
        roundsReadFrom = head &+ 1
        return roundsBegun[round]
    }
}
