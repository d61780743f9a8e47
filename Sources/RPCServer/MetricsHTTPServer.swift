// The metrics endpoint (Docs/operator-guide.md §Metrics): `GET /metrics` answers Prometheus text
// from a closure the node gives, on its own address and port, so that scraping never shares
// limits or threads with JSON-RPC and the RPC port can stay private while metrics are scraped.
// Anything else is 404; bodies are not read.
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

public final class MetricsHTTPServer: Sendable {
    private let channel: any Channel
    public let port: Int

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    /// Connections open at once; more are closed on arrival (scrapers need one or two).
    public static let maximumConnections = 16

    /// Listens on `host`:`port` (0 picks a free one) and answers scrapes with `render()`.
    public static func start(host: String, port: Int, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                             render: @escaping @Sendable () -> [UInt8]) async throws -> MetricsHTTPServer {
        let open = OpenConnections()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                // File descriptors are shared with RocksDB: a client may not hold many.
                guard open.count.withLock({ count in
                    guard count < Self.maximumConnections else { return false }
                    count += 1
                    return true
                }) else {
                    return channel.close()
                }
                channel.closeFuture.whenComplete { _ in open.count.withLock { $0 -= 1 } }
                // A connection that sends nothing for 10 s is closed: a scraper asks at once.
                return channel.pipeline.addHandler(IdleStateHandler(readTimeout: .seconds(10))).flatMap {
                    channel.pipeline.configureHTTPServerPipeline()
                }.flatMap {
                    channel.pipeline.addHandler(MetricsHandler(render: render))
                }
            }
            .bind(host: host, port: port).get()
        return MetricsHTTPServer(channel: channel, port: channel.localAddress?.port ?? port)
    }

    public func shutdown() async throws {
        try await channel.close()
    }
}

private final class MetricsHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let render: @Sendable () -> [UInt8]

    init(render: @escaping @Sendable () -> [UInt8]) { self.render = render }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = unwrapInboundIn(data) else { return }
        let found = request.method == .GET && (request.uri == "/metrics" || request.uri.hasPrefix("/metrics?"))
        let body = found ? render() : Array("not found: scrape /metrics\n".utf8)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: found ? "text/plain; version=0.0.4; charset=utf-8" : "text/plain")
        headers.add(name: "Content-Length", value: String(body.count))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: request.version, status: found ? .ok : .notFound, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [context] _ in context.close(promise: nil) }
    }
}

/// How many metrics connections are open.
private final class OpenConnections: Sendable {
    let count = Mutex(0)
}
