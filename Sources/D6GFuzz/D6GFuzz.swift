// d6g-fuzz: seeded differential fuzzing runs of `vm` (the real VM, fused and plain, against the
// reference interpreter), exiting non-zero on any divergence; built for libFuzzer
// (`make fuzz-build`), the libFuzzer driver over every target instead (LibFuzzer.swift).
import Bytecode
import FuzzSupport
import LedgerPrimitives

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
               d6g-fuzz vm-asm FILE [--gas N] [--input HEX]  the three runs of a runtime container in assembly
        """

    static func main() {
        // Built for libFuzzer (make fuzz-build), the command line is libFuzzer's.
        if LibFuzzerEntry.isLibFuzzerBuild { LibFuzzerEntry.run() }
        var arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.first == "vm-asm" { runAssembly(Array(arguments.dropFirst())) }
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
        guard let text = readText(path) else { fail("cannot read \(path)") }
        do {
            let container = try Assembler.assemble(text)
            print(VMDifferential.describe(container: container, gas: gas, input: input))
            exit(0)
        } catch {
            fail("\(path): \(error)")
        }
    }

    static func readText(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
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
