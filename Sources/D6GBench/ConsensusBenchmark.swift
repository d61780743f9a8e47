// `d6g-bench consensus`: heights decided per second by 4 and 16 simulated validators with no
// network delay, so the figure is the consensus cores' own cost (plus the simulator's), and the
// messages delivered per decided height. Rates are per CPU second of this process (the machine
// is shared, so wall time mostly measures the other tenants); wall-clock rates are shown too.
import ArgumentParser
import ConsensusCore
import ConsensusSimulation
#if canImport(Glibc)
import Glibc
#endif

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
            print("\(count) validators: \(Int(median.decisionsPerSecond)) decisions per CPU-second "
                + "(cores alone: \(Int(median.coreDecisionsPerSecond)), "
                + "\(Int(median.coreMicrosecondsPerInput * 1000)) ns per input; "
                + "wall clock: \(Int(median.wallDecisionsPerSecond)) decisions/s), "
                + "\(median.messagesPerDecision) messages per decision")
        }
    }

    private struct Sample {
        var decisionsPerSecond: Double
        var wallDecisionsPerSecond: Double
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
        let cpuStart = processCPUSeconds()
        let outcome = simulation.run()
        let cpu = processCPUSeconds() - cpuStart
        let elapsed = seconds(clock.now - start)
        precondition(outcome.isLive && outcome.violations.isEmpty, "benchmark run failed: \(outcome.report)")
        let decided = Double(heights)
        // The cores' share of the wall time, applied to the CPU time: descheduling hits both alike.
        let coreSeconds = seconds(outcome.coreTime) / elapsed * cpu
        // Inputs: every delivered message plus the timeouts, values and verdicts, roughly
        // one value request, one validation per node and height.
        let inputs = Double(outcome.messagesDelivered + 2 * count * heights)
        return Sample(decisionsPerSecond: decided / cpu, wallDecisionsPerSecond: decided / elapsed,
                      coreDecisionsPerSecond: decided / coreSeconds,
                      coreMicrosecondsPerInput: coreSeconds * 1e6 / inputs,
                      messagesPerDecision: outcome.messagesDelivered / heights)
    }

}
