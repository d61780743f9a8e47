// Subscriptions over a real WebSocket on 127.0.0.1, fed by SubscriptionHub.didCommit: newHeads
// and logs, ordering after the announcing response, refusal over HTTP, and slow subscribers.
import ChainQueries
import EthereumAPI
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import RPCServer
import RPCTestSupport
import Testing

@Suite("Subscriptions")
struct SubscriptionTests {
    let a = testAddress(0xa), b = testAddress(0xb)

    @Test("newHeads and logs subscriptions get notifications after their ids; unsubscribe stops them")
    func subscriptions() async throws {
        let chain = TestChain()
        let hub = SubscriptionHub()
        try await withServer(handler: logMethods(chain: chain, hub: hub)) { server in
            try await withWebSocket(port: server.port) { client in
                let heads = try #require(try await client.call("eth_subscribe", #"["newHeads"]"#, id: 1)?["result"]?.stringValue)
                let logs = try #require(try await client.call("eth_subscribe", #"["logs",{"address":"\#(a.hexString)","topics":[null,["\#(testTopic(2).hexString)","\#(testTopic(3).hexString)"]]}]"#, id: 2)?["result"]?.stringValue)
                #expect(heads.utf8.count == 34 && heads.hasPrefix("0x"))
                #expect(heads != logs)
                #expect(hub.subscriptionCount == 2)

                let block = chain.append([
                    [Log(address: a, topics: [testTopic(1), testTopic(2)], data: [0xde, 0xad])],
                    [Log(address: b, topics: [testTopic(1), testTopic(2)]), Log(address: a, topics: [testTopic(1)])],
                    [Log(address: a, topics: [testTopic(9), testTopic(3)])],
                ])
                hub.didCommit(block)
                var received: [String: [JSONValue]] = [:]
                for _ in 0..<3 {
                    let message = try #require(try await client.readJSON())
                    #expect(message["method"] == "eth_subscription")
                    #expect(message["id"] == nil)
                    let id = try #require(message["params"]?["subscription"]?.stringValue)
                    received[id, default: []].append(try #require(message["params"]?["result"]))
                }
                let head = try #require(received[heads]?.first)
                #expect(head["number"] == "0x1")
                #expect(head["hash"]?.stringValue == block.hash.hexString)
                #expect(head["parentHash"]?.stringValue == chain.block(0).hash.hexString)
                #expect(head["transactions"] == nil)
                #expect(head["baseFeePerGas"] == "0x7")
                let matched = try #require(received[logs])
                #expect(matched.count == 2)
                #expect(matched[0]["data"] == "0xdead")
                #expect(matched[0]["logIndex"] == "0x0")
                #expect(matched[1]["logIndex"] == "0x3")
                #expect(matched[1]["transactionIndex"] == "0x2")
                #expect(matched[1]["transactionHash"]?.stringValue == block.transactionHashes[2].hexString)
                #expect(matched[1]["removed"] == false)

                #expect(try await client.call("eth_unsubscribe", #"["\#(heads)"]"#, id: 3)?["result"] == true)
                #expect(try await client.call("eth_unsubscribe", #"["\#(heads)"]"#, id: 4)?["result"] == false)
                hub.didCommit(chain.append([[Log(address: a, topics: [testTopic(0), testTopic(3)])]]))
                let next = try #require(try await client.readJSON())
                #expect(next["params"]?["subscription"]?.stringValue == logs)
                #expect(next["params"]?["result"]?["blockNumber"] == "0x2")
            }
            // The connection is gone: its subscriptions too.
            #expect(try await eventually { hub.subscriptionCount == 0 })
        }
    }

    @Test("a notification never overtakes the response announcing its subscription")
    func notificationAfterResponse() async throws {
        let chain = TestChain()
        let hub = SubscriptionHub()
        let methods = logMethods(chain: chain, hub: hub)
        var table = methods
        // A method that subscribes and then commits a block before answering.
        table.register("subscribe_and_commit") { params in
            let id = try await methods.call(method: "eth_subscribe", params: .array(["newHeads"]))
            hub.didCommit(chain.append([]))
            return id
        }
        try await withServer(handler: table) { server in
            try await withWebSocket(port: server.port) { client in
                let response = try #require(try await client.call("subscribe_and_commit"))
                let id = try #require(response["result"]?.stringValue)
                let notification = try #require(try await client.readJSON())
                #expect(notification["params"]?["subscription"]?.stringValue == id)
            }
        }
    }

    @Test("subscriptions are refused over HTTP, and HTTP keeps working beside WebSockets")
    func httpBeside() async throws {
        let chain = TestChain()
        let hub = SubscriptionHub()
        try await withServer(handler: logMethods(chain: chain, hub: hub)) { server in
            try await withWebSocket(port: server.port) { client in
                #expect(try await client.call("eth_subscribe", #"["newHeads"]"#)?["result"] != nil)
                try await withConnection(port: server.port) { http in
                    try await http.post(#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#)
                    let answer = try #require(try await http.readResponse()).json()
                    #expect(answer["error"]?["code"] == -32601)
                    #expect(answer["error"]?["message"] == "notifications not supported")
                    try await http.post(#"{"jsonrpc":"2.0","id":2,"method":"eth_chainId"}"#)
                    #expect(try #require(try await http.readResponse()).json()["result"] == "0x539")
                }
                #expect(try await client.call("eth_subscribe", #"["newPendingTransactions"]"#)?["error"]?["code"] == -32602)
            }
            // Upgrades elsewhere than / are not WebSockets.
            try await withConnection(port: server.port) { connection in
                var client = WebSocketTestClient(connection: connection)
                let refused = try await client.handshake(path: "/other")
                #expect(refused?.status == 404)
            }
        }
    }

    @Test("a subscriber that stops reading is disconnected with 1008, not buffered for")
    func slowSubscriber() async throws {
        let chain = TestChain()
        let hub = SubscriptionHub()
        var configuration = RPCServerConfiguration(port: 0)
        configuration.webSocket = WebSocketConfiguration(maxPendingNotificationBytes: 256 * 1024)
        try await withServer(configuration, handler: logMethods(chain: chain, hub: hub)) { server in
            try await withWebSocket(port: server.port) { client in
                let subscribed = try await client.call("eth_subscribe", #"["logs"]"#)
                #expect(subscribed?["result"] != nil)
                // ~64 MB of notifications the client does not read: far past socket buffers and the limit.
                let big = [UInt8](repeating: 0x5a, count: 64 * 1024)
                for _ in 0..<500 where hub.subscriptionCount > 0 {
                    hub.didCommit(chain.append([[Log(address: a, data: big)]]))
                }
                #expect(try await eventually { hub.subscriptionCount == 0 })
                #expect(try await client.readCloseCode() == 1008)
            }
        }
    }
}
