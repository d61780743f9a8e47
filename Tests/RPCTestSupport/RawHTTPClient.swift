// A tiny HTTP/1.1 client over a raw NIO TCP connection, so tests can send well-formed and
// deliberately broken requests to a real server socket and read exactly what comes back.
import Foundation
import LedgerJSON
import NIOCore
import NIOPosix
import RPCServer

public struct HTTPTestResponse {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? { headers.first { $0.0 == name.lowercased() }?.1 }
    public var text: String { String(decoding: body, as: UTF8.self) }
    public func json() throws -> JSONValue { try JSONParser.parse(body) }
}

public struct RawHTTPConnection {
    public var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    public let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    public var pending: [UInt8] = []

    public mutating func send(_ bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    public mutating func send(_ text: String) async throws { try await send(Array(text.utf8)) }

    /// Half-closes our side: the server sees end of input.
    public func finishSending() { outbound.finish() }

    /// POST / with a JSON body.
    public mutating func post(_ body: String, contentType: String? = "application/json", extraHeaders: String = "") async throws {
        var request = "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: \(body.utf8.count)\r\n"
        if let contentType { request += "content-type: \(contentType)\r\n" }
        try await send(request + extraHeaders + "\r\n" + body)
    }

    public mutating func get(_ path: String) async throws {
        try await send("GET \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n")
    }

    /// The next response, or nil if the server closed the connection first.
    public mutating func readResponse() async throws -> HTTPTestResponse? {
        while true {
            if let (response, consumed) = Self.parse(pending) {
                pending.removeFirst(consumed)
                return response
            }
            guard let chunk = try await inbound.next() else { return nil }
            pending.append(contentsOf: chunk.readableBytesView)
        }
    }

    /// True when the server closes the connection (after any bytes it still sends).
    public mutating func isClosedByServer() async throws -> Bool {
        while let chunk = try await inbound.next() { pending.append(contentsOf: chunk.readableBytesView) }
        return true
    }

    /// One complete response (Content-Length framed) at the start of `bytes`, and its length.
    public static func parse(_ bytes: [UInt8]) -> (HTTPTestResponse, Int)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let headerEnd = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<$0 + 4]) == separator })
        else { return nil }
        let lines = String(decoding: bytes[..<headerEnd], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        let length = headers.first { $0.0 == "content-length" }.flatMap { Int($0.1) } ?? 0
        let bodyStart = headerEnd + 4
        guard bytes.count >= bodyStart + length else { return nil }
        return (HTTPTestResponse(status: status, headers: headers, body: Array(bytes[bodyStart..<bodyStart + length])),
                bodyStart + length)
    }
}

/// Opens a connection to 127.0.0.1:`port`, runs `body`, closes.
public func withConnection<T: Sendable>(port: Int, _ body: (inout RawHTTPConnection) async throws -> T) async throws -> T {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                    wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
            }
        }
    return try await channel.executeThenClose { inbound, outbound in
        var connection = RawHTTPConnection(inbound: inbound.makeAsyncIterator(), outbound: outbound)
        return try await body(&connection)
    }
}

/// Starts a server on a free loopback port, runs `body`, shuts it down.
public func withServer<T: Sendable>(_ configuration: RPCServerConfiguration = RPCServerConfiguration(port: 0),
                             handler: any RPCMethodHandler = testMethods(),
                             isReady: @escaping @Sendable () -> Bool = { true },
                             _ body: (RPCHTTPServer) async throws -> T) async throws -> T {
    let server = try await RPCHTTPServer.start(configuration: configuration, handler: handler, isReady: isReady)
    do {
        let result = try await body(server)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}
