// JSON-RPC over a real WebSocket on 127.0.0.1: requests and batches, closing, size limits and
// broken frames (subscriptions are EthereumAPITests/SubscriptionTests).
import LedgerJSON
import LedgerPrimitives
import RPCServer
import RPCTestSupport
import Testing

@Suite("WebSocket")
struct WebSocketTests {
    @Test("requests, batches, fragmented messages and pings over one WebSocket")
    func requestsAndBatches() async throws {
        try await withServer { server in
            try await withWebSocket(port: server.port) { client in
                let single = try await client.call("eth_chainId", id: 7)
                #expect(single?["id"] == 7)
                #expect(single?["result"] == "0x539")
                try await client.sendText(#"[{"jsonrpc":"2.0","id":1,"method":"add","params":["0x1","0x2"]},{"jsonrpc":"2.0","id":2,"method":"nope"},{"jsonrpc":"2.0","method":"echo"}]"#)
                let batch = try await client.readJSON()?.arrayValue
                #expect(batch?.count == 2)
                #expect(batch?[0]["result"] == "0x3")
                #expect(batch?[1]["error"]?["code"] == -32601)
                // One request split over three frames.
                let parts = [#"{"jsonrpc":"2.0","#, #""id":"x","method":"#, #""eth_blockNumber"}"#].map { Array($0.utf8) }
                try await client.sendFrame(opcode: WebSocketTestClient.text, payload: parts[0], fin: false)
                try await client.sendFrame(opcode: WebSocketTestClient.continuation, payload: parts[1], fin: false)
                try await client.sendFrame(opcode: WebSocketTestClient.continuation, payload: parts[2])
                let joined = try await client.readJSON()
                #expect(joined?["id"] == "x")
                #expect(joined?["result"] == "0x36")
                // Malformed JSON is a JSON-RPC error, not a dropped connection.
                try await client.sendText("{not json")
                #expect(try await client.readJSON()?["error"]?["code"] == -32700)
                try await client.sendFrame(opcode: WebSocketTestClient.ping, payload: [1, 2, 3])
                let pong = try await client.readFrame()
                #expect(pong?.opcode == WebSocketTestClient.pong)
                #expect(pong?.payload == [1, 2, 3])
                // A client close is echoed with its code.
                try await client.sendFrame(opcode: WebSocketTestClient.close, payload: [0x03, 0xe8])
                #expect(try await client.readCloseCode() == 1000)
            }
        }
    }

    @Test("a 1,000-request batch of large params fits in one message")
    func largeBatch() async throws {
        try await withServer { server in
            try await withWebSocket(port: server.port) { client in
                let payload = "0x" + String(repeating: "ab", count: 1_000)  // ~ a signed transaction with calldata
                let calls = (0..<1_000).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"echo","params":["\#(payload)"]}"# }
                try await client.sendText("[" + calls.joined(separator: ",") + "]")
                let answers = try await client.readJSON()?.arrayValue
                #expect(answers?.count == 1_000)
                #expect(answers?.last?["result"]?.arrayValue?.first?.stringValue == payload)
            }
        }
    }

    @Test("an oversized message closes with 1009, whether one frame or fragments")
    func oversize() async throws {
        var configuration = RPCServerConfiguration(port: 0)
        configuration.webSocket = WebSocketConfiguration(maxMessageBytes: 1_024)
        try await withServer(configuration) { server in
            try await withWebSocket(port: server.port) { client in
                try await client.sendText(String(repeating: " ", count: 2_000))
                #expect(try await client.readCloseCode() == 1009)
            }
            try await withWebSocket(port: server.port) { client in
                try await client.sendFrame(opcode: WebSocketTestClient.text, payload: [UInt8](repeating: 0x20, count: 800), fin: false)
                try await client.sendFrame(opcode: WebSocketTestClient.continuation, payload: [UInt8](repeating: 0x20, count: 800))
                #expect(try await client.readCloseCode() == 1009)
            }
            // The server still answers.
            try await withWebSocket(port: server.port) { client in
                let answer = try await client.call("eth_chainId")
                #expect(answer?["result"] == "0x539")
            }
        }
    }

    @Test("broken frames close the connection with 1002; the server keeps serving")
    func brokenFrames() async throws {
        try await withServer { server in
            let broken: [(UInt8, [UInt8], Bool, Bool)] = [
                (WebSocketTestClient.text, Array("{}".utf8), true, false),       // unmasked
                (0x3, [1, 2], true, true),                                       // reserved opcode
                (WebSocketTestClient.continuation, [1], true, true),             // continuation first
            ]
            for (opcode, payload, fin, masked) in broken {
                try await withWebSocket(port: server.port) { client in
                    try await client.sendFrame(opcode: opcode, payload: payload, fin: fin, masked: masked)
                    #expect(try await client.readCloseCode() == 1002)
                }
            }
            try await withConnection(port: server.port) { http in
                try await http.post(#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#)
                #expect(try #require(try await http.readResponse()).json()["result"] == "0x539")
            }
        }
    }
}
