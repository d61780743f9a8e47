// d6g-fuzz: seeded differential fuzzing runs of `vm` (the real VM, fused and plain, against the
// reference interpreter), exiting non-zero on any divergence; built for libFuzzer
// (`make fuzz-build`), the libFuzzer driver over every target instead (LibFuzzer.swift).
import Bytecode
import Foundation
import ContractTesting
import FuzzTargets
import FuzzSupport
import LedgerPrimitives

@main
struct D6GFuzz {
    static let usage = """
        usage: d6g-fuzz vm [--runs N] [--seed S] [--show K]   differential run; shows the first K divergences
               d6g-fuzz vm --dump I [--seed S]               the full report of case I (0-based) of seed S
               d6g-fuzz vm-asm FILE [--gas N] [--input HEX]  the three runs of a runtime container in assembly
               d6g-fuzz mutate TARGET [--runs N] [--seed S]  unguided mutants of Fuzz/corpus/TARGET in this build
               d6g-fuzz dsl [--runs N] [--seed S] [--calls C] N random DSL contracts, compiled and evaluated, C calls each
        """

    static func main() {
        // Built for libFuzzer (make fuzz-build), the command line is libFuzzer's.
        if LibFuzzerEntry.isLibFuzzerBuild { LibFuzzerEntry.run() }
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "vm-asm" { runAssembly(Array(arguments.dropFirst())) }
        if arguments.first == "mutate" { runMutation(Array(arguments.dropFirst())) }
        if arguments.first == "dsl" { runContracts(Array(arguments.dropFirst())) }
        guard arguments.first == "vm" else { fail(usage) }
        arguments.removeFirst()
        var options = ["--runs": 10_000, "--seed": 1, "--show": 3, "--dump": -1]
        while let name = arguments.first {
            guard options[name] != nil, arguments.count >= 2, let value = Int(arguments[1]), value >= 0 else { fail(usage) }
            options[name] = value
            arguments.removeFirst(2)
        }
        let seed = UInt64(options["--seed"] ?? 0)
        if let index = options["--dump"], index >= 0 {
            print(VMDifferential.describe(VMDifferential.input(seed: seed, index: index)))
            return
        }
        runVM(runs: options["--runs"] ?? 0, seed: seed, show: options["--show"] ?? 0)
    }

    static func runVM(runs: Int, seed: UInt64, show: Int) {
        var summary = VMDifferential.Summary()
        let elapsed = ContinuousClock().measure {
            summary = VMDifferential.summarize(seed: seed, count: runs, maxDivergences: show)
        }
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-9)
        for divergence in summary.divergences { print(divergence, "\n") }
        let rate = runs == 0 ? 0 : 100 * Double(summary.checked) / Double(runs)
        print("generated \(runs), checked \(summary.checked) (\(String(format: "%.1f", rate)) % verified)")
        print("outcomes: " + summary.outcomes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("stops: " + summary.stops.sorted { $0.value > $1.value }.prefix(12).map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("divergences \(summary.divergenceCount)")
        print("exec/s \(Int(Double(runs) / seconds)) (\(String(format: "%.1f", seconds)) s)")
        if summary.divergenceCount > 0 { exit(1) }
    }

    /// `dsl [--runs N] [--seed S] [--calls C]`: the compiler against the reference evaluator.
    static func runContracts(_ arguments: [String]) -> Never {
        var options = ["--runs": 100, "--seed": 1, "--calls": 20]
        guard arguments.count % 2 == 0 else { fail(usage) }
        for index in stride(from: 0, to: arguments.count, by: 2) {
            guard options[arguments[index]] != nil, let value = Int(arguments[index + 1]), value >= 0 else { fail(usage) }
            options[arguments[index]] = value
        }
        var summary = ContractDifferential.Summary()
        let elapsed = ContinuousClock().measure {
            summary = ContractDifferential.run(seed: UInt64(options["--seed"] ?? 1), count: options["--runs"] ?? 0, calls: options["--calls"] ?? 0)
        }
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-9)
        for divergence in summary.divergences { print(divergence, "\n") }
        print("contracts \(summary.contracts), calls \(summary.calls), compared \(summary.compared)")
        print("outcomes: " + summary.outcomes.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        print("divergences \(summary.divergences.count)")
        print("calls/s \(Int(Double(summary.calls) / seconds)) (\(String(format: "%.1f", seconds)) s)")
        exit(summary.divergences.isEmpty ? 0 : 1)
    }

    /// `mutate TARGET [--runs N] [--seed S]`, from the repository root.
    static func runMutation(_ arguments: [String]) -> Never {
        guard let name = arguments.first, let target = FuzzTarget.decoders.first(where: { $0.name == name }),
              arguments.count % 2 == 1 else { fail(usage) }
        var options = ["--runs": 100_000, "--seed": 1]
        for index in stride(from: 1, to: arguments.count, by: 2) {
            guard options[arguments[index]] != nil, let value = Int(arguments[index + 1]), value >= 0 else { fail(usage) }
            options[arguments[index]] = value
        }
        MutationRun.run(target: target, corpus: "Fuzz/corpus/\(name)", findings: "Fuzz/findings/\(name)",
                        runs: options["--runs"] ?? 0, seed: UInt64(options["--seed"] ?? 1))
    }

    /// `vm-asm FILE [--gas N] [--input HEX]`: a reproducer through the three runs.
    static func runAssembly(_ arguments: [String]) -> Never {
        guard let path = arguments.first, arguments.count % 2 == 1 else { fail(usage) }
        var gas: Int64 = 1_000_000
        var input: [UInt8] = []
        for index in stride(from: 1, to: arguments.count, by: 2) {
            switch arguments[index] {
            case "--gas": guard let value = Int64(arguments[index + 1]) else { fail(usage) }; gas = value
            case "--input": guard let bytes = try? Hex.decode(arguments[index + 1]) else { fail(usage) }; input = bytes
            default: fail(usage)
            }
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { fail("cannot read \(path)") }
        do {
            let container = try Assembler.assemble(text)
            print(VMDifferential.describe(container: container, gas: gas, input: input))
            exit(0)
        } catch {
            fail("\(path): \(error)")
        }
    }

    static func fail(_ message: String) -> Never {
        print(message)
        exit(2)
    }
}
