// Contracts through the node's RPC methods: Contracts/SimpleStore.asm deployed by a creation
// transaction, called with eth_call, its event found by eth_getLogs, its revert surfaced as code 3.
import Bytecode
import Foundation
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import Node
import RPCServer
import Testing

@Suite struct ContractRPCTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func payload() throws -> [UInt8] {
        let source = try String(contentsOf: packageRoot.appendingPathComponent("Contracts/SimpleStore.asm"), encoding: .utf8)
        return try Assembler.assemble(source).encoded()
    }

    static func selector(_ signature: String) -> [UInt8] { Array(Keccak256.hash(Array(signature.utf8)).bytes[0..<4]) }

    static func transaction(nonce: UInt64, to: Address?, data: [UInt8]) throws -> SignedTransaction {
        try UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
            chainId: 1337, nonce: nonce, maxPriorityFeePerGas: .zero, maxFeePerGas: UInt256(2_000_000_000),
            gasLimit: 1_000_000, to: to, value: .zero, data: data)).signed(with: devAccounts[1])
    }

    @Test func deployCallLogAndRevert() async throws {
        let node = try makeNode(store: try initializedStore())
        let table = node.ethereumAPI(clientVersion: "d6g-ledger/test").methods()
        func call(_ method: String, _ params: [JSONValue]) async throws(RPCError) -> JSONValue {
            try await table.call(method: method, params: .array(params))
        }

        let deploy = try Self.transaction(nonce: 0, to: nil, data: try Self.payload())
        _ = try await call("eth_sendRawTransaction", [.data(deploy.encoded)])
        _ = try await node.produceBlock()
        let deployed = try await call("eth_getTransactionReceipt", [.hash(deploy.hash)])
        #expect(deployed["status"] == "0x1")
        let address = try #require(deployed["contractAddress"]?.stringValue.flatMap { try? Address(hex: $0) })
        let code = try await call("eth_getCode", [.address(address), "latest"])
        #expect(code.stringValue?.hasPrefix("0xd64701") == true)

        // A creation through eth_call returns the runtime container it would store: the stored code.
        let creation: JSONValue = .object(["from": .address(devAccounts[1].address), "data": .data(try Self.payload())])
        #expect(try await call("eth_call", [creation, "latest"]) == code)
        let creationGas = try #require(try await call("eth_estimateGas", [creation]).stringValue.flatMap { UInt64($0.dropFirst(2), radix: 16) })
        #expect(creationGas > 53_000 && creationGas < 1_000_000)

        let get: JSONValue = .object(["to": .address(address), "data": .data(Self.selector("get()"))])
        do {
            _ = try await call("eth_call", [get, "latest", .object([recipient.description: .object(["balance": "0x1"])])])
            Issue.record("state overrides were ignored")
        } catch {
            #expect(error.code == -32602)
        }
        #expect(try await call("eth_call", [get, "latest"]) == .data(UInt256.zero.bigEndianBytes))
        #expect(try await call("eth_call", [get, "latest", .object([:])]) == .data(UInt256.zero.bigEndianBytes))

        let setData = Self.selector("set(uint256)") + UInt256(42).bigEndianBytes
        let estimate = try await call("eth_estimateGas", [.object(["from": .address(devAccounts[1].address),
                                                                   "to": .address(address), "data": .data(setData)])])
        let set = try Self.transaction(nonce: 1, to: address, data: setData)
        _ = try await call("eth_sendRawTransaction", [.data(set.encoded)])
        let header = try await node.produceBlock()
        let receipt = try await call("eth_getTransactionReceipt", [.hash(set.hash)])
        #expect(receipt["status"] == "0x1")
        #expect(receipt["gasUsed"] == estimate)
        #expect(try await call("eth_call", [get, "latest"]) == .data(UInt256(42).bigEndianBytes))
        #expect(try await call("eth_getStorageAt", [.address(address), "0x0", "latest"]) == .data(UInt256(42).bigEndianBytes))

        let logs = try await call("eth_getLogs", [.object(["address": .address(address),
                                                           "fromBlock": .quantity(header.number), "toBlock": "latest"])])
        #expect(logs.arrayValue?.count == 1)
        let log = logs.arrayValue?.first
        #expect(log?["data"] == .data(UInt256(42).bigEndianBytes))
        #expect(log?["topics"]?.arrayValue?.last == .hash(Hash32(bytes: [UInt8](repeating: 0, count: 12) + devAccounts[1].address.bytes)!))

        let fail: JSONValue = .object(["to": .address(address), "data": .data(Self.selector("fail()"))])
        for method in ["eth_call", "eth_estimateGas"] {
            do {
                _ = try await call(method, [fail])
                Issue.record("\(method) of fail() did not revert")
            } catch {
                #expect(error.code == 3 && error.message == "execution reverted: nope")
                #expect(error.data?.stringValue?.hasPrefix("0x08c379a0") == true)
            }
        }
        await node.stop()
    }

    @Test func aTransactionsTraceShowsEveryInstructionAndItsGas() async throws {
        let node = try makeNode(store: try initializedStore())
        #expect(!node.ethereumAPI(clientVersion: "d6g-ledger/test").methods().methodNames.contains("debug_traceTransaction"),
                "off unless asked for")
        let table = node.ethereumAPI(clientVersion: "d6g-ledger/test", debug: true).methods()
        func call(_ method: String, _ params: [JSONValue]) async throws(RPCError) -> JSONValue {
            try await table.call(method: method, params: .array(params))
        }
        let deploy = try Self.transaction(nonce: 0, to: nil, data: try Self.payload())
        _ = try await call("eth_sendRawTransaction", [.data(deploy.encoded)])
        _ = try await node.produceBlock()
        let address = try #require(try await call("eth_getTransactionReceipt", [.hash(deploy.hash)])["contractAddress"]?
            .stringValue.flatMap { try? Address(hex: $0) })
        // Two transactions in one block: the second is traced after the first is replayed.
        let set = try Self.transaction(nonce: 1, to: address, data: Self.selector("set(uint256)") + UInt256(7).bigEndianBytes)
        let fail = try Self.transaction(nonce: 2, to: address, data: Self.selector("fail()"))
        _ = try await call("eth_sendRawTransaction", [.data(set.encoded)])
        _ = try await call("eth_sendRawTransaction", [.data(fail.encoded)])
        _ = try await node.produceBlock()

        let trace = try await call("debug_traceTransaction", [.hash(set.hash)])
        let receipt = try await call("eth_getTransactionReceipt", [.hash(set.hash)])
        #expect(trace["gas"] == receipt["gasUsed"] && trace["failed"] == false)
        let steps = try #require(trace["structLogs"]?.arrayValue)
        #expect(!steps.isEmpty && steps.allSatisfy { $0["gasCost"]?.integerValue != nil })
        #expect(steps.contains { $0["op"] == "SSTORE" } && steps.contains { $0["op"] == "LOG2" })
        #expect(!steps.contains { $0["op"]?.stringValue?.hasPrefix("(") == true }, "only the contract's own instructions")
        // What the last step (STOP) had left is what the transaction's 1,000,000 did not use,
        // give or take STOP's own block charge.
        let last = try #require(steps.last)
        #expect(last["op"] == "STOP")
        let left = try #require(last["gas"]?.integerValue), cost = try #require(last["gasCost"]?.integerValue)
        let unused = 1_000_000 - Int(try #require(receipt["gasUsed"]?.stringValue.flatMap { UInt64($0.dropFirst(2), radix: 16) }))
        #expect(left == unused || left - cost == unused)
        #expect(steps.last?["op"] == "STOP" || steps.last?["op"] == "RETURN")
        #expect(steps.allSatisfy { $0["depth"] == 1 })
        let gas = steps.compactMap { $0["gas"]?.integerValue.map { Int64($0) } }
        #expect(gas.count == steps.count && zip(gas, gas.dropFirst()).allSatisfy { $0 >= $1 }, "gas left never grows")
        let pcs = steps.compactMap { $0["pc"]?.integerValue }
        #expect(pcs.count == steps.count)

        let failed = try await call("debug_traceTransaction", [.hash(fail.hash), .object([:])])
        #expect(failed["failed"] == true && failed["returnValue"]?.stringValue?.hasPrefix("0x08c379a0") == true)
        #expect(failed["structLogs"]?.arrayValue?.last?["op"] == "REVERT")

        // A plain transfer runs no code: no steps.
        let transferred = try transfer(from: devAccounts[0], nonce: 0)
        _ = try await call("eth_sendRawTransaction", [.data(transferred.encoded)])
        _ = try await node.produceBlock()
        let plain = try await call("debug_traceTransaction", [.hash(transferred.hash)])
        #expect(plain["structLogs"] == [] && plain["gas"] == "0x5208")

        for bad: [JSONValue] in [[.hash(Keccak256.hash([1]))], ["0x12"], [.hash(set.hash), .object(["tracer": "callTracer"])]] {
            do {
                _ = try await call("debug_traceTransaction", bad)
                Issue.record("\(bad) was traced")
            } catch {
                #expect(error.code == -32000 || error.code == -32602, "\(bad): \(error)")
            }
        }
        await node.stop()
    }
}
