// d6g-bench crypto: secp256k1 sign / verify / recover and SHA-256 throughput on one core,
// with the ratio to the TARGETS.md anchors measured from Swift on this machine.
// Rates are per second of this thread's CPU time: on a shared 2-core box, wall time mostly
// measures the other processes; the wall-clock rate is printed beside it.
import ArgumentParser
import LedgerCrypto
import LedgerPrimitives

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct CryptoBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crypto",
        abstract: "secp256k1 sign/verify/recover and SHA-256 per second, one core (median of several runs)."
    )

    @Option(help: "Timed runs per operation; the median is reported.")
    var runs = 7

    @Option(help: "secp256k1 operations per run.")
    var operations = 20_000

    func validate() throws {
        guard runs >= 1, operations >= 1 else { throw ValidationError("runs and operations must be positive") }
    }

    func run() throws {
        // Distinct keys and digests, so that nothing is measured on one hot input.
        let keys = (0..<64).map { _ in PrivateKey.generate() }
        let digests = (0..<256).map { Keccak256.hash(Array("d6g-bench message \($0)".utf8)) }
        let signatures = try digests.indices.map { try keys[$0 % keys.count].signature(for: digests[$0]) }
        let count = operations

        print("d6g-bench crypto: \(runs) runs, median, one thread; rates per CPU second (wall in parentheses)")
        let sign = try measure(runs: runs, operations: count) {
            for index in 0..<count {
                let signature = try keys[index & 63].signature(for: digests[index & 255])
                blackHole(signature.recoveryID)
            }
        }
        report("secp256k1 sign", perSecond: sign, anchor: 50_000)

        let verify = try measure(runs: runs, operations: count) {
            for index in 0..<count {
                let slot = index & 255
                let valid = keys[slot & 63].publicKey.isValidSignature(signatures[slot].signature, for: digests[slot])
                precondition(valid, "benchmark signature failed to verify")
            }
        }
        report("secp256k1 verify", perSecond: verify, anchor: 35_800)

        let recover = try measure(runs: runs, operations: count) {
            for index in 0..<count {
                let slot = index & 255
                let key = try signatures[slot].recoverPublicKey(for: digests[slot])
                blackHole(key)
            }
        }
        report("secp256k1 recover (public key)", perSecond: recover, anchor: 30_700)

        let sender = try measure(runs: runs, operations: count) {
            for index in 0..<count {
                let slot = index & 255
                let address = try signatures[slot].recoverAddress(for: digests[slot])
                blackHole(address)
            }
        }
        report("secp256k1 recover + address (keccak)", perSecond: sender, anchor: 30_700)

        let hashCount = count * 50
        let input = [UInt8](repeating: 0xab, count: 32)
        let sha256 = try measure(runs: runs, operations: hashCount) {
            for _ in 0..<hashCount {
                blackHole(try SHA256.hash(input))
            }
        }
        report("SHA-256 of 32 bytes", perSecond: sha256, anchor: nil)
    }

    struct Rate {
        /// Operations per second of thread CPU time (median of the runs).
        var perCPUSecond: Double
        /// Operations per second of wall-clock time (median of the runs).
        var perWallSecond: Double
    }

    /// Rates of `body` (which does `operations` operations), median of `runs`.
    private func measure(runs: Int, operations: Int, _ body: () throws -> Void) throws -> Rate {
        try body()  // warm-up: caches, lazy contexts, page faults
        var cpuRates: [Double] = []
        var wallRates: [Double] = []
        for _ in 0..<runs {
            let cpuStart = threadCPUSeconds(), wallStart = wallSeconds()
            try body()
            let cpu = threadCPUSeconds() - cpuStart, wall = wallSeconds() - wallStart
            cpuRates.append(Double(operations) / cpu)
            wallRates.append(Double(operations) / wall)
        }
        return Rate(perCPUSecond: median(cpuRates), perWallSecond: median(wallRates))
    }

    private func report(_ name: String, perSecond rate: Rate, anchor: Double?) {
        let microseconds = 1e6 / rate.perCPUSecond
        var line = "\(pad(name, 38)) \(pad(formatted(rate.perCPUSecond), 10, left: true)) /s "
            + "\(pad(format2(microseconds), 7, left: true)) µs (wall \(pad(formatted(rate.perWallSecond), 10, left: true)) /s)"
        if let anchor {
            line += "  ratio to anchor \(formatted(anchor))/s: \(format2(rate.perCPUSecond / anchor))"
        }
        print(line)
    }

    private func formatted(_ value: Double) -> String {
        let rounded = Int(value.rounded())
        var digits = String(rounded)
        var result = ""
        while digits.count > 3 {
            result = "," + digits.suffix(3) + result
            digits.removeLast(3)
        }
        return digits + result
    }

    private func format2(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    private func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
    }
}

/// Keeps the optimizer from deleting a computation whose result is unused.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
