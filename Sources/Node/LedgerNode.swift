// The node: composition of its parts around one serial executor (a dispatch queue, not an actor,
// so nothing interleaves at an `await`; DESIGN.md §7). On that queue the consensus driver
// (ConsensusDriver.swift) runs the core and the chain tip (ChainTip.swift) builds, checks,
// executes and commits blocks. Storage reads for RPC run on a separate concurrent queue, never
// on Swift's cooperative pool; admission runs on the transaction pool's own queue
// (TransactionPool.swift), so it never waits behind a height being built, executed and committed.
// Peers reach the driver through `receive(…)`; it reaches them through a `ConsensusNetwork`.
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
    /// How long each consensus step waits, and the cap on its growth (Docs/consensus.md §Timeouts).
    public var consensusTimeouts: TimeoutPolicy
    /// How far ahead of this node's clock a proposed block may be stamped before it waits.
    public var maximumClockDriftMs: UInt64

    public init(genesis: Genesis, validatorKey: PrivateKey?, producesBlocksAutomatically: Bool = true,
                maximumTransactionsPerBlock: Int = 20_000, simulations: SimulationLimits = SimulationLimits()) {
        self.genesis = genesis
        self.validatorKey = validatorKey
        self.mempool = MempoolConfiguration(chainId: genesis.chainId, blockGasLimit: genesis.gasLimit,
                                            baseFee: genesis.baseFeePerGas)
        self.producesBlocksAutomatically = producesBlocksAutomatically
        self.maximumTransactionsPerBlock = maximumTransactionsPerBlock
        self.simulations = simulations
        self.consensusTimeouts = TimeoutPolicy(cap: NodeLaunch.defaultTimeoutCapMs)
        self.maximumClockDriftMs = 1_000
    }
}

public enum NodeError: Error, Sendable, CustomStringConvertible {
    case chain(ChainStoreError)
    case consensusLog(ConsensusLogError)
    case consensusRecord(ConsensusEncodingError)
    case state(StateError)
    /// A block from the write-ahead log or a proposal does not execute on the head state.
    case invalidBlock(BlockValidationError)
    /// The consensus log is at a height beyond the chain's next one: the chain data is older
    /// than the log (an old backup restored under a newer log, or another validator's log).
    case consensusLogAhead(logHeight: UInt64, head: UInt64)
    /// The node stopped producing after a fault (the reason is in the log); restart it.
    case halted(String)
    case stopped

    public var description: String {
        switch self {
        case .chain(let error): return error.description
        case .consensusLog(let error): return error.description
        case .consensusRecord(let error): return error.description
        case .state(let error): return error.description
        case .invalidBlock(let error): return error.description
        case .consensusLogAhead(let logHeight, let head):
            return "the consensus log is at height \(logHeight) but the chain's head is \(head): this validator "
                + "signed at heights the chain data does not hold, and would sign them again. Restore the chain "
                + "data that goes with this log (or sync it from peers) before starting; never delete the log to get past this"
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

/// A validator's position in consensus (`d6g_consensusState`).
public struct ConsensusStatus: Sendable, Hashable {
    /// Nil on a follower.
    public var validator: Address?
    public var height: UInt64
    public var round: Int
    public var step: Step
    public var halted: String?
}

public final class LedgerNode: @unchecked Sendable {
    // `@unchecked`: `tip`, `driver` and every `var` below the line are touched only on `queue`.
    public let configuration: NodeConfiguration
    public let store: ChainStore
    public let genesisHash: Hash32
    public let validatorAddress: Address?
    /// Runs blocks with the VM as the contract runtime; RPC simulates calls with it too.
    let executor: BlockExecutor
    private let queue: any NodeQueue
    private let readers = DispatchQueue(label: "d6g.node.reads", qos: .userInitiated, attributes: .concurrent)
    private let published: Mutex<NodeStatus>
    /// The set that signs the next height, and the node keys of it and of the set after (the
    /// P2P allowlist admits both, so a validator voted in can connect before it signs).
    private let publishedValidators = Mutex<(members: [ValidatorMember], nodeKeys: Set<[UInt8]>)>(([], []))
    private let metrics = NodeMetrics()
    private let log: NodeLog
    private let network: any ConsensusNetwork
    /// Admission, the pending views and the proposals of the next block.
    let pool: TransactionPool
    /// Told of each committed block, after the store has it (NodeCommits.swift).
    let commitObservers = Mutex<[@Sendable (CommittedBlock) -> Void]>([])

    // ---- confined to `queue` ----
    private let tip: ChainTip
    /// Nil on a node without a validator key.
    private var driver: ConsensusDriver?
    private var started = false
    private var stopped = false
    private var blockWaiters: [CheckedContinuation<BlockHeader, any Error>] = []

    /// Opens the chain in `store` (initialised with `configuration.genesis`), and restores the
    /// consensus state from `consensusLog` if it holds a height not yet committed. `network`
    /// carries this validator's messages and blocks to its peers.
    public init(configuration: NodeConfiguration, store: ChainStore, consensusLog: any ConsensusLog,
                network: any ConsensusNetwork = NoPeers(), clock: any NodeClock = SystemClock(),
                queue: any NodeQueue = DispatchNodeQueue(), log: NodeLog = NodeLog()) throws(NodeError) {
        self.configuration = configuration
        self.queue = queue
        self.store = store
        self.log = log
        self.network = network
        let genesis = configuration.genesis
        executor = BlockExecutor(rules: genesis.rules, runtime: VMContractRuntime())
        var consensus = LedgerConsensus.configuration(chainId: genesis.chainId)
        consensus.timeouts = configuration.consensusTimeouts
        let checks = BlockChecks(genesis: genesis, consensus: consensus, maximumClockDriftMs: configuration.maximumClockDriftMs)
        do {
            tip = try ChainTip(store: store, executor: executor, checks: checks, log: log)
            genesisHash = try store.genesisHash() ?? tip.headHash
        } catch { throw .chain(error) }
        let head = tip.head

        var mempoolConfiguration = configuration.mempool
        mempoolConfiguration.baseFee = BaseFee.next(after: head, floats: genesis.settings.baseFeeFloats)
        do {
            pool = TransactionPool(configuration: mempoolConfiguration, headState: try store.state(at: head), log: log)
        } catch { throw .chain(error) }
        tip.knownSenders = { [pool] transactions in pool.recovered(transactions) }
        published = Mutex(NodeStatus(head: head, headHash: tip.headHash, pendingTransactions: 0, queuedTransactions: 0))

        // A follower (no validator key) runs the same driver with a throwaway key outside the
        // set: the core never signs for a non-member, so it only listens, decides by l.49 with
        // the validators' votes, and catches up with certified blocks like a validator.
        let signerKey: PrivateKey
        if let key = configuration.validatorKey {
            // A key outside the set of the next height is not refused: a validator voted in
            // starts before the vote passes and signs from the height the change takes effect.
            if let members = try tip.validators(forHeight: tip.nextHeight)?.members,
               !members.contains(where: { $0.address == key.address }) {
                log(.warning, "this validator key is not in the current validator set; the node follows the chain and signs once a vote adds it",
                    ["validator": key.address, "height": tip.nextHeight])
            }
            validatorAddress = key.address
            signerKey = key
        } else {
            validatorAddress = nil
            signerKey = .generate()
        }
        let core = ConsensusCore<LedgerConsensus>(configuration: consensus, signer: ConsensusKeySigner(key: signerKey),
                                                  verifier: ConsensusSignatureVerifier())
        let driver = ConsensusDriver(
            core: core, tip: tip, queue: queue, network: network, consensusLog: consensusLog,
            schedule: BlockSchedule(minBlockIntervalMs: genesis.settings.minBlockIntervalMs,
                                    emptyBlockPeriodMs: genesis.settings.emptyBlockPeriodMs),
            clock: clock, pool: pool, maximumTransactionsPerBlock: configuration.maximumTransactionsPerBlock,
            automatic: configuration.producesBlocksAutomatically, log: log, metrics: metrics,
            didCommit: { [unowned self] decided in didCommit(decided) },
            didHalt: { [unowned self] reason in didHalt(reason) })
        let record: [UInt8]?
        do { record = try consensusLog.read() } catch { throw .consensusLog(error) }
        if let record { try driver.restore(from: record) }
        self.driver = driver
        try publishValidators()
    }

    // MARK: Lifecycle

    /// Starts consensus (if this node is a validator): a height restored from the log resumes;
    /// with automatic production the next height starts.
    public func start() {
        queue.async { [self] in
            guard !started, !stopped else { return }
            started = true
            driver?.start()
        }
    }

    /// Stops consensus: no input reaches the core after this returns, and the height in flight
    /// is either committed or left to the log. Pending `produceBlock` calls fail.
    public func stop() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                stopped = true
                driver?.stop()
                let waiters = blockWaiters
                blockWaiters = []
                for waiter in waiters { waiter.resume(throwing: NodeError.stopped) }
                done.resume()
            }
        }
    }

    /// Runs the next height now, whatever the schedule says (a restored height first), and
    /// returns the next committed block's header.
    public func produceBlock() async throws -> BlockHeader {
        try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<BlockHeader, any Error>) in
            queue.async { [self] in
                if stopped { return waiter.resume(throwing: NodeError.stopped) }
                guard let driver, validatorAddress != nil else { return waiter.resume(throwing: NodeError.halted("not a validator")) }
                if let halted = driver.halted { return waiter.resume(throwing: NodeError.halted(halted)) }
                started = true
                blockWaiters.append(waiter)
                driver.produceNow()
            }
        }
    }

    // MARK: Peers

    /// A proposal or vote from a peer (its signature is checked by the core).
    public func receive(_ message: ConsensusMessage<LedgerConsensus>) {
        queue.async { [self] in if started { driver?.receive(message) } }
    }

    /// A block from a peer: kept if it may be the next height's, executed when consensus asks.
    public func receive(block: Block) {
        queue.async { [self] in if started { driver?.receive(block) } }
    }

    /// A decision of the next height from a peer: the proposal and its commit certificate.
    public func receive(decision: Decision<LedgerConsensus>) {
        queue.async { [self] in if started { driver?.receive(decision) } }
    }

    /// A committed block with its certificate, from a peer this node asked (it was behind).
    public func receive(committed block: Block, certificate: [UInt8]) {
        queue.async { [self] in if started { driver?.receive(committed: block, certificate: certificate) } }
    }

    /// Committed blocks from `number` on, at most `limit` (and never more than 64), with their
    /// certificates: what a peer that fell behind asks for.
    public func committedBlocks(from number: UInt64, limit: Int) async throws -> [(block: Block, certificate: [UInt8])] {
        let limit = min(limit, 64)
        return try await read { store in
            var found: [(block: Block, certificate: [UInt8])] = []
            var next = number
            while found.count < limit, let block = try store.block(number: next)?.block,
                  let certificate = try store.certificate(number: next) {
                found.append((block, certificate))
                next += 1
            }
            return found
        }
    }

    /// Equivocation evidence a peer gossiped.
    public func receive(evidence: Evidence<LedgerConsensus>) {
        queue.async { [self] in driver?.receive(evidence) }
    }

    /// A block of the next height this node holds (its own proposal or a peer's), for a peer that asks.
    public func pendingBlock(hash: Hash32) async -> Block? {
        await withCheckedContinuation { continuation in
            pendingBlock(hash: hash) { continuation.resume(returning: $0) }
        }
    }

    /// The same, answered on the node's queue (the node simulation cannot wait on a continuation:
    /// its one thread runs that queue).
    public func pendingBlock(hash: Hash32, reply: @escaping @Sendable (Block?) -> Void) {
        queue.async { [self] in reply(tip.block(hash)) }
    }

    /// Where this node's consensus is (a follower's too).
    public func consensusStatus() async -> ConsensusStatus? {
        await withCheckedContinuation { continuation in
            queue.async { [self] in
                continuation.resume(returning: driver.map {
                    ConsensusStatus(validator: validatorAddress, height: $0.height, round: $0.round, step: $0.step,
                                    halted: $0.halted)
                })
            }
        }
    }

    /// Equivocation evidence seen (own detection and valid gossip), oldest first.
    public func evidence() async -> [Evidence<LedgerConsensus>] {
        await withCheckedContinuation { continuation in
            queue.async { [self] in continuation.resume(returning: driver?.evidence ?? []) }
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
    /// on the pool's queue; then lets the driver know (a block may be due). With `gossip`, the
    /// admitted ones go to the peers (not for what peers sent: the validators are a full mesh).
    public func submit(_ transactions: [RecoveredTransaction], gossip: Bool = true) async -> [Result<Hash32, MempoolError>] {
        let results = await pool.admit(transactions)
        var admitted: [SignedTransaction] = []
        for (transaction, result) in zip(transactions, results) {
            if case .success = result { admitted.append(transaction.transaction) }
        }
        if !admitted.isEmpty {
            if gossip { network.broadcast(transactions: admitted) }
            queue.async { [self] in if started { driver?.transactionsArrived() } }
        }
        return results
    }

    // MARK: Commits (on `queue`)

    private func didCommit(_ decided: ExecutedBlock) {
        let block = decided.block
        let head = block.header
        do {
            pool.didCommit(decided.transactions + decided.skipped, headState: try store.state(at: head),
                           diff: decided.execution.diff,
                           baseFee: configuration.genesis.settings.baseFeeFloats ? BaseFee.next(after: head, floats: true) : nil)
        } catch {
            return driver?.halt("cannot open the state of block \(block.number): \(error)") ?? ()
        }
        publishStatus()
        do { try publishValidators() } catch { return driver?.halt(error.description) ?? () }
        notifyCommitObservers(CommittedBlock(block: block, transactions: decided.transactions, execution: decided.execution))
        metrics.height.record(Int64(clamping: block.number))
        metrics.blocks.increment()
        metrics.transactions.increment(by: block.transactions.count)
        let waiters = blockWaiters
        blockWaiters = []
        for waiter in waiters { waiter.resume(returning: head) }
    }

    private func didHalt(_ reason: String) {
        publishStatus()
        let waiters = blockWaiters
        blockWaiters = []
        for waiter in waiters { waiter.resume(throwing: NodeError.halted(reason)) }
    }

    private func publishValidators() throws(NodeError) {
        let next = try tip.validators(forHeight: tip.nextHeight)?.members ?? []
        let after = try tip.validators(forHeight: tip.nextHeight + 1)?.members ?? []
        publishedValidators.withLock { $0 = (next, Set((next + after).map(\.nodeKey))) }
    }

    /// The validator set that signs the next height (the Permissions contract's, ADR 0009).
    public var validators: [ValidatorMember] { publishedValidators.withLock { $0.members } }

    /// The node keys the P2P layer admits for the validator set: this height's and the next's.
    public var validatorNodeKeys: Set<[UInt8]> { publishedValidators.withLock { $0.nodeKeys } }

    private func publishStatus() {
        let snapshot = NodeStatus(head: tip.head, headHash: tip.headHash, pendingTransactions: 0, queuedTransactions: 0,
                                  halted: driver?.halted)
        published.withLock { $0 = snapshot }
    }
}
