// The JSON-RPC request path against an in-memory node, no sockets: parse, frame, batch and
// dispatch to every method the node serves (Docs/fuzzing.md §Targets). Half the inputs are raw
// bodies; the other half are read as a structured call — a method and parameters built from the
// bytes — so that deep paths (eth_call and eth_estimateGas of fuzzed code, block and log queries,
// raw transactions) are reached far more often than random JSON would reach them.
import Bytecode
import EthereumAPI
import FuzzSupport
import Dispatch
import Foundation
import LedgerJSON
import LedgerPrimitives
import Node
import RPCServer
import StorageAPI
import Synchronization

/// One in-memory devnet node for the whole fuzzing process: it produces no blocks, so inputs do
/// not change the chain (only the pool, which has its own limits).
private final class FuzzedNode: Sendable {
    static let shared: FuzzedNode? = try? FuzzedNode()

    let node: LedgerNode
    let dispatcher: RPCDispatcher
    let methodNames: [String]

    private init() throws {
        let genesis = DevNetwork.genesis()
        let store = MemoryStore(families: ChainSchema.families)
        try ChainStore(storage: store).initialize(with: genesis)
        // Small limits, so that one input takes milliseconds and the fuzzer's timeout means a hang.
        let limits = SimulationLimits(gasCap: 300_000, timeLimit: .milliseconds(500), concurrency: 1, queueLength: 4)
        node = try LedgerNode(configuration: NodeConfiguration(genesis: genesis, validatorKey: DevNetwork.validatorKey,
                                                               producesBlocksAutomatically: false, simulations: limits),
                              store: ChainStore(storage: store), consensusLog: MemoryConsensusLog(), log: .silent)
        let table = node.ethereumAPI(clientVersion: "d6g-fuzz").methods()
        methodNames = table.methodNames
        dispatcher = RPCDispatcher(handler: table)
    }

    /// The response to `body`, waiting for the async dispatcher on this (fuzzer's) thread.
    func respond(to body: [UInt8]) -> [UInt8]? {
        let done = DispatchSemaphore(value: 0)
        let response = Mutex<[UInt8]?>(nil)
        let dispatcher = self.dispatcher
        Task {
            let answer = await dispatcher.respond(to: body)
            response.withLock { $0 = answer }
            done.signal()
        }
        done.wait()
        return response.withLock { $0 }
    }
}

extension FuzzTarget {
    public static let rpc = FuzzTarget(
        name: "rpc",
        summary: "RPCDispatcher over every method of an in-memory node: raw bodies and structured calls (eth_call/eth_estimateGas with fuzzed code among them); every answer is JSON") { input in
        guard let node = FuzzedNode.shared else { return "the in-memory node did not start" }
        guard let first = input.first else { return nil }
        var structured = StructuredCall(Array(input.dropFirst()), methods: node.methodNames)
        let body = first & 1 == 0 ? Array(input.dropFirst()) : structured.body()
        guard let response = node.respond(to: body) else { return nil }
        guard (try? JSONParser.parse(response)) != nil else { return "a response is not JSON" }
        return nil
    }
}

/// A JSON-RPC body built from fuzz bytes: a method from the node's table (or a near miss), and
/// parameters of the shapes methods take.
struct StructuredCall {
    private var bytes: FuzzCursor
    let methods: [String]

    /// Made once: the dev accounts' addresses cost a key derivation each.
    static let knownAddresses = DevNetwork.accountKeys.map { $0.address.description }
    static let edgeQuantities: [String] = ["0x0", "0x1", "0x7fffffff", "0xffffffff", "0x100000000", "0x7fffffffffffffff",
                                           "0xffffffffffffffff", "0x10000000000000000", "0x" + String(repeating: "f", count: 64),
                                           "0x" + String(repeating: "f", count: 65), "0x01", "0x", "-0x1", "1"]
    static let fieldNames = ["fromBlock", "toBlock", "address", "topics", "blockHash", "to", "data", "from", "gas"]

    init(_ input: [UInt8], methods: [String]) {
        bytes = FuzzCursor(input)
        self.methods = methods
    }

    mutating func body() -> [UInt8] {
        let count = bytes.byte() % 4 == 0 ? Int(bytes.byte() % 4) + 1 : 1
        var calls: [JSONValue] = []
        for index in 0..<count { calls.append(call(id: index)) }
        return JSONWriter.encode(count == 1 && bytes.byte() % 2 == 0 ? calls[0] : .array(calls))
    }

    private mutating func call(id: Int) -> JSONValue {
        let choice = Int(bytes.byte())
        let method = choice < 240 && !methods.isEmpty ? methods[choice % methods.count] : ["eth_nope", "", "rpc.x"][choice % 3]
        let count = Int(bytes.byte() % 4)
        var params = (0..<count).map { _ in parameter(depth: 0) }
        if method == "eth_call" || method == "eth_estimateGas" || method == "eth_createAccessList" {
            params = [callObject()] + params.prefix(1)
        }
        return .object(JSONObject([("jsonrpc", "2.0"), ("id", .integer(id)), ("method", .string(method)), ("params", .array(params))]))
    }

    /// A call object; a creation carries a deploy payload whose init code is fuzz bytes wrapped in
    /// a container, so that the verifier and often the VM run on it.
    private mutating func callObject() -> JSONValue {
        var object = JSONObject()
        if bytes.byte() % 3 != 0 {
            let code = bytes.bytes(Int(bytes.byte() % 64) + 1) + [Opcode.stop.rawValue]
            let container = Container(initFunctions: [Function(code: code)], runtimeFunctions: [Function(code: [Opcode.stop.rawValue])])
            object["data"] = .string(Hex.encode((try? container.encoded()) ?? code))
        } else {
            object["to"] = address()
            object["data"] = .string(Hex.encode(bytes.bytes(Int(bytes.byte() % 40))))
        }
        if bytes.byte() % 2 == 0 { object["gas"] = quantity() }
        if bytes.byte() % 3 == 0 { object["from"] = address() }
        if bytes.byte() % 4 == 0 { object["value"] = quantity() }
        return .object(object)
    }

    private mutating func parameter(depth: Int) -> JSONValue {
        switch bytes.byte() % 10 {
        case 0: return quantity()
        case 1: return ["latest", "earliest", "pending", "safe", "finalized", "0x0", "0x1", "0x"][Int(bytes.byte() % 8)]
        case 2: return address()
        case 3: return .string(Hex.encode(bytes.bytes(32)))
        case 4: return .string(Hex.encode(bytes.bytes(Int(bytes.byte()))))
        case 5: return .bool(bytes.byte() % 2 == 0)
        case 6: return .integer(Int8(bitPattern: bytes.byte()))
        case 7 where depth < 3:
            return .array((0..<Int(bytes.byte() % 4)).map { _ in parameter(depth: depth + 1) })
        case 8 where depth < 3:
            var object = JSONObject()
            for _ in 0..<Int(bytes.byte() % 4) {
                object[Self.fieldNames[Int(bytes.byte()) % Self.fieldNames.count]] = parameter(depth: depth + 1)
            }
            return .object(object)
        default: return .null
        }
    }

    private mutating func quantity() -> JSONValue {
        let choice = Int(bytes.byte())
        if choice < 128 { return .string(Self.edgeQuantities[choice % Self.edgeQuantities.count]) }
        return .string("0x" + String(UInt64(bytes.byte()) << UInt64(bytes.byte() % 56), radix: 16))
    }

    private mutating func address() -> JSONValue {
        let choice = Int(bytes.byte())
        if choice < 128 { return .string(Self.knownAddresses[choice % Self.knownAddresses.count]) }
        return .string(Hex.encode(bytes.bytes(20)))
    }
}
