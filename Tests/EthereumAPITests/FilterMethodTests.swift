// eth_getLogs and the polling filters through the method table: shapes, cursors, limits with
// their codes, parse errors naming the field, and expiry under an injected clock.
import ChainQueries
import EthereumAPI
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import NIOConcurrencyHelpers
import RPCServer
import RPCTestSupport
import Testing

@Suite("Log and filter methods")
struct FilterMethodTests {
    let a = testAddress(0xa), b = testAddress(0xb)

    func call(_ table: RPCMethodTable, _ method: String, _ params: JSONValue = []) async -> Result<JSONValue, RPCError> {
        do throws(RPCError) { return .success(try await table.call(method: method, params: params)) } catch { return .failure(error) }
    }

    @Test("eth_getLogs: ranges, blockHash, address and topic sets, log shape")
    func getLogs() async throws {
        let chain = TestChain()
        let hub = SubscriptionHub()
        let table = logMethods(chain: chain, hub: hub)
        for number in 1...5 {
            chain.append([[Log(address: number % 2 == 0 ? a : b, topics: [testTopic(UInt8(number))], data: [UInt8(number)])]])
        }
        let evens = try await call(table, "eth_getLogs", [["fromBlock": "0x1", "toBlock": "latest", "address": .string(a.hexString)]]).get()
        #expect(evens.arrayValue?.map { $0["blockNumber"] } == ["0x2", "0x4"])
        let log = try #require(evens.arrayValue?.first)
        #expect(log.objectValue?.keys == ["address", "topics", "data", "blockNumber", "transactionHash", "transactionIndex",
                                          "blockHash", "logIndex", "removed"])
        #expect(log["data"] == "0x02")
        #expect(log["blockHash"]?.stringValue == chain.block(2).hash.hexString)
        let topics = try await call(table, "eth_getLogs", [["fromBlock": "earliest", "topics": [[.string(testTopic(3).hexString), .string(testTopic(4).hexString)]]]]).get()
        #expect(topics.arrayValue?.map { $0["blockNumber"] } == ["0x3", "0x4"])
        let latestOnly = try await call(table, "eth_getLogs", [[:]]).get()
        #expect(latestOnly.arrayValue?.map { $0["blockNumber"] } == ["0x5"])
        let byHash = try await call(table, "eth_getLogs", [["blockHash": .string(chain.block(3).hash.hexString)]]).get()
        #expect(byHash.arrayValue?.count == 1)
        let unknown = await call(table, "eth_getLogs", [["blockHash": .string(testTopic(7).hexString)]])
        #expect(unknown == .failure(RPCError(code: -32000, message: "unknown block")))
    }

    @Test("bad filter objects get -32602 naming the field")
    func parseErrors() async {
        let table = logMethods(chain: TestChain(), hub: SubscriptionHub())
        let cases: [(JSONValue, String)] = [
            (["address": "0x12"], "invalid argument 0: field address: hex string has length 2, want 40 for address"),
            (["address": [.string("0x" + String(repeating: "a", count: 40)), 5]], "invalid argument 0: field address[1]: expected a hex string"),
            (["topics": [nil, ["0x00"]]], "invalid argument 0: field topics[1][0]: hex string has length 2, want 64 for hash"),
            (["topics": [nil, nil, nil, nil, nil]], "invalid argument 0: field topics: exceed max topics"),
            (["topics": "0x00"], "invalid argument 0: field topics: expected an array"),
            (["fromBlock": "0x01"], "invalid argument 0: field fromBlock: hex number with leading zero digits"),
            (["toBlock": "soon"], "invalid argument 0: field toBlock: hex string without 0x prefix"),
            (["blockHash": .string(testTopic(1).hexString), "fromBlock": "0x1"],
             "invalid argument 0: cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other"),
            ("latest", "invalid argument 0: expected a filter object"),
        ]
        for (filter, message) in cases {
            let result = await call(table, "eth_getLogs", [filter])
            #expect(result == .failure(RPCError(code: -32602, message: message)), "\(filter)")
        }
    }

    @Test("range and result limits answer -32005")
    func limits() async throws {
        let chain = TestChain()
        let hub = SubscriptionHub(configuration: .init(limits: LogQueryLimits(maxBlockRange: 4, maxResults: 3)))
        let table = logMethods(chain: chain, hub: hub)
        for _ in 1...6 { chain.append([[Log(address: a)], [Log(address: a)]]) }
        let wide = await call(table, "eth_getLogs", [["fromBlock": "0x1", "toBlock": "0x5"]])
        #expect(wide == .failure(RPCError(code: -32005, message: "query exceeds max block range 4")))
        let many = await call(table, "eth_getLogs", [["fromBlock": "0x1", "toBlock": "0x2"]])
        #expect(many == .failure(RPCError(code: -32005, message: "query returned more than 3 results")))
        let reversed = await call(table, "eth_getLogs", [["fromBlock": "0x3", "toBlock": "0x2"]])
        #expect(reversed == .failure(RPCError(code: -32000, message: "invalid block range params")))
        // A polling filter is never refused for volume: it hands out whole blocks up to the limit.
        let filter = try await call(table, "eth_newFilter", [["fromBlock": "earliest"]]).get()
        for _ in 1...3 { chain.append([[Log(address: a)], [Log(address: a)]]) }
        var counts: [Int] = []
        for _ in 0..<4 { counts.append(try await call(table, "eth_getFilterChanges", [filter]).get().arrayValue?.count ?? -1) }
        #expect(counts == [2, 2, 2, 0])
    }

    @Test("block and log filters report each new block once, in order")
    func polling() async throws {
        let chain = TestChain()
        let hub = SubscriptionHub()
        let table = logMethods(chain: chain, hub: hub)
        let blocks = try await call(table, "eth_newBlockFilter").get()
        let logs = try await call(table, "eth_newFilter", [["address": [.string(b.hexString), .string(a.hexString)], "topics": [.string(testTopic(1).hexString)]]]).get()
        #expect(blocks.stringValue?.utf8.count == 34)
        #expect(try await call(table, "eth_getFilterChanges", [blocks]).get() == [])
        chain.append([[Log(address: a, topics: [testTopic(1)])]])
        chain.append([[Log(address: a, topics: [testTopic(2)])], [Log(address: b, topics: [testTopic(1), testTopic(5)])]])
        let hashes = try await call(table, "eth_getFilterChanges", [blocks]).get()
        #expect(hashes == [.string(chain.block(1).hash.hexString), .string(chain.block(2).hash.hexString)])
        #expect(try await call(table, "eth_getFilterChanges", [blocks]).get() == [])
        let found = try await call(table, "eth_getFilterChanges", [logs]).get().arrayValue ?? []
        #expect(found.map { $0["blockNumber"] } == ["0x1", "0x2"])
        #expect(found.last?["logIndex"] == "0x1")
        #expect(try await call(table, "eth_getFilterChanges", [logs]).get() == [])
        // eth_getFilterLogs runs the whole query again.
        let again = try await call(table, "eth_getFilterLogs", [logs]).get()
        // Without bounds the filter's range is latest..latest: block 2, whose second log matches.
        #expect(again.arrayValue?.map { $0["blockNumber"] } == ["0x2"])
        let all = try await call(table, "eth_newFilter", [["fromBlock": "earliest", "topics": [.string(testTopic(1).hexString)]]]).get()
        #expect(try await call(table, "eth_getFilterLogs", [all]).get().arrayValue?.count == 2)
        #expect(await call(table, "eth_getFilterLogs", [blocks]) == .failure(SubscriptionHub.filterNotFound))
        #expect(try await call(table, "eth_uninstallFilter", [blocks]).get() == true)
        #expect(try await call(table, "eth_uninstallFilter", [blocks]).get() == false)
        #expect(await call(table, "eth_getFilterChanges", [blocks]) == .failure(RPCError(code: -32000, message: "filter not found")))
        #expect(hub.filterCount == 2)
    }

    @Test("filters not polled for five minutes expire; polling keeps them")
    func expiry() async throws {
        let start = ContinuousClock.now
        let offset = NIOLockedValueBox(Duration.zero)
        let chain = TestChain()
        let hub = SubscriptionHub(clock: { start + offset.withLockedValue { $0 } })
        let table = logMethods(chain: chain, hub: hub)
        let kept = try await call(table, "eth_newBlockFilter").get()
        let idle = try await call(table, "eth_newBlockFilter").get()
        offset.withLockedValue { $0 = .seconds(200) }
        _ = try await call(table, "eth_getFilterChanges", [kept]).get()
        offset.withLockedValue { $0 = .seconds(301) }
        #expect(await call(table, "eth_getFilterChanges", [idle]) == .failure(SubscriptionHub.filterNotFound))
        #expect(try await call(table, "eth_getFilterChanges", [kept]).get() == [])
        offset.withLockedValue { $0 = .seconds(700) }
        hub.didCommit(chain.append([]))  // commits sweep idle filters too
        #expect(hub.filterCount == 0)
    }
}
