// Creation and calls through the ContractRuntime seam (with a scripted runtime standing in for the
// VM), and what a node without a runtime does: creation fails with all gas used, nonce consumed.
import Execution
import ExecutionTestSupport
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport

private let initCode: [UInt8] = [0x60, 0x2a, 0x60, 0x00]

struct ContractTests {
    /// The well-known example: 0x6ac7…dbf0 with nonce 0 and 1.
    @Test func contractAddressIsKeccakOfSenderAndNonce() throws {
        let sender = try Address(hex: "0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0")
        #expect(Address.contractAddress(creator: sender, nonce: 0) == (try Address(hex: "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d")))
        #expect(Address.contractAddress(creator: sender, nonce: 1) == (try Address(hex: "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8")))
    }

    @Test func creationWithoutRuntimeFailsUsingAllGasAndTheNonce() throws {
        let chain = try TestChain(balances: [alice.address: funded])
        let creation = legacy(alice, nonce: 0, to: nil, value: UInt256(7), gas: 100_000, data: initCode)
        let execution = try chain.apply([creation])
        let executed = execution.transactions[0]
        let expectedAddress = Address.contractAddress(creator: alice.address, nonce: 0)
        #expect(!executed.receipt.succeeded && executed.gasUsed == 100_000)
        #expect(executed.contractAddress == expectedAddress)
        #expect(try chain.state.account(at: expectedAddress) == nil)
        #expect(try chain.nonce(alice.address) == 1)
        #expect(try chain.balance(alice.address) == funded - gwei * UInt256(100_000))
    }

    @Test func creationRunsTheRuntimeAndDeploysItsReturnedCode() throws {
        let chain = try TestChain(balances: [alice.address: funded], runtime: ScriptedRuntime())
        let creation = legacy(alice, nonce: 0, to: nil, value: UInt256(7), gas: 200_000, data: initCode)
        let execution = try chain.apply([creation])
        let executed = execution.transactions[0]
        let contract = Address.contractAddress(creator: alice.address, nonce: 0)
        #expect(executed.receipt.succeeded)
        #expect(executed.gasUsed == creation.transaction.intrinsicGas + 10_000)
        let account = try #require(try chain.state.account(at: contract))
        #expect(account.nonce == 1 && account.balance == UInt256(7) && account.codeHash == Keccak256.hash(initCode))
        #expect(try chain.state.code(at: contract) == initCode)
        #expect(try chain.state.storageValue(at: UInt256(1), of: contract) == UInt256(42))
        #expect(execution.diff.code[Keccak256.hash(initCode)] == initCode)
        #expect(execution.diff.storage[contract] == [UInt256(1): UInt256(42)])
        #expect(executed.receipt.logs.count == 1 && executed.receipt.logs[0].address == contract)
        #expect(execution.logsBloom.mayContain(contract.bytes) && execution.logsBloom.mayContain(ScriptedRuntime.topic.bytes))
    }

    @Test func revertedCreationUndoesEverythingButTheNonceAndGas() throws {
        let chain = try TestChain(balances: [alice.address: funded], runtime: ScriptedRuntime())
        let execution = try chain.apply([legacy(alice, nonce: 0, to: nil, value: UInt256(7), gas: 200_000, data: [0xfd])])
        let executed = execution.transactions[0]
        #expect(!executed.receipt.succeeded && executed.receipt.logs.isEmpty && executed.returnData == [0xde, 0xad])
        #expect(executed.gasUsed == 53_000 + 16 + 2 + 10_000)
        #expect(try chain.state.account(at: Address.contractAddress(creator: alice.address, nonce: 0)) == nil)
        #expect(try chain.nonce(alice.address) == 1)
        #expect(try chain.balance(alice.address) == funded - gwei * UInt256(executed.gasUsed))
    }

    @Test func callsReachTheRuntimeAndRevertsUndoValueAndStorage() throws {
        let chain = try TestChain(balances: [alice.address: funded], runtime: ScriptedRuntime())
        try chain.apply([legacy(alice, nonce: 0, to: nil, gas: 200_000, data: initCode)])
        let contract = Address.contractAddress(creator: alice.address, nonce: 0)

        let call = try chain.apply([legacy(alice, nonce: 1, to: contract, value: UInt256(3), gas: 50_000, data: [9, 9])])
        #expect(call.transactions[0].receipt.succeeded && call.transactions[0].returnData == [0x01])
        #expect(try chain.state.storageValue(at: .zero, of: contract) == UInt256(2))
        #expect(try chain.balance(contract) == UInt256(3))

        let reverted = try chain.apply([legacy(alice, nonce: 2, to: contract, value: UInt256(3), gas: 50_000, data: [0xfd])])
        #expect(!reverted.transactions[0].receipt.succeeded)
        #expect(reverted.transactions[0].gasUsed == 21_000 + 16 + 10_000)
        #expect(try chain.state.storageValue(at: .zero, of: contract) == UInt256(2))
        #expect(try chain.balance(contract) == UInt256(3))

        let failed = try chain.apply([legacy(alice, nonce: 3, to: contract, gas: 50_000, data: [0xfe])])
        #expect(!failed.transactions[0].receipt.succeeded && failed.transactions[0].gasUsed == 50_000)
        #expect(failed.transactions[0].failureReason == "scripted failure")
    }

    @Test func callToCodeWithoutRuntimeFailsAndKeepsTheValue() throws {
        // Code placed by a genesis-like allocation: a node without a runtime cannot run it.
        let world = WorldState(base: .empty())
        try world.setBalance(funded, of: alice.address)
        try world.setCode(initCode, at: address(0xc0))
        let chain = try TestChain(balances: [:])
        try chain.persist(world.commit(deletingEmptyAccounts: false))
        let execution = try chain.apply([legacy(alice, nonce: 0, to: address(0xc0), value: UInt256(5), gas: 40_000)])
        #expect(!execution.transactions[0].receipt.succeeded && execution.gasUsed == 40_000)
        #expect(try chain.balance(address(0xc0)) == .zero)
    }

    @Test func senderWithCodeIsRejected() throws {
        let world = WorldState(base: .empty())
        try world.setBalance(funded, of: alice.address)
        try world.setCode(initCode, at: alice.address)
        let chain = try TestChain(balances: [:])
        try chain.persist(world.commit(deletingEmptyAccounts: false))
        let builder = BlockBuilder(executor: chain.executor, context: chain.context(), state: chain.state)
        #expect(try builder.include(legacy(alice, nonce: 0, to: bob.address)) == .senderNotEOA(alice.address))
    }
}
