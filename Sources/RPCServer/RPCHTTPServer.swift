// The listening HTTP JSON-RPC server on NIOPosix: binds, builds each connection's pipeline,
// enforces the connection limit, and shuts down closing every open connection.
//
// Pipeline per connection: [IdleStateHandler] → HTTP codec + pipelining + protocol-error
// handlers (NIOHTTP1) → RPCHTTPHandler. A first request `GET /` with `Upgrade: websocket` is
// upgraded instead: the HTTP handlers leave and WebSocketRPCHandler takes over (Docs/rpc.md).
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

public final class RPCHTTPServer: Sendable {
    /// The address actually bound (with the real port when 0 was asked for).
    public let localAddress: SocketAddress
    public let configuration: RPCServerConfiguration
    private let serverChannel: any Channel
    private let connections: ConnectionRegistry
    private let ownedGroup: MultiThreadedEventLoopGroup?

    /// The bound TCP port.
    public var port: Int { localAddress.port ?? configuration.port }

    private init(localAddress: SocketAddress, configuration: RPCServerConfiguration, serverChannel: any Channel,
                 connections: ConnectionRegistry, ownedGroup: MultiThreadedEventLoopGroup?) {
        self.localAddress = localAddress
        self.configuration = configuration
        self.serverChannel = serverChannel
        self.connections = connections
        self.ownedGroup = ownedGroup
    }

    /// Binds and starts serving `handler`. `isReady` answers GET /ready; it runs on an event
    /// loop, so it must only read a flag. Without `group` the server runs its own threads
    /// (`configuration.eventLoopThreads`), released by `shutdown()`.
    public static func start(configuration: RPCServerConfiguration = RPCServerConfiguration(),
                             handler: any RPCMethodHandler,
                             isReady: @escaping @Sendable () -> Bool = { true },
                             group: (any EventLoopGroup)? = nil) async throws -> RPCHTTPServer {
        let ownedGroup = group == nil ? MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads)) : nil
        let eventLoops: any EventLoopGroup = group ?? ownedGroup!
        let dispatcher = RPCDispatcher(handler: handler, limits: configuration.limits)
        // WebSocket messages may be bigger than HTTP bodies (a 1,000-transaction batch).
        var webSocketLimits = configuration.limits
        webSocketLimits.json.maxBytes = configuration.webSocket?.maxMessageBytes ?? 0
        let webSocketDispatcher = RPCDispatcher(handler: handler, limits: webSocketLimits)
        let connections = ConnectionRegistry(limit: configuration.maxConnections)
        let idleTimeout = TimeAmount(configuration.idleTimeout)
        // JSON-RPC requests need few, short headers; anything bigger is refused with 400.
        let headerLimits = {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = 16 * 1024
            limits.maxHeaderListSize = 64 * 1024
            limits.maxHeaderFieldCount = 128
            return limits
        }()

        let bootstrap = ServerBootstrap(group: eventLoops)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    guard connections.admit(channel) else {
                        try operations.addHandler(ConnectionRefusalHandler())
                        return
                    }
                    try operations.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    let httpHandler = RPCHTTPHandler(dispatcher: dispatcher, configuration: configuration, isReady: isReady)
                    let upgrade = configuration.webSocket.map {
                        WebSocketUpgrade.configuration($0, server: configuration, dispatcher: webSocketDispatcher,
                                                       httpHandler: NIOLoopBound(httpHandler, eventLoop: channel.eventLoop))
                    }
                    try operations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true, withServerUpgrade: upgrade, withErrorHandling: true,
                        withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                        withDecoderLimitConfiguration: headerLimits)
                    try operations.addHandler(httpHandler)
                }
            }
        do {
            let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
            guard let address = channel.localAddress else { throw RPCServerStartError.noLocalAddress }
            return RPCHTTPServer(localAddress: address, configuration: configuration, serverChannel: channel,
                                 connections: connections, ownedGroup: ownedGroup)
        } catch {
            try? await ownedGroup?.shutdownGracefully()
            throw error
        }
    }

    /// Stops accepting, closes every open connection (in-flight requests are dropped) and
    /// releases the server's own threads.
    public func shutdown() async throws {
        try? await serverChannel.close()
        for channel in connections.drain() {
            try? await channel.close()
        }
        try await ownedGroup?.shutdownGracefully()
    }

    /// Connections currently open (those over the limit excluded).
    public var openConnections: Int { connections.count }
}

public enum RPCServerStartError: Error, CustomStringConvertible {
    case noLocalAddress
    public var description: String { "the RPC server's socket has no local address" }
}

/// Open connections, shared by all event loops: admits up to `limit` and forgets each one
/// when it closes.
final class ConnectionRegistry: Sendable {
    private let limit: Int
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    init(limit: Int) { self.limit = limit }

    var count: Int { channels.withLockedValue { $0.count } }

    func admit(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let admitted = channels.withLockedValue { open -> Bool in
            guard open.count < limit else { return false }
            open[key] = channel
            return true
        }
        if admitted {
            channel.closeFuture.whenComplete { _ in _ = self.channels.withLockedValue { $0.removeValue(forKey: key) } }
        }
        return admitted
    }

    func drain() -> [any Channel] {
        channels.withLockedValue { open in
            let all = Array(open.values)
            open.removeAll()
            return all
        }
    }
}
