// Value transfers: balances, nonces and fees exact to the wei; the rules that exclude a
// transaction from a block; supply conservation (nothing is burned).
import Execution
import ExecutionTestSupport
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport


private func totalSupply(_ chain: TestChain, _ accounts: [Address]) throws -> UInt256 {
    try accounts.reduce(UInt256.zero) { $0 + (try chain.balance($1)) }
}

struct TransferTests {
    @Test func legacyTransferMovesValueAndPaysTheWholeFeeToTheRecipient() throws {
        let chain = try TestChain(balances: [alice.address: funded])
        let price = gwei * UInt256(2)
        let execution = try chain.apply([legacy(alice, nonce: 0, to: bob.address, value: ether, gasPrice: price)])
        let fee = price * UInt256(21_000)
        #expect(try chain.balance(alice.address) == funded - ether - fee)
        #expect(try chain.balance(bob.address) == ether)
        #expect(try chain.balance(feeRecipient) == fee)
        #expect(try chain.nonce(alice.address) == 1)
        #expect(execution.gasUsed == 21_000)
        let executed = try #require(execution.transactions.first)
        #expect(executed.receipt.succeeded && executed.receipt.cumulativeGasUsed == 21_000)
        #expect(executed.effectiveGasPrice == price && executed.contractAddress == nil)
        #expect(try totalSupply(chain, [alice.address, bob.address, feeRecipient]) == funded)
    }

    @Test func dynamicFeePaysBaseFeePlusTipCappedByFeeCap() throws {
        let chain = try TestChain(balances: [alice.address: funded])
        // base 1 gwei + tip 1 gwei under a 3 gwei cap: 2 gwei.
        let first = try chain.apply([dynamic(alice, nonce: 0, to: bob.address, tip: gwei, cap: gwei * UInt256(3))])
        #expect(first.transactions[0].effectiveGasPrice == gwei * UInt256(2))
        // base 1 gwei + tip 3 gwei over a 3 gwei cap: the cap.
        let second = try chain.apply([dynamic(alice, nonce: 1, to: bob.address, tip: gwei * UInt256(3),
                                              cap: gwei * UInt256(3))])
        #expect(second.transactions[0].effectiveGasPrice == gwei * UInt256(3))
        #expect(try chain.balance(feeRecipient) == gwei * UInt256(5 * 21_000))
        #expect(try chain.balance(alice.address) == funded - gwei * UInt256(5 * 21_000))
    }

    @Test func severalTransactionsOfOneSenderInOrder() throws {
        let chain = try TestChain(balances: [alice.address: funded])
        let transactions = (0..<3).map { legacy(alice, nonce: $0, to: bob.address, value: UInt256($0 + 1)) }
        let execution = try chain.apply(transactions)
        #expect(execution.receipts.map(\.cumulativeGasUsed) == [21_000, 42_000, 63_000])
        #expect(try chain.nonce(alice.address) == 3)
        #expect(try chain.balance(bob.address) == UInt256(6))
    }

    @Test func selfTransferCostsOnlyTheFee() throws {
        let chain = try TestChain(balances: [alice.address: funded])
        try chain.apply([legacy(alice, nonce: 0, to: alice.address, value: ether)])
        #expect(try chain.balance(alice.address) == funded - gwei * UInt256(21_000))
        #expect(try chain.nonce(alice.address) == 1)
    }

    /// EIP-161: a zero-value transfer touches but does not create an empty account.
    @Test func zeroValueTransferToAFreshAddressCreatesNoAccount() throws {
        let chain = try TestChain(balances: [alice.address: funded])
        let execution = try chain.apply([legacy(alice, nonce: 0, to: address(0x77), gas: 30_000, data: [1, 2, 3])])
        #expect(execution.transactions[0].receipt.succeeded)
        #expect(try chain.state.account(at: address(0x77)) == nil)
        #expect(execution.diff.accounts[address(0x77)] == nil)
        // Calldata to an account without code is ignored but paid for as intrinsic gas.
        #expect(execution.gasUsed == 21_000 + 3 * 16)
    }

    @Test func zeroBaseFeeAndZeroPriceLeaveTheRecipientUntouched() throws {
        let chain = try TestChain(balances: [alice.address: funded])
        let execution = try chain.apply([legacy(alice, nonce: 0, to: bob.address, value: UInt256(5), gasPrice: .zero)],
                                        baseFee: .zero)
        #expect(try chain.state.account(at: feeRecipient) == nil)
        #expect(execution.diff.accounts[feeRecipient] == nil)
        #expect(try chain.balance(alice.address) == funded - UInt256(5))
    }

    @Test func builderSkipsWhatApplyRejects() throws {
        let chain = try TestChain(balances: [alice.address: funded, bob.address: gwei * UInt256(21_000)])
        let cases: [(RecoveredTransaction, TransactionRejection)] = [
            (legacy(alice, nonce: 1, to: carol.address),
             .nonceTooHigh(address: alice.address, transaction: 1, state: 0)),
            (legacy(bob, nonce: 0, to: carol.address, value: UInt256(1)),
             .insufficientFunds(address: bob.address, have: gwei * UInt256(21_000),
                                want: gwei * UInt256(21_000) + UInt256(1))),
            (legacy(alice, nonce: 0, to: carol.address, gasPrice: gwei / UInt256(2)),
             .feeCapBelowBaseFee(maxFeePerGas: gwei / UInt256(2), baseFee: gwei)),
            (legacy(carol, nonce: 0, to: alice.address), .insufficientFunds(address: carol.address, have: .zero,
                                                                             want: gwei * UInt256(21_000))),
            (legacy(alice, nonce: 0, to: carol.address, gas: 20_000),
             .invalid(.intrinsicGasTooLow(have: 20_000, want: 21_000))),
        ]
        for (transaction, reason) in cases {
            let builder = BlockBuilder(executor: chain.executor, context: chain.context(), state: chain.state)
            #expect(try builder.include(transaction) == reason)
            #expect(builder.executed.isEmpty)
            #expect(throws: BlockExecutionError.invalidTransaction(index: 0, hash: transaction.hash, reason)) {
                try chain.executor.apply([transaction], context: chain.context(), to: chain.state)
            }
        }
    }

    @Test func nonceTooLowAfterItWasUsed() throws {
        let chain = try TestChain(balances: [alice.address: funded])
        let first = legacy(alice, nonce: 0, to: bob.address)
        let builder = BlockBuilder(executor: chain.executor, context: chain.context(), state: chain.state)
        let skipped = try builder.include([first, first, legacy(alice, nonce: 1, to: bob.address)])
        #expect(skipped.count == 1)
        #expect(skipped.first?.reason == .nonceTooLow(address: alice.address, transaction: 1, state: 1) ||
                skipped.first?.reason == .nonceTooLow(address: alice.address, transaction: 0, state: 1))
        #expect(builder.executed.count == 2)
    }

    @Test func gasLimitAboveWhatTheBlockHasLeftIsSkipped() throws {
        let chain = try TestChain(balances: [alice.address: funded, bob.address: funded])
        let builder = BlockBuilder(executor: chain.executor, context: chain.context(gasLimit: 50_000),
                                   state: chain.state)
        #expect(try builder.include(legacy(alice, nonce: 0, to: carol.address, gas: 30_000)) == nil)
        // 30,000 used in full? No: a transfer uses 21,000, leaving 29,000.
        #expect(builder.remainingGas == 29_000)
        #expect(try builder.include(legacy(bob, nonce: 0, to: carol.address, gas: 30_000))
                == .gasLimitExceedsBlockRemaining(gasLimit: 30_000, remaining: 29_000))
        #expect(try builder.include(legacy(bob, nonce: 0, to: carol.address, gas: 29_000)) == nil)
        #expect(try builder.finish().gasUsed == 42_000)
    }

    @Test func allowlistsExcludeSendersAndDeployers() throws {
        let chain = try TestChain(balances: [alice.address: funded, bob.address: funded, carol.address: funded],
                                  permissions: Permissions.Settings(senders: [alice.address, bob.address],
                                                                    deployers: [alice.address]))
        let builder = BlockBuilder(executor: chain.executor, context: chain.context(), state: chain.state)
        #expect(try builder.include(legacy(carol, nonce: 0, to: alice.address)) == .senderNotAllowed(carol.address))
        #expect(try builder.include(legacy(bob, nonce: 0, to: nil, gas: 100_000, data: [0x60]))
                == .deployerNotAllowed(bob.address))
        #expect(try builder.include(legacy(bob, nonce: 0, to: alice.address)) == nil)
        #expect(try builder.include(legacy(alice, nonce: 0, to: nil, gas: 100_000, data: [0x60])) == nil)
    }
}
