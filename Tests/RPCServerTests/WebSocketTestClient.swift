// A tiny WebSocket client over RawHTTPConnection: the upgrade request, masked frames written
// by hand (so tests can also send broken ones), and server frames parsed from the raw bytes.
// Plus an in-memory chain implementing ChainLogSource for the log and subscription tests.
import ChainQueries
import Foundation
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import NIOConcurrencyHelpers
import RPCServer

struct TestFrame {
    var fin: Bool
    var opcode: UInt8
    var payload: [UInt8]

    var text: String { String(decoding: payload, as: UTF8.self) }
    func json() throws -> JSONValue { try JSONParser.parse(payload) }
    /// The status code of a close frame.
    var closeCode: Int? { payload.count >= 2 ? Int(payload[0]) << 8 | Int(payload[1]) : nil }
}

struct WebSocketTestClient {
    static let text: UInt8 = 0x1, binary: UInt8 = 0x2, continuation: UInt8 = 0x0
    static let close: UInt8 = 0x8, ping: UInt8 = 0x9, pong: UInt8 = 0xA

    var connection: RawHTTPConnection

    /// Sends the upgrade request and checks the 101 answer.
    mutating func handshake(path: String = "/") async throws -> HTTPTestResponse? {
        try await connection.send("GET \(path) HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            + "sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n")
        return try await connection.readResponse()
    }

    mutating func sendFrame(opcode: UInt8, payload: [UInt8], fin: Bool = true, masked: Bool = true) async throws {
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

    mutating func sendText(_ text: String) async throws { try await sendFrame(opcode: Self.text, payload: Array(text.utf8)) }

    /// The next frame, or nil when the server closed the connection.
    mutating func readFrame() async throws -> TestFrame? {
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
    mutating func readJSON() async throws -> JSONValue? {
        while let frame = try await readFrame() {
            if frame.opcode == Self.text { return try frame.json() }
            if frame.opcode == Self.close { return nil }
        }
        return nil
    }

    /// Sends a request and returns its response.
    mutating func call(_ method: String, _ params: String = "[]", id: Int = 1) async throws -> JSONValue? {
        try await sendText(#"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        return try await readJSON()
    }

    /// Reads until a close frame arrives and returns its code (nil if the socket just ended).
    mutating func readCloseCode() async throws -> Int? {
        while let frame = try await readFrame() {
            if frame.opcode == Self.close { return frame.closeCode }
        }
        return nil
    }

    static func parse(_ bytes: [UInt8]) -> (TestFrame, Int)? {
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
func withWebSocket<T: Sendable>(port: Int, _ body: (inout WebSocketTestClient) async throws -> T) async throws -> T {
    try await withConnection(port: port) { connection in
        var client = WebSocketTestClient(connection: connection)
        let upgrade = try await client.handshake()
        guard upgrade?.status == 101 else { throw TestFailure() }
        let result = try await body(&client)
        connection = client.connection
        return result
    }
}

/// A thread-safe in-memory chain; `append` commits a block and returns it for `didCommit`.
final class TestChain: ChainLogSource {
    private let blocks = NIOLockedValueBox<[BlockReceipts]>([])

    init(emptyBlocks: Int = 1) {
        for _ in 0..<emptyBlocks { append([]) }
    }

    @discardableResult
    func append(_ logsPerTransaction: [[Log]]) -> BlockReceipts {
        blocks.withLockedValue { blocks in
            let number = UInt64(blocks.count)
            let receipts = logsPerTransaction.enumerated().map { index, logs in
                Receipt(type: .dynamicFee, succeeded: true, cumulativeGasUsed: UInt64(30_000 * (index + 1)), logs: logs)
            }
            var bloom = Bloom()
            for receipt in receipts { bloom.formUnion(receipt.logsBloom) }
            let header = BlockHeader(parentHash: blocks.last?.hash ?? .zero, stateRoot: .zero, transactionsRoot: .zero,
                                     receiptsRoot: .zero, logsBloom: bloom, number: number, gasLimit: 30_000_000,
                                     gasUsed: 21_000, timestamp: 1_700_000_000 + number, baseFeePerGas: UInt256(7),
                                     extraData: [], proposer: testAddress(0x99), round: 0, validatorsHash: .zero,
                                     nextValidatorsHash: .zero, lastCommitHash: .zero, timestampMs: (1_700_000_000 + number) * 1000)
            let hashes = receipts.indices.map { Keccak256.hash(Array("tx \(number) \($0)".utf8)) }
            let block = BlockReceipts(header: header, transactionHashes: hashes, receipts: receipts)
            blocks.append(block)
            return block
        }
    }

    func block(_ number: Int) -> BlockReceipts { blocks.withLockedValue { $0[number] } }

    func headNumber() async throws -> UInt64 { blocks.withLockedValue { UInt64($0.count - 1) } }

    func header(number: UInt64) async throws -> BlockHeader? {
        blocks.withLockedValue { number < $0.count ? $0[Int(number)].header : nil }
    }

    func blockNumber(hash: Hash32) async throws -> UInt64? {
        blocks.withLockedValue { blocks in blocks.first { $0.hash == hash }?.header.number }
    }

    func blockReceipts(number: UInt64) async throws -> BlockReceipts? {
        blocks.withLockedValue { number < $0.count ? $0[Int(number)] : nil }
    }
}

func testAddress(_ byte: UInt8) -> Address { Address(bytes: [UInt8](repeating: byte, count: 20))! }
func testTopic(_ byte: UInt8) -> Hash32 { Hash32(bytes: [UInt8](repeating: byte, count: 32))! }

/// The test method table plus the log, filter and subscription methods over `chain` and `hub`.
func logMethods(chain: TestChain, hub: SubscriptionHub) -> RPCMethodTable {
    var table = testMethods()
    table.registerLogAndFilterMethods(source: chain, hub: hub)
    return table
}

/// Waits (up to two seconds) for `condition`, which another thread makes true.
func eventually(_ condition: () -> Bool) async throws -> Bool {
    for _ in 0..<200 {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}
