// The response size limit: answers past it become -32003 "response too large", the ones after
// them too, and a batch stops running calls once its answers would not fit anyway.
import LedgerJSON
import RPCServer
import Synchronization
import Testing

private final class Counter: Sendable {
    let value = Mutex(0)
}

/// A table whose `big` answers a string of `size` bytes and counts its runs.
private func bigMethods(size: Int, runs: Counter) -> RPCMethodTable {
    var table = RPCMethodTable()
    table.register("big") { _ in
        runs.value.withLock { $0 += 1 }
        return .string(String(repeating: "x", count: size))
    }
    return table
}

private func batch(_ count: Int) -> String {
    "[" + (0..<count).map { "{\"jsonrpc\":\"2.0\",\"id\":\($0),\"method\":\"big\"}" }.joined(separator: ",") + "]"
}

@Test func answersPastTheLimitAreTooLarge() async throws {
    let runs = Counter()
    let table = bigMethods(size: 1_000, runs: runs)
    let answers = try #require(try await respond(batch(10), handler: table, limits: RPCLimits(maxResponseBytes: 3_500))?.arrayValue)
    #expect(answers.count == 10)
    let tooLarge = answers.filter { $0["error"]?["code"] == JSONValue.integer(RPCError.responseTooLargeCode) }
    #expect(tooLarge.count == 7)
    #expect(answers.prefix(3).allSatisfy { $0["result"]?.stringValue?.count == 1_000 })
}

@Test func aSingleAnswerPastTheLimitIsTooLarge() async throws {
    let runs = Counter()
    let table = bigMethods(size: 10_000, runs: runs)
    let answer = try #require(try await respond("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"big\"}", handler: table,
                                                limits: RPCLimits(maxResponseBytes: 5_000)))
    #expect(answer["error"]?["message"] == "response too large")
}

@Test func aBatchStopsRunningCallsPastItsBudget() async throws {
    let runs = Counter()
    let table = bigMethods(size: 1_000, runs: runs)
    let answers = try #require(try await respond(batch(50), handler: table, limits: RPCLimits(maxResponseBytes: 4_000))?.arrayValue)
    #expect(answers.count == 50)
    // Four or five answers fill the budget; the rest were never computed.
    #expect(runs.value.withLock { $0 } <= 6)
    #expect(answers.last?["error"]?["code"] == JSONValue.integer(RPCError.responseTooLargeCode))
}
