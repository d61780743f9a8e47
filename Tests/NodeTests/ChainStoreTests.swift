// The chain store: genesis initialisation and its guards, commit and reopen, and a crash at
// every write point of a block commit leaving exactly the last committed block.
import ChainQueries
import Execution
import LedgerPrimitives
import LedgerTypes
import Node
import StorageAPI
import Testing

/// Executes `transactions` on top of `head` in `chain` as the node would, and returns the block.
private func buildBlock(on chain: ChainStore, _ transactions: [RecoveredTransaction])
    throws -> (Block, BlockExecution, ChainHead) {
    let head = try #require(try chain.head())
    let parent = try #require(try chain.header(number: head.number))
    let proposer = DevNetwork.validatorKey.address
    let context = BlockContext(number: head.number + 1, timestamp: parent.timestamp + 1, gasLimit: parent.gasLimit,
                               baseFeePerGas: parent.baseFeePerGas, feeRecipient: proposer)
    let builder = BlockBuilder(executor: BlockExecutor(rules: devGenesis.rules), context: context,
                               state: try chain.state(at: parent))
    #expect(try builder.include(transactions).isEmpty)
    let execution = try builder.finish()
    let header = BlockHeader(
        parentHash: head.hash, stateRoot: execution.stateRoot, transactionsRoot: execution.transactionsRoot,
        receiptsRoot: execution.receiptsRoot, logsBloom: execution.logsBloom, number: head.number + 1,
        gasLimit: parent.gasLimit, gasUsed: execution.gasUsed, timestamp: context.timestamp,
        baseFeePerGas: parent.baseFeePerGas, extraData: [], proposer: proposer, round: 0,
        validatorsHash: devGenesis.validatorsHash, nextValidatorsHash: devGenesis.validatorsHash,
        lastCommitHash: .zero, timestampMs: context.timestamp * 1_000)
    return (Block(header: header, transactions: transactions.map(\.transaction)), execution, head)
}

@Suite struct ChainStoreTests {
    @Test func anEmptyStoreIsRefusedUntilInitialised() throws {
        let chain = ChainStore(storage: MemoryStore(families: ChainSchema.families))
        #expect(throws: ChainStoreError.notInitialized) { try chain.open(expecting: devGenesis) }
        let head = try chain.initialize(with: devGenesis)
        #expect(head.number == 0 && head.hash == devGenesis.build().block.hash)
        #expect(try chain.open(expecting: devGenesis) == head)
        // Initialising again with the same genesis changes nothing.
        #expect(try chain.initialize(with: devGenesis) == head)
    }

    @Test func anotherGenesisIsRefused() throws {
        let chain = ChainStore(storage: try initializedStore())
        var otherChain = devGenesis
        otherChain.chainId = 4242
        #expect(throws: ChainStoreError.chainIdMismatch(stored: 1337, given: 4242)) { try chain.open(expecting: otherChain) }
        #expect(throws: ChainStoreError.chainIdMismatch(stored: 1337, given: 4242)) { try chain.initialize(with: otherChain) }
        var otherState = devGenesis
        otherState.gasLimit += 1
        let expected = ChainStoreError.genesisMismatch(stored: devGenesis.build().block.hash, given: otherState.build().block.hash)
        #expect(throws: expected) { try chain.open(expecting: otherState) }
        #expect(throws: expected) { try chain.initialize(with: otherState) }
    }

    @Test func aCommittedBlockReadsBackAfterReopening() throws {
        let store = try initializedStore()
        let chain = ChainStore(storage: store)
        let transactions = try (0..<3).map { try recovered(transfer(from: devAccounts[0], nonce: UInt64($0), value: 5)) }
        let (block, execution, head) = try buildBlock(on: chain, transactions)
        let newHead = try chain.commit(block, transactions: transactions, execution: execution, certificate: [0xc0],
                                       onto: head)

        let reopened = ChainStore(storage: store.restarted(after: .powerLoss))
        #expect(try reopened.open(expecting: devGenesis) == newHead)
        let (stored, senders) = try #require(try reopened.block(number: 1))
        #expect(stored == block && senders.map(\.sender) == transactions.map(\.sender))
        #expect(try reopened.header(hash: block.hash) == block.header)
        #expect(try reopened.certificate(number: 1) == [0xc0])
        let receipts = try #require(try reopened.receipts(number: 1))
        #expect(receipts.map(\.receipt) == execution.receipts && receipts.allSatisfy { $0.gasUsed == 21_000 })
        #expect(try reopened.transactionLocation(hash: transactions[2].hash) == TransactionLocation(blockNumber: 1, index: 2))
        let state = try reopened.state(at: block.header)
        #expect(try state.balance(of: recipient) == UInt256(15))
        #expect(try state.nonce(of: devAccounts[0].address) == 3)
    }

    @Test func aBlockThatDoesNotExtendTheHeadIsRefused() throws {
        let chain = ChainStore(storage: try initializedStore())
        let (block, execution, head) = try buildBlock(on: chain, [])
        let stale = ChainHead(number: head.number, hash: Hash32(bytes: [UInt8](repeating: 1, count: 32))!)
        #expect(throws: ChainStoreError.self) {
            try chain.commit(block, transactions: [], execution: execution, certificate: [], onto: stale)
        }
    }

    @Test func aCrashAtAnyWritePointLeavesTheLastCommittedBlockExactly() throws {
        let transactions = try (0..<4).map { try recovered(transfer(from: devAccounts[1], nonce: UInt64($0))) }
        // The block is built once, so every run writes the same batch.
        let template = try initializedStore()
        let (block, execution, head) = try buildBlock(on: ChainStore(storage: template), transactions)
        let genesisHash = devGenesis.build().block.hash

        let points = try CrashTester(families: ChainSchema.families).exploreEveryCrashPoint(
            prepare: { store in try ChainStore(storage: store).initialize(with: devGenesis) },
            workload: { store in
                do {
                    try ChainStore(storage: store).commit(block, transactions: transactions, execution: execution,
                                                          certificate: [1, 2, 3], onto: head)
                } catch ChainStoreError.storage(let error) {
                    throw error  // the injected crash, as the harness expects it
                }
            },
            check: { restarted, outcome in
                let chain = ChainStore(storage: restarted)
                let head = try chain.open(expecting: devGenesis)
                // One batch: it either all happened or none of it did.
                #expect(outcome.batchesCommitted == 0)
                #expect(head == ChainHead(number: 0, hash: genesisHash))
                #expect(try chain.header(number: 1) == nil && chain.body(number: 1) == nil)
                #expect(try chain.receipts(number: 1) == nil && chain.certificate(number: 1) == nil)
                #expect(try chain.transactionLocation(hash: transactions[0].hash) == nil)
                #expect(try chain.state(at: try #require(try chain.header(number: 0))).nonce(of: devAccounts[1].address) == 0)
            })
        #expect(points > 10)
        // Without a crash the whole block is there.
        let survivor = try initializedStore()
        try ChainStore(storage: survivor).commit(block, transactions: transactions, execution: execution,
                                                 certificate: [], onto: head)
        #expect(try ChainStore(storage: survivor.restarted()).open(expecting: devGenesis).number == 1)
    }
}
