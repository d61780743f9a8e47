// Commit certificates (the precommits that decided a value) and equivocation evidence.

/// One validator's precommit signature inside a certificate.
public struct CommitSignature<C: ConsensusContext>: Hashable, Sendable {
    public let validator: C.ValidatorID
    public let signature: C.Signature

    public init(validator: C.ValidatorID, signature: C.Signature) {
        self.validator = validator
        self.signature = signature
    }
}

/// Why a commit certificate does not prove a decision.
public enum CertificateError<C: ConsensusContext>: Error, Equatable, Sendable {
    case unknownSigner(C.ValidatorID)
    case duplicateSigner(C.ValidatorID)
    case invalidSignature(C.ValidatorID)
    /// The valid signatures carry this much power, not more than 2/3 of `total`.
    case insufficientPower(signed: Int, total: Int)
}

/// More than 2/3 of the power precommitted `valueID` at (height, round): the value is decided.
/// Anyone holding the validator set of `height` can check it with `verify`.
public struct CommitCertificate<C: ConsensusContext>: Hashable, Sendable {
    public let height: Height
    public let round: Int
    public let valueID: C.ValueID
    /// Sorted by validator id.
    public let signatures: [CommitSignature<C>]

    public init(height: Height, round: Int, valueID: C.ValueID, signatures: [CommitSignature<C>]) {
        self.height = height
        self.round = round
        self.valueID = valueID
        self.signatures = signatures
    }

    /// The precommit each signature stands for.
    public var precommits: [Vote<C>] {
        signatures.map {
            Vote(type: .precommit, height: height, round: round, valueID: valueID,
                 validator: $0.validator, signature: $0.signature)
        }
    }

    /// Checks every signature over the canonical precommit bytes and that the signers hold
    /// more than 2/3 of `validators`' power. A caller checks that `valueID` is the one it expects.
    public func verify(against validators: ValidatorSet<C>, verifier: some SignatureVerifier<C>,
                       domain: [UInt8]) throws(CertificateError<C>) {
        let message = SigningBytes.vote(C.self, domain: domain, type: .precommit, height: height,
                                        round: round, valueID: valueID)
        var seen = Set<C.ValidatorID>()
        var power = 0
        for entry in signatures {
            guard validators.contains(entry.validator) else { throw .unknownSigner(entry.validator) }
            guard seen.insert(entry.validator).inserted else { throw .duplicateSigner(entry.validator) }
            guard verifier.isValid(entry.signature, of: message, by: entry.validator) else {
                throw .invalidSignature(entry.validator)
            }
            power += validators.power(of: entry.validator)
        }
        guard validators.isQuorum(power) else {
            throw .insufficientPower(signed: power, total: validators.totalPower)
        }
    }
}

/// Proof that a validator signed two conflicting messages for one height, round and step.
/// Both messages carry valid signatures (the core checks them before it keeps a message).
public enum Evidence<C: ConsensusContext>: Hashable, Sendable {
    case conflictingVotes(Vote<C>, Vote<C>)
    case conflictingProposals(Proposal<C>, Proposal<C>)

    public var validator: C.ValidatorID {
        switch self {
        case .conflictingVotes(let first, _): first.validator
        case .conflictingProposals(let first, _): first.proposer
        }
    }

    /// Re-checks the evidence: same signer, same height/round/step, different content, both
    /// signatures valid. What a node does before acting on evidence gossiped by someone else.
    public func isValid(verifier: some SignatureVerifier<C>, domain: [UInt8]) -> Bool {
        switch self {
        case .conflictingVotes(let first, let second):
            return first.validator == second.validator && first.type == second.type
                && first.height == second.height && first.round == second.round
                && first.valueID != second.valueID
                && verifier.isValid(first.signature, of: first.signedBytes(domain: domain), by: first.validator)
                && verifier.isValid(second.signature, of: second.signedBytes(domain: domain), by: second.validator)
        case .conflictingProposals(let first, let second):
            return first.proposer == second.proposer && first.height == second.height
                && first.round == second.round
                && (first.valueID != second.valueID || first.validRound != second.validRound)
                && verifier.isValid(first.signature, of: first.signedBytes(domain: domain), by: first.proposer)
                && verifier.isValid(second.signature, of: second.signedBytes(domain: domain), by: second.proposer)
        }
    }
}

/// What the core outputs when it decides: the proposal and the certificate that decided it.
public struct Decision<C: ConsensusContext>: Hashable, Sendable {
    public let proposal: Proposal<C>
    public let certificate: CommitCertificate<C>

    public init(proposal: Proposal<C>, certificate: CommitCertificate<C>) {
        self.proposal = proposal
        self.certificate = certificate
    }

    public var value: C.Value { proposal.value }
    public var height: Height { certificate.height }
}
