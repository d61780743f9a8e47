// Execute-before-vote: a proposer's block re-executes to the same header on another node; any
// tampering with the header or the transactions is caught with the field or transaction named.
import Execution
import ExecutionTestSupport
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport


/// A proposal on a fresh chain: three transfers from two senders, one contract creation.
private func propose(on chain: TestChain) throws -> (Block, BlockExecution) {
    let transactions = [
        legacy(alice, nonce: 0, to: bob.address, value: UInt256(1_000)),
        dynamic(bob, nonce: 0, to: carol.address, value: UInt256(2_000), tip: gwei, cap: gwei * UInt256(2)),
        legacy(alice, nonce: 1, to: nil, gas: 200_000, data: [1, 2, 3]),
        legacy(alice, nonce: 2, to: carol.address, value: UInt256(3_000)),
    ]
    let context = chain.context()
    let builder = BlockBuilder(executor: chain.executor, context: context, state: chain.state)
    #expect(try builder.include(transactions).isEmpty)
    let execution = try builder.finish()
    let header = BlockHeader(
        parentHash: Keccak256.hash([0]), stateRoot: execution.stateRoot, transactionsRoot: execution.transactionsRoot,
        receiptsRoot: execution.receiptsRoot, logsBloom: execution.logsBloom, number: context.number,
        gasLimit: context.gasLimit, gasUsed: execution.gasUsed, timestamp: context.timestamp,
        baseFeePerGas: context.baseFeePerGas, extraData: [], proposer: address(0xaa), round: 0,
        validatorsHash: .zero, nextValidatorsHash: .zero, lastCommitHash: .zero, timestampMs: context.timestamp * 1000)
    return (Block(header: header, transactions: transactions.map(\.transaction)), execution)
}

private func freshChain() throws -> TestChain {
    try TestChain(balances: [alice.address: funded, bob.address: funded], runtime: ScriptedRuntime())
}

struct BlockValidationTests {
    @Test func aProposedBlockValidatesOnAnotherNode() throws {
        let (block, proposed) = try propose(on: try freshChain())
        let validator = try freshChain()
        let validated = try validator.executor.validate(block, feeRecipient: feeRecipient, parentState: validator.state)
        #expect(validated == proposed)
        #expect(validated.receipts.count == 4 && validated.gasUsed == proposed.gasUsed)
        #expect(validated.transactionsRoot == OrderedTrie.transactionsRoot(of: block.transactions))
    }

    @Test(arguments: [HeaderField.stateRoot, .receiptsRoot, .transactionsRoot, .gasUsed, .logsBloom, .lastCommitHash])
    func tamperedHeaderIsRejectedNamingTheField(field: HeaderField) throws {
        var (block, _) = try propose(on: try freshChain())
        switch field {
        case .stateRoot: block.header.stateRoot = Keccak256.hash([1])
        case .receiptsRoot: block.header.receiptsRoot = Keccak256.hash([1])
        case .transactionsRoot: block.header.transactionsRoot = Keccak256.hash([1])
        case .gasUsed: block.header.gasUsed += 1
        case .logsBloom: block.header.logsBloom = Bloom()
        default: block.header.lastCommitHash = Keccak256.hash([1])
        }
        let validator = try freshChain()
        do {
            _ = try validator.executor.validate(block, feeRecipient: feeRecipient, parentState: validator.state)
            Issue.record("a tampered \(field) validated")
        } catch {
            guard case .headerMismatch(let named, _, _) = error else { Issue.record("\(error)"); return }
            #expect(named == field)
        }
    }

    @Test func aDifferentFeeRecipientChangesTheStateRoot() throws {
        let (block, _) = try propose(on: try freshChain())
        let validator = try freshChain()
        #expect(throws: BlockValidationError.self) {
            try validator.executor.validate(block, feeRecipient: address(0x01), parentState: validator.state)
        }
    }

    @Test func aBlockWithAnInvalidTransactionIsRejected() throws {
        var (block, _) = try propose(on: try freshChain())
        let replay = block.transactions[0]
        block.transactions.append(replay)
        let validator = try freshChain()
        #expect(throws: BlockValidationError.execution(.invalidTransaction(
            index: 4, hash: replay.hash, .nonceTooLow(address: alice.address, transaction: 0, state: 3)))) {
            try validator.executor.validate(block, feeRecipient: feeRecipient, parentState: validator.state)
        }
    }

    @Test func aProposerCannotSmuggleInASenderThePermissionsRefuse() throws {
        // A proposer that ignores the permissions builds this block; a validator whose state
        // holds them refuses it, naming the transaction.
        let (block, _) = try propose(on: try freshChain())
        let validator = try TestChain(balances: [alice.address: funded, bob.address: funded],
                                      permissions: Permissions.Settings(admin: alice.address, senders: [alice.address]),
                                      runtime: ScriptedRuntime())
        #expect(throws: BlockValidationError.execution(.invalidTransaction(
            index: 1, hash: block.transactions[1].hash, .senderNotAllowed(bob.address)))) {
            try validator.executor.validate(block, feeRecipient: feeRecipient, parentState: validator.state)
        }
    }

    @Test func aTransactionForAnotherChainIsRejectedAtRecovery() throws {
        var (block, _) = try propose(on: try freshChain())
        let foreign = try UnsignedTransaction.legacy(LegacyTransaction(
            chainId: 1, nonce: 3, gasPrice: gwei, gasLimit: 21_000, to: bob.address)).signed(with: alice)
        block.transactions.append(foreign)
        let validator = try freshChain()
        #expect(throws: BlockValidationError.invalidSignature(index: 4, .invalidChainId(have: 1, want: chainId))) {
            try validator.executor.validate(block, feeRecipient: feeRecipient, parentState: validator.state)
        }
    }

    @Test func executionIsDeterministic() throws {
        let first = try freshChain()
        let second = try freshChain()
        let (block, _) = try propose(on: first)
        let transactions = try first.executor.recoverSenders(of: block)
        let a = try first.executor.apply(transactions, context: first.context(), to: first.state)
        let b = try second.executor.apply(transactions, context: second.context(), to: second.state)
        #expect(a == b)
        #expect(a.diff.trieNodes == b.diff.trieNodes && a.stateRoot == b.stateRoot)
    }
}
