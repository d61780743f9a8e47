// Whole nodes in the seeded simulator (Sources/NodeSimulation): the real driver, pool, execution,
// store and consensus log under loss, delays, partitions, crashes and skewed clocks. A failing
// seed is printed with the command that replays it.
import Foundation
import LedgerPrimitives
import NodeSimulation
import Testing

@Suite(.serialized) struct NodeSimulationTests {
    /// Seeds of the random runs: D6G_NODE_SIM_SEED replays one, D6G_NODE_SIM_RUNS sets how many
    /// (`make simulate-nodes` runs many more than `make test`).
    private static var seeds: [UInt64] {
        let environment = ProcessInfo.processInfo.environment
        if let text = environment["D6G_NODE_SIM_SEED"], let seed = UInt64(text) { return [seed] }
        let runs = environment["D6G_NODE_SIM_RUNS"].flatMap { Int($0) } ?? 16
        return (0..<UInt64(max(runs, 1))).map { 1_000 + $0 }
    }

    private func report(_ outcome: NodeSimulationOutcome) -> String {
        var text = "\(outcome.configuration)\n" + outcome.violations.map { "  ✗ \($0)" }.joined(separator: "\n")
        text += "\nreplay: D6G_NODE_SIM_SEED=\(outcome.configuration.seed) SWIFT_DETERMINISTIC_HASHING=1 "
            + "swift test -c release --filter NodeSimulationTests.randomRunsKeepOneChain"
        for (index, lines) in outcome.logTail.enumerated() {
            text += "\n--- node \(index), last lines ---\n" + lines.suffix(30).joined(separator: "\n")
        }
        return text
    }

    @Test func lossCrashesAndSkewedClocksKeepOneChainThatReplaysExactly() async throws {
        let configuration = NodeSimulationConfiguration(seed: 7, validatorCount: 4, followerCount: 1, targetHeight: 12,
                                                        gstMs: 4_000, dropPerMille: 200, crashes: 2, clockSkewMs: 600)
        let first = try await NodeSimulation(configuration).run()
        let passed = first.passed
        #expect(passed, "\(report(first))")
        #expect(first.restarts == 2)
        #expect(first.committedTransactions > 0)
        #expect(first.heads.allSatisfy { $0 >= 12 })
        let second = try await NodeSimulation(configuration).run()
        #expect(second.trace == first.trace, "the same seed must replay the same run")
        #expect(second.events == first.events)
        // Another seed is another run.
        var other = configuration
        other.seed = 8
        #expect(try await NodeSimulation(other).run().trace != first.trace)
    }

    /// Twins: one validator key in two processes signs conflicting messages for real (a
    /// Byzantine fault built from honest code). The other validators and the follower keep one
    /// chain and reach the target; the twins may halt.
    @Test func aValidatorKeyRunningTwiceSplitsNobody() async throws {
        for seed: UInt64 in 20..<24 {
            let configuration = NodeSimulationConfiguration(seed: seed, validatorCount: 4, followerCount: 1, twins: 1,
                                                            targetHeight: 8, gstMs: 2_000, crashes: 1)
            let outcome = try await NodeSimulation(configuration).run()
            let passed = outcome.passed
            #expect(passed, "\(report(outcome))")
            #expect(outcome.heads.count == 6)
        }
    }

    /// A follower started 20 s late (the validators some 120 heights on) syncs the chain in
    /// batches from several peers, says when it got there, then follows.
    @Test func aLateFollowerSyncsFromSeveralPeers() async throws {
        let configuration = NodeSimulationConfiguration(seed: 11, validatorCount: 4, followerCount: 1,
                                                        followerStartMs: 20_000, targetHeight: 200, gstMs: 0,
                                                        dropPerMille: 0, crashes: 0)
        let outcome = try await NodeSimulation(configuration).run()
        let passed = outcome.passed
        #expect(passed, "\(report(outcome))")
        #expect(outcome.syncPeers[4].count >= 3, "asked \(outcome.syncPeers[4])")
        let syncLines = outcome.logTail[4].filter { $0.contains("sync") && !$0.contains("committed block") }
        #expect(syncLines.contains { $0.contains("sync done") }, "\(syncLines)")
        print(syncLines.joined(separator: "\n"))
    }

    /// Found by this simulation: two validators locked on a value whose polka counted the twin's
    /// prevote, the third saw the twin's other prevote first, the twin halted, and rounds went on
    /// forever at height 1. The driver now re-sends the polka behind its valid value.
    @Test func anEquivocatorsPolkaReachesTheValidatorsThatMissedIt() async throws {
        for seed: UInt64 in [1022, 1046, 1138] {
            let configuration = NodeSimulationConfiguration.random(seed: seed)
            #expect(configuration.twins == 1)
            let outcome = try await NodeSimulation(configuration).run()
            let passed = outcome.passed
            #expect(passed, "\(report(outcome))")
        }
    }

    @Test func randomRunsKeepOneChain() async throws {
        var events = 0
        for seed in Self.seeds {
            let outcome = try await NodeSimulation(.random(seed: seed), logLevel: Self.seeds.count == 1 ? .debug : .info).run()
            let passed = outcome.passed
            #expect(passed, "\(report(outcome))")
            events += outcome.events
            if Self.seeds.count == 1 {
                print("node simulation \(outcome.configuration): heads \(outcome.heads), \(outcome.events) events, "
                      + "\(outcome.committedTransactions) transactions, trace \(outcome.trace)")
            }
        }
        print("node simulation: \(Self.seeds.count) runs, \(events) events")
    }

    /// The liveness check can fail: with every message lost until the deadline, no node gets
    /// past genesis, and the run says so.
    @Test func aNetworkThatNeverHealsIsReportedAsStuck() async throws {
        let configuration = NodeSimulationConfiguration(seed: 3, gstMs: 30_000, dropPerMille: 1_000, crashes: 0,
                                                        livenessBoundMs: 0)
        let outcome = try await NodeSimulation(configuration).run()
        #expect(!outcome.passed)
        #expect(outcome.heads.allSatisfy { $0 == 0 }, "\(report(outcome))")
        #expect(outcome.violations.contains { $0.contains("short of 12") })
    }
}
