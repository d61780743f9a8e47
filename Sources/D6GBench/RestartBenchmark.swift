// d6g-bench restart: TARGETS.md P6's first half — how long a node takes from exec to serving
// RPC at its head over a long chain (`d6g-bench gen-chain` makes one), and its resident memory
// then. The node is a real `d6g-node` process; the figure is the time until `eth_blockNumber`
// answers the stored head over HTTP.
import ArgumentParser
import Foundation
import LedgerClient

struct RestartBenchmark: AsyncBenchmark {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Time from exec to serving RPC at the head, and RSS, of d6g-node over a data directory (P6).",
        discussion: "Example: d6g-bench restart --datadir /tmp/p6 --runs 5 (after d6g-bench gen-chain --datadir /tmp/p6)")

    static let targetSeconds = 2.0

    @Option(help: "Data directory (a devnet chain, as gen-chain makes).")
    var datadir: String

    @Option(help: "The node binary.")
    var node = ".build/release/d6g-node"

    @Option(help: "Restarts to time; the median is reported.")
    var runs = 5

    @Option(help: "Loopback port for the node's RPC.")
    var port = 18_645

    func measure() async throws {
        var times: [Double] = [], memories: [Int] = []
        var head: UInt64 = 0
        for run in 1...max(runs, 1) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: node)
            // A follower: serves the stored chain, produces nothing (so the head stays put).
            process.arguments = ["run", "--datadir", datadir, "--rpc-port", String(port)]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let client = LedgerClient(transport: try HTTPTransport(url: "http://127.0.0.1:\(port)", timeout: 2))
            let started = ContinuousClock.now
            try process.run()
            var answered: UInt64?
            while answered == nil, ContinuousClock.now - started < .seconds(120) {
                if let number = try? await client.blockNumber() { answered = number } else {
                    try await Task.sleep(for: .milliseconds(2))
                }
            }
            let elapsed = seconds(ContinuousClock.now - started)
            let rss = Self.residentKiB(of: process.processIdentifier)
            process.terminate()
            process.waitUntilExit()
            guard let number = answered else { throw ValidationError("the node did not answer within 120 s (run \(run))") }
            head = number
            times.append(elapsed)
            memories.append(rss)
            print(String(format: "run %d: serving block %llu after %.3f s, RSS %.1f MiB", run, number, elapsed, Double(rss) / 1024))
        }
        let median = times.sorted()[times.count / 2]
        print(String(format: "restart over %llu blocks: median %.3f s (target ≤ %.1f s, ratio %.2f); RSS median %.1f MiB",
                     head, median, Self.targetSeconds, Self.targetSeconds / median,
                     Double(memories.sorted()[memories.count / 2]) / 1024))
    }

    /// VmRSS of `pid` in KiB (Linux).
    static func residentKiB(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? 0
        }
        return 0
    }
}
