// Response shapes against the execution-apis examples (testdata/execution-apis/tests/*.io):
// a fake node answers with fixed values through the real HTTP server, and each answer must
// have the example's keys, id, error code and hex kinds (values come from another chain).
import Foundation
import LedgerJSON
import EthereumAPI
import LedgerPrimitives
import RPCServer
import RPCTestSupport
import TestSupport
import Testing

/// Fixed answers in the shapes a node gives.
func fakeNode() -> RPCMethodTable {
    var table = RPCMethodTable()
    table.register("eth_chainId", arguments: 0...0) { _ in .quantity(UInt64(1337)) }
    table.register("eth_blockNumber", arguments: 0...0) { _ in .quantity(UInt64(0x2a)) }
    table.register("eth_getBalance", arguments: 1...2) { params in
        _ = try params.required(0, as: Address.self)
        _ = try params.optional(1, as: BlockSelector.self) ?? .latest
        return .quantity(UInt256(limb0: 0x1234, limb1: 0, limb2: 0, limb3: 0))
    }
    table.register("eth_sendRawTransaction", arguments: 1...1) { params in
        .hash(Keccak256.hash(try params.required(0, as: [UInt8].self)))
    }
    table.register("eth_call", arguments: 1...3) { params in
        let call = try params.required(0, as: JSONObject.self)
        _ = try params.optional("to", in: call, argument: 0, as: Address.self)
        let input = try params.optional("input", in: call, argument: 0, as: [UInt8].self) ?? []
        _ = try params.optional(1, as: BlockSelector.self)
        // Single-byte inputs stand for the reverting cases of the examples.
        if input.count == 1 { throw RPCError.executionReverted(reason: "fake reason", data: [0x08, 0xc3, 0x79, 0xa0] + input) }
        return .data(input.reversed())
    }
    return table
}

/// The schema patterns of base-types.yaml that these methods' results use.
enum HexKind: String {
    case uint, bytes, hash32

    /// ^0x(0|[1-9a-f][0-9a-f]*)$, ^0x[0-9a-f]*$ (even length), ^0x[0-9a-f]{64}$
    func matches(_ text: String) -> Bool {
        guard text.hasPrefix("0x") else { return false }
        let digits = text.dropFirst(2)
        guard digits.allSatisfy({ "0123456789abcdef".contains($0) }) else { return false }
        switch self {
        case .uint: return digits == "0" || (!digits.isEmpty && digits.first != "0")
        case .bytes: return digits.count % 2 == 0
        case .hash32: return digits.count == 64
        }
    }
}

/// Keys and array lengths, with every string reduced to "s" (kinds are checked separately).
func shape(_ value: JSONValue) -> String {
    switch value {
    case .null: return "null"
    case .bool: return "bool"
    case .number: return "number"
    case .string: return "s"
    case .array(let items): return "[" + items.map(shape).joined(separator: ",") + "]"
    case .object(let object):
        return "{" + object.members.sorted { $0.key < $1.key }.map { "\($0.key):\(shape($0.value))" }.joined(separator: ",") + "}"
    }
}

@Suite("execution-apis response shapes")
struct ExecutionAPIShapeTests {
    /// Each method and the schema kind of its result (openrpc.eth.assembled.json).
    static let resultKinds: [String: HexKind] = [
        "eth_chainId": .uint, "eth_blockNumber": .uint, "eth_getBalance": .uint,
        "eth_sendRawTransaction": .hash32, "eth_call": .bytes,
    ]
    static var methods: [String] { resultKinds.keys.sorted() }

    /// (file, request line, expected response line) of every example of `methods`.
    static func examples() throws -> [(String, String, String)] {
        var cases: [(String, String, String)] = []
        for method in methods {
            let folder = try TestData.url("execution-apis/tests/\(method)")
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() where file.hasSuffix(".io") {
                let lines = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8).split(separator: "\n")
                guard let request = lines.first(where: { $0.hasPrefix(">> ") }),
                      let response = lines.first(where: { $0.hasPrefix("<< ") }) else { continue }
                cases.append(("\(method)/\(file)", String(request.dropFirst(3)), String(response.dropFirst(3))))
            }
        }
        return cases
    }

    @Test("answers have the examples' shapes")
    func shapes() async throws {
        let examples = try Self.examples()
        #expect(examples.count >= 12)
        try await withServer(handler: fakeNode()) { server in
            try await withConnection(port: server.port) { connection in
                for (name, request, expectedText) in examples {
                    try await connection.post(request)
                    let answer = try #require(try await connection.readResponse()?.json(), "\(name)")
                    let expected = try JSONParser.parse(expectedText)
                    #expect(answer["jsonrpc"] == "2.0" && answer["id"] == expected["id"], "\(name)")
                    #expect(shape(answer) == shape(expected), "\(name): \(answer)")
                    if let error = expected["error"] {
                        #expect(answer["error"]?["code"] == error["code"], "\(name)")
                        if let data = error["data"]?.stringValue {
                            #expect(HexKind.bytes.matches(data), "\(name): the example's own data")
                            #expect(HexKind.bytes.matches(answer["error"]?["data"]?.stringValue ?? ""), "\(name)")
                        }
                    } else {
                        let kind = try #require(Self.resultKinds[String(name.prefix { $0 != "/" })])
                        #expect(kind.matches(expected["result"]?.stringValue ?? ""), "\(name): the example's own result")
                        #expect(kind.matches(answer["result"]?.stringValue ?? ""), "\(name): \(answer)")
                    }
                }
            }
        }
    }

    @Test("the kind checks follow the schema patterns")
    func kinds() {
        #expect(HexKind.uint.matches("0x0") && HexKind.uint.matches("0x36"))
        #expect(!HexKind.uint.matches("0x036") && !HexKind.uint.matches("0x") && !HexKind.uint.matches("0xAB"))
        #expect(HexKind.bytes.matches("0x") && HexKind.bytes.matches("0x0036") && !HexKind.bytes.matches("0x036"))
        #expect(HexKind.hash32.matches("0x" + String(repeating: "a", count: 64)) && !HexKind.hash32.matches("0xaa"))
        #expect(shape(["a": "0x1", "b": [1, nil]]) != shape(["a": "0x1", "b": [1]]))
    }
}
