// A tiny WebSocket client over RawHTTPConnection: the upgrade request, masked frames written
// by hand (so tests can also send broken ones), and server frames parsed from the raw bytes.
import Foundation
import LedgerJSON
import RPCServer

public struct TestFrame {
    public var fin: Bool
    public var opcode: UInt8
    public var payload: [UInt8]

    public var text: String { String(decoding: payload, as: UTF8.self) }
    public func json() throws -> JSONValue { try JSONParser.parse(payload) }
    /// The status code of a close frame.
    public var closeCode: Int? { payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
}

public struct WebSocketTestClient {
    public static let text: UInt8 = 0x1, binary: UInt8 = 0x2, continuation: UInt8 = 0x0
    public static let close: UInt8 = 0x8, ping: UInt8 = 0x9, pong: UInt8 = 0xA

    public var connection: RawHTTPConnection

    public init(connection: RawHTTPConnection) { self.connection = connection }

    /// Sends the upgrade request and checks the 101 answer.
    public mutating func handshake(path: String = "/") async throws -> HTTPTestResponse? {
        try await connection.send("GET \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            + "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n")
        return try await connection.readResponse()
    }

    public mutating func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true) async throws {
        var bytes: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        switch payload.count {
        case ..<126: bytes.append(maskBit | UInt8(payload.count))
        case ..<65_536: bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        default:
            bytes.append(maskBit | 127)
            bytes += (0..<8).reversed().map { UInt8(truncatingIfNeeded: UInt64(payload.count) >> (8 * UInt64($0))) }
        }
        if masked {
            let key: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
            bytes += key
            bytes += payload.enumerated().map { $0.element ^ key[$0.offset % 4] }
        } else {
            bytes += payload
        }
        try await connection.send(bytes)
    }

    public mutating func sendText(_ text: String) async throws { try await sendFrame(opcode: Self.text, payload: Array(text.utf8)) }

    /// The next frame, or nil when the server closed the connection.
    public mutating func readFrame() async throws -> TestFrame? {
        while true {
            if let (frame, consumed) = Self.parse(connection.pending) {
                connection.pending.removeFirst(consumed)
                return frame
            }
            guard let chunk = try await connection.inbound.next() else { return nil }
            connection.pending.append(contentsOf: chunk.readableBytesView)
        }
    }

    /// The next text message as JSON, skipping control frames.
    public mutating func readJSON() async throws -> JSONValue? {
        while let frame = try await readFrame() {
            if frame.opcode == Self.text { return try frame.json() }
            if frame.opcode == Self.close { return nil }
        }
        return nil
    }

    /// Sends a request and returns its response.
    public mutating func call(_ method: String, _ params: String = "[]", id: Int = 1) async throws -> JSONValue? {
        try await sendText(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        return try await readJSON()
    }

    /// Reads until a close frame arrives and returns its code (nil if the socket just ended).
    public mutating func readCloseCode() async throws -> Int? {
        while let frame = try await readFrame() {
            if frame.opcode == Self.close { return frame.closeCode }
        }
        return nil
    }

    public static func parse(_ bytes: [UInt8]) -> (TestFrame, Int)? {
        guard bytes.count >= 2 else { return nil }
        var length = Int(bytes[1] & 0x7f)
        var offset = 2
        if length == 126 {
            guard bytes.count >= 4 else { return nil }
            length = Int(bytes[2]) << 8 | Int(bytes[3])
            offset = 4
        } else if length == 127 {
            guard bytes.count >= 10 else { return nil }
            length = bytes[2..<10].reduce(0) { $0 << 8 | Int($1) }
            offset = 10
        }
        guard bytes.count >= offset + length else { return nil }
        return (TestFrame(fin: bytes[0] & 0x80 != 0, opcode: bytes[0] & 0x0f, payload: Array(bytes[offset..<offset + length])),
                offset + length)
    }
}

/// Opens a WebSocket to the server, runs `body`, closes.
public func withWebSocket<T: Sendable>(port: Int, _ body: (inout WebSocketTestClient) async throws -> T) async throws -> T {
    try await withConnection(port: port) { connection in
        var client = WebSocketTestClient(connection: connection)
        let upgrade = try await client.handshake()
        guard upgrade?.status == 101 else { throw TestFailure() }
        let result = try await body(&client)
        connection = client.connection
        return result
    }
}

/// Waits (up to two seconds) for `condition`, which another thread makes true.
public func eventually(_ condition: () -> Bool) async throws -> Bool {
    for _ in 0..<200 {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

public struct TestFailure: Error {}

/// A method table with a few behaviours the framing tests need.
public func testMethods() -> RPCMethodTable {
    var table = RPCMethodTable()
    table.register("echo") { params in .array(params.values) }
    table.register("eth_chainId", arguments: 0...0) { _ in .quantity(UInt64(0x539)) }
    table.register("eth_blockNumber", arguments: 0...0) { _ in .quantity(UInt64(0x36)) }
    table.register("reject") { _ in throw RPCError.transactionRejected("nonce too low") }
    table.register("crash") { _ in throw TestFailure() }
    table.register("add", arguments: 2...2) { params in
        .quantity(try params.required(0, as: UInt64.self) + params.required(1, as: UInt64.self))
    }
    return table
}

