// Coordinated split-brain validators: harmless below a third of the power, and the simulator's
// safety check does fire once they hold a third or more (so the check is not vacuous).

import LedgerPrimitives
import ConsensusCore
import ConsensusSimulation
import Testing

enum SplitBrain {
    /// n validators, `faulty` of them colluding `split` validators at random places; a chaotic
    /// network until a random GST when `chaotic`, else a calm one from the start.
    static func configuration(seed: UInt64, validators: Int, faulty: Int, chaotic: Bool,
                              powers: [Int]? = nil, colluders: [Int]? = nil) -> SimulationConfiguration {
        var random = SplitMix64(seed: seed ^ 0x5350_4C49_5442)
        var candidates = Array(0..<validators)
        var byzantine: [Int: ByzantineBehaviour] = [:]
        if let colluders {
            for index in colluders { byzantine[index] = .split }
        } else {
            for _ in 0..<faulty {
                byzantine[candidates.remove(at: random.int(in: 0...(candidates.count - 1)))] = .split
            }
        }
        guard chaotic else {
            var calm = SimulationConfiguration(seed: seed, validatorCount: validators, byzantine: byzantine,
                                               targetHeight: 3, delayAfterGST: 1...random.int(in: 2...40),
                                               livenessBound: 20_000, rebroadcastInterval: 1_000)
            calm.powers = powers
            return calm
        }
        return SimulationConfiguration(
            seed: seed, validatorCount: validators, byzantine: byzantine, targetHeight: 3,
            gst: random.int(in: 0...4_000), maxDelayBeforeGST: random.int(in: 0...600),
            delayAfterGST: 0...random.int(in: 1...50), dropPerMille: random.int(in: 0...300),
            duplicatePerMille: random.int(in: 0...150), partitions: random.chance(perMille: 500),
            rebroadcastInterval: 1_000, validationDelay: 0...random.int(in: 0...30))
    }
}

@Test func splitBrainBelowOneThirdIsSafeAndLive() {
    var decided: Height = 0
    for seed in UInt64(1)...200 {
        let validators = 4 + Int(seed % 4) // 4...7
        let faulty = (validators - 1) / 3
        let outcome = SimulationRuns.check(SplitBrain.configuration(seed: seed, validators: validators,
                                                                    faulty: faulty, chaotic: true))
        #expect(outcome.conflictingDecisions == 0)
        decided += outcome.heightsDecided
    }
    #expect(decided > 0)
}

@Test func splitBrainWithOneThirdOrMoreBreaksSafetyAndTheCheckSaysSo() {
    // n = 4 with 2 colluders and n = 7 with 3: past the f < n/3 bound the halves decide apart.
    for (validators, faulty) in [(4, 2), (7, 3)] {
        var firstViolation: SimulationOutcome?
        for seed in UInt64(1)...200 {
            var simulation = Simulation(SplitBrain.configuration(seed: seed, validators: validators,
                                                                 faulty: faulty, chaotic: false))
            let outcome = simulation.run()
            if outcome.conflictingDecisions > 0 {
                firstViolation = outcome
                break
            }
        }
        #expect(firstViolation != nil, "n=\(validators) f=\(faulty): 200 seeds and no safety violation")
        #expect(firstViolation?.violations.contains { $0.hasPrefix("SAFETY") } == true)
    }
}

@Test func splitBrainAtExactlyOneThirdOfThePowerStaysSafe() {
    // A third is not more than a third: two quorums (more than 2/3 each) still share a correct
    // validator. A quorum rule of "at least 2/3" lets the halves decide apart here.
    let cases: [(validators: Int, powers: [Int]?, colluders: [Int])] = [
        (6, nil, [1, 4]),                 // 2 of 6, equal power
        (3, nil, [2]),                    // 1 of 3
        (5, [2, 1, 1, 1, 1], [0]),        // power 2 of 6, one heavy validator
    ]
    for (validators, powers, colluders) in cases {
        for seed in UInt64(1)...40 {
            var simulation = Simulation(SplitBrain.configuration(seed: seed, validators: validators, faulty: colluders.count,
                                                                 chaotic: false, powers: powers, colluders: colluders))
            let outcome = simulation.run()
            #expect(outcome.conflictingDecisions == 0, "\(simulation.configuration)")
            if outcome.conflictingDecisions > 0 { return }
        }
    }
}

@Test func splitBrainWithMoreThanAThirdOfUnequalPowerBreaksSafetyAndTheCheckSaysSo() {
    // One validator of power 3 out of 7 (more than a third) against four of power 1.
    var firstViolation: SimulationOutcome?
    for seed in UInt64(1)...200 {
        var simulation = Simulation(SplitBrain.configuration(seed: seed, validators: 5, faulty: 1, chaotic: false,
                                                             powers: [3, 1, 1, 1, 1], colluders: [0]))
        let outcome = simulation.run()
        if outcome.conflictingDecisions > 0 {
            firstViolation = outcome
            break
        }
    }
    #expect(firstViolation != nil, "power 3 of 7 colluding: 200 seeds and no safety violation")
    #expect(firstViolation?.violations.contains { $0.hasPrefix("SAFETY") } == true)
}
