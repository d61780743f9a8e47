// d6g-bench node-rpc: requests per second a running node answers, per method, over HTTP from
// several connections at once (single requests, no batches): eth_blockNumber, eth_getBalance,
// eth_call, eth_getProof, and eth_getLogs over a range of blocks (Docs/benchmarks.md §RPC on a
// node). Works against any Ethereum JSON-RPC node; on a gen-chain chain, --contract names the
// SimpleStore whose events eth_getLogs finds.
import ArgumentParser
import Foundation
import LedgerClient
import LedgerJSON
import LedgerPrimitives
import Synchronization

struct NodeRPCBenchmark: AsyncBenchmark {
    static let configuration = CommandConfiguration(
        commandName: "node-rpc",
        abstract: "Requests/s of a running node per method (eth_blockNumber, eth_getBalance, eth_call, eth_getProof, eth_getLogs).",
        discussion: "Example: d6g-bench node-rpc --rpc http://127.0.0.1:8545 --contract 0x… --log-range 10000")

    @Option(help: "The node's JSON-RPC URL.")
    var rpc = "http://127.0.0.1:8545"

    @Option(name: .customLong("seconds"), help: "Seconds per method.")
    var secondsPerMethod = 3.0

    @Option(help: "Concurrent connections, each with one request in flight.")
    var connections = 4

    @Option(help: "Contract to call (get()) and to read logs of; without it eth_call targets an account.")
    var contract: String?

    @Option(help: "Blocks eth_getLogs covers, ending at the head.")
    var logRange: UInt64 = 10_000

    @Option(help: "Client transport: posix (HTTPTransport, POSIX sockets) or nio (NIOHTTPTransport, SwiftNIO).")
    var transport = "posix"

    @Flag(help: "Only eth_blockNumber (the transport's own cost per request).")
    var blockNumberOnly = false

    func validate() throws {
        guard ["posix", "nio"].contains(transport) else { throw ValidationError("--transport is posix or nio") }
        guard secondsPerMethod > 0, secondsPerMethod <= 3_600 else { throw ValidationError("--seconds must be in (0, 3600]") }
        guard (1...256).contains(connections) else { throw ValidationError("--connections must be between 1 and 256") }
    }

    func client() throws -> LedgerClient {
        LedgerClient(transport: transport == "nio" ? try NIOHTTPTransport(url: rpc, timeout: 60) as any RPCTransport
                                                    : try HTTPTransport(url: rpc, timeout: 60))
    }

    func measure() async throws {
        let account = "0xd3d4ebDB3857ef348CCfEBcCcCdf6c7Ff777f65B"   // dev account 0
        let target = contract ?? account
        let probe = try client()
        let head = try await probe.blockNumber()
        let from = head >= logRange ? head - logRange + 1 : 0
        let half = head >= logRange / 2 ? head - logRange / 2 + 1 : 0
        let cases: [(String, String, [JSONValue])] = [
            ("eth_blockNumber", "eth_blockNumber", []),
            ("eth_getBalance", "eth_getBalance", [.string(account), "latest"]),
            ("eth_call", "eth_call", [.object(["to": .string(target), "data": "0x6d4ce63c"]), "latest"]),
            ("eth_getProof", "eth_getProof", [.string(target), ["0x0"], "latest"]),
            // Every block's bloom is checked; no block's receipts need reading.
            ("eth_getLogs \(head - from + 1) blk, 0 match", "eth_getLogs",
             [.object(["fromBlock": .quantity(from), "toBlock": .quantity(head),
                       "address": "0x000000000000000000000000000000000000dEaD"])]),
            // Every block matches: receipts read and logs encoded (within the 10,000-result limit).
            ("eth_getLogs \(head - half + 1) blk, all", "eth_getLogs",
             [.object(["fromBlock": .quantity(half), "toBlock": .quantity(head), "address": .string(target)])]),
        ]
        print("node \(rpc), head \(head), \(connections) connections, \(secondsPerMethod) s per method, \(transport) transport")
        for (label, method, params) in blockNumberOnly ? Array(cases.prefix(1)) : cases {
            let sample = try await probe.call(method, params)
            let items = sample.arrayValue?.count
            let done = Tally()
            let deadline = ContinuousClock.now + .milliseconds(Int64(secondsPerMethod * 1_000))
            let started = ContinuousClock.now
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<connections {
                    let client = try client()
                    group.addTask {
                        while ContinuousClock.now < deadline {
                            _ = try await client.call(method, params)
                            done.count.withLock { $0 += 1 }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let elapsed = seconds(ContinuousClock.now - started)
            let count = done.count.withLock { $0 }
            let rate = Double(count) / elapsed
            let suffix = items.map { ", \($0) results each" } ?? ""
            let latency = 1_000 * elapsed * Double(connections) / Double(max(count, 1))
            print(label.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: " %9.0f req/s  %8.3f ms each", rate, latency) + suffix)
        }
    }
}

/// Requests answered, counted by every connection.
private final class Tally: Sendable {
    let count = Mutex(0)
}
