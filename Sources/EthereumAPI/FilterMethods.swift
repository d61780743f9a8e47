// eth_getLogs, the polling filters and eth_subscribe/eth_unsubscribe, registered on a method
// table over a `ChainLogSource` (the API's chain, or a test's) and a `SubscriptionHub`.
// Subscriptions need a WebSocket connection; over HTTP they answer as geth does.
import ChainQueries
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import RPCServer

extension EthereumAPI {
    /// Registers eth_getLogs, eth_newFilter, eth_newBlockFilter, eth_getFilterChanges,
    /// eth_getFilterLogs, eth_uninstallFilter, eth_subscribe and eth_unsubscribe.
    func registerFilterMethods(in table: inout RPCMethodTable) {
        let source = ChainLogs(chain: chain)
        table.registerFilterMethods(source: source, hub: hub)
    }
}

extension RPCMethodTable {
    /// The filter methods over any source of headers and receipts (tests use a fake chain).
    public mutating func registerFilterMethods(source: any ChainLogSource, hub: SubscriptionHub) {
        let scanner = LogScanner(source: source, limits: hub.configuration.limits)
        register("eth_getLogs", arguments: 1...1) { params in
            let query = try LogFilterJSON.query(params[0], argument: 0)
            return try await LogMethods.logs(query, scanner: scanner)
        }
        register("eth_newFilter", arguments: 1...1) { params in
            let query = try LogFilterJSON.query(params[0], argument: 0)
            guard case .range(let from, let to) = query.scope else {
                throw RPCError.invalidArgument(0, "blockHash is not supported by eth_newFilter")
            }
            let head = try await source.headNumber()
            return .string(try hub.installFilter(.logs(query.filter, from: from, to: to), head: head))
        }
        register("eth_newBlockFilter", arguments: 0...0) { _ in
            .string(try hub.installFilter(.blocks, head: try await source.headNumber()))
        }
        register("eth_getFilterChanges", arguments: 1...1) { params in
            try await LogMethods.translatingErrors { try await hub.changes(try params.required(0, as: String.self), source: source) }
        }
        register("eth_getFilterLogs", arguments: 1...1) { params in
            guard case .logs(let filter, let from, let to) = try hub.filter(try params.required(0, as: String.self)) else {
                throw SubscriptionHub.filterNotFound
            }
            return try await LogMethods.logs(LogQuery(filter: filter, scope: .range(from: from, to: to)), scanner: scanner)
        }
        register("eth_uninstallFilter", arguments: 1...1) { params in
            .bool(hub.uninstallFilter(try params.required(0, as: String.self)))
        }
        register("eth_subscribe", arguments: 1...2) { params in
            guard let connection = RPCConnection.current else { throw LogMethods.notificationsUnsupported }
            let kind = try params.required(0, as: String.self)
            switch kind {
            case "newHeads":
                return .string(try hub.subscribe(.newHeads, connection: connection))
            case "logs":
                var filter = LogFilter()
                if let object = try params.optional(1, as: JSONObject.self) {
                    if let hash = object["blockHash"], !hash.isNull {
                        throw RPCError.invalidArgument(1, "blockHash is not supported by a logs subscription")
                    }
                    filter = try LogFilterJSON.criteria(object, argument: 1)
                }
                return .string(try hub.subscribe(.logs(filter), connection: connection))
            default:
                throw RPCError.invalidArgument(0, "unsupported subscription type \"\(kind)\" (newHeads and logs are)")
            }
        }
        register("eth_unsubscribe", arguments: 1...1) { params in
            guard let connection = RPCConnection.current else { throw LogMethods.notificationsUnsupported }
            return .bool(hub.unsubscribe(try params.required(0, as: String.self), connection: connection))
        }
    }
}

enum LogMethods {
    /// geth's answer to eth_subscribe over HTTP.
    static let notificationsUnsupported = RPCError(code: RPCError.methodNotFoundCode, message: "notifications not supported")

    static func logs(_ query: LogQuery, scanner: LogScanner) async throws -> JSONValue {
        try await translatingErrors { .array(try await scanner.logs(query).map(LogFilterJSON.log)) }
    }

    /// Query errors as JSON-RPC errors: limits → -32005, bad ranges and unknown blocks → -32000.
    static func translatingErrors(_ body: () async throws -> JSONValue) async throws -> JSONValue {
        do {
            return try await body()
        } catch let error as LogQueryError {
            switch error {
            case .rangeTooLarge, .tooManyResults:
                throw RPCError(code: RPCError.limitExceededCode, message: error.description)
            case .invalidRange, .unknownBlock:
                throw RPCError(code: RPCError.serverErrorCode, message: error.description)
            }
        }
    }
}
