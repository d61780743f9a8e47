// Sources/D6GActors/RoundPlanning.swift: whom each step's challenge is sealed to, and that the
// commitments are the library's over the agent's wrapped image.
import D6GActors
import D6GProtocol
import LedgerCrypto
import LedgerPrimitives
import Testing

private struct Member {
    let account = PrivateKey.generate()
    let encryption = PrivateKey.generate()
    let image: [UInt8]

    init(_ index: Int) { image = Array("wrapped image \(index)".utf8) }

    func candidate(pending: Bool = false) -> RoundCandidate {
        RoundCandidate(address: account.address, encryptionKey: encryption.publicKey, pending: pending, image: image)
    }
}

private let deployment = Deployment(chainId: 1337, registry: Address(truncating: UInt256(0xABC)), keyExchange: Address(truncating: UInt256(2)))

@Test func eachStepIsSealedToTheProverBeforeIt() throws {
    let members = (0..<4).map(Member.init)
    let root = Member(9)
    let planned = try RoundPlanner.plan(round: 5, deadlineBlocks: 4, candidates: members.map { $0.candidate() },
                                        expectedRoot: (root.account.address, root.encryption.publicKey), deployment: deployment,
                                        shuffle: { $0 })
    #expect(planned.plan.steps.count == 4)
    for (index, step) in planned.plan.steps.enumerated() {
        let challenger = index == 0 ? root : members[index - 1]
        let secret = try step.secret
        #expect(secret.prover == members[index].account.address)
        #expect(step.sealedTo == challenger.account.address.description)
        let values = planned.commitments[index]
        // Only the intended challenger opens the blob, and it reveals the planned secret.
        #expect(deployment.openChallenge(values.sealedChallenge, round: 5, step: UInt64(index), challenger: challenger.account.address,
                                         key: challenger.encryption) == secret)
        #expect(deployment.openChallenge(values.sealedChallenge, round: 5, step: UInt64(index), challenger: members[index].account.address,
                                         key: members[index].encryption) == nil)
        // The evidence over the genuine image passes; over another image it does not.
        let evidence = try deployment.evidence(nonce: secret.nonce, round: 5, step: UInt64(index), prover: secret.prover,
                                               image: [members[index].image])
        #expect(deployment.evidenceCommit(round: 5, step: UInt64(index), prover: secret.prover, evidence: evidence) == values.evidenceCommit)
        let other = try deployment.evidence(nonce: secret.nonce, round: 5, step: UInt64(index), prover: secret.prover, image: [root.image])
        #expect(deployment.evidenceCommit(round: 5, step: UInt64(index), prover: secret.prover, evidence: other) != values.evidenceCommit)
        #expect(deployment.planCommit(round: 5, step: UInt64(index), prover: secret.prover, salt: secret.salt) == values.planCommit)
    }
    // Fresh randomness every step: no two nonces alike.
    #expect(Set(planned.plan.steps.map(\.nonce)).count == 4)
}

@Test func pendingProversAndStepsWithoutAChallengerAreTheSecaas() throws {
    let members = (0..<3).map(Member.init)
    let planned = try RoundPlanner.plan(round: 0, deadlineBlocks: 4,
                                        candidates: [members[0].candidate(), members[1].candidate(pending: true), members[2].candidate()],
                                        expectedRoot: nil, deployment: deployment, shuffle: { $0 })
    // Step 0 has no RoT to seal to; step 1's prover is PENDING; step 2 is sealed to step 1's prover.
    #expect(planned.commitments.map(\.sealedChallenge.isEmpty) == [true, true, false])
    #expect(planned.plan.steps.map(\.sealedTo) == [nil, nil, members[1].account.address.description])
}

@Test func theRootOfTrustNeverComesFirst() throws {
    let members = (0..<3).map(Member.init)
    let planned = try RoundPlanner.plan(round: 1, deadlineBlocks: 4, candidates: members.map { $0.candidate() },
                                        expectedRoot: (members[0].account.address, members[0].encryption.publicKey),
                                        deployment: deployment, shuffle: { $0 })
    #expect(try planned.plan.steps[0].secret.prover == members[1].account.address)
    #expect(planned.plan.steps[0].sealedTo == members[0].account.address.description)
    // Alone, it is the SECaaS's step.
    let alone = try RoundPlanner.plan(round: 2, deadlineBlocks: 4, candidates: [members[0].candidate()],
                                      expectedRoot: (members[0].account.address, members[0].encryption.publicKey),
                                      deployment: deployment, shuffle: { $0 })
    #expect(alone.commitments[0].sealedChallenge.isEmpty)
}

@Test func wrappedImagesDifferPerAgent() throws {
    let image = Array("the same software".utf8)
    let first = try ImageWrapping.wrap(image), second = try ImageWrapping.wrap(image)
    #expect(first != second)
    #expect(Array(first.prefix(image.count)) == image)
}

/// The programs find the contracts' events by topics derived from the compiled ABI: each one
/// they use exists (a renamed or reshaped event would give the zero topic and match nothing).
@Test func everyEventTheProgramsReadExists() {
    let zero = Hash32(UInt256.zero)
    for topic in [RegistryEvent.agentRegistered, RegistryEvent.challengeIssued, RegistryEvent.attestationRecorded,
                  RegistryEvent.agentMissed, RegistryEvent.agentRevoked, RegistryEvent.roundBegun,
                  KeyExchangeEvent.memberKeyed, KeyExchangeEvent.memberSkipped, KeyExchangeEvent.keyEpochPublished] {
        #expect(topic != zero)
    }
    #expect(RegistryEvent.challengeIssued == Keccak256.hash(Array("ChallengeIssued(uint64,uint64,address,address,bytes32)".utf8)))
    #expect(eventTopic("NoSuchEvent") == zero)
}
