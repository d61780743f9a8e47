// Validator sets: thresholds, weighted proposer rotation, timeouts and the canonical signed bytes.

import ConsensusCore
import ConsensusSimulation
import Testing

private func set(_ powers: [Int]) throws -> ValidatorSet<Context> {
    try ValidatorSet(powers.enumerated().map { Validator(id: $0.offset, power: $0.element) })
}

@Test(arguments: [(1, 1), (3, 3), (4, 3), (5, 4), (6, 5), (7, 5), (10, 7), (16, 11), (100, 67)])
func quorumIsTwoThirdsPlusOne(validators: Int, quorum: Int) throws {
    let equal = try set(Array(repeating: 1, count: validators))
    #expect(equal.isQuorum(quorum) && !equal.isQuorum(quorum - 1))
    #expect(quorum == 2 * validators / 3 + 1)
    // More than a third: f + 1 when n = 3f + 1, and always at least one correct validator.
    let skip = validators / 3 + 1
    #expect(equal.exceedsOneThird(skip) && !equal.exceedsOneThird(skip - 1))
    if validators % 3 == 1 { #expect(skip == (validators - 1) / 3 + 1) }
}

@Test func proposersRotateInProportionToPower() throws {
    let weighted = try set([1, 2, 3, 4])
    var counts = [0, 0, 0, 0]
    for slot in 0..<UInt64(2 * weighted.totalPower) { counts[weighted.proposer(height: slot, round: 0)] += 1 }
    #expect(counts == [2, 4, 6, 8])
    // No validator proposes twice running in an equal set; rounds move along the same sequence.
    let equal = try set([1, 1, 1, 1])
    #expect((0..<8).map { equal.proposer(height: 1, round: $0) } == [1, 2, 3, 0, 1, 2, 3, 0])
    #expect(equal.proposer(height: 5, round: 2) == equal.proposer(height: 6, round: 1))
}

@Test func heavyValidatorsDoNotProposeInBursts() throws {
    // Smooth weighted round robin interleaves: power 3 vs 1 gives A A B A, not A A A B.
    let skewed = try set([3, 1])
    #expect((0..<4).map { skewed.proposer(height: UInt64($0), round: 0) } == [0, 0, 1, 0])
}

@Test func invalidValidatorSetsAreRejected() {
    #expect(throws: ValidatorSetError.empty) { try set([]) }
    #expect(throws: ValidatorSetError.nonPositivePower) { try set([1, 0]) }
    #expect(throws: ValidatorSetError.duplicateValidator) {
        try ValidatorSet<Context>([Validator(id: 1, power: 1), Validator(id: 1, power: 2)])
    }
    #expect(throws: ValidatorSetError.totalPowerTooLarge(limit: ValidatorSet<Context>.maximumTotalPower)) {
        try set([ValidatorSet<Context>.maximumTotalPower, 1])
    }
}

@Test func timeoutsGrowPerRoundUpToTheCap() {
    let policy = TimeoutPolicy(proposeBase: 1000, proposeDelta: 500, cap: 3000)
    #expect([0, 1, 2, 3, 4, 1_000_000].map { policy.duration(.propose, round: $0) } == [1000, 1500, 2000, 2500, 3000, 3000])
    #expect(policy.duration(.prevote, round: 2) == 1000)
}

@Test func signedBytesDifferInEveryField() {
    func bytes(_ type: VoteType = .prevote, height: Height = 1, round: Int = 0,
               value: SimulatedValue? = Fixture.a, domain: String = "d") -> [UInt8] {
        SigningBytes.vote(Context.self, domain: Array(domain.utf8), type: type, height: height, round: round, valueID: value)
    }
    let variants = [bytes(), bytes(.precommit), bytes(height: 2), bytes(round: 1), bytes(value: nil),
                    bytes(value: Fixture.b), bytes(domain: "e"),
                    SigningBytes.proposal(Context.self, domain: Array("d".utf8), height: 1, round: 0,
                                          valueID: Fixture.a, validRound: -1)]
    #expect(Set(variants).count == variants.count)
    #expect(bytes() == bytes())
}
