// eth_subscribe("newHeads") over a WebSocket (RFC 6455) on the node's JSON-RPC port, over POSIX
// sockets like HTTPTransport: the programs act as soon as a block is announced instead of
// polling. Client frames are masked, server frames are not; pings are answered; a message is at
// most 1 MiB. The handshake's Sec-WebSocket-Accept is not checked (the endpoint is the node the
// caller chose; nothing here is trusted beyond a block number to wake up on).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import LedgerCrypto
import LedgerJSON

public final class HeadSubscription: @unchecked Sendable {
    public let endpoint: String
    private let socket: Int32
    private var buffer: [UInt8] = []
    static let maximumMessage = 1 << 20

    /// Connects to `url` (http:// or ws://, the node's JSON-RPC address) and subscribes.
    /// `idleTimeout`: a read waiting longer than this fails (the node went quiet or away).
    public init(url: String, idleTimeout: Double = 30) throws(ClientError) {
        let http = url.lowercased().hasPrefix("ws://") ? "http://" + url.dropFirst(5) : url
        endpoint = url
        let parsed = try HTTPEndpoint(http)
        do { socket = try HTTPConnection.connect(to: parsed, timeout: 5) } catch { throw .transport(endpoint: url, reason: error.reason) }
        do {
            try handshake(parsed)
            var limit = timeval(tv_sec: Int(idleTimeout), tv_usec: 0)
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            try sendText(Array(#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#.utf8))
            let answer = try JSONParser.parse(try readMessage())
            guard answer["result"]?.stringValue != nil else {
                throw ClientError.rpc(code: answer["error"]?["code"]?.integerValue ?? 0,
                                      message: answer["error"]?["message"]?.stringValue ?? "eth_subscribe refused", data: nil)
            }
        } catch let error as ClientError {
            close(socket)
            throw error
        } catch {
            close(socket)
            throw .transport(endpoint: url, reason: "\(error)")
        }
    }

    deinit { close(socket) }

    /// Blocks until the node announces a block; returns its number.
    public func nextHead() throws(ClientError) -> UInt64 {
        while true {
            let message: [UInt8]
            do { message = try readMessage() } catch { throw .transport(endpoint: endpoint, reason: "\(error)") }
            guard let value = try? JSONParser.parse(message), value["method"]?.stringValue == "eth_subscription",
                  let number = value["params"]?["result"]?["number"]?.stringValue,
                  let head = UInt64(number.dropFirst(2), radix: 16) else { continue }
            return head
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    private func handshake(_ endpoint: HTTPEndpoint) throws {
        let key = Data(try SecureRandom.bytes(count: 16)).base64EncodedString()
        let host = endpoint.host.contains(":") ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)"
        try sendAll(Array("GET \(endpoint.path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        while true {
            if let end = headEnd() {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                guard head.hasPrefix("HTTP/1.1 101") else {
                    throw Failure(description: "no WebSocket upgrade: \(head.prefix { $0 != "\r" })")
                }
                return
            }
            guard buffer.count < 16_384 else { throw Failure(description: "handshake answer too long") }
            try fill()
        }
    }

    private func headEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4) where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw Failure(description: count == 0 ? "the node closed the connection" : "read failed or timed out") }
        buffer.append(contentsOf: chunk[0..<count])
    }

    private func take(_ count: Int) throws -> [UInt8] {
        while buffer.count < count { try fill() }
        let bytes = Array(buffer[0..<count])
        buffer.removeFirst(count)
        return bytes
    }

    /// One whole text message (continuations joined); pings answered, pongs skipped.
    private func readMessage() throws -> [UInt8] {
        var message: [UInt8] = []
        while true {
            let head = try take(2)
            let final = head[0] & 0x80 != 0, opcode = head[0] & 0x0F
            var length = Int(head[1] & 0x7F)
            if length == 126 {
                let bytes = try take(2)
                length = Int(bytes[0]) << 8 | Int(bytes[1])
            } else if length == 127 {
                let bytes = try take(8)
                guard bytes[0..<4].allSatisfy({ $0 == 0 }) else { throw Failure(description: "a frame over 4 GiB") }
                length = bytes[4...].reduce(0) { $0 << 8 | Int($1) }
            }
            guard length <= Self.maximumMessage, message.count + length <= Self.maximumMessage else {
                throw Failure(description: "a message over \(Self.maximumMessage) bytes")
            }
            let mask = head[1] & 0x80 != 0 ? try take(4) : nil
            var payload = try take(length)
            if let mask { for index in payload.indices { payload[index] ^= mask[index % 4] } }
            switch opcode {
            case 0x0, 0x1, 0x2:
                message += payload
                if final { return message }
            case 0x8: throw Failure(description: "the node closed the WebSocket")
            case 0x9: try sendFrame(opcode: 0xA, payload)
            default: continue
            }
        }
    }

    private func sendText(_ payload: [UInt8]) throws { try sendFrame(opcode: 0x1, payload) }

    private func sendFrame(opcode: UInt8, _ payload: [UInt8]) throws {
        var frame: [UInt8] = [0x80 | opcode]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else if payload.count <= 0xFFFF {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        } else {
            throw Failure(description: "an outgoing frame over 64 KiB")
        }
        let mask = try SecureRandom.bytes(count: 4)
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try sendAll(frame)
    }

    private func sendAll(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else { throw Failure(description: "send failed") }
            sent += count
        }
    }
}
