// The SECaaS at work (`d6g-secaas serve`): it keeps rounds posted ahead — fresh random plans of
// every PENDING or TRUSTED agent whose wrapped image it holds — challenges the steps that are
// its own (initial attestations, newcomers, fallbacks after a failure or a miss, steps whose RoT
// is not eligible), declines steps whose prover can no longer be challenged, and marks misses.
// Its plans are sealed at rest and written before each round is sent, so a restart neither loses
// a posted round's secrets nor reuses a round number; a round it finds on chain without its plan
// is cancelled.
import D6GProtocol
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

/// The SECaaS's repository: wrapped images by agent id, sealed at rest.
public struct ImageRepository: Sendable {
    public let directory: String
    let key: StoreKey
    static let purpose = "d6g-wrapped-image"

    public init(directory: String, key: StoreKey) throws(ActorError) {
        self.directory = directory
        self.key = key
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ActorError("cannot create the image repository \(directory): \(error)")
        }
    }

    func path(_ agentId: Hash32) -> String { directory + "/" + agentId.hexString.dropFirst(2) + ".sealed" }

    public func store(_ wrapped: [UInt8], agentId: Hash32) throws(ActorError) {
        try SealedFile.write(wrapped, to: path(agentId), purpose: Self.purpose, key: key)
    }

    /// The wrapped image of `agentId`, or nil if the repository has none.
    public func image(of agentId: Hash32) throws(ActorError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path(agentId)) else { return nil }
        return try SealedFile.read(path(agentId), purpose: Self.purpose, key: key)
    }
}

/// What the SECaaS keeps between runs (sealed at rest).
struct SecaasState: Codable {
    /// Rounds planned and not known to be over; `posted` once their beginRound is on chain.
    var plans: [KeptPlan] = []
    /// The next round number to use: above every round ever planned, posted or not.
    var nextRound: UInt64 = 0

    struct KeptPlan: Codable {
        var plan: PlannedRound
        var posted: Bool
    }
}

public final class SecaasService: @unchecked Sendable {
    /// The registry's cap on the steps of a round.
    static let maximumSteps = 128

    public struct Settings: Sendable {
        public var deadlineBlocks: UInt64 = 10
        /// Rounds begun and not over, the running one included.
        public var roundsAhead = 2
        /// At least this long between two rounds begun.
        public var roundInterval: Double = 5
        /// The folder of the MLFO's `configured` notices: only agents named there are planned.
        public var inbox: String = "inbox"
        public init() {}
    }

    let actor: ChainActor
    let deployment: Deployment
    let reader: RegistryReader
    let repository: ImageRepository
    let statePath: String
    let storeKey: StoreKey
    let settings: Settings
    let fromBlock: UInt64
    var state: SecaasState
    var lastBegun: Date = .distantPast
    var agentIds: [Address: Hash32] = [:]
    /// Where the service's events go (`--events`).
    public var events: EventLog = .none

    public init(actor: ChainActor, deployment: Deployment, deployedAtBlock: UInt64, repository: ImageRepository,
                statePath: String, storeKey: StoreKey, settings: Settings) throws(ActorError) {
        self.actor = actor
        self.deployment = deployment
        self.reader = RegistryReader(client: actor.client, registry: deployment.registry)
        self.repository = repository
        self.statePath = statePath
        self.storeKey = storeKey
        self.settings = settings
        self.fromBlock = deployedAtBlock
        state = FileManager.default.fileExists(atPath: statePath)
            ? try SealedFile.readJSON(SecaasState.self, from: statePath, purpose: "d6g-secaas-state", key: storeKey)
            : SecaasState()
    }

    var registry: AttestationRegistryContract { reader.registry }
    var client: LedgerClient { actor.client }

    func save() throws(ActorError) {
        try SealedFile.writeJSON(state, to: statePath, purpose: "d6g-secaas-state", key: storeKey)
    }

    /// After a restart: a plan whose round never reached the chain is dropped (its number is not
    /// used again); one that did is kept.
    public func reconcile() async throws {
        var kept: [SecaasState.KeptPlan] = []
        for var entry in state.plans {
            if !entry.posted {
                guard try await isOnChain(entry.plan) else {
                    actor.log("round \(entry.plan.round) was planned but never begun: dropped")
                    continue
                }
                entry.posted = true
            }
            kept.append(entry)
        }
        state.plans = kept
        // A lost state file must not bring back round numbers the chain has seen.
        let begun = try await client.logs(LogFilter(fromBlock: .number(fromBlock), address: deployment.registry,
                                                    topics: [RegistryEvent.roundBegun]))
            .compactMap { $0.topics.count > 1 ? UInt256($0.topics[1]).exactUInt64 : nil }
        if let highest = begun.max(), highest &+ 1 > state.nextRound { state.nextRound = highest &+ 1 }
        try save()
    }

    /// Whether `plan`'s round is on chain as planned (its step count and first nonce hash).
    func isOnChain(_ plan: PlannedRound) async throws -> Bool {
        guard let first = plan.steps.first,
              try await registry.stepCount(round: plan.round, on: client) == UInt64(plan.steps.count) else { return false }
        return try await registry.nonceHash(round: plan.round, step: 0, on: client)
            == deployment.nonceHash(round: plan.round, step: 0, nonce: try first.secret.nonce)
    }

    var reconciled = false

    /// `reconcile` on the first successful look, then `tick` at every look.
    public func tickAfterReconciling() async throws {
        if !reconciled {
            try await reconcile()
            reconciled = true
        }
        try await tick()
    }

    /// One look at the chain and whatever it calls for.
    public func tick() async throws {
        agentIds = try await reader.agentIds(fromBlock: fromBlock)
        let due = try await registry.dueStep(on: client)
        if let due { try await handle(round: due.round, step: due.step) }
        try await prune(activeRound: due?.round)
        try await topUp(activeRound: due?.round)
    }

    // MARK: The due step

    func handle(round: UInt64, step: UInt64) async throws {
        // A round whose beginRound answered late (a timeout, a failover) is ours all the same.
        if let index = state.plans.firstIndex(where: { $0.plan.round == round && !$0.posted }), try await isOnChain(state.plans[index].plan) {
            state.plans[index].posted = true
            try save()
        }
        guard let plan = state.plans.first(where: { $0.plan.round == round && $0.posted })?.plan else {
            // Begun by a run of ours that lost its plan before saving it as posted.
            if try await actor.sendIfValid(registry.cancelRound(round, reason: "plan lost by the SECaaS"), "cancelRound") != nil {
                actor.log("round \(round) cancelled: its plan was lost")
            } else {
                try await markMissedIfLate(round: round, step: step)
            }
            return
        }
        guard step < UInt64(plan.steps.count) else { return }
        let planned = plan.steps[Int(step)]
        let secret = try planned.secret
        switch try await registry.stepState(round: round, step: step, on: client) {
        case .posted:
            let status = try await registry.status(of: secret.prover, on: client)
            let mine = try await registry.dueChallenger(on: client) == actor.address || status == .pending
            if status == .trusted || status == .pending, mine {
                if try await challenge(round: round, step: step, planned: planned, secret: secret) { return }
            }
            // Revoked, unreachable, or attested already this round: nobody can challenge it.
            if try await actor.sendIfValid(registry.declineStep(round: round, step: step, prover: secret.prover, salt: secret.salt),
                                           "declineStep") != nil {
                actor.log("round \(round) step \(step): declined (\(short(secret.prover)) is \(status))")
            events.record("step_declined", ["round": round, "step": step, "prover": secret.prover.description])
                return
            }
            try await markMissedIfLate(round: round, step: step)
        case .challenged:
            try await markMissedIfLate(round: round, step: step)
        default:
            return
        }
    }

    /// The SECaaS challenges the due step itself: with the planned secret if the step was its
    /// own from the start, else with fresh commitments (the planned blob went to an agent that
    /// is not the one challenging now, and may be the one that failed).
    func challenge(round: UInt64, step: UInt64, planned: PlannedStep, secret: StepSecret) async throws -> Bool {
        if planned.sealedTo == nil {
            guard try await actor.sendIfValid(registry.challenge(round: round, step: step, secret: secret), "challenge") != nil else {
                return false
            }
            actor.log("round \(round) step \(step): challenged \(short(secret.prover))")
            recordChallenge(events, round: round, step: step, prover: secret.prover, challenger: actor.address, fallback: false)
            return true
        }
        guard let id = agentIds[secret.prover], let image = try repository.image(of: id) else { return false }
        let fresh = try RoundPlanner.fallback(round: round, step: step, prover: secret.prover, image: image, deployment: deployment)
        let request = registry.fallbackChallenge(round: round, step: step, commitments: fresh.commitments, secret: fresh.secret)
        guard try await actor.sendIfValid(request, "fallbackChallenge") != nil else { return false }
        actor.log("round \(round) step \(step): fallback challenge of \(short(secret.prover))")
        recordChallenge(events, round: round, step: step, prover: secret.prover, challenger: actor.address, fallback: true)
        return true
    }

    func markMissedIfLate(round: UInt64, step: UInt64) async throws {
        let before = try await registry.stepState(round: round, step: step, on: client)
        guard let receipt = try await actor.sendIfValid(registry.markMissed(round: round, step: step), "markMissed") else { return }
        let blamedTopic = receipt.logs.first { $0.topics.first == RegistryEvent.agentMissed && $0.topics.count > 1 }?.topics[1]
        let blamed = blamedTopic != nil
        let blamedAgent: Any = blamedTopic.map { Address(truncating: UInt256($0)).description as Any } ?? NSNull()
        events.record("step_missed", ["round": round, "step": step, "blamed": blamedAgent])
        actor.log("round \(round) step \(step): deadline passed (\(before == .challenged ? "no response" : "no challenge"))"
                  + (blamed ? ", a miss recorded" : ", skipped"))
    }

    // MARK: Rounds ahead

    func prune(activeRound: UInt64?) async throws {
        let before = state.plans.count
        state.plans.removeAll { entry in entry.posted && (activeRound.map { entry.plan.round < $0 } ?? true) }
        if state.plans.count != before { try save() }
    }

    func topUp(activeRound: UInt64?) async throws {
        let open = state.plans.filter(\.posted)
        guard open.count < settings.roundsAhead, Date().timeIntervalSince(lastBegun) >= settings.roundInterval else { return }
        var candidates: [RoundCandidate] = []
        let configured = ConfiguredNotice.configuredAgents(in: settings.inbox)
        for agent in try await registry.agents(on: client) {
            let status = try await registry.status(of: agent, on: client)
            guard status == .pending || status == .trusted, let id = agentIds[agent], configured.contains(id),
                  let image = try repository.image(of: id) else { continue }
            guard let key = try? PublicKey(bytes: try await registry.encryptionKey(of: agent, on: client)) else {
                actor.log("warning: \(agent)'s encryption key is not a secp256k1 point: left out of the round")
                continue
            }
            candidates.append(RoundCandidate(address: agent, encryptionKey: key, pending: status == .pending, image: image))
        }
        guard !candidates.isEmpty else { return }
        // A round holds at most 128 steps: the others wait for the next round (a random choice).
        if candidates.count > Self.maximumSteps { candidates = Array(candidates.shuffled().prefix(Self.maximumSteps)) }
        // The RoT when the new round starts: the last prover of the last open round, else the RoT now.
        let rootAddress: Address
        if let last = open.last {
            rootAddress = try address(last.plan.lastProver ?? "", "prover")
        } else {
            rootAddress = try await registry.rootOfTrust(on: client)
        }
        let root = candidates.first { $0.address == rootAddress && !$0.pending }.map { ($0.address, $0.encryptionKey) }
        let round = state.nextRound
        let planned = try RoundPlanner.plan(round: round, deadlineBlocks: settings.deadlineBlocks, candidates: candidates,
                                            expectedRoot: root, deployment: deployment)
        let request = registry.beginRound(round, deadlineBlocks: settings.deadlineBlocks, steps: planned.commitments)
        do {
            _ = try await client.call(CallRequest(from: actor.address, to: request.to, data: request.data))
        } catch {
            if case .error(name: "DeadlineTooShort", let values)? = revertReason(error) {
                throw ConfigurationError("--deadline-blocks \(settings.deadlineBlocks) is below the registry's minimum "
                                         + "(\(values.last?.description ?? "?") blocks): give at least that")
            }
            if case .error(name: "Unauthorized", _)? = revertReason(error) {
                throw ConfigurationError("\(actor.address) is not this registry's SECaaS: run with the account the MLFO named")
            }
            throw error
        }
        state.plans.append(SecaasState.KeptPlan(plan: planned.plan, posted: false))
        state.nextRound = round + 1
        try save()
        lastBegun = Date()
        do {
            try await actor.send(request, "beginRound")
        } catch {
            // Refused on chain (not merely unanswered): the plan can never be posted.
            if try await !actor.wouldSucceed(request), try await !isOnChain(planned.plan) {
                state.plans.removeAll { $0.plan.round == round }
                try save()
            }
            throw error
        }
        if let index = state.plans.firstIndex(where: { $0.plan.round == round }) { state.plans[index].posted = true }
        try save()
        let newcomers = candidates.filter(\.pending).count
        events.record("round_begun", ["round": round, "steps": candidates.count, "initial": newcomers])
        actor.log("round \(round) begun: \(candidates.count) steps" + (newcomers > 0 ? ", \(newcomers) initial attestations" : "")
                  + ", deadline \(settings.deadlineBlocks) blocks")
    }
}
