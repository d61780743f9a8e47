// What the write-ahead log keeps so a restarted validator never signs twice or forgets a lock.

/// The step of the current round (Alg.1 l.4).
public enum Step: UInt8, Sendable, Hashable, Comparable {
    case propose, prevote, precommit

    public static func < (lhs: Step, rhs: Step) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The part of the core's state that must survive a crash: position, lock, valid value, and every
/// proposal and vote this validator signed at the current height. The driver writes it (fsynced)
/// when the core emits `.persist`, which always comes before the broadcast of a newly signed
/// message. `ConsensusCore(restoring:)` rebuilds a core from it that re-sends those messages
/// instead of signing new ones.
public struct ConsensusPersistentState<C: ConsensusContext>: Hashable, Sendable {
    public var height: Height
    public var round: Int
    public var step: Step
    public var lockedValue: C.Value?
    public var lockedRound: Int
    public var validValue: C.Value?
    public var validRound: Int
    /// Own signed proposals at `height`, by round.
    public var ownProposals: [Proposal<C>]
    /// Own signed votes at `height`, by round then type.
    public var ownVotes: [Vote<C>]

    public init(height: Height, round: Int, step: Step, lockedValue: C.Value?, lockedRound: Int,
                validValue: C.Value?, validRound: Int, ownProposals: [Proposal<C>], ownVotes: [Vote<C>]) {
        self.height = height
        self.round = round
        self.step = step
        self.lockedValue = lockedValue
        self.lockedRound = lockedRound
        self.validValue = validValue
        self.validRound = validRound
        self.ownProposals = ownProposals
        self.ownVotes = ownVotes
    }
}
