// `d6g-bench consensus`: heights decided per second by 4 and 16 simulated validators with no
// network delay, so the figure is the consensus cores' own cost (plus the simulator's), and the
// messages delivered per decided height.
import ArgumentParser
import ConsensusCore
import ConsensusSimulation

struct ConsensusBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consensus",
        abstract: "Decisions/s of 4- and 16-validator simulated networks without delay; messages per decision."
    )

    @Option(help: "Timed runs per network size; the median is reported.")
    var runs = 5

    @Option(help: "Heights each run decides.")
    var heights = 2_000

    @Option(parsing: .upToNextOption, help: "Network sizes to measure.")
    var validators = [4, 16]

    func validate() throws {
        guard runs > 0, heights > 0, validators.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--runs, --heights and --validators must be positive")
        }
    }

    func run() throws {
        print("consensus core, \(heights) heights per run, median of \(runs) runs, no network delay, fake signatures")
        for count in validators {
            let samples = (0...runs).map { _ in measure(validators: count) }.dropFirst() // first run warms up
            let byRate = samples.sorted { $0.decisionsPerSecond < $1.decisionsPerSecond }
            let median = byRate[byRate.count / 2]
            print("\(count) validators: \(Int(median.decisionsPerSecond)) decisions/s "
                + "(cores alone: \(Int(median.coreDecisionsPerSecond)) decisions/s, "
                + "\(Int(median.coreMicrosecondsPerInput * 1000)) ns per input), "
                + "\(median.messagesPerDecision) messages per decision")
        }
    }

    private struct Sample {
        var decisionsPerSecond: Double
        var coreDecisionsPerSecond: Double
        var coreMicrosecondsPerInput: Double
        var messagesPerDecision: Int
    }

    private func measure(validators count: Int) -> Sample {
        var simulation = Simulation(SimulationConfiguration(seed: 1, validatorCount: count,
                                                            targetHeight: Height(heights)))
        simulation.measuresCoreTime = true
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = simulation.run()
        let elapsed = seconds(clock.now - start)
        precondition(outcome.isLive && outcome.violations.isEmpty, "benchmark run failed: \(outcome.report)")
        let decided = Double(heights)
        let coreSeconds = seconds(outcome.coreTime)
        // Inputs: every delivered message plus the timeouts, values and verdicts, roughly
        // one value request, one validation per node and height.
        let inputs = Double(outcome.messagesDelivered + 2 * count * heights)
        return Sample(decisionsPerSecond: decided / elapsed,
                      coreDecisionsPerSecond: decided / coreSeconds,
                      coreMicrosecondsPerInput: coreSeconds * 1e6 / inputs,
                      messagesPerDecision: outcome.messagesDelivered / heights)
    }

    private func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
