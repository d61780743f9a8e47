// A deterministic network of consensus cores: simulated time, delays, drops, duplicates,
// reordering, partitions until global stabilisation (GST), Byzantine validators and crash-restarts
// from the write-ahead log. It checks safety, lock discipline and liveness as it runs.

import LedgerPrimitives
import ConsensusCore

/// What a faulty validator does. It runs an honest core and corrupts what leaves it.
public enum ByzantineBehaviour: String, Sendable, CaseIterable {
    /// Sends nothing at all.
    case silent
    /// Sends a conflicting twin of each proposal and vote to half of the network.
    case equivocate
    /// Proposes invalid values and votes for invalid values instead of what its core decided.
    case voteInvalid
    /// Colludes with the other `split` validators to split the correct nodes in two: every proposal,
    /// prevote and precommit is for value A towards one half of the correct nodes and for value B
    /// towards the other half, the same A and B for all colluders at a (height, round). With a
    /// third or more of the power this makes the halves decide differently.
    case split
    /// Sends what its core sends, and with each message signed votes for the next dozen rounds
    /// and the next three heights, for values nobody proposed: one validator's power (less than
    /// a third) must never make a correct node skip a round or keep those votes without bound.
    case floodFuture
    /// Proposes, from round 1 on, a fresh value with a valid round it never saw a polka in (the
    /// round before): correct nodes must not accept a proposal on a polka they cannot see.
    case falseValidRound
    /// Sends what its core sends, and votes in each other validator's name under its own
    /// signature: correct nodes must count none of them.
    case forge
    /// Its proposals' values never reach anyone (the block is withheld): validation never
    /// answers, and the round must move on by timeout, never by an "invalid" for a block unseen.
    case withholdBlocks

    /// The behaviours `SimulationConfiguration.random` draws from. The others are left out so
    /// that a seed keeps meaning the same run; `SimulationConfiguration.hostile` draws from all
    /// but `split`, which `SimulationTests` exercises on its own.
    public static let randomlyDrawn: [ByzantineBehaviour] = [.silent, .equivocate, .voteInvalid]
    public static let hostileDrawn: [ByzantineBehaviour] = randomlyDrawn + [.floodFuture, .falseValidRound, .forge, .withholdBlocks]
}

/// Everything that determines a run; `description` is enough to reproduce it.
public struct SimulationConfiguration: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var validatorCount: Int
    /// Faulty validators by index; fewer than a third of them for safety to be promised.
    public var byzantine: [Int: ByzantineBehaviour]
    /// The run succeeds when every correct validator committed this height.
    public var targetHeight: Height
    /// Global stabilisation time: before it messages are dropped, duplicated, delayed and
    /// partitioned; after it every message between live nodes arrives within `delayAfterGST`.
    public var gst: Int
    public var maxDelayBeforeGST: Int
    public var delayAfterGST: ClosedRange<Int>
    public var dropPerMille: Int
    public var duplicatePerMille: Int
    public var partitions: Bool
    /// Chance per handled event (before GST) that a correct node crashes part-way through its actions.
    public var crashPerMille: Int
    /// All correct nodes must reach `targetHeight` by `gst + livenessBound`.
    public var livenessBound: Int
    /// How often a node re-sends its own messages of the current height (the driver's gossip).
    public var rebroadcastInterval: Int
    public var validationDelay: ClosedRange<Int>
    public var blockInterval: Int
    public var timeouts: TimeoutPolicy
    /// Voting power of each validator by index; nil gives every validator power 1.
    public var powers: [Int]?

    public init(seed: UInt64, validatorCount: Int, byzantine: [Int: ByzantineBehaviour] = [:],
                targetHeight: Height = 4, gst: Int = 0, maxDelayBeforeGST: Int = 0,
                delayAfterGST: ClosedRange<Int> = 0...0, dropPerMille: Int = 0, duplicatePerMille: Int = 0,
                partitions: Bool = false, crashPerMille: Int = 0, livenessBound: Int = 60_000,
                rebroadcastInterval: Int = 0, validationDelay: ClosedRange<Int> = 0...0, blockInterval: Int = 0,
                timeouts: TimeoutPolicy = TimeoutPolicy(proposeBase: 300, proposeDelta: 100, prevoteBase: 150,
                                                        prevoteDelta: 50, precommitBase: 150, precommitDelta: 50,
                                                        cap: 2_000), powers: [Int]? = nil) {
        precondition(powers == nil || powers!.count == validatorCount, "one power per validator")
        self.powers = powers
        self.seed = seed
        self.validatorCount = validatorCount
        self.byzantine = byzantine
        self.targetHeight = targetHeight
        self.gst = gst
        self.maxDelayBeforeGST = maxDelayBeforeGST
        self.delayAfterGST = delayAfterGST
        self.dropPerMille = dropPerMille
        self.duplicatePerMille = duplicatePerMille
        self.partitions = partitions
        self.crashPerMille = crashPerMille
        self.livenessBound = livenessBound
        self.rebroadcastInterval = rebroadcastInterval
        self.validationDelay = validationDelay
        self.blockInterval = blockInterval
        self.timeouts = timeouts
    }

    /// A random hostile configuration drawn from `seed`: 4–10 validators, up to f faulty,
    /// a chaotic network until GST.
    public static func random(seed: UInt64, crashes: Bool = false) -> SimulationConfiguration {
        draw(seed: seed, crashes: crashes, behaviours: ByzantineBehaviour.randomlyDrawn, longDelays: false)
    }

    /// Like `random`, with every Byzantine behaviour but `split`, exactly f faulty validators,
    /// unequal power in half the runs, and after GST delays up to twice the base propose timeout.
    public static func hostile(seed: UInt64) -> SimulationConfiguration {
        draw(seed: seed, crashes: false, behaviours: ByzantineBehaviour.hostileDrawn, longDelays: true)
    }

    private static func draw(seed: UInt64, crashes: Bool, behaviours: [ByzantineBehaviour],
                             longDelays: Bool) -> SimulationConfiguration {
        var random = SplitMix64(seed: seed)
        let count = random.int(in: 4...10)
        let maxFaulty = (count - 1) / 3
        let faultyCount = longDelays ? maxFaulty : random.int(in: 0...maxFaulty)
        var byzantine: [Int: ByzantineBehaviour] = [:]
        var candidates = Array(0..<count)
        for _ in 0..<faultyCount {
            let pick = candidates.remove(at: random.int(in: 0...(candidates.count - 1)))
            byzantine[pick] = behaviours[random.int(in: 0...(behaviours.count - 1))]
        }
        var configuration = SimulationConfiguration(
            seed: seed, validatorCount: count, byzantine: byzantine,
            targetHeight: Height(random.int(in: 2...4)),
            gst: random.int(in: 0...6_000),
            maxDelayBeforeGST: random.int(in: 0...800),
            delayAfterGST: 0...random.int(in: 1...60),
            dropPerMille: random.int(in: 0...400),
            duplicatePerMille: random.int(in: 0...200),
            partitions: random.chance(perMille: 500),
            crashPerMille: crashes ? random.int(in: 5...40) : 0,
            rebroadcastInterval: 1_000,
            validationDelay: 0...random.int(in: 0...50),
            blockInterval: random.int(in: 0...20))
        if longDelays {
            configuration.delayAfterGST = 0...random.int(in: 1...(2 * configuration.timeouts.proposeBase))
            // Unequal power that keeps the faulty below a third: each faulty validator has power 1,
            // each correct one 1–3.
            if random.chance(perMille: 500) {
                configuration.powers = (0..<count).map { byzantine[$0] == nil ? random.int(in: 1...3) : 1 }
            }
        }
        return configuration
    }

    public var description: String {
        let faulty = byzantine.keys.sorted().map { "\($0):\(byzantine[$0]!.rawValue)" }.joined(separator: ",")
        return "seed=\(seed) n=\(validatorCount) byzantine=[\(faulty)] target=\(targetHeight) gst=\(gst) "
            + "delayBefore=\(maxDelayBeforeGST) delayAfter=\(delayAfterGST) drop=\(dropPerMille)‰ "
            + "dup=\(duplicatePerMille)‰ partitions=\(partitions) crash=\(crashPerMille)‰"
            + (powers.map { " powers=\($0)" } ?? "")
    }
}

/// What a run saw.
public struct SimulationOutcome: Sendable {
    public var configuration: SimulationConfiguration
    /// Broken invariants (safety, double signing, lock, certificates, evidence against correct nodes).
    public var violations: [String] = []
    /// Times a correct node decided a value other than one another correct node decided at
    /// that height (each is also one of `violations`).
    public var conflictingDecisions = 0
    /// Every correct node committed `targetHeight` within the liveness bound.
    public var isLive = false
    /// Simulated time when the last correct node reached the target (or the run stopped).
    public var finishTime = 0
    public var messagesDelivered = 0
    public var heightsDecided: Height = 0
    public var evidenceReported = 0
    public var crashes = 0
    /// Time spent inside `ConsensusCore.handle`, when `Simulation.measuresCoreTime` is set.
    public var coreTime: Duration = .zero
    /// Where each node ended: committed height, core height, round, step, lock.
    public var nodeStates: [String] = []

    /// One line to reproduce a failure: seed and configuration.
    public var report: String {
        "\(configuration) → live=\(isLive) t=\(finishTime)ms violations=\(violations.prefix(3)) nodes=\(nodeStates)"
    }
}

/// Runs one configuration to completion.
public struct Simulation {
    public typealias Core = ConsensusCore<SimulatedContext>
    typealias Message = ConsensusMessage<SimulatedContext>

    enum Event {
        case deliver(to: Int, from: Int, Message)
        case deliverCommit(to: Int, Decision<SimulatedContext>)
        case input(node: Int, epoch: Int, Core.Input)
        case rebroadcast(node: Int)
        case restart(node: Int)
        case repartition
    }

    struct Node {
        var core: Core?
        var epoch = 0
        var log: ConsensusPersistentState<SimulatedContext>?
        var committed: [Height: Decision<SimulatedContext>] = [:]
        var committedHeight: Height = 0
        let behaviour: ByzantineBehaviour?
        var lastCatchUp: [Int: (height: Height, time: Int)] = [:]
    }

    private struct SignKey: Hashable {
        let node: Int
        let height: Height
        let round: Int
        let kind: UInt8
    }

    /// A runaway run (a message storm) stops here instead of eating the machine's memory.
    public static let eventLimit = 20_000_000

    /// Times every call into the cores (for the benchmark; two clock reads per input).
    public var measuresCoreTime = false

    /// Receives a line per event when set: for reproducing a failing seed by hand.
    public var trace: ((String) -> Void)?

    public let configuration: SimulationConfiguration
    public let validators: ValidatorSet<SimulatedContext>
    private let scheme = FakeSignatureScheme()
    private let coreConfiguration: ConsensusConfiguration
    private var random: SplitMix64
    private var queue = EventQueue<Event>()
    private var now = 0
    private var nodes: [Node] = []
    private var group: [Int] // partition group of each node; equal groups talk
    private var outcome: SimulationOutcome
    // Checkers' memory.
    private var decidedValues: [Height: SimulatedValue] = [:]
    private var signed: [SignKey: Message] = [:]
    private var lastLock: [Int: [Height: (round: Int, value: SimulatedValue)]] = [:]
    private var proposalsSeen: [Height: [Int: [Proposal<SimulatedContext>]]] = [:]
    /// Colluders' messages each correct node already relayed (see `relayIfSplit`).
    private var relayed: Set<RelayKey> = []

    private struct RelayKey: Hashable {
        let relay: Int
        let signer: Int
        let height: Height
        let round: Int
        let kind: UInt8
        let value: SimulatedValue?
    }

    public init(_ configuration: SimulationConfiguration) {
        self.configuration = configuration
        let members = (0..<configuration.validatorCount).map {
            Validator<SimulatedContext>(id: $0, power: configuration.powers?[$0] ?? 1)
        }
        validators = try! ValidatorSet(members) // distinct ids, positive powers set by the test: cannot fail
        coreConfiguration = ConsensusConfiguration(timeouts: configuration.timeouts)
        random = SplitMix64(seed: configuration.seed ^ 0x5349_4D55_4C41_5445)
        group = Array(repeating: 0, count: configuration.validatorCount)
        outcome = SimulationOutcome(configuration: configuration)
        for index in 0..<configuration.validatorCount {
            nodes.append(Node(behaviour: configuration.byzantine[index]))
        }
    }

    private var correctNodes: [Int] { nodes.indices.filter { nodes[$0].behaviour == nil } }

    private func isCorrect(_ node: Int) -> Bool { nodes[node].behaviour == nil }

    private func makeCore(_ node: Int) -> Core {
        Core(configuration: coreConfiguration, signer: FakeSigner(validator: node, scheme: scheme),
             verifier: FakeVerifier(scheme: scheme))
    }

    /// Runs until every correct node committed the target height, or the liveness bound passes.
    public mutating func run() -> SimulationOutcome {
        for node in nodes.indices {
            nodes[node].core = makeCore(node)
            perform(nodes[node].core!.handle(.startHeight(1, validators: validators)), node: node)
            if configuration.rebroadcastInterval > 0 {
                queue.push(.rebroadcast(node: node), at: random.int(in: 1...configuration.rebroadcastInterval))
            }
        }
        if configuration.partitions { queue.push(.repartition, at: 0) }
        let deadline = configuration.gst + configuration.livenessBound
        let correct = correctNodes
        var events = 0
        while let (time, event) = queue.pop() {
            if time > deadline { break }
            events += 1
            if events > Self.eventLimit {
                outcome.violations.append("event storm: more than \(Self.eventLimit) events")
                break
            }
            now = time
            handle(event)
            if correct.allSatisfy({ nodes[$0].committedHeight >= configuration.targetHeight }) {
                outcome.isLive = true
                break
            }
        }
        outcome.finishTime = now
        outcome.nodeStates = nodes.indices.map { index in
            let node = nodes[index]
            guard let core = node.core else { return "\(index): down" }
            return "\(index)\(node.behaviour.map { "(\($0.rawValue))" } ?? ""): committed \(node.committedHeight) "
                + "h\(core.height) r\(core.round) \(core.step) locked r\(core.lockedRound) valid r\(core.validRound)"
                + (core.decision != nil ? " decided" : "")
        }
        outcome.heightsDecided = decidedValues.keys.max() ?? 0
        return outcome
    }

    private mutating func handle(_ event: Event) {
        if let trace { trace("t=\(now) \(event)") }
        switch event {
        case .deliver(let target, let sender, let message):
            guard nodes[target].core != nil, nodes[target].behaviour != .silent else { return }
            outcome.messagesDelivered += 1
            // Only a peer's own messages say where it is; forwarded ones may be old.
            if message.sender == sender { catchUp(sender, lagging: message.height, from: target) }
            relayIfSplit(message, from: sender, by: target)
            react(target) { $0.handle(.receive(message)) }
        case .deliverCommit(let target, let decided):
            guard nodes[target].core != nil, nodes[target].behaviour != .silent else { return }
            outcome.messagesDelivered += 1
            react(target) { $0.handle(.receiveCommit(decided)) }
        case .input(let target, let epoch, let input):
            guard nodes[target].epoch == epoch, nodes[target].core != nil else { return }
            react(target) { $0.handle(input) }
        case .rebroadcast(let node):
            queue.push(.rebroadcast(node: node), at: now + configuration.rebroadcastInterval)
            guard let core = nodes[node].core, nodes[node].behaviour != .silent else { return }
            let state = core.persistentState
            // Colluders re-send their split messages, not the honest ones their cores keep.
            let messages = state.ownProposals.map { Message.proposal($0) } + state.ownVotes.map { Message.vote($0) }
            for message in messages {
                if nodes[node].behaviour == .split { broadcast(message, from: node) } else { send(message, from: node) }
            }
        case .restart(let node):
            restart(node)
        case .repartition:
            if now < configuration.gst {
                let split = random.chance(perMille: 600)
                for node in nodes.indices { group[node] = split ? random.int(in: 0...1) : 0 }
                queue.push(.repartition, at: now + random.int(in: 200...1_500))
            } else {
                for node in nodes.indices { group[node] = 0 }
            }
        }
    }

    /// Feeds one input to a node's core and performs the actions, maybe crashing part-way.
    private mutating func react(_ node: Int, _ body: (inout Core) -> [Core.Action]) {
        // Moved out, not copied: a second reference would make every mutation copy the core.
        guard var core = nodes[node].core else { return }
        nodes[node].core = nil
        let actions: [Core.Action]
        if measuresCoreTime {
            let clock = ContinuousClock()
            let start = clock.now
            actions = body(&core)
            outcome.coreTime += clock.now - start
        } else {
            actions = body(&core)
        }
        nodes[node].core = core
        var crashAt: Int?
        if isCorrect(node), now < configuration.gst, configuration.crashPerMille > 0,
           random.chance(perMille: configuration.crashPerMille) {
            crashAt = random.int(in: 0...actions.count)
        }
        perform(actions, node: node, crashAt: crashAt)
    }

    private mutating func perform(_ actions: [Core.Action], node: Int, crashAt: Int? = nil) {
        for (index, action) in actions.enumerated() {
            if index == crashAt { return crash(node) }
            execute(action, node: node)
        }
        if crashAt == actions.count { crash(node) }
    }

    private mutating func execute(_ action: Core.Action, node: Int) {
        if let trace { trace("   node \(node) → \(action)") }
        let epoch = nodes[node].epoch
        switch action {
        case .persist(let state):
            nodes[node].log = state
        case .broadcast(let message):
            broadcast(message, from: node)
        case .requestValue(let height, let round):
            let value = SimulatedValue(height: height, round: round, proposer: node,
                                       isValid: nodes[node].behaviour != .voteInvalid, nonce: random.next())
            queue.push(.input(node: node, epoch: epoch, .proposeValue(value, height: height, round: round)),
                       at: now + random.int(in: 0...2))
        case .validate(let value, let height, _):
            // A withheld block never arrives: the driver never answers for it.
            if value.proposer != node, configuration.byzantine[value.proposer] == .withholdBlocks { return }
            queue.push(.input(node: node, epoch: epoch,
                              .validationResult(value, height: height, isValid: value.isValid)),
                       at: now + random.int(in: configuration.validationDelay))
        case .scheduleTimeout(let timeout, let milliseconds):
            queue.push(.input(node: node, epoch: epoch, .timeoutExpired(timeout)), at: now + milliseconds)
        case .decide(let decision):
            commit(decision, node: node)
        case .reportEvidence(let evidence):
            outcome.evidenceReported += 1
            let verifier = FakeVerifier(scheme: scheme)
            if !evidence.isValid(verifier: verifier, domain: coreConfiguration.signingDomain) {
                outcome.violations.append("node \(node) reported invalid evidence \(evidence)")
            }
            if isCorrect(evidence.validator) {
                outcome.violations.append("evidence against correct node \(evidence.validator)")
            }
        }
    }

    private mutating func commit(_ decision: Decision<SimulatedContext>, node: Int) {
        let height = decision.height
        let certificate = decision.certificate
        do {
            try certificate.verify(against: validators, verifier: FakeVerifier(scheme: scheme),
                                   domain: coreConfiguration.signingDomain)
        } catch {
            outcome.violations.append("node \(node) h\(height): certificate fails: \(error)")
        }
        if certificate.valueID != decision.value || !decision.value.isValid {
            outcome.violations.append("node \(node) h\(height): decided \(decision.value) with certificate for \(certificate.valueID)")
        }
        if isCorrect(node) {
            if let earlier = decidedValues[height], earlier != decision.value {
                outcome.conflictingDecisions += 1
                outcome.violations.append("SAFETY h\(height): node \(node) decided \(decision.value), another correct node \(earlier)")
            } else {
                decidedValues[height] = decision.value
            }
        }
        nodes[node].committed[height] = decision
        nodes[node].committedHeight = max(nodes[node].committedHeight, height)
        queue.push(.input(node: node, epoch: nodes[node].epoch,
                          .startHeight(height + 1, validators: validators)),
                   at: now + configuration.blockInterval)
    }

    // MARK: Network

    private mutating func broadcast(_ message: Message, from node: Int) {
        switch nodes[node].behaviour {
        case nil:
            noteProposal(message)
            record(message, by: node)
            send(message, from: node)
        case .silent:
            return
        case .equivocate:
            let twin = conflictingTwin(of: message, by: node, invalid: false)
            noteProposal(message)
            noteProposal(twin)
            let half = random.int(in: 1...(nodes.count - 1))
            for peer in nodes.indices where peer != node {
                deliver(peer < half ? message : twin, from: node, to: peer)
            }
        case .voteInvalid:
            switch message {
            case .proposal: // its values are invalid already
                noteProposal(message)
                send(message, from: node)
            case .vote: send(conflictingTwin(of: message, by: node, invalid: true), from: node)
            }
        case .floodFuture:
            noteProposal(message)
            send(message, from: node)
            for step in 1...12 {
                send(signedVote(.prevote, height: message.height, round: message.round + step, by: node, as: node), from: node)
            }
            for step in Height(1)...3 {
                send(signedVote(.precommit, height: message.height + step, round: 0, by: node, as: node), from: node)
            }
        case .falseValidRound:
            guard case .proposal(let proposal) = message, proposal.round >= 1 else {
                noteProposal(message)
                return send(message, from: node)
            }
            let value = SimulatedValue(height: proposal.height, round: proposal.round, proposer: node, isValid: true,
                                       nonce: random.next())
            let bytes = SigningBytes.proposal(SimulatedContext.self, domain: coreConfiguration.signingDomain,
                                              height: proposal.height, round: proposal.round, valueID: value,
                                              validRound: proposal.round - 1)
            let claimed = Message.proposal(Proposal(height: proposal.height, round: proposal.round, value: value,
                                                    validRound: proposal.round - 1, proposer: node,
                                                    signature: FakeSigner(validator: node, scheme: scheme).sign(bytes)))
            noteProposal(claimed)
            send(claimed, from: node)
        case .forge:
            noteProposal(message)
            send(message, from: node)
            if case .vote(let vote) = message {
                for other in nodes.indices where other != node {
                    send(signedVote(vote.type, height: vote.height, round: vote.round, by: node, as: other), from: node)
                }
            }
        case .withholdBlocks:
            noteProposal(message)
            send(message, from: node)
        case .split:
            let towardsA = splitMessage(like: message, by: node, side: 0)
            let towardsB = splitMessage(like: message, by: node, side: 1)
            noteProposal(towardsA)
            noteProposal(towardsB)
            for peer in nodes.indices where peer != node {
                deliver(splitSide(of: peer) == 0 ? towardsA : towardsB, from: node, to: peer)
            }
        }
    }

    /// Which half of the correct nodes a peer is in: the first half (by index) is side 0, the rest
    /// side 1. Faulty peers are put on side 0; their cores' opinions do not matter.
    private func splitSide(of peer: Int) -> Int {
        guard let position = correctNodes.firstIndex(of: peer) else { return 0 }
        return position < correctNodes.count / 2 ? 0 : 1
    }

    /// The value all colluders push towards `side` at (height, round): valid, and derived from the
    /// seed alone so that every colluder names the same one without talking.
    private func splitValue(height: Height, round: Int, side: Int) -> SimulatedValue {
        let colluder = configuration.byzantine.keys.filter { configuration.byzantine[$0] == .split }.min() ?? -1
        let nonce = SplitMix64.mix(SplitMix64.mix(configuration.seed ^ 0x5350_4C49_54) ^ height
                                   ^ UInt64(truncatingIfNeeded: round) << 32 ^ UInt64(side))
        return SimulatedValue(height: height, round: round, proposer: colluder, isValid: true, nonce: nonce)
    }

    /// The colluders' version of what the core wanted to send: the same kind of message at the
    /// same height and round, for the side's value (a nil vote becomes a vote for it too).
    private func splitMessage(like message: Message, by node: Int, side: Int) -> Message {
        let signer = FakeSigner(validator: node, scheme: scheme)
        let domain = coreConfiguration.signingDomain
        let value = splitValue(height: message.height, round: message.round, side: side)
        switch message {
        case .proposal(let proposal):
            let bytes = SigningBytes.proposal(SimulatedContext.self, domain: domain, height: proposal.height,
                                              round: proposal.round, valueID: value, validRound: -1)
            return .proposal(Proposal(height: proposal.height, round: proposal.round, value: value, validRound: -1,
                                      proposer: node, signature: signer.sign(bytes)))
        case .vote(let vote):
            let bytes = SigningBytes.vote(SimulatedContext.self, domain: domain, type: vote.type,
                                          height: vote.height, round: vote.round, valueID: value)
            return .vote(Vote(type: vote.type, height: vote.height, round: vote.round, valueID: value,
                              validator: node, signature: signer.sign(bytes)))
        }
    }

    /// A vote for a fresh value at (height, round), signed by `signer` in `validator`'s name
    /// (a forgery unless the two are the same).
    private mutating func signedVote(_ type: VoteType, height: Height, round: Int, by signer: Int,
                                     as validator: Int) -> Message {
        let value = SimulatedValue(height: height, round: round, proposer: signer, isValid: true, nonce: random.next())
        let bytes = SigningBytes.vote(SimulatedContext.self, domain: coreConfiguration.signingDomain, type: type,
                                      height: height, round: round, valueID: value)
        return .vote(Vote(type: type, height: height, round: round, valueID: value, validator: validator,
                          signature: FakeSigner(validator: signer, scheme: scheme).sign(bytes)))
    }

    /// The same kind of message for the same height and round, for another value, validly signed.
    private mutating func conflictingTwin(of message: Message, by node: Int, invalid: Bool) -> Message {
        let signer = FakeSigner(validator: node, scheme: scheme)
        let domain = coreConfiguration.signingDomain
        let other = SimulatedValue(height: message.height, round: message.round, proposer: node,
                                   isValid: !invalid, nonce: random.next())
        switch message {
        case .proposal(let proposal):
            let bytes = SigningBytes.proposal(SimulatedContext.self, domain: domain, height: proposal.height,
                                              round: proposal.round, valueID: other, validRound: -1)
            return .proposal(Proposal(height: proposal.height, round: proposal.round, value: other, validRound: -1,
                                      proposer: node, signature: signer.sign(bytes)))
        case .vote(let vote):
            let valueID: SimulatedValue? = invalid || vote.valueID == nil ? other : nil
            let bytes = SigningBytes.vote(SimulatedContext.self, domain: domain, type: vote.type,
                                          height: vote.height, round: vote.round, valueID: valueID)
            return .vote(Vote(type: vote.type, height: vote.height, round: vote.round, valueID: valueID,
                              validator: node, signature: signer.sign(bytes)))
        }
    }

    private mutating func send(_ message: Message, from node: Int) {
        for peer in nodes.indices where peer != node { deliver(message, from: node, to: peer) }
    }

    private mutating func deliver(_ message: Message, from sender: Int, to peer: Int) {
        if now < configuration.gst {
            if group[sender] != group[peer] || random.chance(perMille: configuration.dropPerMille) { return }
            let copies = random.chance(perMille: configuration.duplicatePerMille) ? 2 : 1
            for _ in 0..<copies {
                queue.push(.deliver(to: peer, from: sender, message),
                           at: now + random.int(in: 0...configuration.maxDelayBeforeGST))
            }
        } else {
            queue.push(.deliver(to: peer, from: sender, message), at: now + random.int(in: configuration.delayAfterGST))
        }
    }

    /// Tendermint's liveness assumes gossip: after GST a message one correct node received reaches
    /// every correct node. The simulated drivers only send their own messages, which is the same
    /// thing while senders broadcast to all, but a `split` colluder hides each half's messages from
    /// the other half (so a polka one half saw could never be shown to the other, and a node
    /// locked on it would stall the height). So after GST a correct node forwards a colluder's
    /// message, once, to everyone, as a gossiping driver would.
    private mutating func relayIfSplit(_ message: Message, from sender: Int, by node: Int) {
        guard now >= configuration.gst, isCorrect(node), message.sender == sender,
              nodes[sender].behaviour == .split else { return }
        let key: RelayKey = switch message {
        case .proposal(let proposal):
            RelayKey(relay: node, signer: sender, height: proposal.height, round: proposal.round, kind: 0,
                     value: proposal.value)
        case .vote(let vote):
            RelayKey(relay: node, signer: sender, height: vote.height, round: vote.round, kind: vote.type.rawValue,
                     value: vote.valueID)
        }
        guard relayed.insert(key).inserted else { return }
        for peer in nodes.indices where peer != node && peer != sender { deliver(message, from: node, to: peer) }
    }

    /// A node behind us gets the proposal and certificate of its height (the driver's block sync).
    private mutating func catchUp(_ lagging: Int, lagging height: Height, from node: Int) {
        guard height <= nodes[node].committedHeight, let decision = nodes[node].committed[height] else { return }
        if let last = nodes[node].lastCatchUp[lagging], last.height == height,
           now - last.time < max(configuration.rebroadcastInterval, 200) { return }
        nodes[node].lastCatchUp[lagging] = (height, now)
        if now < configuration.gst {
            if group[node] != group[lagging] || random.chance(perMille: configuration.dropPerMille) { return }
            queue.push(.deliverCommit(to: lagging, decision), at: now + random.int(in: 0...configuration.maxDelayBeforeGST))
        } else {
            queue.push(.deliverCommit(to: lagging, decision), at: now + random.int(in: configuration.delayAfterGST))
        }
    }

    // MARK: Crashes

    private mutating func crash(_ node: Int) {
        outcome.crashes += 1
        nodes[node].core = nil
        nodes[node].epoch += 1
        queue.push(.restart(node: node), at: min(now + random.int(in: 1...2_000), max(configuration.gst, now + 1)))
    }

    /// Restarts from the committed blocks and the write-ahead log, as the node's driver would.
    private mutating func restart(_ node: Int) {
        var core = makeCore(node)
        let next = nodes[node].committedHeight + 1
        let before = nodes[node].log
        let actions: [Core.Action]
        if let log = before, log.height == next {
            actions = core.handle(.restore(log, validators: validators))
            if core.lockedRound != log.lockedRound || core.lockedValue != log.lockedValue {
                outcome.violations.append("node \(node) lost its lock on restore")
            }
        } else {
            actions = core.handle(.startHeight(next, validators: validators))
        }
        nodes[node].core = core
        perform(actions, node: node)
    }

    // MARK: Checks on what correct nodes sign

    /// A correct node never signs two different messages for one (height, round, step), and
    /// never prevotes against its lock unless the proposal shows a polka at or after the lock.
    private mutating func record(_ message: Message, by node: Int) {
        switch message {
        case .proposal(let proposal):
            checkSingleSignature(message, key: SignKey(node: node, height: proposal.height, round: proposal.round, kind: 0))
        case .vote(let vote):
            checkSingleSignature(message, key: SignKey(node: node, height: vote.height, round: vote.round,
                                                       kind: vote.type.rawValue))
            guard let value = vote.valueID else { return }
            if vote.type == .precommit {
                if let lock = lastLock[node]?[vote.height], lock.round >= vote.round { return }
                lastLock[node, default: [:]][vote.height] = (vote.round, value)
            } else if let lock = lastLock[node]?[vote.height], lock.round < vote.round, lock.value != value {
                let justified = (proposalsSeen[vote.height]?[vote.round] ?? []).contains {
                    $0.value == value && $0.validRound >= lock.round
                }
                if !justified {
                    outcome.violations.append("node \(node) h\(vote.height) r\(vote.round): prevoted \(value) against its lock on \(lock.value) from r\(lock.round)")
                }
            }
        }
    }

    /// Every proposal that leaves any node, for the lock check.
    private mutating func noteProposal(_ message: Message) {
        guard case .proposal(let proposal) = message else { return }
        proposalsSeen[proposal.height, default: [:]][proposal.round, default: []].append(proposal)
    }

    private mutating func checkSingleSignature(_ message: Message, key: SignKey) {
        if let earlier = signed[key] {
            let same: Bool = switch (earlier, message) {
            case (.proposal(let a), .proposal(let b)): a.value == b.value && a.validRound == b.validRound
            case (.vote(let a), .vote(let b)): a.valueID == b.valueID
            default: false
            }
            if !same {
                outcome.violations.append("DOUBLE SIGN by correct node \(key.node) at h\(key.height) r\(key.round) kind \(key.kind)")
            }
        } else {
            signed[key] = message
        }
    }
}
