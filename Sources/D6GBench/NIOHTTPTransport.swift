// JSON-RPC over HTTP/1.1 on SwiftNIO's client pieces (ClientBootstrap, the HTTP/1 codec, an
// async channel per connection): the alternative to LedgerClient's POSIX-socket `HTTPTransport`
// that measured slower, kept in the benchmarks (`node-rpc --transport nio`) so the comparison can
// be run again, not in the client (Docs/client.md §Transports, Docs/benchmarks.md §Client
// transports). Keep-alive connections are pooled; a kept-alive connection the server closed
// meanwhile is retried once on a fresh one, as the socket transport does.
import LedgerClient
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

final class NIOHTTPTransport: RPCTransport {
    let target: HTTPEndpoint
    let timeout: Double
    private let group: any EventLoopGroup
    private let idle = Mutex<[Connection]>([])
    private let maximumIdleConnections: Int

    public var endpoint: String { target.description }

    init(url: String, timeout: Double = 30, maximumIdleConnections: Int = 16,
                group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws(ClientError) {
        self.target = try HTTPEndpoint(url)
        self.timeout = timeout
        self.maximumIdleConnections = maximumIdleConnections
        self.group = group
    }

    typealias Channel = NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>

    /// One connection: its channel and the iterator of its inbound stream (one request at a time).
    final class Connection: @unchecked Sendable {
        // `@unchecked`: used by one request at a time (checked out of the pool while in use).
        let channel: Channel
        var inbound: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
        let outbound: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
        var reusable = true

        init(channel: Channel) {
            self.channel = channel
            // The pool keeps the connection open across requests, so the channel's streams are
            // held here rather than inside one `executeThenClose` scope.
            self.inbound = channel.inbound.makeAsyncIterator()
            self.outbound = channel.outbound
        }

        /// NIO requires the writer finished before it goes away.
        deinit {
            outbound.finish()
            channel.channel.close(promise: nil)
        }
    }

    public func post(_ body: [UInt8]) async throws(ClientError) -> [UInt8] {
        let reused: Bool
        let connection: Connection
        if let pooled = idle.withLock({ $0.popLast() }) {
            (connection, reused) = (pooled, true)
        } else {
            do { connection = try await connect() } catch { throw .transport(endpoint: endpoint, reason: "cannot connect: \(error)") }
            reused = false
        }
        do {
            let response = try await exchange(body, on: connection)
            release(connection)
            return response
        } catch let error as ClientError {
            try? await connection.channel.channel.close()
            guard reused, case .transport = error else { throw error }
        } catch {
            try? await connection.channel.channel.close()
            throw .transport(endpoint: endpoint, reason: "\(error)")
        }
        // The pooled connection was closed by the server: one retry on a fresh one.
        do {
            let fresh = try await connect()
            let response = try await exchange(body, on: fresh)
            release(fresh)
            return response
        } catch let error as ClientError {
            throw error
        } catch {
            throw .transport(endpoint: endpoint, reason: "\(error)")
        }
    }

    private func connect() async throws -> Connection {
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(timeout * 1_000)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: target.host, port: Int(target.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try Channel(wrappingChannelSynchronously: channel)
                }
            }
        return Connection(channel: channel)
    }

    private func exchange(_ body: [UInt8], on connection: Connection) async throws -> [UInt8] {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(target.host):\(target.port)")
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Content-Length", value: String(body.count))
        let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.path, headers: headers)
        try await connection.outbound.write(contentsOf: [.head(head), .body(.byteBuffer(ByteBuffer(bytes: body))), .end(nil)])
        // The deadline is a task scheduled on the connection's event loop, not a Swift task:
        // a task group with a sleeping child per request cost 1.6× the whole exchange.
        let expired = Atomic<Bool>(false)
        let channel = connection.channel.channel
        let deadline = channel.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1_000))) {
            expired.store(true, ordering: .relaxed)
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        var response: [UInt8] = []
        var status: HTTPResponseStatus = .ok
        do {
            while let part = try await connection.inbound.next() {
                switch part {
                case .head(let responseHead):
                    status = responseHead.status
                    connection.reusable = responseHead.isKeepAlive
                case .body(let buffer):
                    response.append(contentsOf: buffer.readableBytesView)
                case .end:
                    guard status == .ok else { throw ClientError.transport(endpoint: endpoint, reason: "HTTP \(status.code)") }
                    return response
                }
            }
        } catch let error as ClientError {
            throw error
        } catch {
            if expired.load(ordering: .relaxed) { throw ClientError.timeout(endpoint: endpoint, seconds: timeout) }
            throw error
        }
        if expired.load(ordering: .relaxed) { throw ClientError.timeout(endpoint: endpoint, seconds: timeout) }
        throw ClientError.transport(endpoint: endpoint, reason: "the connection closed before a response")
    }

    private func release(_ connection: Connection) {
        guard connection.reusable else {
            connection.channel.channel.close(promise: nil)
            return
        }
        let kept = idle.withLock { pool -> Bool in
            guard pool.count < maximumIdleConnections else { return false }
            pool.append(connection)
            return true
        }
        if !kept { connection.channel.channel.close(promise: nil) }
    }

    deinit {
        for connection in idle.withLock({ $0 }) { connection.channel.channel.close(promise: nil) }
    }
}
