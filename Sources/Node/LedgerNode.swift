// The node core: one serial executor (a dispatch queue, not an actor, so nothing interleaves at
// an `await`; DESIGN.md §7) owns the consensus core and the head. A height runs
// through the same seam the BFT engine uses with many validators: the core asks for a value
// (build and execute a block), the validator proposes, prevotes, precommits, and on the
// decision the block is committed in one synced batch. With one validator every step happens
// in one pass; the multi-node issue only adds the network behind `.broadcast` and `.receive`.
// Storage reads for RPC run on a separate concurrent queue, never on Swift's cooperative pool;
// admission runs on the transaction pool's own queue (TransactionPool.swift), so it never waits
// behind a height being built, executed and committed.
import ConsensusCore
import ContractExecution
import Dispatch
import EthereumAPI
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Mempool
import Synchronization

public struct NodeConfiguration: Sendable {
    public var genesis: Genesis
    /// The validator's consensus key; nil runs the node without producing blocks.
    public var validatorKey: PrivateKey?
    public var mempool: MempoolConfiguration
    /// Start heights by the block schedule. Off in tests that call `produceBlock()` themselves.
    public var producesBlocksAutomatically: Bool
    /// At most this many transactions per block (besides the gas limit).
    public var maximumTransactionsPerBlock: Int
    /// Gas cap, time limit and concurrency of eth_call and eth_estimateGas.
    public var simulations: SimulationLimits

    public init(genesis: Genesis, validatorKey: PrivateKey?, producesBlocksAutomatically: Bool = true,
                maximumTransactionsPerBlock: Int = 20_000, simulations: SimulationLimits = SimulationLimits()) {
        self.genesis = genesis
        self.validatorKey = validatorKey
        self.mempool = MempoolConfiguration(chainId: genesis.chainId, blockGasLimit: genesis.gasLimit,
                                            baseFee: genesis.baseFeePerGas)
        self.producesBlocksAutomatically = producesBlocksAutomatically
        self.maximumTransactionsPerBlock = maximumTransactionsPerBlock
        self.simulations = simulations
    }
}

public enum NodeError: Error, Sendable, CustomStringConvertible {
    case chain(ChainStoreError)
    case consensusLog(ConsensusLogError)
    case consensusRecord(ConsensusEncodingError)
    case validatorSet(ValidatorSetError)
    /// The key given as the validator key is not in the genesis validator set.
    case notAValidator(Address)
    case state(StateError)
    /// A block from the write-ahead log or a proposal does not execute on the head state.
    case invalidBlock(BlockValidationError)
    /// The node stopped producing after a fault (the reason is in the log); restart it.
    case halted(String)
    case stopped

    public var description: String {
        switch self {
        case .chain(let error): return error.description
        case .consensusLog(let error): return error.description
        case .consensusRecord(let error): return error.description
        case .validatorSet(let error): return "genesis validator set: \(error)"
        case .notAValidator(let address):
            return "the validator key's address \(address) is not a validator in the genesis file (config.d6g.validators)"
        case .state(let error): return error.description
        case .invalidBlock(let error): return error.description
        case .halted(let reason): return "the node halted: \(reason)"
        case .stopped: return "the node is stopped"
        }
    }
}

/// What RPC reads without hopping onto the node's queue.
public struct NodeStatus: Sendable {
    public var head: BlockHeader
    public var headHash: Hash32
    public var pendingTransactions: Int
    public var queuedTransactions: Int
    public var halted: String?
}

public final class LedgerNode: @unchecked Sendable {
    // `@unchecked`: every `var` below the line is touched only on `queue`.
    public let configuration: NodeConfiguration
    public let store: ChainStore
    public let genesisHash: Hash32
    public let validatorAddress: Address?
    /// Runs blocks with the VM as the contract runtime; RPC simulates calls with it too.
    let executor: BlockExecutor
    private let schedule: BlockSchedule
    private let validators: ValidatorSet<LedgerConsensus>
    private let clock: any NodeClock
    private let consensusLog: any ConsensusLog
    private let log: NodeLog
    private let queue = DispatchQueue(label: "d6g.node.core", qos: .userInitiated)
    private let readers = DispatchQueue(label: "d6g.node.reads", qos: .userInitiated, attributes: .concurrent)
    private let published: Mutex<NodeStatus>
    private let metrics = NodeMetrics()
    /// Admission, the pending views and the proposals of the next block.
    let pool: TransactionPool
    /// Told of each committed block, after the store has it (NodeCommits.swift).
    let commitObservers = Mutex<[@Sendable (CommittedBlock) -> Void]>([])

    // ---- confined to `queue` ----
    private var core: ConsensusCore<LedgerConsensus>?
    private var head: BlockHeader
    private var headHash: Hash32
    private var lastCertificate: [UInt8]
    private var candidates: [Hash32: Candidate] = [:]
    private var pendingRestore: ConsensusPersistentState<LedgerConsensus>?
    private var heightInProgress = false
    private var timerGeneration = 0
    private var timerDeadline: UInt64?
    private var started = false
    private var stopped = false
    private var halted: String?
    private var blockWaiters: [CheckedContinuation<BlockHeader, any Error>] = []
    /// When the current height started and its block was built (ms on the monotonic clock), for the log.
    private var heightStartedAt: UInt64 = 0
    private var candidateBuiltAt: UInt64 = 0

    /// A block this validator built and executed, kept until its height is decided.
    private struct Candidate {
        var block: Block
        var transactions: [RecoveredTransaction]
        var execution: BlockExecution
        var skipped: [RecoveredTransaction]
    }

    /// Opens the chain in `store` (initialised with `configuration.genesis`), and restores the
    /// consensus state from `consensusLog` if it holds a height not yet committed.
    public init(configuration: NodeConfiguration, store: ChainStore, consensusLog: any ConsensusLog,
                clock: any NodeClock = SystemClock(), log: NodeLog = NodeLog()) throws(NodeError) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.consensusLog = consensusLog
        self.log = log
        let genesis = configuration.genesis
        executor = BlockExecutor(rules: genesis.rules, runtime: VMContractRuntime())
        schedule = BlockSchedule(minBlockIntervalMs: genesis.settings.minBlockIntervalMs,
                                 emptyBlockPeriodMs: genesis.settings.emptyBlockPeriodMs)
        do { validators = try LedgerConsensus.validatorSet(of: genesis) } catch { throw .validatorSet(error) }

        let chainHead: ChainHead
        do throws(ChainStoreError) {
            chainHead = try store.open(expecting: genesis)
            genesisHash = try store.genesisHash() ?? chainHead.hash
            guard let header = try store.header(number: chainHead.number) else {
                throw .inconsistent("no header for the head \(chainHead.number)")
            }
            head = header
            lastCertificate = chainHead.number == 0 ? [] : try store.certificate(number: chainHead.number) ?? []
        } catch { throw .chain(error) }
        headHash = chainHead.hash

        if let key = configuration.validatorKey {
            guard validators.contains(key.address) else { throw .notAValidator(key.address) }
            validatorAddress = key.address
            core = ConsensusCore(configuration: LedgerConsensus.configuration(chainId: genesis.chainId),
                                 signer: ConsensusKeySigner(key: key), verifier: ConsensusSignatureVerifier())
        } else {
            validatorAddress = nil
        }

        var mempoolConfiguration = configuration.mempool
        mempoolConfiguration.baseFee = BaseFee.next(after: head, floats: genesis.settings.baseFeeFloats)
        do {
            pool = TransactionPool(configuration: mempoolConfiguration, headState: try store.state(at: head), log: log)
        } catch { throw .chain(error) }
        published = Mutex(NodeStatus(head: head, headHash: headHash, pendingTransactions: 0, queuedTransactions: 0))
        if core != nil { try restoreFromLog() }
    }

    // MARK: Lifecycle

    /// Starts producing blocks (if this node is a validator and production is automatic).
    public func start() {
        queue.async { [self] in
            started = true
            resumeRestoredHeight()
            scheduleNextHeight()
        }
    }

    /// Stops producing: the height in flight, if any, has either committed or not started when
    /// this returns (a height runs in one pass of the queue). Pending `produceBlock` calls fail.
    public func stop() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                stopped = true
                timerGeneration += 1
                let waiters = blockWaiters
                blockWaiters = []
                for waiter in waiters { waiter.resume(throwing: NodeError.stopped) }
                done.resume()
            }
        }
    }

    /// Runs one height now, whatever the schedule says, and returns the committed block's header.
    public func produceBlock() async throws -> BlockHeader {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<BlockHeader, any Error>) in
            queue.async { [self] in
                if stopped { return waiter.resume(throwing: NodeError.stopped) }
                if let halted { return waiter.resume(throwing: NodeError.halted(halted)) }
                guard core != nil else { return waiter.resume(throwing: NodeError.halted("not a validator")) }
                blockWaiters.append(waiter)
                if !heightInProgress { runHeight() }
            }
        }
    }

    // MARK: Reads for RPC

    public var status: NodeStatus {
        var status = published.withLock { $0 }
        (status.pendingTransactions, status.queuedTransactions) = pool.counts
        return status
    }

    /// Runs `body` on the read queue (blocking storage reads stay off the concurrency pool).
    public func read<T: Sendable>(_ body: @escaping @Sendable (ChainStore) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            readers.async { [store] in
                continuation.resume(with: Result { try body(store) })
            }
        }
    }

    /// The nonce the next transaction of `address` should carry, counting the pool.
    public func pendingNonce(of address: Address) async -> UInt64 {
        await pool.pendingNonce(of: address)
    }

    /// A transaction waiting in the pool.
    public func pooledTransaction(hash: Hash32) async -> RecoveredTransaction? {
        await pool.transaction(hash: hash)
    }

    // MARK: Admission

    /// Admits transactions whose senders were recovered already (once, by the caller), in order,
    /// on the pool's queue; then lets the schedule know (a block may be due).
    public func submit(_ transactions: [RecoveredTransaction]) async -> [Result<Hash32, MempoolError>] {
        let results = await pool.admit(transactions)
        if results.contains(where: { if case .success = $0 { true } else { false } }) {
            queue.async { [self] in scheduleNextHeight() }
        }
        return results
    }

    // MARK: Heights (on `queue`)

    private func scheduleNextHeight() {
        guard started, !stopped, halted == nil, core != nil, configuration.producesBlocksAutomatically,
              !heightInProgress else { return }
        switch schedule.decide(nowMilliseconds: clock.nowMilliseconds(), lastBlockMs: head.timestampMs,
                               hasPendingTransactions: pool.counts.pending > 0) {
        case .produceNow:
            runHeight()
        case .wait(let due):
            if let armed = timerDeadline, armed <= due { return }
            timerGeneration += 1
            let generation = timerGeneration
            timerDeadline = due
            let delay = due.saturatingSubtraction(clock.nowMilliseconds())
            queue.asyncAfter(deadline: .now() + .milliseconds(Int(min(delay, 60_000)))) { [self] in
                guard generation == timerGeneration else { return }
                timerDeadline = nil
                scheduleNextHeight()
            }
        }
    }

    private func runHeight() {
        guard !heightInProgress, halted == nil, !stopped else { return }
        heightInProgress = true
        timerGeneration += 1
        timerDeadline = nil
        heightStartedAt = Self.monotonicMilliseconds()
        drive(.startHeight(head.number + 1, validators: validators))
    }

    private func resumeRestoredHeight() {
        guard let state = pendingRestore else { return }
        pendingRestore = nil
        heightInProgress = true
        heightStartedAt = Self.monotonicMilliseconds()
        log(.info, "resuming the height found in the consensus log", ["height": state.height, "round": state.round])
        drive(.restore(state, validators: validators))
    }

    /// Feeds `input` to the core and carries out its actions in order (the core's contract),
    /// feeding back the answers they produce.
    private func drive(_ first: ConsensusCore<LedgerConsensus>.Input) {
        var inputs = [first]
        while !inputs.isEmpty, halted == nil {
            guard var consensus = core else { return }
            let actions = consensus.handle(inputs.removeFirst())
            core = consensus
            for action in actions {
                guard halted == nil else { return }
                switch action {
                case .persist(let state):
                    let blocks = state.ownProposals.compactMap { candidates[$0.value]?.block }
                    do { try consensusLog.write(ConsensusEncoding.encode(state, proposedBlocks: blocks)) } catch {
                        halt("cannot write the consensus log: \(error)")
                    }
                case .broadcast:
                    // One validator: nobody to send to. The P2P layer plugs in here.
                    break
                case .requestValue(let height, let round):
                    do {
                        let hash = try buildCandidate(height: height, round: round)
                        inputs.append(.proposeValue(hash, height: height, round: round))
                    } catch {
                        halt("cannot build block \(height): \(error)")
                    }
                case .validate(let value, let height, _):
                    inputs.append(.validationResult(value, height: height, isValid: candidates[value] != nil))
                case .scheduleTimeout(let timeout, let milliseconds):
                    queue.asyncAfter(deadline: .now() + .milliseconds(milliseconds)) { [self] in
                        guard !stopped, halted == nil, heightInProgress else { return }
                        drive(.timeoutExpired(timeout))
                    }
                case .decide(let decision):
                    commit(decision)
                case .reportEvidence(let evidence):
                    log(.warning, "equivocation evidence", ["validator": evidence.validator])
                }
            }
        }
    }

    private func buildCandidate(height: UInt64, round: Int) throws -> Hash32 {
        guard let proposer = validatorAddress else { throw NodeError.halted("not a validator") }
        let genesis = configuration.genesis
        let timestampMs = BlockSchedule.timestamp(nowMilliseconds: clock.nowMilliseconds(), parentMs: head.timestampMs)
        let baseFee = BaseFee.next(after: head, floats: genesis.settings.baseFeeFloats)
        let context = BlockContext(number: height, timestamp: timestampMs / 1_000, gasLimit: genesis.gasLimit,
                                   baseFeePerGas: baseFee, feeRecipient: genesis.settings.feeRecipient ?? proposer)
        let builder = BlockBuilder(executor: executor, context: context, state: try store.state(at: head))
        let proposals = pool.proposal(maxCount: configuration.maximumTransactionsPerBlock, maxGas: genesis.gasLimit)
        let skipped = try builder.include(proposals)
        let execution = try builder.finish()
        let included = execution.transactions.map(\.transaction)
        let header = BlockHeader(
            parentHash: headHash, stateRoot: execution.stateRoot, transactionsRoot: execution.transactionsRoot,
            receiptsRoot: execution.receiptsRoot, logsBloom: execution.logsBloom, number: height,
            gasLimit: genesis.gasLimit, gasUsed: execution.gasUsed, timestamp: timestampMs / 1_000,
            baseFeePerGas: baseFee, extraData: [], proposer: proposer, round: UInt64(round),
            validatorsHash: genesis.validatorsHash, nextValidatorsHash: genesis.validatorsHash,
            lastCommitHash: Block.lastCommitHash(of: lastCertificate), timestampMs: timestampMs)
        let block = Block(header: header, transactions: included.map(\.transaction), lastCommit: lastCertificate)
        for (transaction, reason) in skipped {
            log(.debug, "left out of the block", ["transaction": transaction.hash, "reason": reason])
        }
        let hash = block.hash
        candidates[hash] = Candidate(block: block, transactions: included, execution: execution,
                                     skipped: skipped.map(\.transaction))
        candidateBuiltAt = Self.monotonicMilliseconds()
        return hash
    }

    private func commit(_ decision: Decision<LedgerConsensus>) {
        guard let candidate = candidates[decision.value] else {
            return halt("decided block \(decision.value) at height \(decision.height) is not one this node holds")
        }
        let certificate = ConsensusEncoding.encode(decision.certificate)
        let block = candidate.block
        do {
            try store.commit(block, transactions: candidate.transactions, execution: candidate.execution,
                             certificate: certificate, onto: ChainHead(number: head.number, hash: headHash))
        } catch {
            return halt("cannot commit block \(block.number): \(error)")
        }
        head = block.header
        headHash = block.hash
        lastCertificate = certificate
        candidates = [:]
        do {
            pool.didCommit(candidate.transactions + candidate.skipped, headState: try store.state(at: head),
                           diff: candidate.execution.diff,
                           baseFee: configuration.genesis.settings.baseFeeFloats ? BaseFee.next(after: head, floats: true) : nil)
        } catch {
            return halt("cannot open the state of block \(block.number): \(error)")
        }
        heightInProgress = false
        publishStatus()
        notifyCommitObservers(CommittedBlock(block: block, transactions: candidate.transactions,
                                             execution: candidate.execution))
        let committedAt = Self.monotonicMilliseconds()
        metrics.height.record(Int64(clamping: block.number))
        metrics.round.record(decision.certificate.round)
        metrics.blocks.increment()
        metrics.transactions.increment(by: block.transactions.count)
        metrics.buildTime.recordMilliseconds(Int64(clamping: candidateBuiltAt &- heightStartedAt))
        metrics.commitTime.recordMilliseconds(Int64(clamping: committedAt &- candidateBuiltAt))
        log(.info, "committed block", ["number": block.number, "hash": headHash, "transactions": block.transactions.count,
                                       "gasUsed": block.header.gasUsed, "round": decision.certificate.round,
                                       "buildMs": candidateBuiltAt &- heightStartedAt, "commitMs": committedAt &- candidateBuiltAt])
        let waiters = blockWaiters
        blockWaiters = []
        for waiter in waiters { waiter.resume(returning: head) }
        scheduleNextHeight()
    }

    private static func monotonicMilliseconds() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds / 1_000_000
    }

    private func halt(_ reason: String) {
        halted = reason
        heightInProgress = false
        log(.error, "block production halted", ["reason": reason])
        publishStatus()
        let waiters = blockWaiters
        blockWaiters = []
        for waiter in waiters { waiter.resume(throwing: NodeError.halted(reason)) }
    }

    private func publishStatus() {
        let snapshot = NodeStatus(head: head, headHash: headHash, pendingTransactions: 0, queuedTransactions: 0,
                                  halted: halted)
        published.withLock { $0 = snapshot }
    }

    /// Reads the consensus log: a height after the head that this validator signed in is
    /// resumed (its own proposal re-executed from the logged block), never signed afresh.
    private func restoreFromLog() throws(NodeError) {
        let record: [UInt8]?
        do { record = try consensusLog.read() } catch { throw .consensusLog(error) }
        guard let record else { return }
        let decoded: (state: ConsensusPersistentState<LedgerConsensus>, proposedBlocks: [Block])
        do { decoded = try ConsensusEncoding.decodeLogRecord(record) } catch { throw .consensusRecord(error) }
        guard decoded.state.height == head.number + 1 else { return }
        let parentState: TrieStateReader
        do { parentState = try store.state(at: head) } catch { throw .chain(error) }
        for block in decoded.proposedBlocks where block.header.parentHash == headHash && block.number == head.number + 1 {
            do {
                let transactions = try executor.recoverSenders(of: block)
                let execution = try executor.validate(block, recovered: transactions,
                                                      feeRecipient: configuration.genesis.settings.feeRecipient,
                                                      parentState: parentState)
                candidates[block.hash] = Candidate(block: block, transactions: transactions, execution: execution, skipped: [])
            } catch {
                throw .invalidBlock(error)
            }
        }
        pendingRestore = decoded.state
    }
}

extension UInt64 {
    fileprivate func saturatingSubtraction(_ other: UInt64) -> UInt64 { self > other ? self - other : 0 }
}
