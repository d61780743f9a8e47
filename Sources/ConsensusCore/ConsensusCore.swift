// Tendermint consensus ("The latest gossip on BFT consensus", Buchman, Kwon, Milosevic 2018,
// Algorithm 1) as a pure state machine: `handle(input) -> [action]`, no clock, no I/O.
// Each rule cites its line of Algorithm 1; Docs/consensus.md maps every line to this file.

/// One validator's (or observer's) consensus instance for successive heights.
///
/// **Ordering contract.** The driver executes the returned actions in order, each completely
/// before the next. In particular `.persist` (the write-ahead log, fsynced) comes before the
/// `.broadcast` of any message signed during the same call, and `.decide` (commit the block)
/// comes before anything that follows it.
public struct ConsensusCore<C: ConsensusContext>: Sendable {
    public enum Input: Sendable {
        /// Begin `height` with its validator set (Alg.1 l.10; l.52–54 once the driver committed h − 1).
        case startHeight(Height, validators: ValidatorSet<C>)
        /// Rebuild from the write-ahead log after a restart (instead of `startHeight`).
        case restore(ConsensusPersistentState<C>, validators: ValidatorSet<C>)
        /// A proposal or vote from the network (signature not yet checked).
        case receive(ConsensusMessage<C>)
        /// A decision of the current height learned from a peer (block sync): its proposal and
        /// commit certificate, both checked here. It stands for Alg.1 l.49's "proposal and 2f+1
        /// precommits" when our own vote set cannot show them (an equivocator's other vote counted
        /// first, or the votes are long gone from the network).
        case receiveCommit(Decision<C>)
        case timeoutExpired(Timeout)
        /// The answer to `.requestValue`: what this validator proposes (Alg.1's `getValue()`).
        case proposeValue(C.Value, height: Height, round: Int)
        /// The answer to `.validate` (Alg.1's `valid(v)`): the node executed the block.
        case validationResult(C.Value, height: Height, isValid: Bool)
    }

    public enum Action: Hashable, Sendable {
        /// Write this state to the write-ahead log, durably, before executing the next action.
        case persist(ConsensusPersistentState<C>)
        case broadcast(ConsensusMessage<C>)
        /// Build a value to propose at (height, round) and answer with `.proposeValue`.
        case requestValue(height: Height, round: Int)
        /// Check the value (execute the block) and answer with `.validationResult`.
        case validate(C.Value, height: Height, round: Int)
        /// Deliver `.timeoutExpired(timeout)` after this many milliseconds.
        case scheduleTimeout(Timeout, milliseconds: Int)
        /// The height is decided; commit, then send `.startHeight` for the next one.
        case decide(Decision<C>)
        case reportEvidence(Evidence<C>)
    }

    public let configuration: ConsensusConfiguration
    private let signer: any ConsensusSigner<C>
    private let verifier: any SignatureVerifier<C>

    // Alg.1 l.2–9.
    public private(set) var validators: ValidatorSet<C>?
    public private(set) var height: Height = 0
    public private(set) var round = 0
    public private(set) var step: Step = .propose
    public private(set) var lockedValue: C.Value?
    public private(set) var lockedRound = -1
    public private(set) var validValue: C.Value?
    public private(set) var validRound = -1
    /// Alg.1's decision_p[h_p]; once set the core waits for the next `.startHeight`.
    public private(set) var decision: Decision<C>?

    private var messages: HeightMessages<C>?
    private var validity: [C.ValueID: Bool] = [:]
    private var validationRequested: Set<C.ValueID> = []
    private var valueRequestedRound: Int?
    private var ownProposals: [Int: Proposal<C>] = [:]
    private var ownVotes: [OwnVoteKey: Vote<C>] = [:]
    private var reportedEquivocations: Set<EquivocationKey> = []
    private var syncedDecision: Decision<C>?
    private var nextHeightMessages: [ConsensusMessage<C>] = []
    private var nextHeightCounts: [C.ValidatorID: Int] = [:]

    private var output: [Action] = []
    private var signedNewMessage = false

    private struct OwnVoteKey: Hashable {
        let round: Int
        let type: VoteType
    }

    private struct EquivocationKey: Hashable {
        let validator: C.ValidatorID
        let round: Int
        let kind: UInt8
    }

    public init(configuration: ConsensusConfiguration = ConsensusConfiguration(),
                signer: some ConsensusSigner<C>, verifier: some SignatureVerifier<C>) {
        self.configuration = configuration
        self.signer = signer
        self.verifier = verifier
    }

    /// The validator this core signs for.
    public var validator: C.ValidatorID { signer.validator }

    /// What the write-ahead log must hold right now.
    public var persistentState: ConsensusPersistentState<C> {
        ConsensusPersistentState(
            height: height, round: round, step: step,
            lockedValue: lockedValue, lockedRound: lockedRound,
            validValue: validValue, validRound: validRound,
            ownProposals: ownProposals.values.sorted { $0.round < $1.round },
            ownVotes: ownVotes.values.sorted { ($0.round, $0.type) < ($1.round, $1.type) })
    }

    /// The prevotes of the polka behind `validValue` (Alg.1 l.36–43), as far as this node holds
    /// them: what a peer needs before it accepts a re-proposal of that value (l.28). The driver
    /// sends them again when a round does not move: a peer that missed one of them (say an
    /// equivocator's, whose other vote reached it first and who is gone since) would otherwise
    /// never see the polka, and the validators locked on the value could never win it over.
    public var validValuePolka: [Vote<C>] {
        guard let value = validValue, validRound >= 0 else { return [] }
        return messages?[validRound]?.prevotes.votes(for: C.id(of: value)) ?? []
    }

    public mutating func handle(_ input: Input) -> [Action] {
        output = []
        signedNewMessage = false
        switch input {
        case .startHeight(let newHeight, let set): startHeight(newHeight, validators: set)
        case .restore(let state, let set): restore(state, validators: set)
        case .receive(let message): receive(message)
        case .receiveCommit(let decided): receiveCommit(decided)
        case .timeoutExpired(let timeout): timeoutExpired(timeout)
        case .proposeValue(let value, let valueHeight, let valueRound):
            proposeValue(value, height: valueHeight, round: valueRound)
        case .validationResult(let value, let valueHeight, let isValid):
            if validators != nil, valueHeight == height { validity[C.id(of: value)] = isValid }
        }
        applyRules()
        return takeOutput()
    }

    // MARK: Heights and rounds

    private mutating func startHeight(_ newHeight: Height, validators set: ValidatorSet<C>) {
        guard validators == nil || newHeight > height else { return }
        resetHeight(newHeight, validators: set)
        startRound(0) // Alg.1 l.10 (and l.54 for later heights)
        let buffered = nextHeightMessages
        nextHeightMessages = []
        nextHeightCounts = [:]
        for message in buffered where message.height == newHeight { receive(message) }
    }

    // Alg.1 l.53: reset locked and valid values and rounds, empty the message log.
    private mutating func resetHeight(_ newHeight: Height, validators set: ValidatorSet<C>) {
        validators = set
        height = newHeight
        round = 0
        step = .propose
        lockedValue = nil
        lockedRound = -1
        validValue = nil
        validRound = -1
        decision = nil
        messages = HeightMessages(validators: set, futureRoundLimit: configuration.futureRoundsPerValidator)
        validity = [:]
        validationRequested = []
        valueRequestedRound = nil
        ownProposals = [:]
        ownVotes = [:]
        reportedEquivocations = []
        syncedDecision = nil
    }

    // Alg.1 l.11–21: StartRound(round).
    private mutating func startRound(_ newRound: Int) {
        guard let set = validators else { return }
        round = newRound // l.12
        step = .propose // l.13
        messages?.setCurrentRound(newRound)
        valueRequestedRound = nil
        if set.proposer(height: height, round: newRound) == signer.validator { // l.14
            if ownProposals[newRound] != nil {
                // Signed before a restart and re-sent by `restore`: never sign another.
            } else if let value = validValue { // l.15–16
                propose(value, validRound: validRound) // l.19
            } else {
                valueRequestedRound = newRound // l.18: getValue() is asked of the driver
                output.append(.requestValue(height: height, round: newRound))
            }
        }
        // l.21. The proposer schedules it too: getValue() may be slow or fail, and once the
        // proposer has prevoted its own proposal the timeout finds step ≠ propose and does nothing.
        schedule(.propose)
    }

    private mutating func restore(_ state: ConsensusPersistentState<C>, validators set: ValidatorSet<C>) {
        resetHeight(state.height, validators: set)
        round = state.round
        step = state.step
        messages?.setCurrentRound(state.round)
        lockedValue = state.lockedValue
        lockedRound = state.lockedRound
        validValue = state.validValue
        validRound = state.validRound
        // The lock and the valid value passed valid() before the crash.
        if let value = lockedValue { validity[C.id(of: value)] = true }
        if let value = validValue { validity[C.id(of: value)] = true }
        for proposal in state.ownProposals where proposal.height == state.height {
            ownProposals[proposal.round] = proposal
            validity[proposal.valueID] = true
            _ = messages?.insert(.proposal(proposal))
            output.append(.broadcast(.proposal(proposal)))
        }
        for vote in state.ownVotes where vote.height == state.height {
            ownVotes[OwnVoteKey(round: vote.round, type: vote.type)] = vote
            _ = messages?.insert(.vote(vote))
            output.append(.broadcast(.vote(vote)))
        }
        if step == .propose { startRound(round) }
    }

    // MARK: Inputs

    private mutating func receive(_ message: ConsensusMessage<C>) {
        guard let set = validators, messages != nil else { return }
        if message.height == height + 1 {
            bufferForNextHeight(message)
            return
        }
        guard message.height == height, decision == nil, message.round >= 0, set.contains(message.sender) else {
            return
        }
        if case .proposal(let proposal) = message {
            // Only the proposer of (h, r) may propose, and vr must lie in -1 ..< r.
            guard proposal.proposer == set.proposer(height: height, round: proposal.round),
                  proposal.validRound >= -1, proposal.validRound < proposal.round else { return }
        }
        guard messages?.contains(message) == false, isAuthentic(message) else { return }
        if case .conflicting(let evidence) = messages?.insert(message) {
            let kind: UInt8 = switch message {
            case .proposal: 0
            case .vote(let vote): vote.type.rawValue
            }
            let key = EquivocationKey(validator: message.sender, round: message.round, kind: kind)
            if reportedEquivocations.insert(key).inserted { output.append(.reportEvidence(evidence)) }
        }
    }

    private func isAuthentic(_ message: ConsensusMessage<C>) -> Bool {
        message.isSigned(verifier: verifier, domain: configuration.signingDomain)
    }

    private mutating func receiveCommit(_ decided: Decision<C>) {
        guard let set = validators, decision == nil, syncedDecision == nil else { return }
        let proposal = decided.proposal
        let certificate = decided.certificate
        guard certificate.height == height, proposal.height == height, proposal.round == certificate.round,
              proposal.round >= 0, proposal.validRound >= -1, proposal.validRound < proposal.round,
              proposal.valueID == certificate.valueID,
              proposal.proposer == set.proposer(height: height, round: proposal.round),
              verifier.isValid(proposal.signature, of: proposal.signedBytes(domain: configuration.signingDomain),
                               by: proposal.proposer)
        else { return }
        do {
            try certificate.verify(against: set, verifier: verifier, domain: configuration.signingDomain)
        } catch {
            return
        }
        syncedDecision = decided
    }

    /// Messages for h + 1 wait, a bounded number per sender, until that height starts. Only
    /// validators' messages with valid signatures take a place: anyone else could otherwise fill
    /// a validator's places with forgeries in its name. (The set of h + 1 is that of h until
    /// validator changes exist; a message from a newcomer arrives again by round catch-up.)
    private mutating func bufferForNextHeight(_ message: ConsensusMessage<C>) {
        let sender = message.sender
        let count = nextHeightCounts[sender] ?? 0
        guard let set = validators, set.contains(sender), message.round >= 0,
              count < configuration.nextHeightMessagesPerValidator,
              !nextHeightMessages.contains(message), isAuthentic(message) else { return }
        nextHeightMessages.append(message)
        nextHeightCounts[sender] = count + 1
    }

    private mutating func timeoutExpired(_ timeout: Timeout) {
        guard validators != nil, decision == nil, timeout.height == height, timeout.round == round else { return }
        switch timeout.kind {
        case .propose: // Alg.1 l.57–60
            guard step == .propose else { return }
            castVote(.prevote, for: nil)
            step = .prevote
        case .prevote: // Alg.1 l.61–64
            guard step == .prevote else { return }
            castVote(.precommit, for: nil)
            step = .precommit
        case .precommit: // Alg.1 l.65–67
            startRound(round + 1)
        }
    }

    private mutating func proposeValue(_ value: C.Value, height valueHeight: Height, round valueRound: Int) {
        guard validators != nil, decision == nil, valueHeight == height, valueRound == round,
              valueRequestedRound == valueRound, step == .propose else { return }
        valueRequestedRound = nil
        propose(value, validRound: -1) // Alg.1 l.18–19
    }

    // MARK: Own messages

    // Alg.1 l.19: broadcast ⟨PROPOSAL, h, r, v, vr⟩; delivered to ourselves too.
    private mutating func propose(_ value: C.Value, validRound proposalValidRound: Int) {
        guard ownProposals[round] == nil else { return } // one proposal per round, ever
        let valueID = C.id(of: value)
        let bytes = SigningBytes.proposal(C.self, domain: configuration.signingDomain, height: height,
                                          round: round, valueID: valueID, validRound: proposalValidRound)
        let proposal = Proposal<C>(height: height, round: round, value: value, validRound: proposalValidRound,
                                   proposer: signer.validator, signature: signer.sign(bytes))
        ownProposals[round] = proposal
        signedNewMessage = true
        validity[valueID] = true // we built it
        _ = messages?.insert(.proposal(proposal))
        output.append(.broadcast(.proposal(proposal)))
    }

    /// Signs and broadcasts a vote of the current round, delivered to ourselves too. A second
    /// vote of the same type in one round is never signed, whatever the caller asks.
    private mutating func castVote(_ type: VoteType, for valueID: C.ValueID?) {
        let key = OwnVoteKey(round: round, type: type)
        guard ownVotes[key] == nil, validators?.contains(signer.validator) == true else { return }
        let bytes = SigningBytes.vote(C.self, domain: configuration.signingDomain, type: type,
                                      height: height, round: round, valueID: valueID)
        let vote = Vote<C>(type: type, height: height, round: round, valueID: valueID,
                           validator: signer.validator, signature: signer.sign(bytes))
        ownVotes[key] = vote
        signedNewMessage = true
        _ = messages?.insert(.vote(vote))
        output.append(.broadcast(.vote(vote)))
    }

    private mutating func schedule(_ kind: TimeoutKind) {
        output.append(.scheduleTimeout(Timeout(kind: kind, height: height, round: round),
                                       milliseconds: configuration.timeouts.duration(kind, round: round)))
    }

    /// valid(v): the verdict if known; otherwise asks the driver once and answers nil (not yet).
    private mutating func verdict(on proposal: Proposal<C>) -> Bool? {
        let valueID = proposal.valueID
        if let known = validity[valueID] { return known }
        if validationRequested.insert(valueID).inserted {
            output.append(.validate(proposal.value, height: height, round: proposal.round))
        }
        return nil
    }

    private var lockedValueID: C.ValueID? { lockedValue.map(C.id(of:)) }

    // MARK: Rules

    /// Fires every enabled "upon" rule until none is, so the result does not depend on the
    /// order in which messages arrived.
    private mutating func applyRules() {
        guard let set = validators else { return }
        while decision == nil {
            if decideIfCommitted(set) { return }
            if skipToHigherRound(set) { continue }
            if step == .propose, prevoteOnProposal(set) { continue }
            if scheduleTimeoutPrevote(set) { continue }
            if precommitOnPolka(set) { continue }
            if precommitNilOnNilPolka(set) { continue }
            if scheduleTimeoutPrecommit(set) { continue }
            return
        }
    }

    // Alg.1 l.49–54: a proposal from proposer(h, r) and 2f+1 precommits for its id in any round r.
    private mutating func decideIfCommitted(_ set: ValidatorSet<C>) -> Bool {
        if let synced = syncedDecision, let isValid = verdict(on: synced.proposal) {
            syncedDecision = nil
            if isValid { // l.50
                decision = synced
                output.append(.decide(synced))
                return true
            }
        }
        guard let messages else { return false }
        for decidedRound in messages.rounds.keys.sorted() {
            guard let roundMessages = messages[decidedRound],
                  case .some(.some(let valueID)) = roundMessages.precommits.quorumValue(in: set),
                  let proposal = roundMessages.proposal(for: valueID),
                  verdict(on: proposal) == true // l.50
            else { continue }
            let signatures = roundMessages.precommits.votes(for: valueID).map {
                CommitSignature<C>(validator: $0.validator, signature: $0.signature)
            }
            let certificate = CommitCertificate<C>(height: height, round: decidedRound, valueID: valueID,
                                                   signatures: signatures)
            let decided = Decision(proposal: proposal, certificate: certificate)
            decision = decided // l.51; l.52–54 wait for the driver's `.startHeight(h + 1)`
            output.append(.decide(decided))
            return true
        }
        return false
    }

    // Alg.1 l.55–56: f+1 messages of a higher round: join it.
    private mutating func skipToHigherRound(_ set: ValidatorSet<C>) -> Bool {
        guard let messages else { return false }
        var target: Int?
        for (candidate, roundMessages) in messages.rounds
        where candidate > round && set.exceedsOneThird(roundMessages.senderPower) {
            target = max(target ?? candidate, candidate)
        }
        guard let target else { return false }
        startRound(target)
        return true
    }

    // Alg.1 l.22–27 (vr = -1) and l.28–33 (vr ≥ 0 with a polka in vr).
    private mutating func prevoteOnProposal(_ set: ValidatorSet<C>) -> Bool {
        guard let roundMessages = messages?[round] else { return false }
        for proposal in roundMessages.proposals {
            let valueID = proposal.valueID
            let acceptable: Bool
            if proposal.validRound == -1 {
                acceptable = lockedRound == -1 || lockedValueID == valueID // l.23
            } else {
                guard let polka = messages?[proposal.validRound]?.prevotes,
                      set.isQuorum(polka.power(for: valueID)) else { continue } // l.28
                acceptable = lockedRound <= proposal.validRound || lockedValueID == valueID // l.29
            }
            if acceptable {
                guard let isValid = verdict(on: proposal) else { continue } // wait for valid(v)
                castVote(.prevote, for: isValid ? valueID : nil) // l.24/26, l.30/32
            } else {
                castVote(.prevote, for: nil) // l.26, l.32
            }
            step = .prevote // l.27, l.33
            return true
        }
        return false
    }

    // Alg.1 l.34–35: 2f+1 prevotes of any kind in this round, for the first time.
    private mutating func scheduleTimeoutPrevote(_ set: ValidatorSet<C>) -> Bool {
        guard step == .prevote, let roundMessages = messages?[round], !roundMessages.prevoteTimeoutScheduled,
              set.isQuorum(roundMessages.prevotes.totalPower) else { return false }
        messages?.update(round) { $0.prevoteTimeoutScheduled = true }
        schedule(.prevote)
        return true
    }

    // Alg.1 l.36–43: the proposal and 2f+1 prevotes for it in this round, step ≥ prevote,
    // for the first time: lock and precommit (if still at prevote), and remember it as valid.
    private mutating func precommitOnPolka(_ set: ValidatorSet<C>) -> Bool {
        guard step >= .prevote, let roundMessages = messages?[round], !roundMessages.polkaForValueHandled,
              case .some(.some(let valueID)) = roundMessages.prevotes.quorumValue(in: set),
              let proposal = roundMessages.proposal(for: valueID),
              verdict(on: proposal) == true else { return false }
        messages?.update(round) { $0.polkaForValueHandled = true }
        if step == .prevote { // l.37
            lockedValue = proposal.value // l.38
            lockedRound = round // l.39
            castVote(.precommit, for: valueID) // l.40
            step = .precommit // l.41
        }
        validValue = proposal.value // l.42
        validRound = round // l.43
        return true
    }

    // Alg.1 l.44–46: 2f+1 prevotes for nil.
    private mutating func precommitNilOnNilPolka(_ set: ValidatorSet<C>) -> Bool {
        guard step == .prevote, let roundMessages = messages?[round],
              set.isQuorum(roundMessages.prevotes.power(for: nil)) else { return false }
        castVote(.precommit, for: nil)
        step = .precommit
        return true
    }

    // Alg.1 l.47–48: 2f+1 precommits of any kind in this round, for the first time.
    private mutating func scheduleTimeoutPrecommit(_ set: ValidatorSet<C>) -> Bool {
        guard let roundMessages = messages?[round], !roundMessages.precommitTimeoutScheduled,
              set.isQuorum(roundMessages.precommits.totalPower) else { return false }
        messages?.update(round) { $0.precommitTimeoutScheduled = true }
        schedule(.precommit)
        return true
    }

    // MARK: Output

    /// Puts `.persist` right before the first broadcast when this call signed something, so the
    /// log holds every signed message (and the lock taken with it) before any of them leaves.
    private mutating func takeOutput() -> [Action] {
        var actions = output
        output = []
        if signedNewMessage, let first = actions.firstIndex(where: {
            if case .broadcast = $0 { true } else { false }
        }) {
            actions.insert(.persist(persistentState), at: first)
        }
        return actions
    }
}
