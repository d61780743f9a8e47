// The seam between the RPC server and the node: the server decodes JSON-RPC framing and
// hands each call to an `RPCMethodHandler`; the node implements the methods.
import LedgerJSON

/// One method call from a request: its name and its params (an array when positional,
/// as Ethereum uses; an empty array when the request had none).
public struct RPCCall: Sendable, Hashable {
    public var method: String
    public var params: JSONValue

    public init(method: String, params: JSONValue = .array([])) {
        self.method = method
        self.params = params
    }
}

/// What the node implements. Handlers are awaited off the NIO event loops, but they run on
/// Swift's cooperative pool: blocking work (RocksDB, fsync, signature recovery of a large
/// batch) must hop to the node's own threads (DESIGN.md §7).
public protocol RPCMethodHandler: Sendable {
    /// Answers one call: the `result` value, or an error object.
    func call(method: String, params: JSONValue) async throws(RPCError) -> JSONValue

    /// Answers the calls of one batch, one result per call in the same order. Once the answers
    /// so far would take more than `responseBudget` bytes of JSON, the remaining calls are not
    /// run and answer -32003 "response too large" (`ResponseBudget`), so a batch of large
    /// answers is never built in memory. The default calls `call` one by one; the node overrides
    /// it to admit many `eth_sendRawTransaction` at once (recovering senders in parallel), which
    /// is what makes 10k tx/s reachable.
    func callBatch(_ calls: [RPCCall], responseBudget: Int) async -> [Result<JSONValue, RPCError>]
}

extension RPCMethodHandler {
    public func callBatch(_ calls: [RPCCall], responseBudget: Int) async -> [Result<JSONValue, RPCError>] {
        var results: [Result<JSONValue, RPCError>] = []
        results.reserveCapacity(calls.count)
        var budget = ResponseBudget(bytes: responseBudget)
        for call in calls {
            if budget.isSpent(by: results) { break }
            do throws(RPCError) {
                results.append(.success(try await self.call(method: call.method, params: call.params)))
            } catch {
                results.append(.failure(error))
            }
        }
        return budget.padded(results, to: calls.count)
    }

    /// The batch without a size budget (tests, tools).
    public func callBatch(_ calls: [RPCCall]) async -> [Result<JSONValue, RPCError>] {
        await callBatch(calls, responseBudget: .max)
    }
}

/// How much JSON a batch's answers may still take, estimated as they come in.
public struct ResponseBudget: Sendable {
    private var left: Int
    private var counted = 0

    public init(bytes: Int) { left = bytes }

    /// Whether the answers in `results` not yet counted use up the budget.
    public mutating func isSpent(by results: [Result<JSONValue, RPCError>]) -> Bool {
        for result in results[counted...] {
            if case .success(let value) = result { left -= value.encodedSizeEstimate }
        }
        counted = results.count
        return left < 0
    }

    /// `results`, with -32003 "response too large" for the calls that were not run.
    public func padded(_ results: [Result<JSONValue, RPCError>], to count: Int) -> [Result<JSONValue, RPCError>] {
        results + Array(repeating: .failure(.responseTooLarge), count: max(0, count - results.count))
    }
}
