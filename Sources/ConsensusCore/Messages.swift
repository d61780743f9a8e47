// Proposals and votes, and the canonical bytes each of them signs.

/// The two kinds of vote in Algorithm 1.
public enum VoteType: UInt8, Sendable, Hashable, Comparable {
    case prevote = 1
    case precommit = 2

    public static func < (lhs: VoteType, rhs: VoteType) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A signed ⟨PREVOTE | PRECOMMIT, h, r, id(v) | nil⟩.
public struct Vote<C: ConsensusContext>: Hashable, Sendable {
    public let type: VoteType
    public let height: Height
    public let round: Int
    /// `nil` is a vote for nil.
    public let valueID: C.ValueID?
    public let validator: C.ValidatorID
    public let signature: C.Signature

    public init(type: VoteType, height: Height, round: Int, valueID: C.ValueID?,
                validator: C.ValidatorID, signature: C.Signature) {
        self.type = type
        self.height = height
        self.round = round
        self.valueID = valueID
        self.validator = validator
        self.signature = signature
    }

    /// The bytes `signature` covers.
    public func signedBytes(domain: [UInt8]) -> [UInt8] {
        SigningBytes.vote(C.self, domain: domain, type: type, height: height, round: round, valueID: valueID)
    }
}

/// A signed ⟨PROPOSAL, h, r, v, vr⟩ from the proposer of (h, r).
public struct Proposal<C: ConsensusContext>: Hashable, Sendable {
    public let height: Height
    public let round: Int
    public let value: C.Value
    /// The round in which the proposer saw a polka for `value`, or -1.
    public let validRound: Int
    public let proposer: C.ValidatorID
    public let signature: C.Signature

    public init(height: Height, round: Int, value: C.Value, validRound: Int,
                proposer: C.ValidatorID, signature: C.Signature) {
        self.height = height
        self.round = round
        self.value = value
        self.validRound = validRound
        self.proposer = proposer
        self.signature = signature
    }

    public var valueID: C.ValueID { C.id(of: value) }

    /// The bytes `signature` covers. It signs the value's id, not the value: a proposal for a
    /// block signs the block hash.
    public func signedBytes(domain: [UInt8]) -> [UInt8] {
        SigningBytes.proposal(C.self, domain: domain, height: height, round: round,
                              valueID: valueID, validRound: validRound)
    }
}

/// A message between validators.
public enum ConsensusMessage<C: ConsensusContext>: Hashable, Sendable {
    case proposal(Proposal<C>)
    case vote(Vote<C>)

    /// Whether the signature is its sender's over the canonical bytes (the core's check, and the
    /// driver's before it acts on a message on its own: catch-up, a second signer).
    public func isSigned(verifier: some SignatureVerifier<C>, domain: [UInt8]) -> Bool {
        switch self {
        case .proposal(let proposal):
            verifier.isValid(proposal.signature, of: proposal.signedBytes(domain: domain), by: proposal.proposer)
        case .vote(let vote):
            verifier.isValid(vote.signature, of: vote.signedBytes(domain: domain), by: vote.validator)
        }
    }

    public var height: Height {
        switch self {
        case .proposal(let proposal): proposal.height
        case .vote(let vote): vote.height
        }
    }

    public var round: Int {
        switch self {
        case .proposal(let proposal): proposal.round
        case .vote(let vote): vote.round
        }
    }

    public var sender: C.ValidatorID {
        switch self {
        case .proposal(let proposal): proposal.proposer
        case .vote(let vote): vote.validator
        }
    }
}

/// The canonical bytes of what a validator signs. The node's signer must sign exactly these.
///
/// Layout (all integers big-endian):
/// `domain length (2) ‖ domain ‖ kind (1: proposal, 2: prevote, 3: precommit) ‖ height (8) ‖
///  round (8)` then, for a vote, `0x00` (nil) or `0x01 ‖ id bytes`, and for a proposal,
/// `id bytes ‖ valid round (8, two's complement)`. The domain (e.g. a chain id) keeps a
/// signature from being replayed on another network.
public enum SigningBytes {
    public static func vote<C: ConsensusContext>(
        _: C.Type, domain: [UInt8], type: VoteType, height: Height, round: Int, valueID: C.ValueID?
    ) -> [UInt8] {
        var bytes = header(domain: domain, kind: type == .prevote ? 2 : 3, height: height, round: round)
        if let valueID {
            bytes.append(1)
            C.appendCanonicalBytes(of: valueID, to: &bytes)
        } else {
            bytes.append(0)
        }
        return bytes
    }

    public static func proposal<C: ConsensusContext>(
        _: C.Type, domain: [UInt8], height: Height, round: Int, valueID: C.ValueID, validRound: Int
    ) -> [UInt8] {
        var bytes = header(domain: domain, kind: 1, height: height, round: round)
        C.appendCanonicalBytes(of: valueID, to: &bytes)
        appendBigEndian(UInt64(bitPattern: Int64(validRound)), to: &bytes)
        return bytes
    }

    private static func header(domain: [UInt8], kind: UInt8, height: Height, round: Int) -> [UInt8] {
        precondition(domain.count <= Int(UInt16.max), "signing domain too long")
        var bytes: [UInt8] = []
        bytes.reserveCapacity(domain.count + 64)
        bytes.append(UInt8(domain.count >> 8))
        bytes.append(UInt8(domain.count & 0xff))
        bytes.append(contentsOf: domain)
        bytes.append(kind)
        appendBigEndian(height, to: &bytes)
        appendBigEndian(UInt64(bitPattern: Int64(round)), to: &bytes)
        return bytes
    }

    static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
