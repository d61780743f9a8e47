// A method registry: maps method names to closures that decode typed params, so the node
// registers each Ethereum method in a line or two. It is itself an `RPCMethodHandler`.
import Dispatch
import LedgerJSON
import LedgerPrimitives
import Metrics

/// The positional params of one call, with typed accessors whose errors read like geth's
/// ("invalid argument 1: hex number with leading zero digits", code -32602).
public struct RPCParams: Sendable {
    public let values: [JSONValue]

    public init(_ values: [JSONValue]) { self.values = values }

    /// Ethereum methods take positional params; absent params mean none.
    public init(_ params: JSONValue) throws(RPCError) {
        switch params {
        case .array(let values): self.values = values
        case .null: self.values = []
        default: throw RPCError.invalidParams("non-array args")
        }
    }

    public var count: Int { values.count }

    /// Argument `index`, or nil when it is absent or null.
    public subscript(index: Int) -> JSONValue? {
        guard index < values.count, !values[index].isNull else { return nil }
        return values[index]
    }

    /// A required argument decoded as `T`.
    public func required<T: RPCParamDecodable>(_ index: Int, as type: T.Type = T.self) throws(RPCError) -> T {
        guard let value = self[index] else {
            throw RPCError.invalidParams("missing value for required argument \(index)")
        }
        do { return try T(rpcParam: value) } catch { throw RPCError.invalidArgument(index, error.message) }
    }

    /// An optional argument decoded as `T`: nil when absent or null.
    public func optional<T: RPCParamDecodable>(_ index: Int, as type: T.Type = T.self) throws(RPCError) -> T? {
        guard let value = self[index] else { return nil }
        do { return try T(rpcParam: value) } catch { throw RPCError.invalidArgument(index, error.message) }
    }

    /// A required field of the object passed as argument `index` (eth_call's transaction, a filter).
    public func required<T: RPCParamDecodable>(_ field: String, in object: JSONObject, argument index: Int,
                                               as type: T.Type = T.self) throws(RPCError) -> T {
        guard let value = object[field], !value.isNull else {
            throw RPCError.invalidArgument(index, "missing required field '\(field)'")
        }
        do { return try T(rpcParam: value) } catch { throw RPCError.invalidArgument(index, "field \(field): \(error.message)") }
    }

    /// An optional field of the object passed as argument `index`: nil when absent or null.
    public func optional<T: RPCParamDecodable>(_ field: String, in object: JSONObject, argument index: Int,
                                               as type: T.Type = T.self) throws(RPCError) -> T? {
        guard let value = object[field], !value.isNull else { return nil }
        do { return try T(rpcParam: value) } catch { throw RPCError.invalidArgument(index, "field \(field): \(error.message)") }
    }

    /// Checks the argument count against what a method takes (trailing optional ones may be
    /// left out).
    public func expectCount(_ range: ClosedRange<Int>) throws(RPCError) {
        if values.count > range.upperBound {
            throw RPCError.invalidParams("too many arguments, want at most \(range.upperBound)")
        }
        if values.count < range.lowerBound {
            throw RPCError.invalidParams("missing value for required argument \(values.count)")
        }
    }
}

/// Method name → implementation. Registering:
///
///     table.register("eth_chainId", arguments: 0...0) { _ in .quantity(chainID) }
///     table.register("eth_getBalance", arguments: 1...2) { params in
///         let account: Address = try params.required(0)
///         let block = try params.optional(1, as: BlockSelector.self) ?? .latest
///         return .quantity(try await node.balance(of: account, at: block))
///     }
///
/// A closure may throw `RPCError` to answer with that error; any other error becomes
/// -32603 internal error. Unknown methods get -32601.
public struct RPCMethodTable: RPCMethodHandler {
    public typealias Method = @Sendable (RPCParams) async throws -> JSONValue
    /// Answers several calls of one method at once, one result per params in order.
    public typealias BatchMethod = @Sendable ([RPCParams]) async -> [Result<JSONValue, RPCError>]

    private struct Entry: Sendable {
        var arguments: ClosedRange<Int>?
        var single: Method
        var batch: BatchMethod?
        /// `d6g_rpc_request_duration_seconds{method=…}`, made once per method name.
        var timer: Metrics.Timer
    }

    private var entries: [String: Entry] = [:]
    /// Calls of names that are not methods, counted without the name (a label per made-up name
    /// would let any client grow the metrics without bound).
    private let unknownMethods = Counter(label: "d6g_rpc_unknown_method_total")
    public init() {}

    private static func timer(_ name: String) -> Metrics.Timer {
        Metrics.Timer(label: "d6g_rpc_request_duration_seconds", dimensions: [("method", name)])
    }

    public var methodNames: [String] { entries.keys.sorted() }

    /// Registers (or replaces) `name`. With `arguments`, calls with a count outside the range
    /// are refused with -32602 before the closure runs.
    public mutating func register(_ name: String, arguments: ClosedRange<Int>? = nil, _ method: @escaping Method) {
        entries[name] = Entry(arguments: arguments, single: method, batch: nil, timer: Self.timer(name))
    }

    /// Registers `name` with a batch form too: consecutive calls of it inside one JSON-RPC batch
    /// are handed over together (eth_sendRawTransaction admission); single calls use `method`.
    public mutating func register(_ name: String, arguments: ClosedRange<Int>? = nil, _ method: @escaping Method,
                                  batch: @escaping BatchMethod) {
        entries[name] = Entry(arguments: arguments, single: method, batch: batch, timer: Self.timer(name))
    }

    public func call(method name: String, params: JSONValue) async throws(RPCError) -> JSONValue {
        guard let entry = entries[name] else {
            unknownMethods.increment()
            throw RPCError.methodNotFound(name)
        }
        let decoded = try Self.params(params, for: entry)
        let start = DispatchTime.now().uptimeNanoseconds
        defer { entry.timer.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start)) }
        do {
            return try await entry.single(decoded)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError.internalError(String(describing: error))
        }
    }

    public func callBatch(_ calls: [RPCCall], responseBudget: Int) async -> [Result<JSONValue, RPCError>] {
        var results: [Result<JSONValue, RPCError>] = []
        results.reserveCapacity(calls.count)
        var index = 0
        var budget = ResponseBudget(bytes: responseBudget)
        while index < calls.count, !budget.isSpent(by: results) {
            let name = calls[index].method
            guard let entry = entries[name], let batch = entry.batch else {
                do throws(RPCError) {
                    results.append(.success(try await call(method: name, params: calls[index].params)))
                } catch {
                    results.append(.failure(error))
                }
                index += 1
                continue
            }
            // A run of the same batchable method keeps the batch's order of effects.
            var end = index
            while end < calls.count, calls[end].method == name { end += 1 }
            var runResults = [Result<JSONValue, RPCError>?](repeating: nil, count: end - index)
            var accepted: [(slot: Int, params: RPCParams)] = []
            for slot in 0..<(end - index) {
                do throws(RPCError) {
                    accepted.append((slot, try Self.params(calls[index + slot].params, for: entry)))
                } catch {
                    runResults[slot] = .failure(error)
                }
            }
            if !accepted.isEmpty {
                let start = DispatchTime.now().uptimeNanoseconds
                let answers = await batch(accepted.map(\.params))
                // One run of a batchable method is one request's work, timed as one.
                entry.timer.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
                for (position, item) in accepted.enumerated() {
                    runResults[item.slot] = position < answers.count
                        ? answers[position]
                        : .failure(.internalError("batch handler for \(name) returned \(answers.count) results for \(accepted.count) calls"))
                }
            }
            results.append(contentsOf: runResults.map { $0! })
            index = end
        }
        return budget.padded(results, to: calls.count)
    }

    private static func params(_ params: JSONValue, for entry: Entry) throws(RPCError) -> RPCParams {
        let decoded = try RPCParams(params)
        if let range = entry.arguments { try decoded.expectCount(range) }
        return decoded
    }
}
