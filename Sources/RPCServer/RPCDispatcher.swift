// JSON-RPC 2.0 framing, independent of the transport: body bytes in, response bytes out.
// Single requests and batches, notifications (no id → no answer), ids echoed verbatim,
// and an error object for every request that is not a valid call (Docs/rpc.md §Framing).
import LedgerJSON

/// Limits a request body must respect before any method runs.
public struct RPCLimits: Sendable, Equatable {
    /// Requests in one batch; more → one -32600 error for the whole batch, as geth does.
    public var maxBatchLength: Int
    public var json: JSONParser.Limits
    /// Bytes of one response body (geth's batch limit, 25 MB): answers that would pass it are
    /// replaced by -32003 "response too large", and so are all the answers after them. The
    /// handler gets it as the batch's budget, so it stops running calls past it.
    public var maxResponseBytes: Int

    public init(maxBatchLength: Int = 1_000, json: JSONParser.Limits = JSONParser.Limits(),
                maxResponseBytes: Int = 25_000_000) {
        self.maxBatchLength = maxBatchLength
        self.json = json
        self.maxResponseBytes = maxResponseBytes
    }
}

/// A request body decoded into calls, before any method runs.
public struct RPCEnvelope: Sendable, Equatable {
    public enum Entry: Sendable, Equatable {
        /// A call to run; `id` nil marks a notification, which gets no response.
        case call(id: JSONValue?, RPCCall)
        /// A request object that is not a valid call: it is answered with `error`.
        case invalid(id: JSONValue, RPCError)
    }

    public var isBatch: Bool
    public var entries: [Entry]

    /// The calls to hand to the method handler, in order (notifications included).
    public var calls: [RPCCall] {
        entries.compactMap { if case .call(_, let call) = $0 { return call } else { return nil } }
    }
}

public struct RPCDispatcher: Sendable {
    public let handler: any RPCMethodHandler
    public let limits: RPCLimits

    public init(handler: any RPCMethodHandler, limits: RPCLimits = RPCLimits()) {
        self.handler = handler
        self.limits = limits
    }

    /// What a body decodes to: calls to run, or a response already known (a parse error, an
    /// empty or oversized batch, a single invalid request).
    public enum Decoded: Sendable {
        case envelope(RPCEnvelope)
        case immediate([UInt8])
    }

    /// Answers a whole body: nil when nothing is to be sent back (only notifications).
    public func respond(to body: [UInt8]) async -> [UInt8]? {
        let decoded = body.withUnsafeBytes { decode($0) }
        switch decoded {
        case .immediate(let response): return response
        case .envelope(let envelope): return await execute(envelope)
        }
    }

    /// Parses and frames a body. Cheap and synchronous, so the server runs it on the event loop.
    public func decode(_ body: UnsafeRawBufferPointer) -> Decoded {
        let document: JSONValue
        do throws(JSONParseError) {
            document = try JSONParser.parse(body, limits: limits.json)
        } catch {
            return .immediate(Self.encodeError(.parseError(error.description), id: .null))
        }
        switch document {
        case .array(let items):
            if items.isEmpty { return .immediate(Self.encodeError(.invalidRequest("empty batch"), id: .null)) }
            if items.count > limits.maxBatchLength {
                return .immediate(Self.encodeError(
                    .invalidRequest("batch too large (\(items.count) requests, limit \(limits.maxBatchLength))"), id: .null))
            }
            return .envelope(RPCEnvelope(isBatch: true, entries: items.map(Self.entry(from:))))
        case .object:
            let entry = Self.entry(from: document)
            if case .invalid(let id, let error) = entry { return .immediate(Self.encodeError(error, id: id)) }
            return .envelope(RPCEnvelope(isBatch: false, entries: [entry]))
        default:
            return .immediate(Self.encodeError(.invalidRequest("expected a request object or a batch array"), id: .null))
        }
    }

    /// Runs the calls through the handler and encodes the answers; nil when all were notifications.
    public func execute(_ envelope: RPCEnvelope) async -> [UInt8]? {
        let calls = envelope.calls
        var results: [Result<JSONValue, RPCError>]
        if !envelope.isBatch, let call = calls.first {
            do throws(RPCError) {
                results = [.success(try await handler.call(method: call.method, params: call.params))]
            } catch {
                results = [.failure(error)]
            }
        } else if calls.isEmpty {
            results = []
        } else {
            results = await handler.callBatch(calls, responseBudget: limits.maxResponseBytes)
        }
        if results.count != calls.count {
            let problem = RPCError.internalError("handler returned \(results.count) results for \(calls.count) calls")
            results = Array(repeating: .failure(problem), count: calls.count)
        }
        return encode(envelope, results: results)
    }

    /// The answer when the handler did not finish in time: -32002 for each call expecting one.
    public func timeoutResponse(for envelope: RPCEnvelope) -> [UInt8]? {
        encode(envelope, results: Array(repeating: .failure(.requestTimedOut), count: envelope.calls.count))
    }

    private func encode(_ envelope: RPCEnvelope, results: [Result<JSONValue, RPCError>]) -> [UInt8]? {
        var writer = JSONWriter(reservingCapacity: 64 + 96 * envelope.entries.count)
        var written = 0
        var resultIndex = 0
        var overLimit = false
        if envelope.isBatch { writer.writeASCII("[") }
        for entry in envelope.entries {
            switch entry {
            case .call(let id, _):
                let result = results[resultIndex]
                resultIndex += 1
                guard let id else { continue }  // a notification
                if written > 0 { writer.writeASCII(",") }
                let start = writer.bytes.count
                Self.writeResponse(id: id, result: overLimit ? .failure(.responseTooLarge) : result, to: &writer)
                if !overLimit && writer.bytes.count > limits.maxResponseBytes {
                    overLimit = true
                    writer.truncate(to: start)
                    Self.writeResponse(id: id, result: .failure(.responseTooLarge), to: &writer)
                }
            case .invalid(let id, let error):
                if written > 0 { writer.writeASCII(",") }
                Self.writeResponse(id: id, result: .failure(error), to: &writer)
            }
            written += 1
        }
        if envelope.isBatch { writer.writeASCII("]") }
        return written == 0 ? nil : writer.bytes
    }

    /// `{"jsonrpc":"2.0","id":…,"result":…}` or `…,"error":{…}}`, in geth's key order.
    static func writeResponse(id: JSONValue, result: Result<JSONValue, RPCError>, to writer: inout JSONWriter) {
        writer.writeASCII("{\"jsonrpc\":\"2.0\",\"id\":")
        writer.write(id)
        switch result {
        case .success(let value):
            writer.writeASCII(",\"result\":")
            writer.write(value)
        case .failure(let error):
            writer.writeASCII(",\"error\":")
            writer.write(error.jsonValue)
        }
        writer.writeASCII("}")
    }

    /// A single error response, for failures that concern the whole body.
    public static func encodeError(_ error: RPCError, id: JSONValue) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 128)
        writeResponse(id: id, result: .failure(error), to: &writer)
        return writer.bytes
    }

    /// Checks one request object. The id is kept only if it is a number, string or null.
    static func entry(from value: JSONValue) -> RPCEnvelope.Entry {
        guard case .object(let request) = value else {
            return .invalid(id: .null, .invalidRequest("request must be an object"))
        }
        let id = request["id"]
        switch id {
        case nil, .null?, .number?, .string?: break
        default: return .invalid(id: .null, .invalidRequest("id must be a number, a string or null"))
        }
        let replyID = id ?? .null
        guard request["jsonrpc"] == .string("2.0") else {
            return .invalid(id: replyID, .invalidRequest("jsonrpc must be \"2.0\""))
        }
        guard case .string(let method)? = request["method"] else {
            return .invalid(id: replyID, .invalidRequest("method must be a string"))
        }
        let params = request["params"] ?? .array([])
        switch params {
        case .array, .object: break
        default: return .invalid(id: replyID, .invalidRequest("params must be an array or an object"))
        }
        return .call(id: id, RPCCall(method: method, params: params))
    }
}
