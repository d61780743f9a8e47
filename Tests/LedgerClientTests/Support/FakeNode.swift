// Test doubles: a scripted JSON-RPC node (answers per method, single and batched) usable as an
// in-process transport, and a tiny blocking HTTP/1.1 server on 127.0.0.1 to drive the real
// socket transport.
import Foundation
import LedgerClient
import LedgerJSON
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a scripted node answers to one call.
enum FakeAnswer {
    case result(JSONValue)
    case error(code: Int, message: String, data: JSONValue? = nil)
}

/// A JSON-RPC node whose every method is a closure; records the methods it was asked.
final class FakeNode: RPCTransport, @unchecked Sendable {
    private let lock = NSLock()
    private var handlers: [String: @Sendable ([JSONValue]) -> FakeAnswer] = [:]
    private(set) var calls: [String] = []
    private(set) var posts = 0
    /// When set, batch answers are returned in reverse order (ids must still match).
    var reversesBatches = false

    var endpoint: String { "fake-node" }

    func on(_ method: String, _ handler: @escaping @Sendable ([JSONValue]) -> FakeAnswer) {
        lock.withLock { handlers[method] = handler }
    }

    func callCount(_ method: String) -> Int { lock.withLock { calls.filter { $0 == method }.count } }

    func post(_ body: [UInt8]) async throws(ClientError) -> [UInt8] { respond(to: body) }

    /// The response body a JSON-RPC node would send for `body`.
    func respond(to body: [UInt8]) -> [UInt8] {
        lock.withLock { posts += 1 }
        guard let request = try? JSONValue(parsing: body) else {
            return JSONWriter.encode(.object(["jsonrpc": .string("2.0"), "id": .null,
                                              "error": .object(["code": .integer(-32700), "message": .string("parse error")])]))
        }
        if case .array(let requests) = request {
            var answers = requests.map(answer)
            if reversesBatches { answers.reverse() }
            return JSONWriter.encode(JSONValue.array(answers))
        }
        return JSONWriter.encode(answer(request))
    }

    private func answer(_ request: JSONValue) -> JSONValue {
        let method = request["method"]?.stringValue ?? ""
        let params = request["params"]?.arrayValue ?? []
        let handler = lock.withLock { () -> (@Sendable ([JSONValue]) -> FakeAnswer)? in
            calls.append(method)
            return handlers[method]
        }
        var response: JSONObject = ["jsonrpc": .string("2.0"), "id": request["id"] ?? .null]
        switch handler?(params) ?? .error(code: -32601, message: "the method \(method) does not exist/is not available") {
        case .result(let value): response["result"] = value
        case .error(let code, let message, let data):
            var error: JSONObject = ["code": JSONValue.integer(code), "message": .string(message)]
            if let data { error["data"] = data }
            response["error"] = .object(error)
        }
        return .object(response)
    }
}

/// How the test HTTP server frames its responses.
enum ResponseFraming: Sendable {
    case contentLength
    case chunked
    /// Content-Length, then the server closes the connection after every response.
    case closeAfterEach
    /// Never answers (to test timeouts).
    case silent
}

/// A blocking HTTP/1.1 server on 127.0.0.1 at an ephemeral port, one thread per connection,
/// answering every POST with `respond(body)`. Stopped by `stop()`.
final class TinyHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let listener: Int32
    private let respond: @Sendable ([UInt8]) -> [UInt8]
    private let framing: ResponseFraming
    private let stopped = Mutex(false)
    let acceptedConnections = Mutex(0)

    var url: String { "http://127.0.0.1:\(port)/" }

    init(framing: ResponseFraming = .contentLength, respond: @escaping @Sendable ([UInt8]) -> [UInt8]) throws {
        self.respond = respond
        self.framing = framing
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var on: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func stop() {
        stopped.withLock { $0 = true }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func acceptLoop() {
        while !stopped.withLock({ $0 }) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            acceptedConnections.withLock { $0 += 1 }
            let thread = Thread { [self] in serve(connection) }
            thread.start()
        }
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var buffer = [UInt8]()
        while true {
            guard let body = readRequest(connection, &buffer) else { return }
            if case .silent = framing { Thread.sleep(forTimeInterval: 5); return }
            let answer = respond(body)
            var head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            var payload: [UInt8]
            switch framing {
            case .chunked:
                head += "Transfer-Encoding: chunked\r\n\r\n"
                payload = []
                // Two chunks of uneven size, and a chunk extension, to exercise the parser.
                let split = answer.count / 3
                for part in [answer[..<split], answer[split...]] where !part.isEmpty {
                    payload += Array((String(part.count, radix: 16) + ";x=y\r\n").utf8) + part + Array("\r\n".utf8)
                }
                payload += Array("0\r\n\r\n".utf8)
            case .closeAfterEach:
                head += "Content-Length: \(answer.count)\r\nConnection: close\r\n\r\n"
                payload = answer
            case .contentLength, .silent:
                head += "Content-Length: \(answer.count)\r\n\r\n"
                payload = answer
            }
            let bytes = Array(head.utf8) + payload
            var sent = 0
            while sent < bytes.count {
                let count = bytes[sent...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard count > 0 else { return }
                sent += count
            }
            if case .closeAfterEach = framing { return }
        }
    }

    /// Reads one request (head + Content-Length body); nil at end of stream.
    private func readRequest(_ connection: Int32, _ buffer: inout [UInt8]) -> [UInt8]? {
        while true {
            if let end = find(buffer, Array("\r\n\r\n".utf8)) {
                let head = String(decoding: buffer[..<end], as: UTF8.self).lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                while buffer.count < end + 4 + length {
                    guard receive(connection, &buffer) else { return nil }
                }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeFirst(end + 4 + length)
                return body
            }
            guard receive(connection, &buffer) else { return nil }
        }
    }

    private func receive(_ connection: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }

    private func find(_ haystack: [UInt8], _ needle: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for index in 0...(haystack.count - needle.count) where haystack[index..<(index + needle.count)].elementsEqual(needle) {
            return index
        }
        return nil
    }
}

/// A port on 127.0.0.1 where nothing listens (bound, then closed).
func unusedLocalPort() throws -> UInt16 {
    let server = try TinyHTTPServer { _ in [] }
    let port = server.port
    server.stop()
    return port
}

/// The folder of this test target's fixtures.
func fixturePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent(name).path
}
