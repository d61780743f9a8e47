// JSON text and JSON-RPC framing: request bodies, batches matched by id whatever the order,
// and node errors mapped to typed ClientErrors.
import LedgerClient
import LedgerJSON
import LedgerPrimitives
import Testing

@Suite("JSON and JSON-RPC framing")
struct JSONRPCTests {
    @Test("JSON parses and re-serializes, escapes included")
    func jsonRoundTrip() throws {
        let text = #"{"a":[1,-2.5e3,true,false,null],"b":"q\"\\\n\u00e9\ud83d\ude00","c":{}}"#
        let value = try JSONValue(parsing: text)
        #expect(value["a"] == .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null]))
        #expect(value["b"]?.stringValue == "q\"\\\né😀")
        #expect(try JSONValue(parsing: value.description) == value)
    }

    @Test("malformed JSON is refused with the offset", arguments: ["{", "[1,]", "01", "\"\u{01}\"", "tru", "{} x", "\"\\ud800\""])
    func jsonRejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: text) }
    }

    @Test("a node's quantities, hashes and addresses are read as strictly as the node reads requests")
    func strictAnswers() throws {
        #expect(try Quantity.uint64(.string("0x0"), "n") == 0)
        #expect(try Quantity.uint64(.string("0x1f"), "n") == 31)
        for bad in ["0x01", "0x", "1f", "+0x1", "0x1g", "0x10000000000000000"] {
            #expect(throws: ClientError.self, "\(bad)") { try Quantity.uint64(.string(bad), "n") }
        }
        #expect(throws: ClientError.self) { try Quantity.uint64(.integer(5), "n") }
        #expect(throws: ClientError.self) { try Quantity.hash(.string("0x" + String(repeating: "ab", count: 31)), "hash") }
        let address = "0x52908400098527886E0F7030069857D2E4169EE7"
        #expect(try Quantity.address(.string(address), "address").hexString == address.lowercased())
        // One letter's case changed: not the EIP-55 checksum.
        #expect(throws: ClientError.self) { try Quantity.address(.string("0x52908400098527886e0F7030069857D2E4169EE7"), "address") }
        #expect(try Quantity.data(.string("0x"), "data") == [])
        #expect(throws: ClientError.self) { try Quantity.data(.string("0xabc"), "data") }
    }

    @Test("a batch body holds each request with consecutive ids")
    func batchBody() throws {
        let body = JSONRPC.batchBody(for: [RPCRequest("eth_chainId"), RPCRequest("eth_getBalance", [.string("0x00"), .string("latest")])],
                                     firstID: 7)
        let parsed = try JSONValue(parsing: body)
        let requests = try #require(parsed.arrayValue)
        #expect(requests.count == 2)
        #expect(requests[0]["id"]?.integerValue == 7 && requests[1]["id"]?.integerValue == 8)
        #expect(requests[1]["method"]?.stringValue == "eth_getBalance")
        #expect(requests[1]["params"]?.arrayValue?.count == 2)
        #expect(requests[0]["jsonrpc"]?.stringValue == "2.0")
    }

    @Test("batch results are matched by id, not by position")
    func batchMatchesIDs() throws {
        let response = #"[{"jsonrpc":"2.0","id":12,"result":"0x2"},{"jsonrpc":"2.0","id":10,"result":"0x0"},"#
            + #"{"jsonrpc":"2.0","id":11,"error":{"code":-32000,"message":"nonce too low"}}]"#
        let outcomes = try JSONRPC.results(of: Array(response.utf8), firstID: 10, count: 4)
        #expect(try outcomes[0].get() == .string("0x0"))
        #expect(try outcomes[2].get() == .string("0x2"))
        #expect(throws: ClientError.rpc(code: -32000, message: "nonce too low", data: nil)) { try outcomes[1].get() }
        // Id 13 got no answer at all.
        guard case .failure(.decoding) = outcomes[3] else { Issue.record("missing answer not reported"); return }
    }

    @Test("one error object for a whole batch becomes every request's error")
    func wholeBatchError() throws {
        let response = #"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}}"#
        let outcomes = try JSONRPC.results(of: Array(response.utf8), firstID: 1, count: 3)
        for outcome in outcomes {
            #expect(throws: ClientError.rpc(code: -32600, message: "batch too large", data: nil)) { try outcome.get() }
        }
    }

    @Test("error data is kept, and a reply that is not JSON-RPC is a decoding error")
    func errorMapping() throws {
        let revert = #"{"jsonrpc":"2.0","id":3,"error":{"code":3,"message":"execution reverted","data":"0x08c379a0"}}"#
        #expect(throws: ClientError.rpc(code: 3, message: "execution reverted", data: .string("0x08c379a0"))) {
            try JSONRPC.result(of: Array(revert.utf8), id: 3)
        }
        #expect(throws: ClientError.self) { try JSONRPC.result(of: Array("<html>".utf8), id: 1) }
        let wrongID = #"{"jsonrpc":"2.0","id":4,"result":"0x1"}"#
        #expect(throws: ClientError.self) { try JSONRPC.result(of: Array(wrongID.utf8), id: 3) }
    }

    @Test("nonce and known-transaction refusals are recognised from geth's messages")
    func errorClassification() {
        #expect(ClientError.rpc(code: -32000, message: "nonce too low: next nonce 5, tx nonce 3", data: nil).isNonceTooLow)
        #expect(ClientError.rpc(code: -32000, message: "nonce too high", data: nil).isNonceGap)
        #expect(ClientError.rpc(code: -32000, message: "already known", data: nil).isAlreadyKnown)
        #expect(!ClientError.rpc(code: -32000, message: "insufficient funds for gas * price + value", data: nil).isNonceTooLow)
        #expect(ClientError.transport(endpoint: "x", reason: "refused").isEndpointFailure)
        #expect(!ClientError.rpc(code: -32000, message: "nonce too low", data: nil).isEndpointFailure)
    }

    @Test("a prepared batch is the same JSON as the generic batch body")
    func preparedBatch() throws {
        let raws: [[UInt8]] = [[0x02, 0xf8, 0x01], [0xab]]
        let prepared = PreparedBatch(rawTransactions: raws)
        let generic = JSONRPC.batchBody(for: raws.map { RPCRequest("eth_sendRawTransaction", [.string($0.hexString)]) },
                                        firstID: PreparedBatch.firstID)
        #expect(try JSONValue(parsing: prepared.body) == JSONValue(parsing: generic))
        #expect(prepared.count == 2)
    }
}
