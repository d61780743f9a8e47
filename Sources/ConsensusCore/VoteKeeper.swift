// The messages of one height, per round: proposals, vote tallies, who spoke in which round,
// equivocation detection and the bound on future rounds kept per validator.

/// How many different votes (or proposals) of one validator for one round and step are kept.
/// Alg.1 counts messages: an equivocator's vote for v counts towards v even if its vote for w
/// came first (quorums still intersect in a correct validator, so safety holds). Keeping a few
/// lets a correct node see the polka or commit its peers saw; beyond that, memory wins.
let maximumVotesPerValidator = 4

/// The votes of one type in one round.
struct VoteTally<C: ConsensusContext>: Sendable {
    /// Each validator's votes for distinct values, first one first.
    private(set) var votes: [C.ValidatorID: [Vote<C>]] = [:]
    /// Power behind each value id (nil for nil votes); a validator counts once per value.
    private(set) var powerFor: [C.ValueID?: Int] = [:]
    /// Power of the validators that voted at all (the paper's "2f + 1 ⟨·, h, r, ∗⟩"), each once.
    private(set) var totalPower = 0

    enum Insertion {
        case added
        case duplicate
        /// Added (or dropped beyond the bound), and conflicting with an earlier vote.
        case conflicting(with: Vote<C>)
    }

    func contains(_ vote: Vote<C>) -> Bool { votes[vote.validator]?.contains(vote) ?? false }

    mutating func insert(_ vote: Vote<C>, power: Int) -> Insertion {
        guard let existing = votes[vote.validator] else {
            votes[vote.validator] = [vote]
            powerFor[vote.valueID, default: 0] += power
            totalPower += power
            return .added
        }
        // The same vote signed twice (a signer with randomised signatures) is no equivocation.
        if existing.contains(where: { $0.valueID == vote.valueID }) { return .duplicate }
        if existing.count < maximumVotesPerValidator {
            votes[vote.validator]?.append(vote)
            powerFor[vote.valueID, default: 0] += power
        }
        return .conflicting(with: existing[0])
    }

    mutating func remove(_ validator: C.ValidatorID, power: Int) {
        guard let removed = votes.removeValue(forKey: validator) else { return }
        for vote in removed { powerFor[vote.valueID, default: 0] -= power }
        totalPower -= power
    }

    func power(for valueID: C.ValueID?) -> Int { powerFor[valueID] ?? 0 }

    /// A value id (possibly nil) with more than 2/3 of the power, if there is one. Two cannot
    /// both reach it unless more than a third of the power equivocated.
    func quorumValue(in validators: ValidatorSet<C>) -> C.ValueID?? {
        var found: C.ValueID?? = nil
        for (valueID, power) in powerFor where validators.isQuorum(power) {
            // Deterministic pick if faulty power exceeds the bound: prefer nil, then any.
            if found == nil || valueID == nil { found = .some(valueID) }
        }
        return found
    }

    /// The votes for `valueID`, sorted by validator.
    func votes(for valueID: C.ValueID) -> [Vote<C>] {
        votes.values.compactMap { $0.first { $0.valueID == valueID } }.sorted { $0.validator < $1.validator }
    }
}

/// Everything received for one round, plus the "for the first time" guards of Alg.1.
struct RoundMessages<C: ConsensusContext>: Sendable {
    /// Proposals from this round's proposer: the first, and a few conflicting ones at most.
    var proposals: [Proposal<C>] = []
    var prevotes = VoteTally<C>()
    var precommits = VoteTally<C>()
    /// Validators that sent anything in this round, and their power (Alg.1 l.55).
    var senders: Set<C.ValidatorID> = []
    var senderPower = 0

    var prevoteTimeoutScheduled = false // Alg.1 l.34 "for the first time"
    var precommitTimeoutScheduled = false // Alg.1 l.47 "for the first time"
    var polkaForValueHandled = false // Alg.1 l.36 "for the first time"

    func tally(_ type: VoteType) -> VoteTally<C> { type == .prevote ? prevotes : precommits }

    func proposal(for valueID: C.ValueID) -> Proposal<C>? {
        proposals.first { C.id(of: $0.value) == valueID }
    }
}

/// All messages of the current height.
struct HeightMessages<C: ConsensusContext>: Sendable {
    private(set) var rounds: [Int: RoundMessages<C>] = [:]
    /// Future rounds (above the current one) in which each validator has messages here.
    private var futureRounds: [C.ValidatorID: [Int]] = [:]
    private(set) var currentRound = 0
    let futureRoundLimit: Int
    let validators: ValidatorSet<C>

    init(validators: ValidatorSet<C>, futureRoundLimit: Int) {
        self.validators = validators
        self.futureRoundLimit = max(1, futureRoundLimit)
    }

    enum Insertion {
        case added
        case duplicate
        case conflicting(Evidence<C>)
        /// A future round beyond the per-validator bound, lower than the ones kept.
        case dropped
    }

    subscript(round: Int) -> RoundMessages<C>? { rounds[round] }

    mutating func setCurrentRound(_ round: Int) {
        currentRound = round
        for (validator, held) in futureRounds {
            let still = held.filter { $0 > round }
            futureRounds[validator] = still.isEmpty ? nil : still
        }
    }

    /// Whether the message is already here: checked before paying for signature verification.
    func contains(_ message: ConsensusMessage<C>) -> Bool {
        switch message {
        case .proposal(let proposal): rounds[proposal.round]?.proposals.contains(proposal) ?? false
        case .vote(let vote): rounds[vote.round]?.tally(vote.type).contains(vote) ?? false
        }
    }

    /// Adds a message whose sender is in the set and whose signature was checked.
    mutating func insert(_ message: ConsensusMessage<C>) -> Insertion {
        let round = message.round
        let sender = message.sender
        let power = validators.power(of: sender)
        if round > currentRound, !makeRoomForFutureRound(round, of: sender) { return .dropped }
        // Mutated in place: copying a round out of the dictionary would copy its tallies.
        return Self.insert(message, sender: sender, power: power, into: &rounds[round, default: RoundMessages()])
    }

    private static func insert(_ message: ConsensusMessage<C>, sender: C.ValidatorID, power: Int,
                               into messages: inout RoundMessages<C>) -> Insertion {
        if messages.senders.insert(sender).inserted { messages.senderPower += power }
        switch message {
        case .proposal(let proposal):
            if messages.proposals.contains(where: {
                $0.value == proposal.value && $0.validRound == proposal.validRound
            }) {
                return .duplicate
            }
            guard let first = messages.proposals.first else {
                messages.proposals.append(proposal)
                return .added
            }
            if messages.proposals.count < maximumVotesPerValidator { messages.proposals.append(proposal) }
            return .conflicting(.conflictingProposals(first, proposal))
        case .vote(let vote):
            let insertion = vote.type == .prevote
                ? messages.prevotes.insert(vote, power: power)
                : messages.precommits.insert(vote, power: power)
            switch insertion {
            case .added: return .added
            case .duplicate: return .duplicate
            case .conflicting(let existing): return .conflicting(.conflictingVotes(existing, vote))
            }
        }
    }

    /// Keeps at most `futureRoundLimit` future rounds per validator, evicting its lowest.
    private mutating func makeRoomForFutureRound(_ round: Int, of validator: C.ValidatorID) -> Bool {
        var held = futureRounds[validator] ?? []
        if held.contains(round) { return true }
        if held.count >= futureRoundLimit {
            guard let lowest = held.min(), round > lowest else { return false }
            held.removeAll { $0 == lowest }
            evict(validator, from: lowest)
        }
        held.append(round)
        futureRounds[validator] = held
        return true
    }

    private mutating func evict(_ validator: C.ValidatorID, from round: Int) {
        guard rounds[round]?.senders.contains(validator) == true else { return }
        let power = validators.power(of: validator)
        update(round) { messages in
            messages.senders.remove(validator)
            messages.senderPower -= power
            messages.prevotes.remove(validator, power: power)
            messages.precommits.remove(validator, power: power)
            messages.proposals.removeAll { $0.proposer == validator }
        }
    }

    mutating func update(_ round: Int, _ body: (inout RoundMessages<C>) -> Void) {
        body(&rounds[round, default: RoundMessages()])
    }
}
