// The per-connection HTTP/1.1 handler: routes POST / to the JSON-RPC dispatcher and serves
// /health and /ready. It sits after NIO's HTTP codec and pipelining handler, so it sees one
// request at a time and answers each before the next is delivered (pipelining-safe).
// Methods run in a Swift task off the event loop; the answer is written back on the loop.
import NIOCore
import NIOHTTP1

final class RPCHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case idle
        /// POST / accepted; the body is being collected.
        case collecting(HTTPRequestHead, ByteBuffer)
        /// A request whose answer is already decided (health, 404, 415...); waiting for its end.
        case answering(HTTPRequestHead, Response)
        /// The methods of request number `serial` are running.
        case running(HTTPRequestHead, serial: UInt64)
        /// The body exceeded the limit: the answer was sent, our side is shut, and whatever the
        /// client still sends is read and dropped until it closes (or a short grace period ends),
        /// so that its unread bytes do not turn our close into a reset that loses the answer.
        case closing
    }

    struct Response {
        var status: HTTPResponseStatus
        var contentType: String?
        var body: [UInt8]
        var extraHeaders: [(String, String)] = []
    }

    private let dispatcher: RPCDispatcher
    private let configuration: RPCServerConfiguration
    private let isReady: @Sendable () -> Bool
    private var state = State.idle
    private var serial: UInt64 = 0
    private var runningTask: Task<Void, Never>?
    private var timeout: Scheduled<Void>?

    init(dispatcher: RPCDispatcher, configuration: RPCServerConfiguration, isReady: @escaping @Sendable () -> Bool) {
        self.dispatcher = dispatcher
        self.configuration = configuration
        self.isReady = isReady
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): received(head, context: context)
        case .body(var chunk): receivedBody(&chunk, context: context)
        case .end: receivedEnd(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        runningTask?.cancel()
        timeout?.cancel()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // Idle connections are closed, but never while a request's methods are running.
        if event is IdleStateHandler.IdleStateEvent {
            if case .idle = state { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    // MARK: - Routing

    private func received(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        if case .closing = state { return }
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        switch (head.method, path) {
        case (.POST, "/"):
            guard Self.isJSON(head.headers["content-type"].first) else {
                state = .answering(head, Self.jsonError(.unsupportedMediaType,
                    RPCError.invalidRequest("Content-Type must be application/json")))
                return
            }
            if let declared = head.headers["content-length"].first.flatMap(Int.init), declared > configuration.maxBodyBytes {
                refuseTooLarge(head, context: context)
                return
            }
            if head.headers["expect"].contains(where: { $0.lowercased() == "100-continue" }) {
                context.writeAndFlush(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))), promise: nil)
            }
            // NIO's parser has already refused malformed lengths; the clamp is for this line alone.
            let capacity = max(0, min(head.headers["content-length"].first.flatMap(Int.init) ?? 4096, configuration.maxBodyBytes))
            state = .collecting(head, context.channel.allocator.buffer(capacity: capacity))
        case (.GET, "/health"):
            state = .answering(head, Response(status: .ok, contentType: "text/plain; charset=utf-8", body: Array("ok".utf8)))
        case (.GET, "/ready"):
            let ready = isReady()
            state = .answering(head, Response(status: ready ? .ok : .serviceUnavailable, contentType: "text/plain; charset=utf-8",
                                              body: Array((ready ? "ready" : "not ready").utf8)))
        case (.OPTIONS, "/") where configuration.allowedOrigin(head.headers["origin"].first) != nil:
            state = .answering(head, Response(status: .noContent, contentType: nil, body: [], extraHeaders: [
                ("access-control-allow-methods", "POST, GET, OPTIONS"),
                ("access-control-allow-headers", "content-type"),
                ("access-control-max-age", "600"),
            ]))
        case (_, "/"):
            var response = Self.jsonError(.methodNotAllowed, RPCError.invalidRequest("method \(head.method) not allowed, use POST"))
            response.extraHeaders.append(("allow", "POST"))
            state = .answering(head, response)
        default:
            state = .answering(head, Response(status: .notFound, contentType: "text/plain; charset=utf-8", body: Array("not found".utf8)))
        }
    }

    private func receivedBody(_ chunk: inout ByteBuffer, context: ChannelHandlerContext) {
        guard case .collecting(let head, var body) = state else { return }  // other states ignore bodies
        guard body.readableBytes + chunk.readableBytes <= configuration.maxBodyBytes else {
            refuseTooLarge(head, context: context)
            return
        }
        state = .idle  // let `body` be uniquely referenced while it grows
        body.writeBuffer(&chunk)
        state = .collecting(head, body)
    }

    private func receivedEnd(context: ChannelHandlerContext) {
        switch state {
        case .idle, .running, .closing:
            return
        case .answering(let head, let response):
            state = .idle
            write(response, for: head, context: context)
        case .collecting(let head, let body):
            let decoded = body.withUnsafeReadableBytes { dispatcher.decode($0) }
            switch decoded {
            case .immediate(let bytes):
                state = .idle
                write(Self.jsonResponse(bytes), for: head, context: context)
            case .envelope(let envelope):
                run(envelope, for: head, context: context)
            }
        }
    }

    // MARK: - Running methods off the loop

    private func run(_ envelope: RPCEnvelope, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        serial &+= 1
        let current = serial
        state = .running(head, serial: current)
        let promise = context.eventLoop.makePromise(of: [UInt8]?.self)
        let dispatcher = self.dispatcher
        runningTask = Task { promise.succeed(await dispatcher.execute(envelope)) }
        timeout = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(configuration.requestTimeout)) {
            self.runningTask?.cancel()
            self.finish(serial: current, with: dispatcher.timeoutResponse(for: envelope), context: context)
        }
        promise.futureResult.assumeIsolated().whenSuccess { bytes in
            self.finish(serial: current, with: bytes, context: context)
        }
    }

    /// Writes the answer of request `serial` unless it was already answered (timed out).
    private func finish(serial finished: UInt64, with bytes: [UInt8]?, context: ChannelHandlerContext) {
        guard case .running(let head, let current) = state, current == finished else { return }
        timeout?.cancel()
        timeout = nil
        runningTask = nil
        state = .idle
        guard context.channel.isActive else { return }
        write(Self.jsonResponse(bytes), for: head, context: context)
    }

    // MARK: - Responses

    private func refuseTooLarge(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        state = .closing
        var response = Self.jsonError(.payloadTooLarge,
            RPCError.invalidRequest("request body larger than \(configuration.maxBodyBytes) bytes"))
        response.extraHeaders.append(("connection", "close"))
        write(response, for: head, keepAlive: false, lingering: true, context: context)
    }

    private func write(_ response: Response, for request: HTTPRequestHead, keepAlive: Bool? = nil,
                       lingering: Bool = false, context: ChannelHandlerContext) {
        let keepAlive = keepAlive ?? request.isKeepAlive
        var headers = HTTPHeaders()
        if let contentType = response.contentType { headers.add(name: "content-type", value: contentType) }
        headers.add(name: "content-length", value: String(response.body.count))
        if let origin = configuration.allowedOrigin(request.headers["origin"].first) {
            headers.add(name: "access-control-allow-origin", value: origin)
            headers.add(name: "vary", value: "origin")
        }
        for (name, value) in response.extraHeaders where !(name == "connection" && keepAlive) {
            headers.add(name: name, value: value)
        }
        if !keepAlive, !headers.contains(name: "connection") {
            headers.add(name: "connection", value: "close")
        } else if keepAlive, request.version.major == 1, request.version.minor == 0 {
            headers.add(name: "connection", value: "keep-alive")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers))),
                      promise: nil)
        if !response.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if lingering {
            written.assumeIsolated().whenComplete { _ in
                context.close(mode: .output, promise: nil)
                context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(2)) { context.close(promise: nil) }
            }
        } else if !keepAlive {
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        }
    }

    /// 200 with a JSON-RPC body, or 200 with an empty body when only notifications came.
    private static func jsonResponse(_ bytes: [UInt8]?) -> Response {
        Response(status: .ok, contentType: "application/json", body: bytes ?? [])
    }

    private static func jsonError(_ status: HTTPResponseStatus, _ error: RPCError) -> Response {
        Response(status: status, contentType: "application/json", body: RPCDispatcher.encodeError(error, id: .null))
    }

    /// application/json (any parameters, e.g. charset), or the two older JSON-RPC media
    /// types geth also accepts. A missing Content-Type is refused, as geth does.
    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first?
            .trimmingCharacters(in: " \t").lowercased() ?? ""
        return mediaType == "application/json" || mediaType == "application/json-rpc" || mediaType == "application/jsonrequest"
    }
}

/// Answers a connection over the limit with 503 and closes it.
final class ConnectionRefusalHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        let body = RPCDispatcher.encodeError(RPCError(code: RPCError.serverErrorCode, message: "too many connections"), id: .null)
        var buffer = context.channel.allocator.buffer(capacity: 128 + body.count)
        buffer.writeString("HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.count)\r\nconnection: close\r\n\r\n")
        buffer.writeBytes(body)
        context.writeAndFlush(wrapOutboundOut(buffer)).assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in characters: String) -> Substring {
        let set = Set(characters)
        var text = Substring(self)
        while let first = text.first, set.contains(first) { text.removeFirst() }
        while let last = text.last, set.contains(last) { text.removeLast() }
        return text
    }
}
