// JSON-RPC over WebSocket on the HTTP port: the upgrader that takes `GET /` with
// `Upgrade: websocket` off the HTTP pipeline, and the per-connection handler that reads text
// (or binary) messages — fragments aggregated up to a size limit — runs them through the
// same dispatcher as HTTP, one message at a time in arrival order (reading pauses while one
// runs, so a fast sender cannot queue unbounded work), and answers pings and closes.
// Subscription notifications are written by `RPCConnection` beside the responses.
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// WebSocket settings; the defaults take a 1,000-transaction batch in one message.
public struct WebSocketConfiguration: Sendable, Hashable {
    /// Largest message (a frame, or all fragments of one message together); a bigger one closes
    /// the connection with 1009 (message too big).
    public var maxMessageBytes: Int
    /// Most notification bytes a client may leave unread before it is disconnected (1008).
    public var maxPendingNotificationBytes: Int

    public init(maxMessageBytes: Int = 16 * 1024 * 1024, maxPendingNotificationBytes: Int = 16 * 1024 * 1024) {
        self.maxMessageBytes = maxMessageBytes
        self.maxPendingNotificationBytes = maxPendingNotificationBytes
    }
}

enum WebSocketUpgrade {
    /// The upgrade configuration for one connection's HTTP pipeline. `httpHandler` is taken
    /// out of the pipeline when the upgrade completes.
    static func configuration(_ settings: WebSocketConfiguration, server: RPCServerConfiguration,
                              dispatcher: RPCDispatcher, httpHandler: NIOLoopBound<RPCHTTPHandler>)
        -> NIOHTTPServerUpgradeConfiguration {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: settings.maxMessageBytes, automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                return channel.eventLoop.makeSucceededFuture(path == "/" ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    let connection = RPCConnection(channel: channel, maxPendingBytes: settings.maxPendingNotificationBytes)
                    try channel.pipeline.syncOperations.addHandler(
                        WebSocketRPCHandler(dispatcher: dispatcher, connection: connection, settings: settings,
                                            requestTimeout: server.requestTimeout))
                }
            })
        return (upgraders: [upgrader], completionHandler: { context in
            context.pipeline.syncOperations.removeHandler(httpHandler.value, promise: nil)
        })
    }
}

final class WebSocketRPCHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let dispatcher: RPCDispatcher
    private let connection: RPCConnection
    private let settings: WebSocketConfiguration
    private let requestTimeout: Duration

    /// The message being assembled from fragments.
    private var fragments: ByteBuffer?
    /// Complete messages waiting for the one running to finish.
    private var queue: [ByteBuffer] = []
    private var running: (serial: UInt64, task: Task<Void, Never>, timeout: Scheduled<Void>)?
    private var serial: UInt64 = 0
    /// A read was asked for while busy; it is issued once the queue drains.
    private var readPending = false
    /// A ping went out after a quiet period and nothing has been read since.
    private var awaitingPong = false
    private var closing = false

    init(dispatcher: RPCDispatcher, connection: RPCConnection, settings: WebSocketConfiguration, requestTimeout: Duration) {
        self.dispatcher = dispatcher
        self.connection = connection
        self.settings = settings
        self.requestTimeout = requestTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        awaitingPong = false
        guard !closing else { return }
        // Clients must mask, and no extension is negotiated, so reserved bits must be clear.
        guard frame.maskKey != nil, frame.reservedBits.isEmpty else {
            return close(context: context, code: .protocolError, reason: "unmasked frame or reserved bits set")
        }
        switch frame.opcode {
        case .text, .binary:
            guard fragments == nil else {
                return close(context: context, code: .protocolError, reason: "new message inside a fragmented one")
            }
            if frame.fin {
                enqueue(frame.unmaskedData, context: context)
            } else {
                fragments = frame.unmaskedData
            }
        case .continuation:
            guard var buffer = fragments else {
                return close(context: context, code: .protocolError, reason: "continuation without a message")
            }
            guard buffer.readableBytes + frame.length <= settings.maxMessageBytes else {
                return close(context: context, code: .messageTooLarge, reason: "message larger than \(settings.maxMessageBytes) bytes")
            }
            fragments = nil
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            if frame.fin { enqueue(buffer, context: context) } else { fragments = buffer }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            // Echo the peer's code (RFC 6455 §5.5.1), then close.
            var data = frame.unmaskedData
            let code = data.readableBytes >= 2 ? data.readWebSocketErrorCode() ?? .normalClosure : .normalClosure
            close(context: context, code: code, reason: "")
        default:
            close(context: context, code: .protocolError, reason: "unknown opcode")
        }
    }

    func read(context: ChannelHandlerContext) {
        if running != nil || !queue.isEmpty || closing {
            readPending = true
        } else {
            context.read()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        running?.task.cancel()
        running?.timeout.cancel()
        running = nil
        queue.removeAll()
        connection.markClosed()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A quiet connection is pinged; if it stays quiet for another period it is closed.
        if case IdleStateHandler.IdleStateEvent.read = event {
            if awaitingPong {
                close(context: context, code: .goingAway, reason: "no pong")
            } else if running == nil {
                awaitingPong = true
                context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .ping, data: context.channel.allocator.buffer(capacity: 0))),
                                      promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Frame decoding errors were answered by NIO's protocol error handler (1009 for an
        // oversized frame, 1002 otherwise), which also closes the connection.
        if !(error is NIOWebSocketError) { context.close(promise: nil) }
    }

    // MARK: - Running messages

    private func enqueue(_ message: ByteBuffer, context: ChannelHandlerContext) {
        queue.append(message)
        runNext(context: context)
    }

    private func runNext(context: ChannelHandlerContext) {
        while running == nil, !closing, !queue.isEmpty {
            let message = queue.removeFirst()
            let decoded = message.withUnsafeReadableBytes { dispatcher.decode($0) }
            switch decoded {
            case .immediate(let bytes):
                respond(bytes, context: context)
            case .envelope(let envelope):
                start(envelope, context: context)
            }
        }
        if running == nil, queue.isEmpty, readPending, !closing {
            readPending = false
            context.read()
        }
    }

    private func start(_ envelope: RPCEnvelope, context: ChannelHandlerContext) {
        serial &+= 1
        let current = serial
        let promise = context.eventLoop.makePromise(of: [UInt8]?.self)
        let dispatcher = self.dispatcher, connection = self.connection
        let task = Task {
            promise.succeed(await RPCConnection.$current.withValue(connection) { await dispatcher.execute(envelope) })
        }
        let timeout = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(requestTimeout)) {
            self.running?.task.cancel()
            self.finish(serial: current, with: dispatcher.timeoutResponse(for: envelope), context: context)
        }
        running = (current, task, timeout)
        promise.futureResult.assumeIsolated().whenSuccess { bytes in
            self.finish(serial: current, with: bytes, context: context)
        }
    }

    private func finish(serial finished: UInt64, with bytes: [UInt8]?, context: ChannelHandlerContext) {
        guard let running, running.serial == finished else { return }
        running.timeout.cancel()
        self.running = nil
        guard context.channel.isActive, !closing else { return }
        respond(bytes, context: context)
        runNext(context: context)
    }

    /// Writes a response (none for notifications only), then the notifications held for the
    /// subscriptions it announces.
    private func respond(_ bytes: [UInt8]?, context: ChannelHandlerContext) {
        if let bytes {
            let frame = WebSocketFrame(fin: true, opcode: .text, data: context.channel.allocator.buffer(bytes: bytes))
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }
        connection.releaseHeld()
    }

    private func close(context: ChannelHandlerContext, code: WebSocketErrorCode, reason: String) {
        guard !closing else { return }
        closing = true
        fragments = nil
        queue.removeAll()
        connection.markClosed()
        var data = context.channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: data)
        context.writeAndFlush(wrapOutboundOut(frame)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
