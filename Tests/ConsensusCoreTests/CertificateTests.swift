// Commit certificates verified against the validator set, and equivocation evidence.

import ConsensusCore
import ConsensusSimulation
import Testing

private func certificate(signedBy signers: [Int], value: SimulatedValue = Fixture.a,
                         round: Int = 0) -> CommitCertificate<Context> {
    let signatures = signers.map { signer in
        CommitSignature<Context>(validator: signer,
                                 signature: Fixture.vote(.precommit, by: signer, round: round, value).signature)
    }
    return CommitCertificate(height: 1, round: round, valueID: value, signatures: signatures)
}

private func verify(_ certificate: CommitCertificate<Context>) throws(CertificateError<Context>) {
    try certificate.verify(against: Fixture.validators, verifier: FakeVerifier(), domain: Fixture.domain)
}

@Test func certificateWithAQuorumVerifies() throws {
    try verify(certificate(signedBy: [0, 1, 2]))
    try verify(certificate(signedBy: [3, 1, 2, 0]))
}

@Test func certificateWithoutAQuorumFails() {
    #expect(throws: CertificateError<Context>.insufficientPower(signed: 2, total: 4)) {
        try verify(certificate(signedBy: [0, 1]))
    }
}

@Test func certificateForAnotherValueFails() {
    let signed = certificate(signedBy: [0, 1, 2], value: Fixture.a)
    let relabelled = CommitCertificate<Context>(height: 1, round: 0, valueID: Fixture.b, signatures: signed.signatures)
    #expect(throws: CertificateError<Context>.invalidSignature(0)) { try verify(relabelled) }
    let otherRound = CommitCertificate<Context>(height: 1, round: 1, valueID: Fixture.a, signatures: signed.signatures)
    #expect(throws: CertificateError<Context>.invalidSignature(0)) { try verify(otherRound) }
}

@Test func certificateWithAForgedSignatureFails() {
    var signatures = certificate(signedBy: [0, 1, 2]).signatures
    signatures[1] = CommitSignature(validator: 1, signature: signatures[1].signature ^ 1)
    #expect(throws: CertificateError<Context>.invalidSignature(1)) {
        try verify(CommitCertificate(height: 1, round: 0, valueID: Fixture.a, signatures: signatures))
    }
    // Validator 3 cannot sign in validator 1's name.
    signatures[1] = CommitSignature(validator: 1, signature: certificate(signedBy: [3]).signatures[0].signature)
    #expect(throws: CertificateError<Context>.invalidSignature(1)) {
        try verify(CommitCertificate(height: 1, round: 0, valueID: Fixture.a, signatures: signatures))
    }
}

@Test func certificateWithADuplicateSignerFails() {
    #expect(throws: CertificateError<Context>.duplicateSigner(1)) { try verify(certificate(signedBy: [0, 1, 1])) }
}

@Test func certificateWithAnUnknownSignerFails() {
    #expect(throws: CertificateError<Context>.unknownSigner(9)) { try verify(certificate(signedBy: [0, 1, 9])) }
}

@Test func conflictingVotesProduceEvidenceWithBothSignedVotes() throws {
    var core = Fixture.core()
    let first = Fixture.vote(.prevote, by: 2, round: 0, Fixture.a)
    let second = Fixture.vote(.prevote, by: 2, round: 0, Fixture.b)
    #expect(core.handle(.receive(.vote(first))).isEmpty)
    let actions = core.handle(.receive(.vote(second)))
    #expect(actions == [.reportEvidence(.conflictingVotes(first, second))])
    let evidence = Evidence<Context>.conflictingVotes(first, second)
    #expect(evidence.isValid(verifier: FakeVerifier(), domain: Fixture.domain))
    // The same vote again is no evidence; nor is a pair with a forged member.
    #expect(core.handle(.receive(.vote(first))).isEmpty)
    let forged = Vote<Context>(type: .prevote, height: 1, round: 0, valueID: Fixture.b, validator: 2, signature: 7)
    #expect(!Evidence<Context>.conflictingVotes(first, forged).isValid(verifier: FakeVerifier(), domain: Fixture.domain))
}

@Test func conflictingProposalsProduceEvidence() {
    var core = Fixture.core()
    let first = Fixture.proposal(Fixture.a, round: 0)
    let second = Fixture.proposal(Fixture.b, round: 0)
    _ = core.handle(.receive(.proposal(first)))
    let evidence = core.handle(.receive(.proposal(second))).compactMap { action -> Evidence<Context>? in
        if case .reportEvidence(let evidence) = action { evidence } else { nil }
    }
    #expect(evidence == [.conflictingProposals(first, second)])
    #expect(evidence.first?.isValid(verifier: FakeVerifier(), domain: Fixture.domain) == true)
}

@Test func syncedCommitDecidesOnlyWithAValidCertificate() {
    let proposal = Fixture.proposal(Fixture.a, round: 0)
    var core = Fixture.core()
    let weak = Decision(proposal: proposal, certificate: certificate(signedBy: [1, 2]))
    #expect(core.handle(.receiveCommit(weak)).isEmpty)
    let strong = Decision(proposal: proposal, certificate: certificate(signedBy: [1, 2, 3]))
    #expect(core.handle(.receiveCommit(strong)).map(Fixture.describe) == ["validate A"])
    #expect(core.handle(.valid(Fixture.a)).map(Fixture.describe) == ["decide r0 A"])
}
