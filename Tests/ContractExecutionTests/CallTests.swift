// Calls to deployed contracts in transactions: storage across blocks, logs and bloom, reverts,
// out of gas, checked-arithmetic failures, value, static calls.
import Bytecode
import ContractExecution
import Execution
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport
import ExecutionTestSupport

/// A chain with the store contract deployed by alice (nonce 0); alice's next nonce is 1.
private func deployed() throws -> (chain: Chain, contract: Address) {
    let chain = try Chain()
    let executed = try chain.run(transaction(alice, nonce: 0, to: nil, data: try StoreContract.payload()))
    try #require(executed.receipt.succeeded, "\(executed.failureReason ?? "")")
    return (chain, executed.contractAddress!)
}

struct CallTests {
    @Test func storagePersistsAcrossBlocksAndReopenedStores() throws {
        let (chain, contract) = try deployed()
        let rootBefore = chain.state.stateRoot
        let first = try chain.apply([transaction(alice, nonce: 1, to: contract, data: StoreContract.store(3, 300))])
        #expect(first.transactions[0].receipt.succeeded)
        #expect(first.stateRoot != rootBefore)
        #expect(first.diff.storage[contract] == [UInt256(3): UInt256(300)])
        let second = try chain.apply([transaction(alice, nonce: 2, to: contract, data: StoreContract.store(4, 400))])
        #expect(second.stateRoot != first.stateRoot)

        // A fresh reader over the same stores, at the latest root, sees both writes and the constructor's.
        let reopened = try TrieStateReader(stateRoot: second.stateRoot, nodes: chain.nodes, codes: chain.codes)
        #expect(try reopened.storageValue(at: 3, of: contract) == 300)
        #expect(try reopened.storageValue(at: 4, of: contract) == 400)
        #expect(try reopened.storageValue(at: 0, of: contract) == 5)
        // And the contract reads them back in a later block.
        let load = try chain.simulate(to: contract, data: StoreContract.load(3))
        #expect(load.succeeded && load.returnData == UInt256(300).bigEndianBytes)
    }

    @Test func logsReachTheReceiptAndTheBlooms() throws {
        let (chain, contract) = try deployed()
        let execution = try chain.apply([transaction(alice, nonce: 1, to: contract, data: StoreContract.store(8, 42))])
        let receipt = execution.transactions[0].receipt
        #expect(receipt.logs == [Log(address: contract, topics: [StoreContract.storedTopic, Hash32(UInt256(8))],
                                     data: UInt256(42).bigEndianBytes)])
        #expect(receipt.logsBloom.mayContain(contract.bytes))
        #expect(receipt.logsBloom.mayContain(StoreContract.storedTopic.bytes))
        #expect(execution.logsBloom == receipt.logsBloom)
        #expect(!execution.logsBloom.mayContain(Keccak256.hash(Array("Other()".utf8)).bytes))
    }

    @Test func revertUndoesStateAndReturnsDataAndUnusedGas() throws {
        let (chain, contract) = try deployed()
        let balance = try chain.balance(alice.address)
        let executed = try chain.run(transaction(alice, nonce: 1, to: contract, value: UInt256(10), gas: 200_000,
                                                 data: StoreContract.fail))
        #expect(!executed.receipt.succeeded && executed.receipt.logs.isEmpty)
        #expect(executed.returnData == UInt256(0xdead).bigEndianBytes)
        #expect(executed.gasUsed > 21_000 && executed.gasUsed < 200_000)
        #expect(try chain.slot(1, of: contract) == .zero)
        #expect(try chain.balance(contract) == .zero)
        #expect(try chain.nonce(alice.address) == 2)
        #expect(try chain.balance(alice.address) == balance - gwei * UInt256(executed.gasUsed))
    }

    @Test func outOfGasConsumesAllGasAndUndoesWrites() throws {
        let (chain, contract) = try deployed()
        let executed = try chain.run(transaction(alice, nonce: 1, to: contract, gas: 100_000, data: StoreContract.spin))
        #expect(!executed.receipt.succeeded && executed.gasUsed == 100_000)
        #expect(executed.failureReason == "out of gas")
        #expect(try chain.slot(1, of: contract) == .zero)
    }

    @Test func checkedOverflowRevertsWithoutData() throws {
        let (chain, contract) = try deployed()
        let executed = try chain.run(transaction(alice, nonce: 1, to: contract, gas: 100_000, data: StoreContract.overflow))
        #expect(!executed.receipt.succeeded && executed.returnData.isEmpty)
        #expect(executed.gasUsed < 100_000)
    }

    @Test func unknownCommandHitsInvalid() throws {
        let (chain, contract) = try deployed()
        let executed = try chain.run(transaction(alice, nonce: 1, to: contract, gas: 100_000, data: words(99)))
        #expect(!executed.receipt.succeeded && executed.gasUsed == 100_000)
        #expect(executed.failureReason == "invalid instruction")
    }

    @Test func valueTransferIntoAContract() throws {
        let (chain, contract) = try deployed()
        let executed = try chain.run(transaction(alice, nonce: 1, to: contract, value: UInt256(555), data: StoreContract.paid))
        #expect(executed.receipt.succeeded)
        #expect(try chain.balance(contract) == UInt256(555))
        #expect(try chain.slot(2, of: contract) == UInt256(555))
    }

    @Test func staticCallMayReadButNotWrite() throws {
        let (chain, contract) = try deployed()
        let caller = try chain.run(transaction(alice, nonce: 1, to: nil, data: try StaticCaller.payload()))
        try #require(caller.receipt.succeeded, "\(caller.failureReason ?? "")")
        let callerAddress = try #require(caller.contractAddress)

        let write = try chain.run(transaction(alice, nonce: 2, to: callerAddress, data: words(UInt256(contract), 0)))
        #expect(write.receipt.succeeded && write.returnData == UInt256(0).bigEndianBytes)
        #expect(try chain.slot(1, of: contract) == .zero)
        let read = try chain.run(transaction(alice, nonce: 3, to: callerAddress, data: words(UInt256(contract), 1)))
        #expect(read.receipt.succeeded && read.returnData == UInt256(1).bigEndianBytes)
    }

    @Test func sameTransactionsGiveSameRootsReceiptsAndGas() throws {
        func run() throws -> [BlockExecution] {
            let chain = try Chain()
            let payload = try StoreContract.payload()
            let contract = Address.contractAddress(creator: alice.address, nonce: 0)
            return [
                try chain.apply([transaction(alice, nonce: 0, to: nil, data: payload),
                                 transaction(bob, nonce: 0, to: contract, value: UInt256(3), data: StoreContract.paid)]),
                try chain.apply([transaction(alice, nonce: 1, to: contract, data: StoreContract.store(1, 2)),
                                 transaction(bob, nonce: 1, to: contract, gas: 60_000, data: StoreContract.spin),
                                 transaction(alice, nonce: 2, to: contract, data: StoreContract.fail),
                                 transaction(bob, nonce: 2, to: contract, data: StoreContract.store(9, 10))]),
            ]
        }
        let (first, second) = (try run(), try run())
        #expect(first == second)
        #expect(first[1].transactions.map(\.receipt.succeeded) == [true, false, false, true])
    }
}

struct NestedCallTests {
    /// The store contract at alice's nonce 0, the forwarder at nonce 1.
    private func setUp() throws -> (chain: Chain, store: Address, forwarder: Address) {
        let (chain, store) = try deployed()
        let forwarder = try chain.run(transaction(alice, nonce: 1, to: nil, data: try Forwarder.payload()))
        try #require(forwarder.receipt.succeeded, "\(forwarder.failureReason ?? "")")
        return (chain, store, forwarder.contractAddress!)
    }

    @Test func aRevertingInnerCallLosesItsWritesAndLogsOnly() throws {
        let (chain, store, forwarder) = try setUp()
        let executed = try chain.run(transaction(alice, nonce: 2, to: forwarder, data: words(UInt256(store)) + StoreContract.fail))
        #expect(executed.receipt.succeeded && executed.returnData == UInt256(0).bigEndianBytes)
        #expect(try chain.slot(0, of: forwarder) == UInt256(1))
        #expect(try chain.slot(1, of: store) == .zero)
        #expect(executed.receipt.logs == [Log(address: forwarder)])
    }

    @Test func anInnerCallOutOfGasLeavesTheOuterGoing() throws {
        let (chain, store, forwarder) = try setUp()
        // The 1/64 held back (~62,000) pays for the forwarder's cold 40,200-gas SSTORE afterwards.
        let executed = try chain.run(transaction(alice, nonce: 2, to: forwarder, gas: 4_000_000,
                                                 data: words(UInt256(store)) + StoreContract.spin))
        #expect(executed.receipt.succeeded && executed.returnData == UInt256(0).bigEndianBytes)
        #expect(try chain.slot(1, of: store) == .zero)
        #expect(try chain.slot(0, of: forwarder) == UInt256(1))
        #expect(executed.gasUsed > 3_900_000 && executed.gasUsed < 4_000_000)
    }

    @Test func aSucceedingInnerCallKeepsItsWritesAndLogsInOrder() throws {
        let (chain, store, forwarder) = try setUp()
        let executed = try chain.run(transaction(alice, nonce: 2, to: forwarder,
                                                 data: words(UInt256(store)) + StoreContract.store(5, 6)))
        #expect(executed.receipt.succeeded && executed.returnData == UInt256(1).bigEndianBytes)
        #expect(try chain.slot(0, of: forwarder) == UInt256(2))
        #expect(try chain.slot(5, of: store) == UInt256(6))
        #expect(executed.receipt.logs.map(\.address) == [store, forwarder])
    }
}
