// Inputs an attacker chooses, through each entry point that runs code: each must end in an error
// or a failed receipt while the node keeps serving (issue 8, Docs/fuzzing.md).
import Bytecode
import LedgerPrimitives
import LedgerTypes
import Node
import RPCServer
import Testing

@Suite struct HostileInputTests {
    /// A deploy payload whose init code asks RETURNDATACOPY for 32 bytes at offset 2^64 − 1: the
    /// bounds check once overflowed and trapped the whole process.
    static func returnDataOverflowPayload() throws -> [UInt8] {
        try Assembler.assemble("""
            .init
              PUSH 32
              PUSH 0xffffffffffffffff
              PUSH 32
              RETURNDATACOPY
              STOP
            .runtime
              PUSH0
              PUSH0
              RETURN
            """).encoded()
    }

    static func methods(_ node: LedgerNode) -> RPCMethodTable {
        EthereumRPC.methods(for: node, clientVersion: "d6g-ledger/test")
    }

    @Test(arguments: ["eth_call", "eth_estimateGas"])
    func simulatedCreationFailsAndTheNodeServes(method: String) async throws {
        let node = try makeNode(store: try initializedStore())
        let table = Self.methods(node)
        let creation: JSONValue = .object(["data": .data(try Self.returnDataOverflowPayload())])
        do {
            _ = try await table.call(method: method, params: .array([creation, "latest"]))
            Issue.record("\(method) of the overflowing payload succeeded")
        } catch {
            #expect(error.code == RPCError.serverErrorCode)
            #expect(error.message.contains("return data"))
        }
        #expect(try await table.call(method: "eth_blockNumber", params: .array([])) == "0x0")
        await node.stop()
    }

    @Test func creationTransactionFailsInItsBlockAndTheChainGoesOn() async throws {
        let node = try makeNode(store: try initializedStore())
        let table = Self.methods(node)
        let deploy = try UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
            chainId: 1337, nonce: 0, maxPriorityFeePerGas: .zero, maxFeePerGas: UInt256(2_000_000_000),
            gasLimit: 1_000_000, to: nil, value: .zero, data: try Self.returnDataOverflowPayload())).signed(with: devAccounts[1])
        _ = try await table.call(method: "eth_sendRawTransaction", params: .array([.data(deploy.encoded)]))
        let first = try await node.produceBlock()
        #expect(first.number == 1)
        let receipt = try await table.call(method: "eth_getTransactionReceipt", params: .array([.hash(deploy.hash)]))
        #expect(receipt["status"] == "0x0")
        #expect(receipt["gasUsed"] == .quantity(UInt64(1_000_000)))
        // The next transaction from the same sender is taken and mined: the chain did not stop.
        let next = try transfer(from: devAccounts[1], nonce: 1)
        _ = try await table.call(method: "eth_sendRawTransaction", params: .array([.data(next.encoded)]))
        let second = try await node.produceBlock()
        #expect(second.number == 2)
        let nextReceipt = try await table.call(method: "eth_getTransactionReceipt", params: .array([.hash(next.hash)]))
        #expect(nextReceipt["status"] == "0x1")
        await node.stop()
    }
}
