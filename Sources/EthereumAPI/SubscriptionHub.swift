// Filters and subscriptions, shared by every connection. Thread-safe: one lock guards the
// filter registry and the subscription table, and is never held while JSON is encoded, a
// chain source is read or a connection is written. The node calls `didCommit` once per
// committed block; the hub turns it into `newHeads` and `logs` notifications. Polling filters
// need no such push: each keeps a cursor and reads the chain through the `ChainLogSource`.
import ChainQueries
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import RPCServer
import NIOConcurrencyHelpers

public final class SubscriptionHub: Sendable {
    public struct Configuration: Sendable {
        /// Range and result limits of eth_getLogs, eth_getFilterLogs and eth_getFilterChanges.
        public var limits: LogQueryLimits
        /// A filter not polled for this long is removed (geth: 5 minutes).
        public var filterIdleTimeout: Duration
        public var maxFilters: Int
        public var maxSubscriptionsPerConnection: Int

        public init(limits: LogQueryLimits = LogQueryLimits(), filterIdleTimeout: Duration = .seconds(300),
                    maxFilters: Int = 10_000, maxSubscriptionsPerConnection: Int = 1_000) {
            self.limits = limits
            self.filterIdleTimeout = filterIdleTimeout
            self.maxFilters = maxFilters
            self.maxSubscriptionsPerConnection = maxSubscriptionsPerConnection
        }
    }

    public enum SubscriptionKind: Sendable, Hashable {
        case newHeads
        case logs(LogFilter)
    }

    private struct Subscription: Sendable {
        var kind: SubscriptionKind
        var connection: RPCConnection
    }

    private struct State: Sendable {
        var filters: FilterRegistry
        var subscriptions: [String: Subscription] = [:]
        var perConnection: [ObjectIdentifier: Int] = [:]
    }

    public let configuration: Configuration
    private let state: NIOLockedValueBox<State>
    private let now: @Sendable () -> ContinuousClock.Instant
    private let makeID: @Sendable () -> String
    private let headerJSON: @Sendable (BlockHeader, Hash32) -> JSONValue

    /// `clock` and `makeID` are for tests (expiry, predictable ids); `headerJSON` lets the node
    /// use its own block shape for `newHeads`.
    public init(configuration: Configuration = Configuration(),
                clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
                makeID: @escaping @Sendable () -> String = SubscriptionHub.randomID,
                headerJSON: @escaping @Sendable (BlockHeader, Hash32) -> JSONValue = LogFilterJSON.header) {
        self.configuration = configuration
        self.state = NIOLockedValueBox(State(filters: FilterRegistry(idleTimeout: configuration.filterIdleTimeout,
                                                                       maxFilters: configuration.maxFilters)))
        self.now = clock
        self.makeID = makeID
        self.headerJSON = headerJSON
    }

    /// "0x" and 16 random bytes in hex, as geth makes filter and subscription ids.
    @Sendable public static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    public var filterCount: Int { state.withLockedValue { $0.filters.count } }
    public var subscriptionCount: Int { state.withLockedValue { $0.subscriptions.count } }

    // MARK: - Polling filters

    /// Installs a filter whose changes start with the block after `head`; returns its id.
    public func installFilter(_ kind: FilterRegistry.Kind, head: UInt64) throws(RPCError) -> String {
        let id = makeID()
        let instant = now()
        let installed = state.withLockedValue { state in
            Result { () throws(FilterRegistry.Failure) in try state.filters.install(kind, id: id, head: head, now: instant) }
        }
        if case .failure(let failure) = installed {
            throw RPCError(code: RPCError.limitExceededCode, message: failure.description)
        }
        return id
    }

    public func uninstallFilter(_ id: String) -> Bool {
        state.withLockedValue { $0.filters.uninstall(id) }
    }

    /// The filter with this id, marked as used (eth_getFilterLogs).
    public func filter(_ id: String) throws(RPCError) -> FilterRegistry.Kind {
        let instant = now()
        let entry = state.withLockedValue { state in
            Result { () throws(FilterRegistry.Failure) in try state.filters.use(id, now: instant) }
        }
        guard case .success(let found) = entry else { throw Self.filterNotFound }
        return found.kind
    }

    /// eth_getFilterChanges: block hashes or logs of the blocks committed since the last poll.
    public func changes(_ id: String, source: any ChainLogSource) async throws -> JSONValue {
        let head = try await source.headNumber()
        let instant = now()
        let claim = state.withLockedValue { state in
            Result { () throws(FilterRegistry.Failure) in try state.filters.claim(id, head: head, now: instant) }
        }
        guard case .success(let claimed) = claim else { throw Self.filterNotFound }
        guard let (kind, blocks) = claimed else { return .array([]) }
        let scanner = LogScanner(source: source, limits: configuration.limits)
        switch kind {
        case .blocks:
            // At most one range's worth per poll; the rest comes with the next poll.
            let last = min(blocks.upperBound, blocks.lowerBound &+ max(configuration.limits.maxBlockRange, 1) &- 1)
            let headers = try await source.headers(in: blocks.lowerBound...last)
            let reported = headers.last?.number ?? blocks.lowerBound - 1
            giveBack(id, claimedThrough: blocks.upperBound, reportedThrough: reported)
            return .array(headers.map { .hash($0.hash) })
        case .logs(let filter, let from, let to):
            // Numbered bounds limit which new blocks report logs; `latest` follows the head.
            let low = from == .latest ? blocks.lowerBound : max(blocks.lowerBound, from.resolved(head: head))
            let toLimit = to == .latest ? UInt64.max : to.resolved(head: head)
            let high = min(blocks.upperBound, toLimit, low &+ configuration.limits.maxBlockRange &- 1)
            guard low <= high else { return .array([]) }
            let (logs, scannedThrough) = try await scanner.scan(filter, blocks: low...high, stopBeforeOverflow: true)
            giveBack(id, claimedThrough: blocks.upperBound, reportedThrough: scannedThrough ?? low - 1)
            return .array(logs.map(LogFilterJSON.log))
        }
    }

    private func giveBack(_ id: String, claimedThrough: UInt64, reportedThrough: UInt64) {
        state.withLockedValue { $0.filters.giveBack(id, claimedThrough: claimedThrough, reportedThrough: reportedThrough) }
    }

    // MARK: - Subscriptions

    /// Subscribes `connection`; notifications start after the response carrying the id is sent.
    public func subscribe(_ kind: SubscriptionKind, connection: RPCConnection) throws(RPCError) -> String {
        let id = makeID()
        let key = ObjectIdentifier(connection)
        let limit = configuration.maxSubscriptionsPerConnection
        let added = state.withLockedValue { state -> Bool in
            guard state.perConnection[key, default: 0] < limit else { return false }
            state.perConnection[key, default: 0] += 1
            state.subscriptions[id] = Subscription(kind: kind, connection: connection)
            connection.hold(id)
            return true
        }
        guard added else {
            throw RPCError(code: RPCError.limitExceededCode, message: "too many subscriptions on this connection (limit \(limit))")
        }
        connection.onClose { [weak self] in _ = self?.remove(id) }
        return id
    }

    /// Ends a subscription of `connection` (another connection's ids are not found).
    public func unsubscribe(_ id: String, connection: RPCConnection) -> Bool {
        let owned = state.withLockedValue { $0.subscriptions[id]?.connection === connection }
        return owned && remove(id)
    }

    private func remove(_ id: String) -> Bool {
        state.withLockedValue { state -> Bool in
            guard let removed = state.subscriptions.removeValue(forKey: id) else { return false }
            let key = ObjectIdentifier(removed.connection)
            let left = state.perConnection[key, default: 1] - 1
            state.perConnection[key] = left > 0 ? left : nil
            return true
        }
    }

    // MARK: - Commits

    /// Called by the node after each block is committed (in block order): sends `newHeads` and
    /// `logs` notifications, and expires idle filters. It encodes and queues, never waits on a
    /// client.
    public func didCommit(_ block: BlockReceipts) {
        let instant = now()
        let subscribers = state.withLockedValue { state -> [(String, Subscription)] in
            state.filters.expire(now: instant)
            return Array(state.subscriptions)
        }
        guard !subscribers.isEmpty else { return }
        var headBytes: [UInt8]?
        for (id, subscription) in subscribers {
            switch subscription.kind {
            case .newHeads:
                if headBytes == nil { headBytes = JSONWriter.encode(headerJSON(block.header, block.hash)) }
                subscription.connection.send(Self.notification(id, result: headBytes!), subscription: id)
            case .logs(let filter):
                guard filter.mayMatch(block.header.logsBloom) else { continue }
                for log in filter.logs(in: block) {
                    let bytes = JSONWriter.encode(LogFilterJSON.log(log))
                    guard subscription.connection.send(Self.notification(id, result: bytes), subscription: id) else { break }
                }
            }
        }
    }

    /// `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":id,"result":…}}`.
    static func notification(_ id: String, result: [UInt8]) -> [UInt8] {
        var writer = JSONWriter(reservingCapacity: 96 + result.count)
        writer.writeASCII("{\"jsonrpc\":\"2.0\",\"method\":\"eth_subscription\",\"params\":{\"subscription\":")
        writer.writeString(id)
        writer.writeASCII(",\"result\":")
        var bytes = writer.bytes
        bytes.append(contentsOf: result)
        bytes.append(contentsOf: Array("}}".utf8))
        return bytes
    }

    // MARK: - Errors

    public static let filterNotFound = RPCError(code: RPCError.serverErrorCode, message: "filter not found")
}
