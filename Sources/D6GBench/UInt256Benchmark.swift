// `d6g-bench uint256`: nanoseconds per UInt256 operation, the VM word's raw cost.
// Each case applies one operation to fresh operands from seeded arrays (throughput,
// not latency) and folds the results into a sink so nothing is optimised away.
import ArgumentParser
import Foundation
import LedgerPrimitives

struct UInt256Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uint256",
        abstract: "Nanoseconds per UInt256 operation: add, mul, div (256/256, 256/64), mulmod, exp."
    )

    @Option(help: "Timed runs per case; the median is reported.")
    var runs = 7

    @Option(help: "Scale the work per run (1 is about 50 ms per case on this machine).")
    var scale = 1.0

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
        guard scale > 0 else { throw ValidationError("--scale must be positive") }
    }

    func run() {
        var generator = SplitMix64(seed: 0x5eed_2560)
        let count = 1024
        let full = (0..<count).map { _ in generator.full() }
        let other = (0..<count).map { _ in generator.full() }
        let moduli = (0..<count).map { _ in generator.full() | UInt256(limb0: 0, limb1: 0, limb2: 0, limb3: 1 << 63) }
        // Divisors of 65 to 256 bits, so every division goes through the long-division path.
        let wideDivisors = (0..<count).map { _ in
            generator.full() >> Int(generator.next() % 192) | UInt256(limb0: 0, limb1: 1, limb2: 0, limb3: 0)
        }
        let smallDivisors = (0..<count).map { _ in generator.next() | 1 }
        let smallExponents = (0..<count).map { _ in UInt256(generator.next() & 0xff) }

        var table: [(String, Double)] = []
        var sink = UInt256.zero
        func record(_ name: String, _ operations: Int, _ body: () -> UInt256) {
            var samples: [Double] = []
            for _ in 0..<runs {
                let start = threadCPUNanoseconds()
                let result = body()
                let elapsed = threadCPUNanoseconds() - start
                sink ^= result
                samples.append(Double(elapsed) / Double(operations))
            }
            table.append((name, median(samples)))
        }
        func rounds(_ base: Int) -> Int { Swift.max(1, Int(Double(base) * scale)) }

        let cheap = rounds(20_000)
        record("add (&+)", cheap * count) { Self.fold(full, other, cheap) { $0 &+ $1 } }
        record("sub (&-)", cheap * count) { Self.fold(full, other, cheap) { $0 &- $1 } }
        record("lt (<)", cheap * count) { Self.fold(full, other, cheap) { $0 < $1 ? $0 : $1 } }
        record("shl (<< 0..255)", cheap * count) { Self.fold(full, other, cheap) { $0 << Int($1.limb0 & 255) } }
        record("mul (&*)", cheap * count) { Self.fold(full, other, cheap) { $0 &* $1 } }
        record("mul checked", cheap * count) {
            Self.fold(full, other, cheap) { let (p, o) = $0.multipliedReportingOverflow(by: $1); return o ? $0 : p }
        }
        let divisions = rounds(1_500)
        record("div 256/256", divisions * count) { Self.fold(full, wideDivisors, divisions) { $0 / $1 } }
        record("div 256/64", divisions * count) {
            var sink = UInt256.zero
            for _ in 0..<divisions {
                for index in 0..<count {
                    sink &+= full[index].quotientAndRemainder(dividingBy: smallDivisors[index]).quotient
                }
            }
            return sink
        }
        record("sdiv 256/256", divisions * count) { Self.fold(full, wideDivisors, divisions) { $0.sdiv($1) } }
        record("addmod", divisions * count) {
            Self.fold(full, other, divisions) { [moduli] a, b in a.addmod(b, moduli[Int(b.limb0 & 1023)]) }
        }
        record("mulmod", divisions * count) {
            Self.fold(full, other, divisions) { [moduli] a, b in a.mulmod(b, moduli[Int(b.limb0 & 1023)]) }
        }
        let smallPowers = rounds(300)
        record("exp (8-bit exponent)", smallPowers * count) { Self.fold(full, smallExponents, smallPowers) { $0.power($1) } }
        let fullPowers = rounds(20)
        record("exp (256-bit exponent)", fullPowers * count) { Self.fold(full, other, fullPowers) { $0.power($1) } }

        print("UInt256, ns per operation (median of \(runs) runs of thread CPU time, operands from 1024-entry arrays)")
        for (name, nanoseconds) in table {
            let padded = name.padding(toLength: 24, withPad: " ", startingAt: 0)
            print("  \(padded) \(String(format: "%8.2f", nanoseconds)) ns")
        }
        // There is no per-operation anchor in TARGETS.md; the closest is revm's arithmetic
        // loop at ~2.6 ns per instruction, dispatch and stack traffic included.
        print("  (context: revm arithmetic loop ≈ 2.6 ns per instruction, TARGETS.md)")
        print("  sink \(sink.hexString.prefix(10))")
    }

    /// Applies `operation` to every pair of operands, `rounds` times, xor-folding results.
    @inline(__always)
    static func fold(_ left: [UInt256], _ right: [UInt256], _ rounds: Int,
                     _ operation: (UInt256, UInt256) -> UInt256) -> UInt256 {
        left.withUnsafeBufferPointer { left in
            right.withUnsafeBufferPointer { right in
                var sink = UInt256.zero
                for _ in 0..<rounds {
                    for index in 0..<left.count {
                        sink &+= operation(left[index], right[index])
                    }
                }
                return sink
            }
        }
    }
}

extension SplitMix64 {
    /// A uniformly random 256-bit word.
    mutating func full() -> UInt256 {
        UInt256(limb0: next(), limb1: next(), limb2: next(), limb3: next())
    }
}
