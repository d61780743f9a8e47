// JSON-RPC error objects with the codes Ethereum clients expect (DESIGN.md §2, Docs/rpc.md
// §Error codes): the JSON-RPC 2.0 set, -32000 for rejected transactions, 3 for reverts.
import LedgerJSON
import LedgerPrimitives

public struct RPCError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { "\(code): \(message)" }

    /// The error object `{code, message, data?}`.
    public var jsonValue: JSONValue {
        var object: JSONObject = ["code": .integer(code), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    // Standard JSON-RPC 2.0 codes.
    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603
    // Ethereum's conventions (geth's codes).
    public static let serverErrorCode = -32000
    public static let requestTimeoutCode = -32002
    /// EIP-1474's "limit exceeded": a request the node has no room for now.
    public static let limitExceededCode = -32005
    public static let executionRevertedCode = 3

    /// The body is not JSON at all.
    public static func parseError(_ detail: String) -> RPCError {
        RPCError(code: parseErrorCode, message: "parse error: \(detail)")
    }

    /// The body is JSON but not a JSON-RPC request.
    public static func invalidRequest(_ detail: String) -> RPCError {
        RPCError(code: invalidRequestCode, message: "invalid request: \(detail)")
    }

    /// geth's wording, which clients and tests match on.
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(code: methodNotFoundCode, message: "the method \(method) does not exist/is not available")
    }

    public static func invalidParams(_ message: String) -> RPCError {
        RPCError(code: invalidParamsCode, message: message)
    }

    /// Argument `index` (0-based, as geth numbers them) could not be decoded.
    public static func invalidArgument(_ index: Int, _ detail: String) -> RPCError {
        RPCError(code: invalidParamsCode, message: "invalid argument \(index): \(detail)")
    }

    public static func internalError(_ detail: String) -> RPCError {
        RPCError(code: internalErrorCode, message: "internal error: \(detail)")
    }

    /// A transaction the node refused, with geth's message ("nonce too low",
    /// "insufficient funds for gas * price + value", "already known", ...).
    public static func transactionRejected(_ message: String) -> RPCError {
        RPCError(code: serverErrorCode, message: message)
    }

    /// A call or estimate that reverted: code 3, "execution reverted[: reason]", and the
    /// revert bytes as hex data.
    public static func executionReverted(reason: String?, data: [UInt8]) -> RPCError {
        let message = reason.map { "execution reverted: \($0)" } ?? "execution reverted"
        return RPCError(code: executionRevertedCode, message: message, data: .string(Hex.encode(data)))
    }

    public static let requestTimedOut = RPCError(code: requestTimeoutCode, message: "request timed out")
    /// geth's code and words for an answer past the response size limit.
    public static let responseTooLargeCode = -32003
    public static let responseTooLarge = RPCError(code: responseTooLargeCode, message: "response too large")
}
