// `d6g-bench rpc`: what the JSON-RPC server costs per request. (1) Parsing and framing a
// batch of 1,000 eth_sendRawTransaction requests (110-byte raw transactions) and writing the
// 1,000 answers, against Foundation's JSONSerialization in the same run; (2) requests/s
// through a real loopback socket against a trivial handler, one client, batches of 100.
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LedgerJSON
import LedgerPrimitives
import RPCServer

struct RPCBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rpc",
        abstract: "JSON-RPC parse/serialize cost per request (vs Foundation) and requests/s over a loopback socket."
    )

    @Option(help: "Timed runs per case; the median is reported.")
    var runs = 7

    @Option(help: "Requests in the parsed batch.")
    var batch = 1_000

    @Option(help: "Requests per HTTP batch in the socket test.")
    var socketBatch = 100

    @Option(help: "Seconds of socket traffic per run.")
    var seconds = 1.0

    /// TARGETS.md P4: one dev node admits ≥ 10,000 signed transfers/s.
    static let admissionTarget = 10_000.0

    func validate() throws {
        guard runs > 0, batch > 0, socketBatch > 0, seconds > 0 else {
            throw ValidationError("--runs, --batch, --socket-batch and --seconds must be positive")
        }
    }

    func run() throws {
        let body = Self.sendRawTransactionBatch(count: batch, seed: 1)
        print("rpc: batch of \(batch) eth_sendRawTransaction requests, \(body.count) bytes; median of \(runs) runs, CPU µs per request")
        let dispatcher = RPCDispatcher(handler: TrivialNode.table(), limits: RPCLimits(maxBatchLength: batch))
        let results: [JSONValue] = (0..<batch).map { .hash(Keccak256.hash([UInt8(truncatingIfNeeded: $0)])) }
        let envelope: RPCEnvelope
        guard case .envelope(let decoded) = body.withUnsafeBytes({ dispatcher.decode($0) }) else {
            throw ValidationError("the generated batch did not decode")
        }
        envelope = decoded
        let foundationResponses: [[String: Any]] = (0..<batch).map {
            ["jsonrpc": "2.0", "id": $0, "result": results[$0].stringValue!]
        }
        let cases: [(String, () -> Void)] = [
            ("parse: JSONParser", { _ = try? JSONParser.parse(body) }),
            ("parse + frame: RPCDispatcher.decode", { _ = body.withUnsafeBytes { dispatcher.decode($0) } }),
            ("parse: Foundation JSONSerialization", { _ = try? JSONSerialization.jsonObject(with: Data(body)) }),
            ("write answers: JSONWriter", { _ = Self.writeAnswers(envelope, results) }),
            ("write answers: Foundation JSONSerialization", { _ = try? JSONSerialization.data(withJSONObject: foundationResponses) }),
        ]
        // Round-robin over the cases so that load from elsewhere hits them alike; run 0 warms up.
        var samples = [[Double]](repeating: [], count: cases.count)
        for run in 0...runs {
            for (index, (_, work)) in cases.enumerated() {
                let start = threadCPUSeconds()
                work()
                let perRequest = (threadCPUSeconds() - start) / Double(batch) * 1e6
                if run > 0 { samples[index].append(perRequest) }
            }
        }
        let medians = samples.map(median)
        for (index, (label, _)) in cases.enumerated() {
            print("  \(label.padding(toLength: 46, withPad: " ", startingAt: 0)) \(decimal(medians[index], 3)) µs")
        }
        let ours = medians[1] + medians[3]
        let foundation = medians[2] + medians[4]
        print("  parse + frame + write, ours: \(decimal(ours, 3)) µs/request = \(decimal(foundation / ours, 1))× faster than "
            + "Foundation's parse + write (\(decimal(foundation, 3)) µs); one core could frame \(decimal(1e6 / ours / 1e3, 0))k req/s")

        let rates = try socketRates()
        let socketMedian = median(rates)
        print("rpc over loopback HTTP, 1 client, batches of \(socketBatch), trivial handler: \(decimal(socketMedian, 0)) requests/s "
            + "(median of \(runs) runs of \(decimal(seconds, 1)) s) = \(decimal(socketMedian / Self.admissionTarget, 1))× the P4 "
            + "target of 10,000 tx/s")
    }

    /// One run of loopback traffic per entry: requests/s.
    private func socketRates() throws -> [Double] {
        let server = try blockingAwait {
            try await RPCHTTPServer.start(
                configuration: RPCServerConfiguration(port: 0, maxBatchLength: max(socketBatch, 1_000)),
                handler: TrivialNode.table())
        }
        defer { _ = try? blockingAwait { try await server.shutdown() } }
        let client = try LoopbackHTTPClient(port: server.port)
        let body = Self.sendRawTransactionBatch(count: socketBatch, seed: 2)
        var request = Array("POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: \(body.count)\r\n\r\n".utf8)
        request += body
        for _ in 0..<20 { _ = try client.exchange(request) }  // warm-up
        var rates: [Double] = []
        for _ in 0..<runs {
            let start = wallSeconds()
            var requests = 0
            while wallSeconds() - start < seconds {
                let response = try client.exchange(request)
                guard response.count > body.count / 4 else { throw ValidationError("short response: \(response.count) bytes") }
                requests += socketBatch
            }
            rates.append(Double(requests) / (wallSeconds() - start))
        }
        return rates
    }

    private static func writeAnswers(_ envelope: RPCEnvelope, _ results: [JSONValue]) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 110 * results.count)
        writer.writeASCII("[")
        for (index, entry) in envelope.entries.enumerated() {
            guard case .call(let id?, _) = entry else { continue }
            if index > 0 { writer.writeASCII(",") }
            writer.writeASCII("{\"jsonrpc\":\"2.0\",\"id\":")
            writer.write(id)
            writer.writeASCII(",\"result\":")
            writer.write(results[index])
            writer.writeASCII("}")
        }
        writer.writeASCII("]")
        return writer.bytes
    }

    /// A JSON batch of `count` eth_sendRawTransaction calls with 110-byte pseudo-random payloads.
    static func sendRawTransactionBatch(count: Int, seed: UInt64) -> [UInt8] {
        var state = seed
        var text = "["
        for index in 0..<count {
            var raw = [UInt8](repeating: 0, count: 110)
            for byte in raw.indices {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                raw[byte] = UInt8(truncatingIfNeeded: state >> 33)
            }
            if index > 0 { text += "," }
            text += #"{"jsonrpc":"2.0","id":\#(index + 1),"method":"eth_sendRawTransaction","params":["\#(Hex.encode(raw))"]}"#
        }
        return Array((text + "]").utf8)
    }
}

/// A node that only decodes the raw transaction and answers a fixed-shape hash.
private enum TrivialNode {
    static func table() -> RPCMethodTable {
        var table = RPCMethodTable()
        table.register("eth_sendRawTransaction", arguments: 1...1) { params in
            let raw = try params.required(0, as: [UInt8].self)
            return .hash(Hash32(bytes: raw.prefix(32))!)
        }
        return table
    }
}

/// A blocking HTTP/1.1 client on one keep-alive loopback connection (the benchmark's main
/// thread is not part of Swift's cooperative pool, so blocking here starves nothing).
private final class LoopbackHTTPClient {
    private let socket: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)

    init(port: Int) throws {
        #if canImport(Glibc)
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard socket >= 0 else { throw ValidationError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ValidationError("connect() to 127.0.0.1:\(port) failed") }
        var noDelay: Int32 = 1
        setsockopt(socket, Int32(IPPROTO_TCP), TCP_NODELAY, &noDelay, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit { close(socket) }

    /// Sends one request and returns the body of its response (Content-Length framed).
    func exchange(_ request: [UInt8]) throws -> [UInt8] {
        var sent = 0
        while sent < request.count {
            let written = request.withUnsafeBytes { send(socket, $0.baseAddress! + sent, request.count - sent, 0) }
            guard written > 0 else { throw ValidationError("send() failed") }
            sent += written
        }
        var received = 0
        var bodyStart = -1
        var bodyLength = 0
        while bodyStart < 0 || received < bodyStart + bodyLength {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress! + received, $0.count - received, 0) }
            guard count > 0 else { throw ValidationError("the server closed the connection") }
            received += count
            if bodyStart < 0, let end = headerEnd(received) {
                bodyStart = end
                let headers = String(decoding: buffer[..<end], as: UTF8.self).lowercased()
                guard let line = headers.components(separatedBy: "\r\n").first(where: { $0.hasPrefix("content-length:") }),
                      let length = Int(line.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces))
                else { throw ValidationError("response without content-length") }
                bodyLength = length
            }
        }
        return Array(buffer[bodyStart..<bodyStart + bodyLength])
    }

    private func headerEnd(_ count: Int) -> Int? {
        guard count >= 4 else { return nil }
        for index in 0...(count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index + 4
        }
        return nil
    }
}

/// Runs async work from the synchronous command (whose thread is outside the cooperative pool).
private func blockingAwait<T: Sendable>(_ work: @escaping @Sendable () async throws -> T) throws -> T {
    let done = DispatchSemaphore(value: 0)
    let box = ResultBox<T>()
    Task {
        do { box.result = .success(try await work()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?  // written once before the semaphore signals, read after
}

private func decimal(_ value: Double, _ places: Int) -> String { String(format: "%.\(places)f", value) }
