// JSON-RPC 2.0 framing: request bodies (single and batched) and matching responses to requests
// by id. Pure functions over bytes, so they are tested without a node.
import LedgerJSON
import LedgerPrimitives

/// One JSON-RPC call: a method name and positional parameters.
public struct RPCRequest: Hashable, Sendable {
    public var method: String
    public var params: [JSONValue]

    public init(_ method: String, _ params: [JSONValue] = []) {
        self.method = method
        self.params = params
    }
}

/// Builds request bodies and reads responses.
public enum JSONRPC {
    /// The body of one request with `id`.
    public static func body(for request: RPCRequest, id: Int) -> [UInt8] {
        var writer = JSONWriter()
        append(request, id: id, to: &writer)
        return writer.bytes
    }

    /// The body of a batch: request i gets id `firstID + i`.
    public static func batchBody(for requests: [RPCRequest], firstID: Int) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: requests.count * 96)
        writer.writeASCII("[")
        for (offset, request) in requests.enumerated() {
            if offset > 0 { writer.writeASCII(",") }
            append(request, id: firstID + offset, to: &writer)
        }
        writer.writeASCII("]")
        return writer.bytes
    }

    static func append(_ request: RPCRequest, id: Int, to writer: inout JSONWriter) {
        writer.writeASCII(#"{"jsonrpc":"2.0","id":"#)
        writer.writeVerbatim(String(id))
        writer.writeASCII(#","method":"#)
        writer.writeString(request.method)
        writer.writeASCII(#","params":"#)
        writer.write(.array(request.params))
        writer.writeASCII("}")
    }

    /// The result of a single-request response, or its error.
    public static func result(of response: [UInt8], id: Int) throws(ClientError) -> JSONValue {
        let document = try parse(response)
        if case .array = document { throw .decoding("a batch answered a single request") }
        if let responseID = document["id"]?.integerValue, responseID != id {
            throw .decoding("response id \(responseID) does not match request id \(id)")
        }
        return try outcome(of: document).get()
    }

    /// One outcome per request of a batch whose ids are `firstID ..< firstID + count`, in request
    /// order, whatever order the node answered in. A single error object instead of an array
    /// (a node refusing the whole batch, e.g. "batch too large") becomes every request's outcome.
    public static func results(of response: [UInt8], firstID: Int, count: Int) throws(ClientError)
        -> [Result<JSONValue, ClientError>] {
        let document = try parse(response)
        guard case .array(let answers) = document else {
            if document["error"] != nil {
                let failure = outcome(of: document)
                return Array(repeating: failure, count: count)
            }
            throw .decoding("a batch request got a non-array answer")
        }
        var outcomes = [Result<JSONValue, ClientError>?](repeating: nil, count: count)
        for answer in answers {
            guard let id = answer["id"]?.integerValue else { continue }
            // The id comes from the server: any Int, so subtract without trapping.
            let (slot, overflow) = id.subtractingReportingOverflow(firstID)
            guard !overflow else { continue }
            guard slot >= 0, slot < count else { continue }
            outcomes[slot] = outcome(of: answer)
        }
        return outcomes.enumerated().map { slot, outcome in
            outcome ?? .failure(.decoding("no answer for request id \(firstID + slot) in the batch response"))
        }
    }

    static func parse(_ response: [UInt8]) throws(ClientError) -> JSONValue {
        do {
            return try JSONValue(parsing: response)
        } catch {
            let excerpt = String(decoding: response.prefix(120), as: UTF8.self)
            throw .decoding("\(error.description) in \"\(excerpt)\"")
        }
    }

    static func outcome(of answer: JSONValue) -> Result<JSONValue, ClientError> {
        if let error = answer["error"], !error.isNull {
            let code = error["code"]?.integerValue ?? 0
            let message = error["message"]?.stringValue ?? error.description
            return .failure(.rpc(code: code, message: message, data: error["data"]))
        }
        guard let result = answer["result"] else {
            return .failure(.decoding("response has neither result nor error: \(answer.description.prefix(120))"))
        }
        return .success(result)
    }
}

// MARK: - Ethereum's hex encodings

/// Ethereum's JSON quantities and data in a node's answers, read with LedgerJSON's `EthereumHex`
/// (the node's own decoders, as strict as geth's); a value that is not one names what it was.
public enum Quantity {
    public static func encode(_ value: UInt64) -> JSONValue { .quantity(value) }
    public static func encode(_ value: UInt256) -> JSONValue { .quantity(value) }

    private static func decoded<T>(_ value: JSONValue?, _ what: String, _ expected: String,
                                   _ decode: (JSONValue) throws(EthereumDecodingError) -> T) throws(ClientError) -> T {
        guard let value else { throw .decoding("\(what) should be \(expected), got nothing") }
        do { return try decode(value) } catch {
            throw .decoding("\(what) should be \(expected), got \(value.description) (\(error))")
        }
    }

    public static func uint64(_ value: JSONValue?, _ what: String) throws(ClientError) -> UInt64 {
        try decoded(value, what, "a hex quantity below 2^64", EthereumHex.decodeUInt64)
    }

    public static func uint256(_ value: JSONValue?, _ what: String) throws(ClientError) -> UInt256 {
        try decoded(value, what, "a hex quantity", EthereumHex.decodeUInt256)
    }

    public static func data(_ value: JSONValue?, _ what: String) throws(ClientError) -> [UInt8] {
        try decoded(value, what, "0x-prefixed hex data", EthereumHex.decodeData)
    }

    public static func hash(_ value: JSONValue?, _ what: String) throws(ClientError) -> Hash32 {
        try decoded(value, what, "a 32-byte hash") { json throws(EthereumDecodingError) in try EthereumHex.decodeHash(json, name: what) }
    }

    public static func address(_ value: JSONValue?, _ what: String) throws(ClientError) -> Address {
        try decoded(value, what, "a 20-byte address", EthereumHex.decodeAddress)
    }

    /// nil for a missing member or JSON null, else an address.
    public static func optionalAddress(_ value: JSONValue?, _ what: String) throws(ClientError) -> Address? {
        guard let value, !value.isNull else { return nil }
        return try address(value, what)
    }

    public static func optionalUInt64(_ value: JSONValue?, _ what: String) throws(ClientError) -> UInt64? {
        guard let value, !value.isNull else { return nil }
        return try uint64(value, what)
    }

    public static func optionalUInt256(_ value: JSONValue?, _ what: String) throws(ClientError) -> UInt256? {
        guard let value, !value.isNull else { return nil }
        return try uint256(value, what)
    }

    public static func optionalHash(_ value: JSONValue?, _ what: String) throws(ClientError) -> Hash32? {
        guard let value, !value.isNull else { return nil }
        return try hash(value, what)
    }
}
