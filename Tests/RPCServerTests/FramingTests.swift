// JSON-RPC 2.0 framing through RPCDispatcher, without sockets: single calls, batches,
// notifications, ids, invalid requests, and how handler outcomes become responses.
import LedgerJSON
import LedgerPrimitives
import RPCServer
import RPCTestSupport
import Testing
import TestSupport

func respond(_ text: String, handler: any RPCMethodHandler = testMethods(),
             limits: RPCLimits = RPCLimits()) async throws -> JSONValue? {
    let dispatcher = RPCDispatcher(handler: handler, limits: limits)
    guard let bytes = await dispatcher.respond(to: Array(text.utf8)) else { return nil }
    return try JSONParser.parse(bytes)
}

@Suite("JSON-RPC framing")
struct FramingTests {
    @Test("a single call gets jsonrpc, id and result in geth's order")
    func singleCall() async throws {
        let dispatcher = RPCDispatcher(handler: testMethods())
        let bytes = await dispatcher.respond(to: Array(#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#.utf8))
        #expect(bytes.map { String(decoding: $0, as: UTF8.self) } == #"{"jsonrpc":"2.0","id":1,"result":"0x539"}"#)
    }

    @Test("missing params count as none")
    func missingParams() async throws {
        let response = try await respond(#"{"jsonrpc":"2.0","id":7,"method":"eth_chainId"}"#)
        #expect(response?["result"] == "0x539")
    }

    @Test("ids are echoed verbatim: numbers, strings, null")
    func ids() async throws {
        for id in ["0", "-5", "1.50", "1e3", "123456789012345678901234567890", #""abc""#, #""""#, "null"] {
            let response = try await respond(#"{"jsonrpc":"2.0","id":\#(id),"method":"eth_chainId"}"#)
            #expect(response?["id"] == (try JSONParser.parse(id)), "\(id)")
            #expect(response?["result"] == "0x539")
        }
    }

    @Test("ids of the wrong type make the request invalid, answered with id null")
    func invalidIDs() async throws {
        for id in ["true", "[1]", #"{"a":1}"#] {
            let response = try await respond(#"{"jsonrpc":"2.0","id":\#(id),"method":"eth_chainId"}"#)
            #expect(response?["id"] == .null)
            #expect(response?["error"]?["code"] == .integer(-32600), "\(id)")
        }
    }

    @Test("invalid request objects get -32600 and keep their id when it is valid")
    func invalidRequests() async throws {
        let cases = [
            #"{"id":1,"method":"eth_chainId"}"#,
            #"{"jsonrpc":"1.0","id":1,"method":"eth_chainId"}"#,
            #"{"jsonrpc":2.0,"id":1,"method":"eth_chainId"}"#,
            #"{"jsonrpc":"2.0","id":1}"#,
            #"{"jsonrpc":"2.0","id":1,"method":5}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":"0x1"}"#,
            #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":3}"#,
        ]
        for text in cases {
            let response = try await respond(text)
            #expect(response?["error"]?["code"] == .integer(-32600), "\(text)")
            #expect(response?["id"] == 1, "\(text)")
            #expect(response?["result"] == nil)
        }
    }

    @Test("a body that is JSON but no request object or array is invalid")
    func nonObjectBodies() async throws {
        for text in ["1", #""eth_chainId""#, "null", "true"] {
            let response = try await respond(text)
            #expect(response?["error"]?["code"] == .integer(-32600), "\(text)")
            #expect(response?["id"] == .null)
        }
    }

    @Test("malformed JSON gets a single -32700 with id null")
    func parseErrors() async throws {
        for (text, _) in MalformedJSON.documents {
            let response = try await respond(text)
            #expect(response?["error"]?["code"] == .integer(-32700), "\(text.debugDescription)")
            #expect(response?["id"] == .null)
            #expect(response?["error"]?["message"]?.stringValue?.hasPrefix("parse error: ") == true)
        }
        let truncatedBatch = try await respond(#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},"#)
        #expect(truncatedBatch?["error"]?["code"] == .integer(-32700))
    }

    @Test("a batch answers every call in order, skipping notifications")
    func batch() async throws {
        let response = try await respond("""
            [{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},
             {"jsonrpc":"2.0","method":"eth_chainId"},
             {"jsonrpc":"2.0","id":"b","method":"eth_blockNumber"},
             {"jsonrpc":"2.0","id":3,"method":"nope"},
             1,
             {"jsonrpc":"2.0","id":4,"method":"add","params":["0x2","0x3"]}]
            """)
        let items = try #require(response?.arrayValue)
        #expect(items.count == 5)
        #expect(items[0] == ["jsonrpc": "2.0", "id": 1, "result": "0x539"])
        #expect(items[1] == ["jsonrpc": "2.0", "id": "b", "result": "0x36"])
        #expect(items[2]["error"]?["code"] == .integer(-32601))
        #expect(items[2]["id"] == 3)
        #expect(items[3]["error"]?["code"] == .integer(-32600))
        #expect(items[3]["id"] == .null)
        #expect(items[4]["result"] == "0x5")
    }

    @Test("notifications alone get no response at all")
    func notifications() async throws {
        #expect(try await respond(#"{"jsonrpc":"2.0","method":"eth_chainId"}"#) == nil)
        #expect(try await respond(#"[{"jsonrpc":"2.0","method":"eth_chainId"},{"jsonrpc":"2.0","method":"crash"}]"#) == nil)
        // An invalid notification is still answered (its id cannot be known).
        #expect(try await respond(#"{"jsonrpc":"2.0","method":7}"#)?["error"]?["code"] == .integer(-32600))
    }

    @Test("an empty batch is one -32600 error, not an array")
    func emptyBatch() async throws {
        let response = try await respond("[]")
        #expect(response?["error"]?["code"] == .integer(-32600))
        #expect(response?["id"] == .null)
    }

    @Test("a batch over the length limit is refused whole")
    func batchLimit() async throws {
        let call = #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId"}"#
        let limits = RPCLimits(maxBatchLength: 3)
        let three = try await respond("[" + Array(repeating: call, count: 3).joined(separator: ",") + "]", limits: limits)
        #expect(three?.arrayValue?.count == 3)
        let four = try await respond("[" + Array(repeating: call, count: 4).joined(separator: ",") + "]", limits: limits)
        #expect(four?["error"]?["code"] == .integer(-32600))
        #expect(four?["error"]?["message"]?.stringValue?.contains("batch too large") == true)
    }

    @Test("unknown methods get -32601 with geth's message")
    func methodNotFound() async throws {
        let response = try await respond(#"{"jsonrpc":"2.0","id":1,"method":"eth_mine"}"#)
        #expect(response?["error"] == ["code": -32601, "message": "the method eth_mine does not exist/is not available"])
    }

    @Test("bad params get -32602 naming the argument")
    func invalidParams() async throws {
        let wrong = try await respond(#"{"jsonrpc":"2.0","id":1,"method":"add","params":["0x1","0x01"]}"#)
        #expect(wrong?["error"] == ["code": -32602, "message": "invalid argument 1: hex number with leading zero digits"])
        let few = try await respond(#"{"jsonrpc":"2.0","id":1,"method":"add","params":["0x1"]}"#)
        #expect(few?["error"] == ["code": -32602, "message": "missing value for required argument 1"])
        let many = try await respond(#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[1]}"#)
        #expect(many?["error"] == ["code": -32602, "message": "too many arguments, want at most 0"])
        let named = try await respond(#"{"jsonrpc":"2.0","id":1,"method":"add","params":{"a":"0x1"}}"#)
        #expect(named?["error"] == ["code": -32602, "message": "non-array args"])
    }

    @Test("handler errors: RPCError passes through, anything else is -32603")
    func handlerErrors() async throws {
        let rejected = try await respond(#"{"jsonrpc":"2.0","id":1,"method":"reject"}"#)
        #expect(rejected?["error"] == ["code": -32000, "message": "nonce too low"])
        let crashed = try await respond(#"{"jsonrpc":"2.0","id":2,"method":"crash"}"#)
        #expect(crashed?["error"]?["code"] == .integer(-32603))
        #expect(crashed?["id"] == 2)
    }

    @Test("batch methods receive consecutive runs of their calls, in order")
    func batchMethods() async throws {
        let recorder = BatchRecorder()
        var table = testMethods()
        table.register("eth_sendRawTransaction", arguments: 1...1, { params in
            .data(try params.required(0, as: [UInt8].self))
        }, batch: { runs in
            await recorder.record(runs.count)
            return runs.map { params in
                Result { () throws(RPCError) -> JSONValue in .data(try params.required(0, as: [UInt8].self).reversed()) }
            }
        })
        func send(_ id: Int, _ data: String) -> String {
            #"{"jsonrpc":"2.0","id":\#(id),"method":"eth_sendRawTransaction","params":["\#(data)"]}"#
        }
        let body = "[" + [send(1, "0x0102"), send(2, "0x03"), send(3, "0x1"), send(4, "0x0405"),
                          #"{"jsonrpc":"2.0","id":5,"method":"eth_chainId"}"#, send(6, "0x06")].joined(separator: ",") + "]"
        let items = try #require(try await respond(body, handler: table)?.arrayValue)
        #expect(items.map { $0["id"] } == [1, 2, 3, 4, 5, 6])
        #expect(items[0]["result"] == "0x0201")
        #expect(items[1]["result"] == "0x03")
        #expect(items[2]["error"]?["code"] == .integer(-32602))  // odd length: the batch form's own error
        #expect(items[3]["result"] == "0x0504")
        #expect(items[4]["result"] == "0x539")
        #expect(items[5]["result"] == "0x06")
        let sizes = await recorder.sizes
        #expect(sizes == [4, 1])
        // A single call uses the single form.
        let single = try await respond(send(9, "0x0102"), handler: table)
        #expect(single?["result"] == "0x0102")
    }

    @Test("a handler returning the wrong number of batch results gets -32603 for each call")
    func wrongBatchCount() async throws {
        let response = try await respond(#"[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","id":2,"method":"b"}]"#,
                                         handler: ShortBatchHandler())
        let items = try #require(response?.arrayValue)
        #expect(items.map { $0["error"]?["code"] } == [.integer(-32603), .integer(-32603)])
    }

    @Test("a timed-out envelope answers -32002 for each call with an id")
    func timeoutResponse() throws {
        let dispatcher = RPCDispatcher(handler: testMethods())
        let body = Array(#"[{"jsonrpc":"2.0","id":1,"method":"x"},{"jsonrpc":"2.0","method":"y"},{"jsonrpc":"2.0","id":"z","method":"w"}]"#.utf8)
        guard case .envelope(let envelope) = body.withUnsafeBytes({ dispatcher.decode($0) }) else {
            Issue.record("not an envelope")
            return
        }
        let bytes = try #require(dispatcher.timeoutResponse(for: envelope))
        let items = try #require(try JSONParser.parse(bytes).arrayValue)
        #expect(items.map { $0["id"] } == [1, "z"])
        #expect(items.allSatisfy { $0["error"] == ["code": -32002, "message": "request timed out"] })
    }
}

actor BatchRecorder {
    private(set) var sizes: [Int] = []
    func record(_ size: Int) { sizes.append(size) }
}

/// A handler whose batch form drops a result.
struct ShortBatchHandler: RPCMethodHandler {
    func call(method: String, params: JSONValue) async throws(RPCError) -> JSONValue { .null }
    func callBatch(_ calls: [RPCCall], responseBudget: Int) async -> [Result<JSONValue, RPCError>] { [.success(.null)] }
}
