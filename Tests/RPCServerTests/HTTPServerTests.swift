// The HTTP server through real sockets on 127.0.0.1: routing, content types, limits,
// keep-alive and pipelining, timeouts, the connection limit, and a catalogue of broken HTTP
// after which the server must still serve (TARGETS.md R6).
import Foundation
import LedgerJSON
import NIOCore
import RPCServer
import RPCTestSupport
import Testing
import TestSupport

let chainIDRequest = #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#

/// Methods for the socket tests: the framing set plus a slow one.
func serverMethods() -> RPCMethodTable {
    var table = testMethods()
    table.register("sleep") { params in
        try await Task.sleep(for: .milliseconds(try params.required(0, as: UInt64.self)))
        return true
    }
    return table
}

/// Sends one JSON-RPC call on `connection` and checks that it is answered.
func expectServing(_ connection: inout RawHTTPConnection, sourceLocation: SourceLocation = #_sourceLocation) async throws {
    try await connection.post(chainIDRequest)
    let response = try await connection.readResponse()
    #expect(response?.status == 200, sourceLocation: sourceLocation)
    #expect(try response?.json()["result"] == "0x539", sourceLocation: sourceLocation)
}

@Suite("HTTP server", .timeLimit(.minutes(2)))
struct HTTPServerTests {
    @Test("defaults: loopback only, port 8545, geth's limits")
    func defaults() async throws {
        let configuration = RPCServerConfiguration()
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8545)
        #expect(configuration.maxBodyBytes == 5 * 1024 * 1024)
        #expect(configuration.maxBatchLength == 1_000)
        try await withServer { server in
            #expect(server.localAddress.ipAddress == "127.0.0.1")
            #expect(server.port > 0)
        }
    }

    @Test("a JSON-RPC call over HTTP, and several on one kept-alive connection")
    func keepAlive() async throws {
        try await withServer(handler: serverMethods()) { server in
            try await withConnection(port: server.port) { connection in
                try await connection.post(chainIDRequest)
                let first = try #require(try await connection.readResponse())
                #expect(first.status == 200)
                #expect(first.header("content-type") == "application/json")
                #expect(first.text == #"{"jsonrpc":"2.0","id":1,"result":"0x539"}"#)
                for _ in 0..<5 { try await expectServing(&connection) }
            }
        }
    }

    @Test("pipelined requests are answered in order")
    func pipelining() async throws {
        try await withServer(handler: serverMethods()) { server in
            try await withConnection(port: server.port) { connection in
                // The slow one first: its answer must still come first.
                let bodies = [#"{"jsonrpc":"2.0","id":1,"method":"sleep","params":["0x32"]}"#,
                              #"{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}"#,
                              #"{"jsonrpc":"2.0","id":3,"method":"eth_blockNumber"}"#]
                let requests = bodies.map {
                    "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: \($0.utf8.count)\r\n\r\n\($0)"
                }
                try await connection.send(requests.joined())
                var ids: [JSONValue?] = []
                for _ in bodies { ids.append(try await connection.readResponse()?.json()["id"]) }
                #expect(ids == [1, 2, 3])
            }
        }
    }

    @Test("JSON content types are accepted, others get 415 and the connection stays")
    func contentTypes() async throws {
        try await withServer { server in
            try await withConnection(port: server.port) { connection in
                for accepted in ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/json-rpc"] {
                    try await connection.post(chainIDRequest, contentType: accepted)
                    #expect(try await connection.readResponse()?.status == 200, "\(accepted)")
                }
                for refused in [nil, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"] {
                    try await connection.post(chainIDRequest, contentType: refused)
                    let response = try #require(try await connection.readResponse())
                    #expect(response.status == 415, "\(String(describing: refused))")
                    #expect(try response.json()["error"]?["code"] == .integer(-32600))
                }
                try await expectServing(&connection)
            }
        }
    }

    @Test("a body over the limit gets 413 with a JSON-RPC error, declared or streamed")
    func bodyTooLarge() async throws {
        try await withServer(RPCServerConfiguration(port: 0, maxBodyBytes: 1024)) { server in
            let big = #"{"jsonrpc":"2.0","id":1,"method":"echo","params":[""# + String(repeating: "a", count: 2000) + #""]}"#
            try await withConnection(port: server.port) { connection in
                try await connection.post(big)
                let response = try #require(try await connection.readResponse())
                #expect(response.status == 413)
                #expect(try response.json()["error"]?["code"] == .integer(-32600))
                #expect(try await connection.isClosedByServer())
            }
            // Chunked, so the size is only known while reading.
            try await withConnection(port: server.port) { connection in
                var request = "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                for _ in 0..<3 { request += "200\r\n" + String(repeating: " ", count: 512) + "\r\n" }
                try await connection.send(request)
                #expect(try await connection.readResponse()?.status == 413)
            }
            // Just under the limit is fine, and other connections were never disturbed.
            try await withConnection(port: server.port) { connection in
                let fits = #"{"jsonrpc":"2.0","id":1,"method":"echo","params":[""# + String(repeating: "a", count: 900) + #""]}"#
                try await connection.post(fits)
                #expect(try await connection.readResponse()?.status == 200)
            }
        }
    }

    @Test("/health, /ready, 404 and 405")
    func routes() async throws {
        try await withServer { server in
            try await withConnection(port: server.port) { connection in
                try await connection.get("/health")
                let health = try #require(try await connection.readResponse())
                #expect(health.status == 200)
                #expect(health.text == "ok")
                try await connection.get("/ready")
                #expect(try await connection.readResponse()?.status == 200)
                try await connection.get("/nope")
                #expect(try await connection.readResponse()?.status == 404)
                try await connection.get("/")
                let wrongMethod = try #require(try await connection.readResponse())
                #expect(wrongMethod.status == 405)
                #expect(wrongMethod.header("allow") == "POST")
                try await connection.send("POST /other HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}")
                #expect(try await connection.readResponse()?.status == 404)
                try await expectServing(&connection)
            }
        }
        try await withServer(isReady: { false }) { server in
            try await withConnection(port: server.port) { connection in
                try await connection.get("/ready")
                #expect(try await connection.readResponse()?.status == 503)
                try await connection.get("/health")
                #expect(try await connection.readResponse()?.status == 200)
            }
        }
    }

    @Test("malformed JSON, handler errors and notifications keep the connection")
    func errorsKeepConnection() async throws {
        try await withServer(handler: serverMethods()) { server in
            try await withConnection(port: server.port) { connection in
                for (text, _) in MalformedJSON.documents where !text.isEmpty {
                    try await connection.post(text)
                    let response = try #require(try await connection.readResponse())
                    #expect(response.status == 200)
                    #expect(try response.json()["error"]?["code"] == .integer(-32700), "\(text.debugDescription)")
                }
                try await connection.post(#"{"jsonrpc":"2.0","id":1,"method":"crash"}"#)
                #expect(try await connection.readResponse()?.json()["error"]?["code"] == .integer(-32603))
                try await connection.post(#"{"jsonrpc":"2.0","method":"eth_chainId"}"#)
                let notification = try #require(try await connection.readResponse())
                #expect(notification.status == 200)
                #expect(notification.body.isEmpty)
                try await connection.post("")
                #expect(try await connection.readResponse()?.json()["error"]?["code"] == .integer(-32700))
                try await expectServing(&connection)
            }
        }
    }

    @Test("a request running past the timeout gets -32002; the connection goes on")
    func requestTimeout() async throws {
        let configuration = RPCServerConfiguration(port: 0, requestTimeout: .milliseconds(100))
        try await withServer(configuration, handler: serverMethods()) { server in
            try await withConnection(port: server.port) { connection in
                try await connection.post(#"[{"jsonrpc":"2.0","id":7,"method":"sleep","params":["0x2710"]}]"#)
                let items = try #require(try await connection.readResponse()?.json().arrayValue)
                #expect(items == [["jsonrpc": "2.0", "id": 7, "error": ["code": -32002, "message": "request timed out"]]])
                try await expectServing(&connection)
            }
        }
    }

    @Test("connections over the limit get 503 and are closed; freed slots are reused")
    func connectionLimit() async throws {
        try await withServer(RPCServerConfiguration(port: 0, maxConnections: 2)) { server in
            try await withConnection(port: server.port) { first in
                try await expectServing(&first)
                try await withConnection(port: server.port) { second in
                    try await expectServing(&second)
                    try await withConnection(port: server.port) { third in
                        let refused = try #require(try await third.readResponse())
                        #expect(refused.status == 503)
                        #expect(try await third.isClosedByServer())
                    }
                }
                // The second closed: a new connection fits again (its close may take a moment to register).
                var served = false
                for _ in 0..<50 where !served {
                    served = try await withConnection(port: server.port) { again in
                        try await again.post(chainIDRequest)
                        return try await again.readResponse()?.status == 200
                    }
                    if !served { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(served)
                try await expectServing(&first)
            }
        }
    }

    @Test("Expect: 100-continue gets an interim 100 before the body")
    func expectContinue() async throws {
        try await withServer { server in
            try await withConnection(port: server.port) { connection in
                try await connection.send("POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
                    + "content-length: \(chainIDRequest.utf8.count)\r\nexpect: 100-continue\r\n\r\n")
                #expect(try await connection.readResponse()?.status == 100)
                try await connection.send(chainIDRequest)
                #expect(try await connection.readResponse()?.status == 200)
            }
        }
    }

    @Test("Connection: close and HTTP/1.0 end the connection after the answer")
    func connectionClose() async throws {
        try await withServer { server in
            try await withConnection(port: server.port) { connection in
                try await connection.post(chainIDRequest, extraHeaders: "connection: close\r\n")
                let response = try #require(try await connection.readResponse())
                #expect(response.status == 200)
                #expect(response.header("connection") == "close")
                #expect(try await connection.isClosedByServer())
            }
            try await withConnection(port: server.port) { connection in
                try await connection.send("POST / HTTP/1.0\r\ncontent-type: application/json\r\n"
                    + "content-length: \(chainIDRequest.utf8.count)\r\n\r\n" + chainIDRequest)
                #expect(try await connection.readResponse()?.status == 200)
                #expect(try await connection.isClosedByServer())
            }
        }
    }

    @Test("CORS headers only for configured origins")
    func cors() async throws {
        try await withServer(RPCServerConfiguration(port: 0, corsAllowedOrigins: ["http://dashboard.example"])) { server in
            try await withConnection(port: server.port) { connection in
                try await connection.post(chainIDRequest, extraHeaders: "origin: http://dashboard.example\r\n")
                #expect(try await connection.readResponse()?.header("access-control-allow-origin") == "http://dashboard.example")
                try await connection.post(chainIDRequest, extraHeaders: "origin: http://evil.example\r\n")
                #expect(try await connection.readResponse()?.header("access-control-allow-origin") == nil)
                try await connection.send("OPTIONS / HTTP/1.1\r\nhost: x\r\norigin: http://dashboard.example\r\n"
                    + "access-control-request-method: POST\r\n\r\n")
                let preflight = try #require(try await connection.readResponse())
                #expect(preflight.status == 204)
                #expect(preflight.header("access-control-allow-methods")?.contains("POST") == true)
            }
        }
        try await withServer { server in
            try await withConnection(port: server.port) { connection in
                try await connection.post(chainIDRequest, extraHeaders: "origin: http://dashboard.example\r\n")
                #expect(try await connection.readResponse()?.header("access-control-allow-origin") == nil)
            }
        }
    }

    /// Broken HTTP: each is sent, our side half-closes, and the server must answer with a
    /// 4xx or close — never hang or crash.
    static let brokenHTTP: [(String, [UInt8])] = [
        ("garbage", Array("\u{1}\u{2}garbage\r\n\r\n".utf8)),
        ("random bytes", (0..<512).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }),
        ("truncated headers", Array("POST / HTTP/1.1\r\nhost: x\r\ncontent-ty".utf8)),
        ("truncated body", Array("POST / HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"js".utf8)),
        ("huge header", Array(("GET /health HTTP/1.1\r\nx-big: " + String(repeating: "a", count: 200_000) + "\r\n\r\n").utf8)),
        ("many headers", Array(("GET /health HTTP/1.1\r\n" + String(repeating: "x-h: 1\r\n", count: 20_000) + "\r\n").utf8)),
        ("no version", Array("GET /health\r\n\r\n".utf8)),
        ("bad version", Array("GET /health HTTP/9.9\r\n\r\n".utf8)),
        ("bad content-length", Array("POST / HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: abc\r\n\r\n{}".utf8)),
        ("negative content-length", Array("POST / HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: -5\r\n\r\n{}".utf8)),
        ("two content-lengths", Array("POST / HTTP/1.1\r\ncontent-type: application/json\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}".utf8)),
        ("bad chunk size", Array("POST / HTTP/1.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n".utf8)),
        ("HTTP/2 preface", Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)),
        ("NUL in request line", Array("GET /he\u{0}alth HTTP/1.1\r\n\r\n".utf8)),
        ("only newlines", Array(repeating: 10, count: 10_000)),
        ("nothing", []),
    ]

    @Test("broken HTTP gets a 4xx or a clean close, and the server keeps serving")
    func brokenHTTPCatalogue() async throws {
        try await withServer { server in
            try await withConnection(port: server.port) { healthy in
                try await expectServing(&healthy)
                for (name, bytes) in Self.brokenHTTP {
                    let statuses = try await withConnection(port: server.port) { connection -> [Int] in
                        if !bytes.isEmpty { try await connection.send(bytes) }
                        connection.finishSending()
                        var statuses: [Int] = []
                        do {
                            while let response = try await connection.readResponse() { statuses.append(response.status) }
                        } catch {
                            // A reset instead of a FIN is a clean close too.
                        }
                        return statuses
                    }
                    #expect(statuses.allSatisfy { (400..<500).contains($0) } || statuses.isEmpty, "\(name): \(statuses)")
                    // A connection opened before keeps working, and so does a new one.
                    try await expectServing(&healthy)
                    try await withConnection(port: server.port) { fresh in try await expectServing(&fresh) }
                }
            }
        }
    }

    @Test("shutdown closes open connections and frees the port")
    func shutdown() async throws {
        let server = try await RPCHTTPServer.start(configuration: RPCServerConfiguration(port: 0), handler: testMethods())
        let port = server.port
        try await withConnection(port: port) { connection in
            try await expectServing(&connection)
            try await server.shutdown()
            #expect(try await connection.isClosedByServer())
        }
        #expect(server.openConnections == 0)
        await #expect(throws: (any Error).self) { try await withConnection(port: port) { _ in () } }
    }
}
