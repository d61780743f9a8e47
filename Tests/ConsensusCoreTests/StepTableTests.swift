// One table per rule of Algorithm 1: each row is an input, the actions expected, the state after.
// Validator 0's view of a 4-validator network; proposer(1, r) = (1 + r) mod 4, so 0 proposes in r3.

import ConsensusCore
import ConsensusSimulation
import Testing

private func run(_ rows: [StepRow], on start: Core = Fixture.core(), sourceLocation: SourceLocation = #_sourceLocation) -> Core {
    var core = start
    for (index, row) in rows.enumerated() {
        let actions = core.handle(row.input).map(Fixture.describe)
        #expect(actions == row.actions, "row \(index)", sourceLocation: sourceLocation)
        if let round = row.round { #expect(core.round == round, "row \(index) round", sourceLocation: sourceLocation) }
        if let step = row.step { #expect(core.step == step, "row \(index) step", sourceLocation: sourceLocation) }
        if let locked = row.lockedRound {
            #expect(core.lockedRound == locked, "row \(index) lockedRound", sourceLocation: sourceLocation)
        }
        if let valid = row.validRound {
            #expect(core.validRound == valid, "row \(index) validRound", sourceLocation: sourceLocation)
        }
    }
    return core
}

/// Rows that lock validator 0 on A in round 0 (polka for A, l.36).
private let lockOnAInRoundZero: [StepRow] = [
    StepRow(.proposalFor(Fixture.a, round: 0), ["validate A"]),
    StepRow(.valid(Fixture.a), ["persist", "prevote r0 A"], step: .prevote),
    StepRow(.prevote(by: 1, round: 0, Fixture.a)),
    StepRow(.prevote(by: 2, round: 0, Fixture.a), ["timeout prevote r0", "persist", "precommit r0 A"],
            step: .precommit, lockedRound: 0, validRound: 0),
]

@Test func startRoundAsNonProposerSchedulesTimeoutPropose() { // l.11–14, l.21
    var core = Core(signer: FakeSigner(validator: 0), verifier: FakeVerifier())
    let actions = core.handle(.startHeight(1, validators: Fixture.validators)).map(Fixture.describe)
    #expect(actions == ["timeout propose r0"])
    #expect(core.round == 0 && core.step == .propose && core.lockedRound == -1 && core.validRound == -1)
}

@Test func startRoundAsProposerAsksForAValueThenProposesAndPrevotesIt() { // l.14–19, l.22
    var core = Core(signer: FakeSigner(validator: 1), verifier: FakeVerifier())
    #expect(core.handle(.startHeight(1, validators: Fixture.validators)).map(Fixture.describe)
        == ["getValue r0", "timeout propose r0"])
    let actions = core.handle(.proposeValue(Fixture.a, height: 1, round: 0)).map(Fixture.describe)
    #expect(actions == ["persist", "propose r0 A vr-1", "prevote r0 A"])
    #expect(core.step == .prevote)
    // A late or repeated answer signs nothing more.
    #expect(core.handle(.proposeValue(Fixture.b, height: 1, round: 0)).isEmpty)
}

@Test func validProposalGetsAPrevoteAfterValidation() { // l.22–24, l.27
    _ = run([
        StepRow(.proposalFor(Fixture.a, round: 0), ["validate A"], step: .propose),
        StepRow(.valid(Fixture.a), ["persist", "prevote r0 A"], step: .prevote),
    ])
}

@Test func invalidProposalGetsANilPrevote() { // l.22–23, l.25–27
    _ = run([
        StepRow(.proposalFor(Fixture.bad, round: 0), ["validate BAD"]),
        StepRow(.valid(Fixture.bad), ["persist", "prevote r0 nil"], step: .prevote),
    ])
}

@Test func proposalFromAnotherThanTheProposerIsIgnored() { // l.22 "from proposer(h, r)"
    let forged = Proposal<Context>(height: 1, round: 0, value: Fixture.a, validRound: -1, proposer: 2,
                                   signature: FakeSigner(validator: 2).sign(
                                       SigningBytes.proposal(Context.self, domain: Fixture.domain, height: 1, round: 0,
                                                             valueID: Fixture.a, validRound: -1)))
    _ = run([StepRow(.receive(.proposal(forged)), [], step: .propose)])
}

@Test func forgedSignaturesAreDropped() {
    let genuine = Fixture.vote(.prevote, by: 1, round: 0, Fixture.a)
    let forged = Vote<Context>(type: .prevote, height: 1, round: 0, valueID: Fixture.b, validator: 1,
                               signature: genuine.signature)
    var core = run([
        StepRow(.receive(.vote(forged))),
        StepRow(.prevote(by: 2, round: 0, Fixture.b)),
        StepRow(.prevote(by: 3, round: 0, Fixture.b)),
    ])
    // Had the forged vote counted, 1, 2, 3 would be a quorum of prevotes (l.34 timeout).
    #expect(core.handle(.timeout(.propose, round: 0)).map(Fixture.describe)
        == ["persist", "prevote r0 nil", "timeout prevote r0"])
}

@Test func lockedValidatorPrevotesNilForAnotherValueWithoutValidating() { // l.23 lock check, l.26
    _ = run(lockOnAInRoundZero + [
        StepRow(.precommit(by: 1, round: 0, nil)),
        StepRow(.precommit(by: 2, round: 0, nil), ["timeout precommit r0"]),
        StepRow(.timeout(.precommit, round: 0), ["timeout propose r1"], round: 1, step: .propose),
        StepRow(.proposalFor(Fixture.b, round: 1), ["persist", "prevote r1 nil"], step: .prevote, lockedRound: 0),
    ])
}

@Test func lockedValidatorPrevotesItsLockedValueAgain() { // l.23 "lockedValue = v"
    _ = run(lockOnAInRoundZero + [
        StepRow(.precommit(by: 1, round: 0, nil)),
        StepRow(.precommit(by: 2, round: 0, nil), ["timeout precommit r0"]),
        StepRow(.timeout(.precommit, round: 0), ["timeout propose r1"], round: 1),
        StepRow(.proposalFor(Fixture.a, round: 1), ["persist", "prevote r1 A"], lockedRound: 0),
    ])
}

@Test func polkaAfterTheLockUnlocks() { // l.28–30: lockedRound ≤ vr
    _ = run(lockOnAInRoundZero + [
        StepRow(.precommit(by: 1, round: 0, nil)),
        StepRow(.precommit(by: 2, round: 0, nil), ["timeout precommit r0"]),
        StepRow(.timeout(.precommit, round: 0), ["timeout propose r1"], round: 1),
        // Round 1: the others saw B and prevoted it; we timed out (nil) and never saw B's proposal.
        StepRow(.timeout(.propose, round: 1), ["persist", "prevote r1 nil"]),
        StepRow(.prevote(by: 1, round: 1, Fixture.b)),
        StepRow(.prevote(by: 2, round: 1, Fixture.b), ["timeout prevote r1"]),
        StepRow(.prevote(by: 3, round: 1, Fixture.b)),
        StepRow(.timeout(.prevote, round: 1), ["persist", "precommit r1 nil"], step: .precommit),
        StepRow(.precommit(by: 1, round: 1, nil)),
        StepRow(.precommit(by: 2, round: 1, nil), ["timeout precommit r1"]),
        StepRow(.timeout(.precommit, round: 1), ["timeout propose r2"], round: 2),
        // Round 2: B again with vr = 1 ≥ lockedRound 0: prevote B though locked on A.
        StepRow(.proposalFor(Fixture.b, round: 2, validRound: 1), ["validate B"]),
        StepRow(.valid(Fixture.b), ["persist", "prevote r2 B"], step: .prevote, lockedRound: 0),
    ])
}

@Test func polkaBeforeTheLockDoesNotUnlock() { // l.29 fails: vr < lockedRound and v ≠ lockedValue
    // Lock on A in round 1 while B had a polka in round 0 that we missed: B with vr 0 gets nil.
    _ = run([
        StepRow(.timeout(.propose, round: 0), ["persist", "prevote r0 nil"]),
        StepRow(.prevote(by: 1, round: 0, Fixture.b)),
        StepRow(.prevote(by: 2, round: 0, Fixture.b), ["timeout prevote r0"]),
        StepRow(.prevote(by: 3, round: 0, Fixture.b)),
        StepRow(.timeout(.prevote, round: 0), ["persist", "precommit r0 nil"]),
        StepRow(.precommit(by: 1, round: 0, nil)),
        StepRow(.precommit(by: 2, round: 0, nil), ["timeout precommit r0"]),
        StepRow(.timeout(.precommit, round: 0), ["timeout propose r1"], round: 1),
        StepRow(.proposalFor(Fixture.a, round: 1), ["validate A"]),
        StepRow(.valid(Fixture.a), ["persist", "prevote r1 A"]),
        StepRow(.prevote(by: 1, round: 1, Fixture.a)),
        StepRow(.prevote(by: 2, round: 1, Fixture.a), ["timeout prevote r1", "persist", "precommit r1 A"],
                lockedRound: 1),
        StepRow(.precommit(by: 1, round: 1, nil)),
        StepRow(.precommit(by: 2, round: 1, nil), ["timeout precommit r1"]),
        StepRow(.timeout(.precommit, round: 1), ["timeout propose r2"], round: 2),
        StepRow(.proposalFor(Fixture.b, round: 2, validRound: 0), ["persist", "prevote r2 nil"], lockedRound: 1),
    ])
}

@Test func proposalWithValidRoundWaitsForItsPolka() { // l.28 needs 2f+1 prevotes in vr
    _ = run([
        StepRow(.timeout(.propose, round: 0), ["persist", "prevote r0 nil"]),
        StepRow(.prevote(by: 1, round: 0, Fixture.b)),
        StepRow(.prevote(by: 2, round: 0, Fixture.b), ["timeout prevote r0"]),
        StepRow(.timeout(.prevote, round: 0), ["persist", "precommit r0 nil"]),
        StepRow(.precommit(by: 1, round: 0, nil)),
        StepRow(.precommit(by: 2, round: 0, nil), ["timeout precommit r0"]),
        StepRow(.timeout(.precommit, round: 0), ["timeout propose r1"], round: 1),
        StepRow(.proposalFor(Fixture.b, round: 1, validRound: 0), [], step: .propose), // 2 of 3 prevotes: wait
        StepRow(.prevote(by: 3, round: 0, Fixture.b), ["validate B"]), // late prevote completes the polka
        StepRow(.valid(Fixture.b), ["persist", "prevote r1 B"], step: .prevote),
    ])
}

@Test func prevoteTimeoutIsScheduledOnceOnAnyQuorum() { // l.34–35
    _ = run([
        StepRow(.timeout(.propose, round: 0), ["persist", "prevote r0 nil"], step: .prevote),
        StepRow(.prevote(by: 1, round: 0, Fixture.a)),
        StepRow(.prevote(by: 2, round: 0, Fixture.b), ["timeout prevote r0"]),
        StepRow(.prevote(by: 3, round: 0, nil)),
        StepRow(.timeout(.prevote, round: 0), ["persist", "precommit r0 nil"], step: .precommit, lockedRound: -1),
    ])
}

@Test func polkaForAValueLocksAndPrecommits() { // l.36–43
    _ = run(lockOnAInRoundZero)
}

@Test func latePolkaAfterPrecommitOnlyUpdatesTheValidValue() { // l.36 with step = precommit: l.42–43 only
    let core = run([
        StepRow(.proposalFor(Fixture.a, round: 0), ["validate A"]),
        StepRow(.valid(Fixture.a), ["persist", "prevote r0 A"]),
        StepRow(.prevote(by: 1, round: 0, nil)),
        StepRow(.prevote(by: 2, round: 0, Fixture.a), ["timeout prevote r0"]),
        StepRow(.timeout(.prevote, round: 0), ["persist", "precommit r0 nil"], step: .precommit),
        StepRow(.prevote(by: 3, round: 0, Fixture.a), [], step: .precommit, lockedRound: -1, validRound: 0),
    ])
    #expect(core.validValue == Fixture.a && core.lockedValue == nil)
}

@Test func polkaForNilPrecommitsNil() { // l.44–46
    _ = run([
        StepRow(.proposalFor(Fixture.bad, round: 0), ["validate BAD"]),
        StepRow(.valid(Fixture.bad), ["persist", "prevote r0 nil"]),
        StepRow(.prevote(by: 1, round: 0, nil)),
        StepRow(.prevote(by: 2, round: 0, nil), ["timeout prevote r0", "persist", "precommit r0 nil"],
                step: .precommit, lockedRound: -1),
    ])
}

@Test func precommitTimeoutIsScheduledOnceOnAnyQuorum() { // l.47–48, l.65–67
    _ = run([
        StepRow(.precommit(by: 1, round: 0, Fixture.a)),
        StepRow(.precommit(by: 2, round: 0, nil)),
        StepRow(.precommit(by: 3, round: 0, Fixture.b), ["timeout precommit r0"], step: .propose),
        StepRow(.timeout(.precommit, round: 0), ["timeout propose r1"], round: 1, step: .propose),
    ])
}

@Test func quorumOfPrecommitsWithTheProposalDecides() { // l.49–51
    var core = run(lockOnAInRoundZero + [
        StepRow(.precommit(by: 1, round: 0, Fixture.a)),
        StepRow(.precommit(by: 2, round: 0, Fixture.a), ["decide r0 A"]),
        StepRow(.precommit(by: 3, round: 0, Fixture.a), []), // decided: the height is over
    ])
    let decision = try! #require(core.decision)
    #expect(decision.certificate.signatures.map(\.validator) == [0, 1, 2])
    #expect(throws: Never.self) {
        try decision.certificate.verify(against: Fixture.validators, verifier: FakeVerifier(), domain: Fixture.domain)
    }
    // l.52–54: the next height starts when the driver says so, with fresh lock and valid values.
    #expect(core.handle(.startHeight(2, validators: Fixture.validators)).map(Fixture.describe)
        == ["timeout propose r0"])
    #expect(core.height == 2 && core.lockedRound == -1 && core.validRound == -1 && core.decision == nil)
}

@Test func latePrecommitsOfAnEarlierRoundStillDecide() { // l.49 for any round r
    _ = run([
        StepRow(.timeout(.propose, round: 0), ["persist", "prevote r0 nil"]),
        StepRow(.precommit(by: 1, round: 0, nil)),
        StepRow(.precommit(by: 2, round: 0, nil)),
        StepRow(.precommit(by: 3, round: 0, nil), ["timeout precommit r0"]),
        StepRow(.timeout(.precommit, round: 0), ["timeout propose r1"], round: 1),
        StepRow(.timeout(.precommit, round: 0), [], round: 1), // stale timeout
        // Round 1's proposal and its precommits arrive after we moved to round 2.
        StepRow(.precommit(by: 1, round: 1, Fixture.b)),
        StepRow(.precommit(by: 2, round: 1, Fixture.b)),
        StepRow(.precommit(by: 3, round: 1, Fixture.b), ["timeout precommit r1"]),
        StepRow(.timeout(.precommit, round: 1), ["timeout propose r2"], round: 2),
        StepRow(.proposalFor(Fixture.b, round: 1), ["validate B"]),
        StepRow(.valid(Fixture.b), ["decide r1 B"]),
    ])
}

@Test func decisionNeedsAValidValue() { // l.50
    _ = run([
        StepRow(.proposalFor(Fixture.bad, round: 0), ["validate BAD"]),
        StepRow(.precommit(by: 1, round: 0, Fixture.bad)),
        StepRow(.precommit(by: 2, round: 0, Fixture.bad)),
        StepRow(.precommit(by: 3, round: 0, Fixture.bad), ["timeout precommit r0"]),
        StepRow(.valid(Fixture.bad), ["persist", "prevote r0 nil"], step: .prevote),
    ])
}

@Test func oneThirdInAHigherRoundSkipsToIt() { // l.55–56
    _ = run([
        StepRow(.prevote(by: 1, round: 3, nil), [], round: 0), // f = 1: one is not enough
        StepRow(.precommit(by: 2, round: 3, nil), ["getValue r3", "timeout propose r3"], round: 3, step: .propose),
    ])
}

@Test func timeoutsFireOnlyInTheirStep() { // l.57–67
    _ = run([
        StepRow(.timeout(.prevote, round: 0), [], step: .propose),
        StepRow(.timeout(.propose, round: 0), ["persist", "prevote r0 nil"], step: .prevote),
        StepRow(.timeout(.propose, round: 0), [], step: .prevote),
        StepRow(.timeout(.prevote, round: 0), ["persist", "precommit r0 nil"], step: .precommit),
        StepRow(.timeout(.prevote, round: 0), [], step: .precommit),
        StepRow(.timeout(.propose, round: 5), [], round: 0), // another round's timeout is stale
        StepRow(.timeout(.precommit, round: 0), ["timeout propose r1"], round: 1, step: .propose),
    ])
}

@Test func proposerReproposesItsValidValue() { // l.15–16, l.19 with vr = validRound
    // Validator 0 proposes in round 3; give it a valid value (polka for A) in round 2.
    var core = Fixture.core()
    _ = core.handle(.prevote(by: 1, round: 2, nil))
    _ = core.handle(.prevote(by: 2, round: 2, nil)) // f+1: jump to round 2
    #expect(core.round == 2)
    _ = core.handle(.proposalFor(Fixture.a, round: 2))
    _ = core.handle(.valid(Fixture.a))
    _ = core.handle(.prevote(by: 3, round: 2, Fixture.a))
    _ = core.handle(.prevote(by: 1, round: 2, Fixture.a)) // a conflicting prevote of 1 for A: counts for A
    #expect(core.validRound == 2)
    _ = core.handle(.precommit(by: 1, round: 2, nil))
    _ = core.handle(.precommit(by: 2, round: 2, nil))
    let actions = core.handle(.timeout(.precommit, round: 2)).map(Fixture.describe)
    #expect(actions == ["persist", "propose r3 A vr2", "timeout propose r3", "prevote r3 A"])
}

@Test func messagesForTheNextHeightWaitForIt() {
    var core = Fixture.core()
    #expect(core.handle(.receive(.proposal(Fixture.proposal(Fixture.b, round: 0, height: 2)))).isEmpty)
    let actions = core.handle(.startHeight(2, validators: Fixture.validators)).map(Fixture.describe)
    #expect(actions == ["timeout propose r0", "validate B"])
}

@Test func futureRoundsArePerValidatorBounded() {
    var core = Fixture.core()
    // Validator 1 floods rounds 1…10: only its 4 highest (7…10) are kept.
    for round in 1...10 { _ = core.handle(.prevote(by: 1, round: round, nil)) }
    _ = core.handle(.prevote(by: 2, round: 1, nil))
    #expect(core.round == 0, "round 1 of validator 1 should have been evicted")
    _ = core.handle(.prevote(by: 2, round: 9, nil))
    #expect(core.round == 9)
}

@Test func precommitTimeoutIsNotScheduledAgainByLaterPrecommits() { // l.47 "for the first time"
    _ = run([
        StepRow(.timeout(.propose, round: 0), ["persist", "prevote r0 nil"], step: .prevote),
        StepRow(.timeout(.prevote, round: 0), ["persist", "precommit r0 nil"], step: .precommit),
        StepRow(.precommit(by: 1, round: 0, Fixture.a)),
        StepRow(.precommit(by: 2, round: 0, nil), ["timeout precommit r0"]), // 0, 1, 2: a quorum of anything
        StepRow(.precommit(by: 3, round: 0, Fixture.b), [], round: 0, step: .precommit),
    ])
}

@Test func nilPolkaSeenBeforePrevotingActsOnlyOnceThePrevoteIsCast() { // l.34 and l.44 need step = prevote
    _ = run([
        StepRow(.prevote(by: 1, round: 0, nil)),
        StepRow(.prevote(by: 2, round: 0, nil)),
        StepRow(.prevote(by: 3, round: 0, nil), [], step: .propose), // still waiting for the proposal
        StepRow(.timeout(.propose, round: 0), ["persist", "prevote r0 nil", "timeout prevote r0", "precommit r0 nil"],
                step: .precommit, lockedRound: -1),
    ])
}

@Test func onlyValidatorsSignedMessagesWaitForTheNextHeight() {
    var core = Fixture.core(me: 0, height: 1)
    let genuine = Fixture.vote(.precommit, by: 1, round: 3, nil, height: 2)
    let bytes = SigningBytes.vote(Context.self, domain: Fixture.domain, type: .precommit, height: 2, round: 3, valueID: nil)
    // Validator 2's name with validator 3's signature, and a sender outside the set.
    let forged = Vote<Context>(type: .precommit, height: 2, round: 3, valueID: nil, validator: 2,
                               signature: FakeSigner(validator: 3, scheme: Fixture.scheme).sign(bytes))
    let outsider = Vote<Context>(type: .precommit, height: 2, round: 3, valueID: nil, validator: 9,
                                 signature: FakeSigner(validator: 9, scheme: Fixture.scheme).sign(bytes))
    for vote in [genuine, forged, outsider] { _ = core.handle(.receive(.vote(vote))) }
    // Had the forgery or the outsider been kept, f + 1 senders of round 3 would move h = 2 there (l.55).
    _ = core.handle(.startHeight(2, validators: Fixture.validators))
    #expect(core.height == 2 && core.round == 0)
    _ = core.handle(.receive(.vote(Fixture.vote(.precommit, by: 2, round: 3, nil, height: 2))))
    #expect(core.round == 3)
}

@Test func aPolkaForAnInvalidValueGetsNoPrecommitAndNoLock() { // l.36: valid(v) guards l.37–43
    let core = run([
        StepRow(.proposalFor(Fixture.bad, round: 0), ["validate BAD"]),
        StepRow(.valid(Fixture.bad), ["persist", "prevote r0 nil"], step: .prevote),
        StepRow(.prevote(by: 1, round: 0, Fixture.bad), [], step: .prevote),
        StepRow(.prevote(by: 2, round: 0, Fixture.bad), ["timeout prevote r0"], step: .prevote),
        StepRow(.prevote(by: 3, round: 0, Fixture.bad), [], step: .prevote), // 3 of 4 for BAD: a polka
    ])
    #expect(core.lockedRound == -1 && core.lockedValue == nil && core.validRound == -1)
}
