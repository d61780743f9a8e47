// Applying a block's transactions to a state: the pure state transition of STYLE.md habit 1.
// Transactions and a read-only state in; receipts, roots and a `StateDiff` out; nothing written.
// The proposer builds with `BlockBuilder` (skipping invalid candidates), validators re-execute with
// `BlockExecutor.apply` / `validate` (rejecting a block with any invalid transaction); both run
// each transaction through the same `TransactionProcessor`. Docs/execution.md.
import LedgerPrimitives
import LedgerTypes
import StateTrie

/// The result of executing a block's transactions: what the header must commit to, the receipts,
/// and the diff to persist.
public struct BlockExecution: Sendable, Equatable {
    public var transactions: [ExecutedTransaction]
    public var gasUsed: UInt64
    public var logsBloom: Bloom
    public var transactionsRoot: Hash32
    public var receiptsRoot: Hash32
    public var diff: StateDiff

    public var stateRoot: Hash32 { diff.stateRoot }
    public var receipts: [Receipt] { transactions.map(\.receipt) }

    /// Checks that `header` commits to exactly this execution (DESIGN.md §7: a validator prevotes
    /// nil on any mismatch).
    public func check(against header: BlockHeader) throws(BlockValidationError) {
        func compare<T: Equatable & CustomStringConvertible>(_ field: HeaderField, _ inHeader: T, _ computed: T)
            throws(BlockValidationError) {
            guard inHeader == computed else {
                throw .headerMismatch(field, header: inHeader.description, computed: computed.description)
            }
        }
        try compare(.transactionsRoot, header.transactionsRoot, transactionsRoot)
        try compare(.gasUsed, header.gasUsed, gasUsed)
        try compare(.receiptsRoot, header.receiptsRoot, receiptsRoot)
        try compare(.logsBloom, header.logsBloom, logsBloom)
        try compare(.stateRoot, header.stateRoot, stateRoot)
    }
}

/// Why a block's transactions cannot be applied.
public enum BlockExecutionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Transaction `index` may not be in the block at its position.
    case invalidTransaction(index: Int, hash: Hash32, TransactionRejection)
    /// The state could not be read or committed: a node fault.
    case state(StateError)

    public var description: String {
        switch self {
        case .invalidTransaction(let index, let hash, let reason): return "transaction \(index) (\(hash)): \(reason)"
        case .state(let error): return error.description
        }
    }
}

/// Why a received block is not valid on top of its parent state.
public enum BlockValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    case execution(BlockExecutionError)
    /// Transaction `index`'s sender cannot be recovered, or the transaction fails a state-free rule.
    case invalidSignature(index: Int, TransactionValidationError)
    /// A header field disagrees with the block's body or its execution.
    case headerMismatch(HeaderField, header: String, computed: String)

    public var description: String {
        switch self {
        case .execution(let error): return "invalid block: \(error)"
        case .invalidSignature(let index, let error): return "invalid block: transaction \(index): \(error)"
        case .headerMismatch(let field, let header, let computed):
            return "invalid block: \(field.rawValue) is \(header) in the header but \(computed) by execution"
        }
    }
}

/// Executes blocks under one chain's rules, with an optional contract runtime.
public struct BlockExecutor: Sendable {
    public let rules: ChainRules
    public let runtime: (any ContractRuntime)?

    public init(rules: ChainRules, runtime: (any ContractRuntime)? = nil) {
        self.rules = rules
        self.runtime = runtime
    }

    /// Applies `transactions` in order to `state`; throws at the first one that may not be there.
    public func apply(_ transactions: [RecoveredTransaction], context: BlockContext,
                      to state: TrieStateReader) throws(BlockExecutionError) -> BlockExecution {
        let builder = BlockBuilder(executor: self, context: context, state: state)
        do {
            for (index, transaction) in transactions.enumerated() {
                if let rejection = try builder.include(transaction) {
                    throw BlockExecutionError.invalidTransaction(index: index, hash: transaction.hash, rejection)
                }
            }
            return try builder.finish()
        } catch let error as BlockExecutionError {
            throw error
        } catch {
            throw .state(error as! StateError)
        }
    }

    /// Recovers the senders of `block`'s transactions (checking their state-free validity).
    public func recoverSenders(of block: Block) throws(BlockValidationError) -> [RecoveredTransaction] {
        var recovered: [RecoveredTransaction] = []
        recovered.reserveCapacity(block.transactions.count)
        for (index, transaction) in block.transactions.enumerated() {
            do {
                recovered.append(try transaction.recovered(onChain: rules.chainId, options: rules.transactionOptions))
            } catch { throw .invalidSignature(index: index, error) }
        }
        return recovered
    }

    /// Re-executes a received block on its parent's state and checks its header against the
    /// result: lastCommitHash, transactionsRoot, gasUsed, receiptsRoot, logsBloom and stateRoot.
    /// `recovered` may carry senders recovered earlier (e.g. by the mempool); else they are recovered here.
    public func validate(_ block: Block, recovered: [RecoveredTransaction]? = nil, feeRecipient: Address?,
                         parentState: TrieStateReader) throws(BlockValidationError) -> BlockExecution {
        let commitHash = Block.lastCommitHash(of: block.lastCommit)
        guard block.header.lastCommitHash == commitHash else {
            throw .headerMismatch(.lastCommitHash, header: block.header.lastCommitHash.description,
                                  computed: commitHash.description)
        }
        let transactions: [RecoveredTransaction]
        if let recovered, recovered.map(\.transaction) == block.transactions {
            transactions = recovered
        } else {
            transactions = try recoverSenders(of: block)
        }
        let execution: BlockExecution
        do {
            execution = try apply(transactions, context: BlockContext(header: block.header, feeRecipient: feeRecipient),
                                  to: parentState)
        } catch { throw .execution(error) }
        try execution.check(against: block.header)
        return execution
    }
}

/// Builds a block's transaction list from candidates, skipping those that may not be included
/// (each skip says why), and produces the block's execution at the end. Not thread-safe: one
/// builder per proposal.
public final class BlockBuilder {
    public let context: BlockContext
    private let processor: TransactionProcessor
    private let state: WorldState
    public private(set) var executed: [ExecutedTransaction] = []
    public private(set) var gasUsed: UInt64 = 0

    public init(executor: BlockExecutor, context: BlockContext, state: TrieStateReader) {
        self.context = context
        self.processor = TransactionProcessor(rules: executor.rules, runtime: executor.runtime)
        self.state = WorldState(base: state)
    }

    /// Gas still available to transactions.
    public var remainingGas: UInt64 { context.gasLimit > gasUsed ? context.gasLimit - gasUsed : 0 }

    /// Executes `transaction` next if it may be included; returns why not otherwise (the state is
    /// then unchanged, so the next candidate can follow).
    @discardableResult
    public func include(_ transaction: RecoveredTransaction) throws(StateError) -> TransactionRejection? {
        try include(transaction, by: processor)
    }

    /// `include(_:)` with the runtime recording every instruction of this transaction into
    /// `trace` (debug_traceTransaction replays the block's earlier transactions untraced).
    @discardableResult
    public func include(_ transaction: RecoveredTransaction, tracingInto trace: ExecutionTrace)
        throws(StateError) -> TransactionRejection? {
        try include(transaction, by: TransactionProcessor(rules: processor.rules, runtime: processor.runtime?.tracing(into: trace)))
    }

    private func include(_ transaction: RecoveredTransaction, by processor: TransactionProcessor)
        throws(StateError) -> TransactionRejection? {
        switch try processor.execute(transaction, in: state, context: context, gasUsedBefore: gasUsed) {
        case .success(let result):
            executed.append(result)
            gasUsed += result.gasUsed
            return nil
        case .failure(let rejection):
            return rejection
        }
    }

    /// Includes each candidate in order, skipping the rejected ones; returns the skipped ones with
    /// their reason. Stops early once less than 21,000 gas is left.
    public func include(_ candidates: some Sequence<RecoveredTransaction>)
        throws(StateError) -> [(transaction: RecoveredTransaction, reason: TransactionRejection)] {
        var skipped: [(transaction: RecoveredTransaction, reason: TransactionRejection)] = []
        for candidate in candidates {
            if remainingGas < IntrinsicGas.transaction { break }
            if let reason = try include(candidate) { skipped.append((candidate, reason)) }
        }
        return skipped
    }

    /// The execution of the transactions included so far.
    public func finish() throws(StateError) -> BlockExecution {
        let diff = try state.commit(deletingEmptyAccounts: true)
        let receipts = executed.map(\.receipt)
        var bloom = Bloom()
        for receipt in receipts { bloom.formUnion(receipt.logsBloom) }
        return BlockExecution(
            transactions: executed, gasUsed: gasUsed, logsBloom: bloom,
            transactionsRoot: OrderedTrie.root(of: executed.map(\.transaction.transaction.encoded)),
            receiptsRoot: OrderedTrie.root(of: receipts.map(\.encoded)), diff: diff)
    }
}

/// The transaction and receipt tries: rlp(index) → value, as Ethereum builds them.
public enum OrderedTrie {
    public static func root(of values: [[UInt8]]) -> Hash32 {
        var trie = MerklePatriciaTrie()
        for (index, value) in values.enumerated() {
            // An in-memory trie never reads the store, so insertion cannot fail.
            try! trie.insert(value, forKey: RLP.Item.uint64(UInt64(index)).encoded)
        }
        return trie.rootHash
    }

    public static func transactionsRoot(of transactions: [SignedTransaction]) -> Hash32 {
        root(of: transactions.map(\.encoded))
    }

    public static func receiptsRoot(of receipts: [Receipt]) -> Hash32 {
        root(of: receipts.map(\.encoded))
    }
}
