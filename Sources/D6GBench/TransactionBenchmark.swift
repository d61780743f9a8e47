// d6g-bench transactions: the cost of admitting one EIP-1559 transfer (decode, validate, signing
// hash, sender recovery, transaction hash) and of its parts, on one core, against the TARGETS.md
// anchor of ~30,700 secp256k1 recoveries per second.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes

struct TransactionBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "EIP-1559 sender recovery, decoding and hashing per second, one core (median of several runs)."
    )

    @Option(help: "Timed runs per measurement; the median is reported.")
    var runs = 7

    @Option(help: "Transactions recovered per run (decode and hash runs do 20 times as many).")
    var operations = 20_000

    func validate() throws {
        guard runs >= 1, operations >= 1 else { throw ValidationError("runs and operations must be positive") }
    }

    func run() throws {
        // 256 distinct transfers from 64 keys, so no measurement runs on one hot input.
        let keys = (0..<64).map { _ in PrivateKey.generate() }
        let raw: [[UInt8]] = try (0..<256).map { index in
            let unsigned = UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
                chainId: 1, nonce: UInt64(index), maxPriorityFeePerGas: UInt256(1_000_000_000),
                maxFeePerGas: UInt256(30_000_000_000), gasLimit: 21_000,
                to: keys[(index + 1) & 63].address, value: UInt256(UInt64(index) * 1_000_000_007)))
            return try unsigned.signed(with: keys[index & 63]).encoded
        }
        let decoded = try raw.map { try SignedTransaction(decoding: $0) }
        let recoveries = operations
        let cheap = operations * 20

        print("d6g-bench transactions: \(runs) runs, median, one thread, per CPU-second; "
              + "EIP-1559 transfer of \(raw[0].count) bytes")
        // The same run's bare libsecp256k1 recovery, so the ratio holds on a loaded machine too.
        let signatures = try raw.map { bytes in
            let tx = try SignedTransaction(decoding: bytes)
            return (try RecoverableSignature(r: tx.r.bigEndianBytes, s: tx.s.bigEndianBytes, recoveryID: tx.yParity),
                    tx.signingHash)
        }
        let bare = try Self.measure(runs: runs, operations: recoveries) {
            for index in 0..<recoveries {
                let (signature, digest) = signatures[index & 255]
                Self.keep(try signature.recoverPublicKey(for: digest))
            }
        }
        Self.report("secp256k1 recover alone (reference)", perSecond: bare, anchor: 30_700)
        let admit = try Self.measure(runs: runs, operations: recoveries) {
            for index in 0..<recoveries {
                let recovered = try RecoveredTransaction(decoding: raw[index & 255], chainId: 1)
                Self.keep(recovered.sender)
            }
        }
        Self.report("decode + validate + recover + tx hash", perSecond: admit, anchor: 30_700)
        print("  admission / bare recovery in this run: \((admit / bare * 100).rounded() / 100)")

        let recover = try Self.measure(runs: runs, operations: recoveries) {
            for index in 0..<recoveries {
                Self.keep(try decoded[index & 255].recoverSender())
            }
        }
        Self.report("signing hash + recover (decoded tx)", perSecond: recover, anchor: 30_700)

        let decode = try Self.measure(runs: runs, operations: cheap) {
            for index in 0..<cheap {
                Self.keep(try SignedTransaction(decoding: raw[index & 255]).nonce)
            }
        }
        Self.report("decode only", perSecond: decode, anchor: nil)

        let signingHash = try Self.measure(runs: runs, operations: cheap) {
            for index in 0..<cheap {
                Self.keep(decoded[index & 255].signingHash)
            }
        }
        Self.report("signing hash only (from the encoding)", perSecond: signingHash, anchor: nil)

        let transactionHash = try Self.measure(runs: runs, operations: cheap) {
            for index in 0..<cheap {
                Self.keep(decoded[index & 255].hash)
            }
        }
        Self.report("transaction hash only (keccak)", perSecond: transactionHash, anchor: nil)

        let validity = try Self.measure(runs: runs, operations: cheap) {
            for index in 0..<cheap {
                try decoded[index & 255].checkIntrinsicValidity(chainId: 1)
            }
        }
        Self.report("intrinsic validity only", perSecond: validity, anchor: nil)
    }

    /// Keeps a result alive so the optimizer cannot drop the work that made it.
    @inline(never) private static func keep<Value>(_ value: Value) {
        withExtendedLifetime(value) {}
    }

    /// Operations per CPU-second of `body` (which does `operations` operations), median of `runs`.
    /// The thread's CPU time, not the wall clock: this box is shared, and a run that is
    /// descheduled half the time would otherwise report half the rate.
    private static func measure(runs: Int, operations: Int, _ body: () throws -> Void) throws -> Double {
        try body()  // warm-up: caches, the lazy secp256k1 context, page faults
        var rates: [Double] = []
        for _ in 0..<runs {
            let start = threadCPUSeconds()
            try body()
            rates.append(Double(operations) / (threadCPUSeconds() - start))
        }
        return median(rates)
    }

    private static func report(_ name: String, perSecond rate: Double, anchor: Double?) {
        let name = name + String(repeating: " ", count: max(0, 40 - name.count))
        let perSecond = String(Int(rate.rounded()))
        let micros = (1e6 / rate * 100).rounded() / 100
        var line = "\(name) \(String(repeating: " ", count: max(0, 10 - perSecond.count)))\(perSecond) /s  \(micros) µs"
        if let anchor { line += "   ratio to anchor \(Int(anchor))/s: \((rate / anchor * 100).rounded() / 100)" }
        print(line)
    }
}
