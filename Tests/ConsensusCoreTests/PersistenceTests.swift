// The write-ahead log contract: persist before any newly signed message leaves, and a core
// restored from the log never signs a different message for a step it already signed.

import ConsensusCore
import ConsensusSimulation
import Testing

@Test func persistComesBeforeTheBroadcastAndHoldsWhatIsBroadcast() throws {
    var core = Fixture.core()
    _ = core.handle(.proposalFor(Fixture.a, round: 0))
    _ = core.handle(.valid(Fixture.a))
    _ = core.handle(.prevote(by: 1, round: 0, Fixture.a))
    let actions = core.handle(.prevote(by: 2, round: 0, Fixture.a))
    let persistIndex = try #require(actions.firstIndex { if case .persist = $0 { true } else { false } })
    let broadcastIndex = try #require(actions.firstIndex { if case .broadcast = $0 { true } else { false } })
    #expect(persistIndex < broadcastIndex)
    guard case .persist(let state) = actions[persistIndex], case .broadcast(.vote(let precommit)) = actions[broadcastIndex]
    else { Issue.record("unexpected actions \(actions)"); return }
    #expect(state.ownVotes.contains(precommit))
    #expect(state.lockedValue == Fixture.a && state.lockedRound == 0 && state.step == .precommit)
    #expect(state == core.persistentState)
}

@Test func restoredCoreResendsItsVotesAndKeepsItsLock() {
    var core = Fixture.core()
    _ = core.handle(.proposalFor(Fixture.a, round: 0))
    _ = core.handle(.valid(Fixture.a))
    _ = core.handle(.prevote(by: 1, round: 0, Fixture.a))
    _ = core.handle(.prevote(by: 2, round: 0, Fixture.a))
    let log = core.persistentState

    var restored = Core(signer: FakeSigner(validator: 0), verifier: FakeVerifier())
    let actions = restored.handle(.restore(log, validators: Fixture.validators)).map(Fixture.describe)
    #expect(actions == ["prevote r0 A", "precommit r0 A"]) // re-sent, not re-signed: no persist
    #expect(restored.persistentState == log)
    // A nil-prevote timeout for the round it already prevoted in signs nothing.
    #expect(restored.handle(.timeout(.prevote, round: 0)).isEmpty)
    // Round 1 with another value and no newer polka: the restored lock refuses it.
    _ = restored.handle(.precommit(by: 1, round: 0, nil))
    _ = restored.handle(.precommit(by: 2, round: 0, nil))
    _ = restored.handle(.timeout(.precommit, round: 0))
    #expect(restored.handle(.proposalFor(Fixture.b, round: 1)).map(Fixture.describe) == ["persist", "prevote r1 nil"])
}

@Test func restoredProposerDoesNotProposeAnotherValue() {
    // Validator 1 proposes at (1, 0); it crashes after signing A and restarts.
    var core = Core(signer: FakeSigner(validator: 1), verifier: FakeVerifier())
    _ = core.handle(.startHeight(1, validators: Fixture.validators))
    let signed = core.handle(.proposeValue(Fixture.a, height: 1, round: 0))
    guard case .persist(var log) = signed.first else { Issue.record("no persist first"); return }
    log.step = .propose // as if it crashed before handling its own proposal
    log.ownVotes = []
    var restored = Core(signer: FakeSigner(validator: 1), verifier: FakeVerifier())
    let actions = restored.handle(.restore(log, validators: Fixture.validators)).map(Fixture.describe)
    #expect(actions.contains("propose r0 A vr-1"))
    #expect(!actions.contains("getValue r0"))
    #expect(restored.handle(.proposeValue(Fixture.b, height: 1, round: 0)).isEmpty)
}

@Test func aDriverThatSkipsTheLogIsCaught() {
    // The simulator's checks are not vacuous: restoring from a log older than the last
    // signature makes the node sign again, and the double-sign check sees it.
    var core = Fixture.core()
    let fresh = core.persistentState
    _ = core.handle(.proposalFor(Fixture.a, round: 0))
    let first = core.handle(.valid(Fixture.a))
    var amnesiac = Core(signer: FakeSigner(validator: 0), verifier: FakeVerifier())
    _ = amnesiac.handle(.restore(fresh, validators: Fixture.validators))
    let second = amnesiac.handle(.timeout(.propose, round: 0))
    func prevotes(_ actions: [Core.Action]) -> [Vote<Context>] {
        actions.compactMap { if case .broadcast(.vote(let vote)) = $0 { vote } else { nil } }
    }
    #expect(prevotes(first).map(\.valueID) == [Fixture.a])
    #expect(prevotes(second).map(\.valueID) == [nil]) // equivocation: the log was skipped
}
