// eth_call and eth_estimateGas support: simulated calls commit nothing and report return data,
// revert data and gas; the gas estimate is the least gas that succeeds.
import ContractExecution
import Execution
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport
import ExecutionTestSupport

struct SimulationTests {
    @Test func simulatedCallsReturnDataAndCommitNothing() throws {
        let chain = try Chain()
        try chain.run(transaction(alice, nonce: 0, to: nil, data: try StoreContract.payload(initial: 17)))
        let contract = Address.contractAddress(creator: alice.address, nonce: 0)
        let root = chain.state.stateRoot

        let load = try chain.simulate(to: contract, data: StoreContract.load(0))
        #expect(load.succeeded && load.returnData == UInt256(17).bigEndianBytes)
        let store = try chain.simulate(to: contract, data: StoreContract.store(5, 6))
        #expect(store.succeeded && store.logs.count == 1)
        #expect(chain.state.stateRoot == root)
        #expect(try chain.slot(5, of: contract) == .zero)

        let reverted = try chain.simulate(to: contract, data: StoreContract.fail)
        #expect(reverted.status == .revert && reverted.returnData == UInt256(0xdead).bigEndianBytes && reverted.logs.isEmpty)
        let failed = try chain.simulate(to: contract, data: StoreContract.spin, gas: 80_000)
        #expect(failed.status == .failure(reason: "out of gas") && failed.gasUsed == 80_000)
    }

    @Test func simulatedGasMatchesTheTransaction() throws {
        let chain = try Chain()
        let payload = try StoreContract.payload()
        let simulated = try chain.simulate(to: nil, data: payload)
        let executed = try chain.run(transaction(alice, nonce: 0, to: nil, data: payload))
        #expect(simulated.gasUsed == executed.gasUsed)
        #expect(simulated.contractAddress == executed.contractAddress)
        #expect(try chain.state.code(at: executed.contractAddress!) == simulated.returnData)

        let data = StoreContract.store(1, 1)
        let call = try chain.simulate(to: executed.contractAddress, data: data)
        let sent = try chain.run(transaction(alice, nonce: 1, to: executed.contractAddress, data: data))
        #expect(call.gasUsed == sent.gasUsed)
    }

    @Test func estimateIsTheLeastGasThatSucceeds() throws {
        let chain = try Chain()
        try chain.run(transaction(alice, nonce: 0, to: nil, data: try StoreContract.payload()))
        let contract = Address.contractAddress(creator: alice.address, nonce: 0)
        let data = StoreContract.store(2, 3)
        let estimate = try chain.executor.estimateGas(from: alice.address, to: contract, data: data,
                                                      context: chain.context(), on: chain.state).get()
        #expect(try chain.simulate(to: contract, data: data, gas: estimate).succeeded)
        #expect(try !chain.simulate(to: contract, data: data, gas: estimate - 1).succeeded)
        #expect(try chain.run(transaction(alice, nonce: 1, to: contract, gas: estimate, data: data)).receipt.succeeded)

        let reverting = try chain.executor.estimateGas(from: alice.address, to: contract, data: StoreContract.fail,
                                                       context: chain.context(), on: chain.state)
        guard case .failure(.failsWithAllowedGas(let simulation)) = reverting else {
            Issue.record("expected a revert, got \(reverting)")
            return
        }
        #expect(simulation.returnData == UInt256(0xdead).bigEndianBytes)
    }

    @Test func estimateForANestedCallCoversTheHeldBackGas() throws {
        // The static caller passes all but 1/64 of its gas on: the gas a run uses is not enough.
        let chain = try Chain()
        try chain.run(transaction(alice, nonce: 0, to: nil, data: try StoreContract.payload()))
        try chain.run(transaction(alice, nonce: 1, to: nil, data: try StaticCaller.payload()))
        let store = Address.contractAddress(creator: alice.address, nonce: 0)
        let caller = Address.contractAddress(creator: alice.address, nonce: 1)
        let data = words(UInt256(store), 1)
        let estimate = try chain.executor.estimateGas(from: alice.address, to: caller, data: data,
                                                      context: chain.context(), on: chain.state).get()
        let atEstimate = try chain.simulate(to: caller, data: data, gas: estimate)
        #expect(atEstimate.succeeded && atEstimate.returnData == UInt256(1).bigEndianBytes)
    }

    @Test func simulationRejectsWhatATransactionWouldBeRejectedFor() throws {
        let chain = try Chain(permissions: Permissions.Settings(deployers: [bob.address]))
        let payload = try StoreContract.payload()
        #expect(try chain.executor.simulateCall(from: alice.address, to: nil, data: payload, context: chain.context(),
                                                on: chain.state) == .failure(.deployerNotAllowed(alice.address)))
        let poor = Address(bytes: [UInt8](repeating: 0x77, count: 20))!
        guard case .failure(.insufficientFunds) = try chain.executor.simulateCall(
            from: poor, to: bob.address, value: UInt256(1), context: chain.context(), on: chain.state) else {
            Issue.record("expected insufficient funds")
            return
        }
        #expect(try chain.executor.simulateCall(from: alice.address, to: bob.address, gas: 20_000, context: chain.context(),
                                                on: chain.state) == .failure(.invalid(.intrinsicGasTooLow(have: 20_000, want: 21_000))))
    }
}
