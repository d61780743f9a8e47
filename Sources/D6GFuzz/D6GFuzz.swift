// d6g-fuzz: seeded differential fuzzing runs (for now `vm`: the real VM, fused and plain,
// against the reference interpreter). Exits non-zero on any divergence.
import FuzzSupport

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct D6GFuzz {
    static let usage = """
        usage: d6g-fuzz vm [--runs N] [--seed S] [--show K]   differential run; shows the first K divergences
               d6g-fuzz vm --dump I [--seed S]               the full report of case I (0-based) of seed S
        """

    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard arguments.first == "vm" else { fail(usage) }
        arguments.removeFirst()
        var options = ["--runs": 10_000, "--seed": 1, "--show": 3, "--dump": -1]
        while let name = arguments.first {
            guard options[name] != nil, arguments.count >= 2, let value = Int(arguments[1]), value >= 0 else { fail(usage) }
            options[name] = value
            arguments.removeFirst(2)
        }
        if let index = options["--dump"], index >= 0 {
            let inputs = VMDifferential.inputs(seed: UInt64(options["--seed"] ?? 0), count: index + 1)
            print(VMDifferential.describe(inputs[index]))
            return
        }
        runVM(runs: options["--runs"] ?? 0, seed: UInt64(options["--seed"] ?? 0), show: options["--show"] ?? 0)
    }

    static func runVM(runs: Int, seed: UInt64, show: Int) {
        let start = now()
        let summary = VMDifferential.summarize(seed: seed, count: runs, maxDivergences: show)
        let seconds = max(now() - start, 1e-9)
        for divergence in summary.divergences { print(divergence, "\n") }
        let rate = summary.generated == 0 ? 0 : 100 * Double(summary.checked) / Double(summary.generated)
        print("generated \(summary.generated), checked \(summary.checked) (\(tenths(rate)) % verified)")
        print("outcomes: " + summary.outcomes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("stops: " + summary.stops.sorted { $0.value > $1.value }.prefix(12).map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("divergences \(summary.divergenceCount)")
        print("exec/s \(Int(Double(summary.generated) / seconds)) (\(tenths(seconds)) s)")
        if summary.divergenceCount > 0 { exit(1) }
    }

    /// One decimal place, without Foundation.
    static func tenths(_ value: Double) -> String {
        let scaled = Int((value * 10).rounded())
        return "\(scaled / 10).\(scaled % 10)"
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func fail(_ message: String) -> Never {
        print(message)
        exit(2)
    }
}
