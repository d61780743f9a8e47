// JSON-RPC parameter types: the Ethereum values a method reads from its parameters, through
// LedgerJSON's EthereumHex. Block tags and selectors are the Ethereum API's (EthereumAPI).
import LedgerJSON
import LedgerPrimitives

/// A value that can be read from one JSON-RPC parameter or one field of a parameter object.
public protocol RPCParamDecodable: Sendable {
    init(rpcParam value: JSONValue) throws(EthereumDecodingError)
}

// MARK: - Parameter types

extension UInt64: RPCParamDecodable {
    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) { self = try EthereumHex.decodeUInt64(value) }
}

extension UInt256: RPCParamDecodable {
    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) { self = try EthereumHex.decodeUInt256(value) }
}

extension Array: RPCParamDecodable where Element == UInt8 {
    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) { self = try EthereumHex.decodeData(value) }
}

extension Address: RPCParamDecodable {
    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) { self = try EthereumHex.decodeAddress(value) }
}

extension Hash32: RPCParamDecodable {
    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) { self = try EthereumHex.decodeHash(value) }
}

extension Bool: RPCParamDecodable {
    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) {
        guard case .bool(let flag) = value else { throw EthereumDecodingError("expected true or false") }
        self = flag
    }
}

extension String: RPCParamDecodable {
    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) {
        guard case .string(let text) = value else { throw EthereumDecodingError("expected a string") }
        self = text
    }
}

extension JSONValue: RPCParamDecodable {
    public init(rpcParam value: JSONValue) { self = value }
}

extension JSONObject: RPCParamDecodable {
    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) {
        guard case .object(let object) = value else { throw EthereumDecodingError("expected an object") }
        self = object
    }
}
