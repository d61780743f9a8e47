// The socket HTTP/1.1 transport against a real local server: keep-alive, chunked bodies,
// servers that close connections, refused connections, timeouts, and failover.
import LedgerClient
import LedgerPrimitives
import Testing

@Suite("HTTP transport")
struct HTTPTransportTests {
    static func node() -> FakeNode {
        let node = FakeNode()
        node.on("eth_blockNumber") { _ in .result(.string("0x2a")) }
        node.on("eth_chainId") { _ in .result(.string("0x539")) }
        return node
    }

    @Test("URLs split into host, port and path; https and junk are refused")
    func endpoints() throws {
        let plain = try HTTPEndpoint("http://127.0.0.1:8545")
        #expect(plain.host == "127.0.0.1" && plain.port == 8545 && plain.path == "/")
        let withPath = try HTTPEndpoint("http://node.local/rpc/v1")
        #expect(withPath.port == 80 && withPath.path == "/rpc/v1")
        let v6 = try HTTPEndpoint("http://[::1]:9000/")
        #expect(v6.host == "::1" && v6.port == 9000)
        #expect(throws: ClientError.self) { try HTTPEndpoint("https://node:8545") }
        #expect(throws: ClientError.self) { try HTTPEndpoint("127.0.0.1:8545") }
        #expect(throws: ClientError.self) { try HTTPEndpoint("http://host:99999") }
    }

    @Test("requests on one kept-alive connection, single and batched", arguments: [ResponseFraming.contentLength, .chunked])
    func keepAlive(_ framing: ResponseFraming) async throws {
        let node = Self.node()
        let server = try TinyHTTPServer(framing: framing) { node.respond(to: $0) }
        defer { server.stop() }
        let client = try LedgerClient(url: server.url, timeout: 5)
        for _ in 0..<5 { #expect(try await client.blockNumber() == 42) }
        let outcomes = try await client.batch(Array(repeating: RPCRequest("eth_chainId"), count: 1_000))
        #expect(outcomes.count == 1_000)
        #expect(try outcomes.allSatisfy { try $0.get() == .string("0x539") })
        #expect(server.acceptedConnections.withLock { $0 } == 1)
    }

    @Test("a server that closes after each response gets fresh connections")
    func serverCloses() async throws {
        let node = Self.node()
        let server = try TinyHTTPServer(framing: .closeAfterEach) { node.respond(to: $0) }
        defer { server.stop() }
        let client = try LedgerClient(url: server.url, timeout: 5)
        for _ in 0..<3 { #expect(try await client.blockNumber() == 42) }
        #expect(server.acceptedConnections.withLock { $0 } == 3)
    }

    @Test("concurrent calls use concurrent connections")
    func concurrentCalls() async throws {
        let node = Self.node()
        let server = try TinyHTTPServer { node.respond(to: $0) }
        defer { server.stop() }
        let client = try LedgerClient(url: server.url, timeout: 5)
        let heights = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for _ in 0..<16 { group.addTask { try await client.blockNumber() } }
            return try await group.reduce(into: [UInt64]()) { $0.append($1) }
        }
        #expect(heights == Array(repeating: 42, count: 16))
    }

    @Test("a refused connection is a transport error naming the endpoint")
    func refused() async throws {
        let port = try unusedLocalPort()
        let client = try LedgerClient(url: "http://127.0.0.1:\(port)", timeout: 2)
        do {
            _ = try await client.blockNumber()
            Issue.record("a call to a closed port succeeded")
        } catch let error {
            guard case .transport(let endpoint, _) = error else { Issue.record("expected .transport, got \(error)"); return }
            #expect(endpoint.contains("\(port)"))
        }
    }

    @Test("a server that never answers times out")
    func timeout() async throws {
        let server = try TinyHTTPServer(framing: .silent) { _ in [] }
        defer { server.stop() }
        let client = try LedgerClient(url: server.url, timeout: 0.3)
        do {
            _ = try await client.blockNumber()
            Issue.record("a silent server answered")
        } catch let error {
            guard case .timeout = error else { Issue.record("expected .timeout, got \(error)"); return }
        }
    }

    @Test("failover moves on from a dead endpoint and stays with the live one")
    func failover() async throws {
        let node = Self.node()
        let server = try TinyHTTPServer { node.respond(to: $0) }
        defer { server.stop() }
        let dead = try unusedLocalPort()
        let client = try LedgerClient(endpoints: ["http://127.0.0.1:\(dead)", server.url], timeout: 2)
        #expect(try await client.blockNumber() == 42)
        #expect(try await client.chainId() == 1337)
        #expect(node.posts == 2)
        // A node's own error is an answer: no failover, the error comes back as is.
        await #expect(throws: ClientError.self) { try await client.call("eth_unknown") }
        #expect(node.posts == 3)
    }

    @Test("every endpoint down is one transport error listing them")
    func allDown() async throws {
        let first = try unusedLocalPort()
        let second = try unusedLocalPort()
        let client = try LedgerClient(endpoints: ["http://127.0.0.1:\(first)", "http://127.0.0.1:\(second)"], timeout: 1)
        do {
            _ = try await client.blockNumber()
            Issue.record("dead endpoints answered")
        } catch let error {
            guard case .transport(let endpoint, _) = error else { Issue.record("expected .transport, got \(error)"); return }
            #expect(endpoint.contains("\(first)") && endpoint.contains("\(second)"))
        }
    }
}
