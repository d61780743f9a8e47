// `d6g-bench keccak`: keccak-256 throughput for 32 B, 64 B and 1 KiB inputs, against OpenSSL's
// SHA3-256 in the same run (same Keccak-f[1600] permutation, only the padding byte differs).
import ArgumentParser
import COpenSSL
import LedgerPrimitives

struct KeccakBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keccak",
        abstract: "keccak-256 hashes/s for 32 B, 64 B and 1 KiB, with OpenSSL SHA3-256 as reference."
    )

    @Option(help: "Timed runs per case; the median is reported.")
    var runs = 5

    @Option(help: "Hashes per run for 32-byte inputs (other sizes scale down by their block count).")
    var hashes = 1_000_000

    /// TARGETS.md: OpenSSL's SHA3-256 runs ~3.0 M hashes/s of 32 bytes on this machine.
    static let anchorHashesPerSecond = 3.0e6

    func validate() throws {
        guard runs > 0, hashes > 0 else { throw ValidationError("--runs and --hashes must be positive") }
    }

    func run() throws {
        print("keccak-256, median of \(runs) runs (hashes/s, MB/s; ratio to OpenSSL SHA3-256 in this run)")
        let openSSL = try OpenSSLSHA3()
        var ours32 = 0.0
        for size in [32, 64, 1024] {
            // Keep every run near the same duration: a 1 KiB input costs 8 permutations.
            let count = Swift.max(1, hashes / ((size + Keccak256.rate) / Keccak256.rate))
            let reference = median(runs) { openSSL.chainedHashes(size: size, count: count) }
            let ours = median(runs) { chainedKeccak(size: size, count: count) }
            if size == 32 { ours32 = ours }
            report("keccak-256 [UInt8] \(size) B", ours, size: size, reference: reference)
            report("OpenSSL SHA3-256   \(size) B", reference, size: size, reference: reference)
            if size == 32 {
                report("keccak-256 Hash32  32 B", median(runs) { chainedHash32(count: count) }, size: 32, reference: reference)
            } else if size == 64 {
                report("keccak-256 (Hash32, Hash32) 64 B", median(runs) { chainedHashPair(count: count) }, size: 64, reference: reference)
            }
        }
        let ratio = ours32 / Self.anchorHashesPerSecond
        print("32 B via [UInt8]: \(format(ours32 / 1e6)) M/s = \(format(ratio))× the TARGETS.md anchor of 3.0 M/s")
    }

    private func report(_ label: String, _ perSecond: Double, size: Int, reference: Double) {
        let megabytes = perSecond * Double(size) / 1e6
        print("\(label + String(repeating: " ", count: Swift.max(0, 34 - label.count))) \(format(perSecond / 1e6)) M/s  "
            + "\(format(megabytes)) MB/s  ×\(format(perSecond / reference)) OpenSSL")
    }
}

/// Runs `body` (which returns hashes/s) `runs` times after one warm-up, and returns the median.
private func median(_ runs: Int, _ body: () -> Double) -> Double {
    _ = body()
    let samples = (0..<runs).map { _ in body() }.sorted()
    return samples[samples.count / 2]
}

private func hashesPerSecond(_ count: Int, since start: ContinuousClock.Instant) -> Double {
    let elapsed = (ContinuousClock.now - start) / .nanoseconds(1)
    return Double(count) / (elapsed / 1e9)
}

/// Each digest changes the next input, so no hash can be skipped or hoisted; the feedback is a
/// comparison rather than a copy so that no array is allocated in the timed loop.
private func chainedKeccak(size: Int, count: Int) -> Double {
    var input = [UInt8](repeating: 0x5a, count: size)
    var previous = Hash32.zero
    let start = ContinuousClock.now
    for _ in 0..<count {
        let digest = Keccak256.hash(input)
        input[0] &+= digest < previous ? 1 : 3
        previous = digest
    }
    let rate = hashesPerSecond(count, since: start)
    blackHole(input)
    return rate
}

private func chainedHash32(count: Int) -> Double {
    var value = Hash32.zero
    let start = ContinuousClock.now
    for _ in 0..<count { value = Keccak256.hash(value) }
    let rate = hashesPerSecond(count, since: start)
    blackHole(value.bytes)
    return rate
}

private func chainedHashPair(count: Int) -> Double {
    var left = Hash32.zero
    let right = Keccak256.hash([1, 2, 3])
    let start = ContinuousClock.now
    for _ in 0..<count { left = Keccak256.hash(left, right) }
    let rate = hashesPerSecond(count, since: start)
    blackHole(left.bytes)
    return rate
}

@inline(never) private func blackHole(_ bytes: [UInt8]) {
    if bytes.count == 12345 { print(bytes) }
}

/// OpenSSL's SHA3-256 through EVP, with the digest fetched once and one context reused,
/// so the figure is the permutation plus EVP's per-call overhead, not repeated lookups.
private final class OpenSSLSHA3 {
    enum Failure: Error { case unavailable, digestFailed }

    let digest: OpaquePointer
    let context: OpaquePointer

    init() throws(Failure) {
        guard let digest = EVP_MD_fetch(nil, "SHA3-256", nil) else { throw .unavailable }
        guard let context = EVP_MD_CTX_new() else { EVP_MD_free(digest); throw .unavailable }
        (self.digest, self.context) = (digest, context)
    }

    deinit {
        EVP_MD_CTX_free(context)
        EVP_MD_free(digest)
    }

    func chainedHashes(size: Int, count: Int) -> Double {
        var input = [UInt8](repeating: 0x5a, count: size)
        var output = [UInt8](repeating: 0, count: 32)
        let start = ContinuousClock.now
        var ok: Int32 = 1
        for _ in 0..<count {
            var length: UInt32 = 0
            ok &= EVP_DigestInit_ex(context, digest, nil)
            ok &= EVP_DigestUpdate(context, input, size)
            ok &= EVP_DigestFinal_ex(context, &output, &length)
            input[0] &+= output[0] < output[1] ? 1 : 3
        }
        let rate = hashesPerSecond(count, since: start)
        precondition(ok == 1, "OpenSSL SHA3-256 failed")
        blackHole(input)
        return rate
    }
}

private func format(_ value: Double) -> String {
    let scaled = (value * 100).rounded() / 100
    return "\(scaled)"
}
