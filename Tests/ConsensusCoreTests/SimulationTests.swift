// Thousands of seeded multi-node runs: safety always, liveness once the network stabilises.
// D6G_SIM_RUNS sets the number of runs per test (`make soak` raises it); a failure prints the
// seed and configuration; `SimulationConfiguration.random(seed:)` reproduces it exactly
// (see ReproduceSeed.swift for a traced replay).

import ConsensusCore
import ConsensusSimulation
import Foundation
import Testing

enum SimulationRuns {
    /// Runs per simulation test: $D6G_SIM_RUNS, else 2,000 in release and 500 in debug builds.
    static var count: Int {
        if let runs = ProcessInfo.processInfo.environment["D6G_SIM_RUNS"].flatMap(Int.init) { return runs }
        #if DEBUG
        return 500
        #else
        return 2_000
        #endif
    }

    /// The first seed of a batch; D6G_SIM_SEED shifts it so a soak explores new seeds.
    static var firstSeed: UInt64 {
        ProcessInfo.processInfo.environment["D6G_SIM_SEED"].flatMap(UInt64.init) ?? 1
    }

    static func check(_ configuration: SimulationConfiguration) -> SimulationOutcome {
        var simulation = Simulation(configuration)
        let outcome = simulation.run()
        #expect(outcome.violations.isEmpty, "\(outcome.report)\nreproduce: \(reproduceCommand(configuration))")
        #expect(outcome.isLive, "not live: \(outcome.report)\nreproduce: \(reproduceCommand(configuration))")
        return outcome
    }

    /// The command that replays a random configuration with a trace (ReproduceSeed.swift).
    static func reproduceCommand(_ configuration: SimulationConfiguration) -> String {
        let crashes = configuration.crashPerMille > 0 ? " D6G_SIM_CRASHES=1" : ""
        return "D6G_SIM_REPRODUCE=\(configuration.seed)\(crashes) D6G_SIM_TRACE=1 swift test --filter reproduceSeed"
    }
}

@Test func simulatedNetworksStaySafeAndLive() {
    var decided: Height = 0
    var evidence = 0
    for offset in 0..<UInt64(SimulationRuns.count) {
        let outcome = SimulationRuns.check(.random(seed: SimulationRuns.firstSeed &+ offset))
        decided += outcome.heightsDecided
        evidence += outcome.evidenceReported
    }
    #expect(decided > 0)
    #expect(evidence > 0, "equivocating validators were never caught")
}

/// Every Byzantine behaviour but `split`, exactly f faulty, unequal power in half the runs, and
/// delays after GST up to twice the base propose timeout: floods of future rounds and heights, a
/// false valid round, votes forged in others' names and withheld blocks break neither safety nor
/// liveness. A fifth of the runs of the other tests: each run is longer.
@Test func hostileValidatorsAndLongDelaysBreakNothing() {
    var seen: [ByzantineBehaviour: Int] = [:]
    var decided: Height = 0
    for offset in 0..<UInt64(max(SimulationRuns.count / 5, 1)) {
        let configuration = SimulationConfiguration.hostile(seed: (SimulationRuns.firstSeed &+ offset) | 1 << 41)
        for behaviour in configuration.byzantine.values { seen[behaviour, default: 0] += 1 }
        decided += SimulationRuns.check(configuration).heightsDecided
    }
    #expect(decided > 0)
    for behaviour in ByzantineBehaviour.hostileDrawn where SimulationRuns.count >= 100 {
        #expect(seen[behaviour, default: 0] > 0, "no run had a \(behaviour) validator")
    }
}

/// One validator of four floods votes for the next dozen rounds with every message it sends: a
/// third of the power is needed to join a higher round (Alg. 1 l.55), so the others never move,
/// and every height is decided as fast as without it. A core that joined a higher round on one
/// message (checked by hand: that mutant of `skipToHigherRound`) climbs a dozen rounds at a time
/// and its timeouts grow with them: this run then takes seconds of simulated time, not tens of
/// milliseconds.
@Test func floodsOfFutureRoundsMoveNobody() {
    var flooded = Simulation(SimulationConfiguration(seed: 11, validatorCount: 4, byzantine: [3: .floodFuture],
                                                     targetHeight: 5, delayAfterGST: 1...10, livenessBound: 10_000))
    let outcome = flooded.run()
    #expect(outcome.violations.isEmpty && outcome.isLive, "\(outcome.report)")
    #expect(outcome.finishTime < 5 * 3 * 10 + 300, "\(outcome.finishTime) ms for 5 heights: the flood moved the correct nodes")
}

@Test func restartedNodesNeverDoubleSignOrBreakLocks() {
    var crashes = 0
    for offset in 0..<UInt64(SimulationRuns.count) {
        let seed = (SimulationRuns.firstSeed &+ offset) | 1 << 40
        crashes += SimulationRuns.check(.random(seed: seed, crashes: true)).crashes
    }
    #expect(crashes > SimulationRuns.count / 2, "the crash model hardly crashed anything")
}

@Test func sameSeedReproducesTheSameRun() {
    let configuration = SimulationConfiguration.random(seed: 42, crashes: true)
    var first = Simulation(configuration)
    var second = Simulation(configuration)
    let a = first.run()
    let b = second.run()
    #expect(a.finishTime == b.finishTime)
    #expect(a.messagesDelivered == b.messagesDelivered)
    #expect(a.crashes == b.crashes)
}

@Test func healthyNetworkDecidesEveryHeightInRoundZero() {
    for validators in [1, 4, 7] {
        var simulation = Simulation(SimulationConfiguration(seed: 7, validatorCount: validators, targetHeight: 20,
                                                            delayAfterGST: 1...5))
        let outcome = simulation.run()
        #expect(outcome.violations.isEmpty)
        #expect(outcome.isLive)
        #expect(outcome.heightsDecided >= 20)
        // 20 heights at ≤ 5 ms per hop and three hops per height: far below one timeout.
        #expect(outcome.finishTime < 20 * 3 * 5 + 100)
    }
}

@Test func oneThirdFaultyBreaksNothingButMoreCanStall() {
    // f = 1 of 4 silent: live. Two of four silent: no quorum, nothing is decided (and nothing unsafe).
    var tolerated = Simulation(SimulationConfiguration(seed: 3, validatorCount: 4, byzantine: [2: .silent],
                                                       targetHeight: 5, delayAfterGST: 1...10))
    let live = tolerated.run()
    #expect(live.isLive && live.violations.isEmpty)
    var stalled = Simulation(SimulationConfiguration(seed: 3, validatorCount: 4, byzantine: [1: .silent, 2: .silent],
                                                     targetHeight: 2, delayAfterGST: 1...10, livenessBound: 20_000))
    let dead = stalled.run()
    #expect(!dead.isLive)
    #expect(dead.heightsDecided == 0)
    #expect(dead.violations.isEmpty)
}
