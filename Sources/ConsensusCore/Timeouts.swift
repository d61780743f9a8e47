// Timeouts are outputs (schedule) and inputs (expired): the core has no clock.

public enum TimeoutKind: UInt8, Sendable, Hashable {
    case propose, prevote, precommit
}

/// A timeout for one step of one round; it is stale once the core has moved past that round.
public struct Timeout: Hashable, Sendable {
    public let kind: TimeoutKind
    public let height: Height
    public let round: Int

    public init(kind: TimeoutKind, height: Height, round: Int) {
        self.kind = kind
        self.height = height
        self.round = round
    }
}

/// How long each step waits: `base + delta × round`, capped, in milliseconds. Growing timeouts
/// make every round after global stabilisation long enough for correct validators to hear each
/// other (the paper's liveness argument); the cap bounds recovery time after a long outage.
public struct TimeoutPolicy: Hashable, Sendable {
    public var proposeBase: Int
    public var proposeDelta: Int
    public var prevoteBase: Int
    public var prevoteDelta: Int
    public var precommitBase: Int
    public var precommitDelta: Int
    public var cap: Int

    public init(proposeBase: Int = 1000, proposeDelta: Int = 500,
                prevoteBase: Int = 500, prevoteDelta: Int = 250,
                precommitBase: Int = 500, precommitDelta: Int = 250,
                cap: Int = 10_000) {
        self.proposeBase = proposeBase
        self.proposeDelta = proposeDelta
        self.prevoteBase = prevoteBase
        self.prevoteDelta = prevoteDelta
        self.precommitBase = precommitBase
        self.precommitDelta = precommitDelta
        self.cap = cap
    }

    /// Milliseconds to wait for `kind` in `round`.
    public func duration(_ kind: TimeoutKind, round: Int) -> Int {
        let (base, delta) = switch kind {
        case .propose: (proposeBase, proposeDelta)
        case .prevote: (prevoteBase, prevoteDelta)
        case .precommit: (precommitBase, precommitDelta)
        }
        let rounds = min(round, (cap / max(delta, 1)) + 1) // keeps delta × round from overflowing
        return min(base + delta * rounds, cap)
    }
}

/// Everything about the core that is configuration rather than state.
public struct ConsensusConfiguration: Hashable, Sendable {
    public var timeouts: TimeoutPolicy
    /// Prefixed to everything signed (e.g. the chain id), see `SigningBytes`.
    public var signingDomain: [UInt8]
    /// How many distinct future rounds of the current height are kept per validator; beyond it
    /// the lowest is evicted (a correct validator's newest round is what lets us catch up, l.55).
    public var futureRoundsPerValidator: Int
    /// How many messages for the next height are kept per validator until that height starts.
    public var nextHeightMessagesPerValidator: Int

    public init(timeouts: TimeoutPolicy = TimeoutPolicy(), signingDomain: [UInt8] = Array("d6g-consensus".utf8),
                futureRoundsPerValidator: Int = 4, nextHeightMessagesPerValidator: Int = 16) {
        self.timeouts = timeouts
        self.signingDomain = signingDomain
        self.futureRoundsPerValidator = futureRoundsPerValidator
        self.nextHeightMessagesPerValidator = nextHeightMessagesPerValidator
    }
}
