// The driver of the consensus core (DESIGN.md §7), for one validator among many. It runs on the
// node's serial queue and does what the core asks, in order: persist (the write-ahead log,
// fsynced, before anything signed leaves), broadcast, build a value, validate a value, schedule
// a timeout, commit a decision. Inputs go through one FIFO drained by one loop: an action that
// produces an input (a built block, a verdict, the next height after a commit) appends it, so
// heights never nest on the stack and no action of height h runs after h + 1 started.
//
// Blocks travel apart from votes (a value is a block hash). When the core asks about a hash this
// node has not seen, the driver asks the peers for the block and holds the answer back until it
// arrives: "invalid" is only ever said of a block that was checked and executed.
//
// Pacing lives in how the proposer answers `.requestValue`: as soon as transactions wait, but no
// sooner than `minBlockIntervalMs` after the parent; with nothing to do, an empty block after
// `emptyBlockPeriodMs`. Every validator starts h + 1 when h commits, and counts its propose
// timeout from the moment the proposer is due at the latest, so pacing never costs a round.
import ConsensusCore
import Execution
import Foundation
import LedgerPrimitives
import LedgerTypes

/// `@unchecked Sendable`: created on and used only from the node's queue; the timers it arms
/// run on that queue too.
final class ConsensusDriver: @unchecked Sendable {
    typealias Core = ConsensusCore<LedgerConsensus>

    let tip: ChainTip
    private var core: Core
    private let queue: any NodeQueue
    private let network: any ConsensusNetwork
    private let consensusLog: any ConsensusLog
    private let schedule: BlockSchedule
    private let clock: any NodeClock
    private let pool: TransactionPool
    private let maximumTransactionsPerBlock: Int
    private let log: NodeLog
    private let metrics: NodeMetrics
    /// Told of every commit (after the store has it) and of a halt.
    private let didCommit: (ExecutedBlock) -> Void
    private let didHalt: (String) -> Void

    /// Heights start on their own (a running node) or only when `produceNow()` asks (tests).
    var automatic: Bool
    private(set) var halted: String?
    private(set) var stopped = false

    private var inputs: [Core.Input] = []
    private var draining = false
    private var heightRunning = false
    /// The core asked for a value at (height, round) and has no answer yet.
    private var valueRequest: (height: UInt64, round: Int)?
    /// Answer the pending value request now, whatever the schedule says (`produceBlock()`).
    private var proposeWithoutWaiting = false
    private var pacingGeneration = 0
    /// Hashes the core asked about, with the height it asked at.
    private var pendingVerdicts: [Hash32: UInt64] = [:]
    private var requestedBlocks: Set<Hash32> = []
    /// Values of the current height with a verified commit certificate: no clock check for them.
    private var certified: Set<Hash32> = []
    /// Evidence seen, newest last, at most `evidenceKept`.
    private(set) var evidence: [Evidence<LedgerConsensus>] = []
    static let evidenceKept = 256

    /// The head's decision and block, sent again to peers a height behind.
    private var lastDecision: (Decision<LedgerConsensus>, Block)?
    private let rebroadcastIntervalMs: UInt64
    private var rebroadcasting = false
    private var lastCatchUpRequest: UInt64 = 0
    /// Block sync: the highest height the validators are known to have committed (from
    /// authentic messages of later heights and certified decisions), how far committed blocks
    /// were asked for (exclusive), the next height when the last catch-up asked, and blocks that
    /// arrived ahead of their turn (checked when it comes).
    private var syncTarget: UInt64 = 0
    private var syncRequestedUpTo: UInt64 = 0
    private var heightAtLastCatchUp: UInt64 = 0
    private var syncAhead: [UInt64: [EarlyBlock]] = [:]
    private var syncAheadBytes = 0
    private var syncRun: SyncRun?
    /// Set while a run of synced blocks commits: the next height starts once, after the run.
    private var startingHeightsLater = false
    /// Committed blocks are asked for in batches of this many, each from the next peer in turn,
    /// at most `syncWindow` heights ahead of the next one: several peers serve one sync.
    static let syncBatch: UInt64 = 16
    static let syncWindow: UInt64 = 64
    static let syncAheadCandidates = 2
    static let syncAheadByteLimit = 64 << 20
    static let syncProgressIntervalMs: UInt64 = 2_000

    /// A committed block that came before its turn, with what its bookkeeping needs (the hash and
    /// the size are computed once, on arrival).
    private struct EarlyBlock {
        var block: Block
        var certificate: [UInt8]
        var hash: Hash32
        var size: Int
    }

    private struct SyncRun {
        var startedAt: UInt64
        var fromHeight: UInt64
        var lastLineAt: UInt64
    }
    /// A decided block not held yet: asked for, committed when it arrives.
    private var pendingCommit: PendingCommit?

    private struct PendingCommit {
        var hash: Hash32
        var certificate: [UInt8]
        var round: Int
        var decision: Decision<LedgerConsensus>?
    }
    private var lastProgress: Progress?
    /// The (height, round) in which the valid value's polka was last sent again.
    private var polkaSentInRound: (UInt64, Int)?
    /// (sender, round, kind) of the messages of this height relayed on.
    private var relayedThisHeight: Set<RelayKey> = []
    static let relaysPerHeight = 65_536

    private struct RelayKey: Hashable {
        var sender: Address
        var round: Int
        /// 0 proposal, else the vote type.
        var kind: UInt8

        init(_ message: ConsensusMessage<LedgerConsensus>) {
            sender = message.sender
            round = message.round
            kind = switch message {
            case .proposal: 0
            case .vote(let vote): vote.type.rawValue
            }
        }
    }

    private struct Progress: Equatable {
        var height: UInt64
        var round: Int
        var step: Step
    }

    private var heightStartedAt: UInt64 = 0
    private var buildMilliseconds: UInt64 = 0

    init(core: Core, tip: ChainTip, queue: any NodeQueue,
         network: any ConsensusNetwork, consensusLog: any ConsensusLog, schedule: BlockSchedule, clock: any NodeClock,
         pool: TransactionPool, maximumTransactionsPerBlock: Int, automatic: Bool, log: NodeLog, metrics: NodeMetrics,
         didCommit: @escaping (ExecutedBlock) -> Void, didHalt: @escaping (String) -> Void) {
        self.core = core
        self.tip = tip
        self.queue = queue
        self.network = network
        self.consensusLog = consensusLog
        self.schedule = schedule
        self.clock = clock
        self.pool = pool
        self.maximumTransactionsPerBlock = maximumTransactionsPerBlock
        self.automatic = automatic
        self.log = log
        self.metrics = metrics
        self.didCommit = didCommit
        self.didHalt = didHalt
        rebroadcastIntervalMs = UInt64(max(core.configuration.timeouts.proposeBase, 100))
    }

    var validator: Address { core.validator }
    var height: UInt64 { core.height }
    var round: Int { core.round }
    var step: Step { core.step }

    // MARK: What the node calls (all on the queue)

    /// Reads the write-ahead log: a height after the head that this validator signed in is
    /// resumed (its own proposals re-executed from the logged blocks), never signed afresh. A log
    /// beyond the next height means the chain data is older than the log (a backup put back
    /// under a newer log, or another validator's log): starting would sign those heights again.
    func restore(from record: [UInt8]) throws(NodeError) {
        let decoded: (state: ConsensusPersistentState<LedgerConsensus>, proposedBlocks: [Block])
        do { decoded = try ConsensusEncoding.decodeLogRecord(record) } catch { throw .consensusRecord(error) }
        let state = decoded.state
        guard state.height <= tip.nextHeight else {
            throw .consensusLogAhead(logHeight: state.height, head: tip.head.number)
        }
        guard state.height == tip.nextHeight else { return }
        for block in decoded.proposedBlocks { try tip.adoptLogged(block) }
        heightRunning = true
        heightStartedAt = monotonicMilliseconds()
        log(.info, "resuming the height found in the consensus log", ["height": state.height, "round": state.round])
        guard let set = try tip.validators(forHeight: state.height)?.set else {
            throw .halted("the validator set of height \(state.height) is not known")
        }
        inputs.append(.restore(state, validators: set))
    }

    /// Resumes the restored height, if any; with automatic production, starts the next one.
    func start() {
        if automatic { startHeightIfIdle() }
        armRebroadcast()
        drain()
    }

    func stop() {
        stopped = true
        pacingGeneration += 1
    }

    /// A block is wanted now (`produceBlock()`): the next height starts if it has not, and this
    /// validator proposes at once when it is the proposer.
    func produceNow() {
        proposeWithoutWaiting = true
        armRebroadcast()
        startHeightIfIdle()
        answerValueRequestIfDue()
        drain()
    }

    /// Transactions were admitted: a block may be due.
    func transactionsArrived() {
        answerValueRequestIfDue()
        drain()
    }

    /// A proposal or vote from a peer. One from beyond the next height shows that the others
    /// committed heights this node has not: it asks for those blocks.
    func receive(_ message: ConsensusMessage<LedgerConsensus>) {
        guard halted == nil, !stopped else { return }
        if message.sender == core.validator, let reason = secondSigner(message) { return halt(reason) }
        // Checked (a signature recovery) only when a catch-up is due: a node a height behind
        // hears every message of the current height.
        if message.height > tip.nextHeight, catchUpDue, signers(at: message.height)?.contains(message.sender) == true,
           isAuthentic(message) {
            // One member's word moves the target at most a window ahead: a lying validator can
            // make this node ask for blocks that do not exist, not announce a sync without end.
            learnCommitted(min(message.height - 1, tip.nextHeight + Self.syncWindow))
        }
        // Relayed on when it belongs to this height and round or the next (what the validators
        // need now; never a flood of far rounds), from a member, authentic; and only the first
        // of its kind from that member in that round, found before any signature is checked:
        // the copies every peer relays cost a set lookup, and an equivocator's second message
        // goes no further than its own links (the evidence of it does).
        if message.height == tip.nextHeight, message.round <= core.round + 1, message.sender != core.validator,
           !relayedThisHeight.contains(RelayKey(message)), relayedThisHeight.count < Self.relaysPerHeight,
           signers(at: message.height)?.contains(message.sender) == true, isAuthentic(message) {
            relayedThisHeight.insert(RelayKey(message))
            network.relay(message)
        }
        inputs.append(.receive(message))
        drain()
    }

    /// A committed block from a peer, with its certificate: the way a node that fell behind
    /// catches up. The certificate is checked here (more than 2/3 of the power precommitted this
    /// block at its height) and the block executed; no clock check, no vote. It is then
    /// committed as if decided here, and consensus moves to the height after it.
    ///
    /// Blocks a little ahead of the next height (a sync asks several peers for successive
    /// batches at once) wait for their turn, at most two per height and 64 MiB in all with their
    /// certificates. They get in only with a certificate that the newest validator set known
    /// here signed (a peer cannot fill the room with junk); at their turn the certificate is
    /// checked again against their own height's set.
    func receive(committed block: Block, certificate bytes: [UInt8]) {
        guard halted == nil, !stopped else { return }
        let next = tip.nextHeight
        if block.number > next {
            let early = EarlyBlock(block: block, certificate: bytes, hash: block.hash, size: block.encoded.count + bytes.count)
            let held = syncAhead[block.number] ?? []
            guard block.number - next < Self.syncWindow, early.size <= Self.syncAheadByteLimit - syncAheadBytes,
                  held.count < Self.syncAheadCandidates, !held.contains(where: { $0.hash == early.hash }),
                  let certificate = try? ConsensusEncoding.decodeCertificate(bytes),
                  proves(certificate, value: early.hash, height: block.number) else { return }
            syncAhead[block.number, default: []].append(early)
            syncAheadBytes += early.size
            syncTarget = max(syncTarget, block.number)
            return
        }
        guard block.number == next else { return }
        // Heights start once, after the run of blocks that follow on (not once per block).
        startingHeightsLater = true
        commitSynced(block, hash: block.hash, certificate: bytes)
        while halted == nil, tip.nextHeight > next, let waiting = takeSyncAhead(tip.nextHeight) {
            let before = tip.nextHeight
            for early in waiting where tip.nextHeight == before {
                commitSynced(early.block, hash: early.hash, certificate: early.certificate)
            }
            guard tip.nextHeight > before else { break }
        }
        startingHeightsLater = false
        if tip.nextHeight > next { startHeightIfIdle() }
        requestSyncWindow()
        drain()
    }

    /// Checks the certificate (more than 2/3 of the power of its height's set precommitted this
    /// block), executes the block and commits it as if decided here; no clock check, no vote.
    private func commitSynced(_ block: Block, hash: Hash32, certificate bytes: [UInt8]) {
        guard let certificate = try? ConsensusEncoding.decodeCertificate(bytes),
              proves(certificate, value: hash, height: block.number) else {
            log(.warning, "committed block with an invalid certificate ignored", ["number": block.number])
            return
        }
        tip.receive(block, wanted: true)
        finishHeight(hash: hash, certificate: bytes, round: Int(clamping: block.header.round), decision: nil)
    }

    /// The blocks waiting for `height`, forgetting those of heights passed.
    private func takeSyncAhead(_ height: UInt64) -> [EarlyBlock]? {
        forgetSyncAhead(below: height)
        guard let waiting = syncAhead.removeValue(forKey: height) else { return nil }
        syncAheadBytes -= waiting.reduce(0) { $0 + $1.size }
        return waiting
    }

    private func forgetSyncAhead(below height: UInt64) {
        guard !syncAhead.isEmpty else { return }
        for passed in syncAhead.keys where passed < height {
            syncAheadBytes -= (syncAhead.removeValue(forKey: passed) ?? []).reduce(0) { $0 + $1.size }
        }
    }

    /// The validators committed `height`: a node below it syncs.
    private func learnCommitted(_ height: UInt64) {
        guard height >= tip.nextHeight else { return }
        syncTarget = max(syncTarget, height)
        catchUp()
    }

    private var catchUpDue: Bool {
        lastCatchUpRequest == 0 || monotonicMilliseconds() >= lastCatchUpRequest &+ rebroadcastIntervalMs
    }

    /// Asks for the committed blocks this node lacks, at most once per rebroadcast interval. If
    /// nothing arrived since the last time (a peer had nothing, went away, or lies), the window
    /// is asked for again, and the batch of the next height from every peer: no single peer can
    /// hold the sync up.
    private func catchUp() {
        guard catchUpDue else { return }
        let now = monotonicMilliseconds()
        lastCatchUpRequest = now
        let stalled = heightAtLastCatchUp == tip.nextHeight
        if stalled { syncRequestedUpTo = tip.nextHeight }
        heightAtLastCatchUp = tip.nextHeight
        if syncRun == nil, syncTarget >= tip.nextHeight {
            syncRun = SyncRun(startedAt: now, fromHeight: tip.nextHeight, lastLineAt: now)
        }
        syncProgress()
        requestSyncWindow(fromAllPeersFirst: stalled)
    }

    /// Keeps up to `syncWindow` heights asked for ahead of the next one, a batch per peer in turn.
    private func requestSyncWindow(fromAllPeersFirst: Bool = false) {
        let next = tip.nextHeight
        guard syncTarget >= next else { return }
        syncRequestedUpTo = max(syncRequestedUpTo, next)
        let end = min(next + Self.syncWindow, syncTarget &+ 1)
        var everyPeer = fromAllPeersFirst
        while syncRequestedUpTo < end {
            network.requestCommittedBlocks(from: syncRequestedUpTo, fromEveryPeer: everyPeer)
            everyPeer = false
            syncRequestedUpTo += Self.syncBatch
        }
    }

    /// The progress line of a sync (every two seconds while it lasts, and one when this node
    /// reached the height it was syncing to, by sync or by consensus), after each commit.
    private func syncProgress() {
        guard var run = syncRun else { return }
        let now = monotonicMilliseconds()
        let head = tip.head.number
        let done = head >= run.fromHeight ? head - run.fromHeight + 1 : 0
        let seconds = Double(max(now &- run.startedAt, 1)) / 1_000
        let rate = Double(done) / seconds
        metrics.syncTarget.record(Int64(clamping: syncTarget))
        if head >= syncTarget {
            syncRun = nil
            if done > 1 {
                log(.info, "sync done", ["head": head, "blocks": done, "seconds": Self.rounded(seconds),
                                         "blocksPerSecond": Self.rounded(rate)])
            }
            return
        }
        guard now >= run.lastLineAt &+ Self.syncProgressIntervalMs else { return }
        run.lastLineAt = now
        syncRun = run
        let remaining = syncTarget - head
        log(.info, "syncing", ["head": head, "target": syncTarget, "remaining": remaining,
                               "percent": Self.rounded(100 * Double(head) / Double(max(syncTarget, 1))),
                               "blocksPerSecond": Self.rounded(rate),
                               "etaSeconds": rate > 0 ? Self.rounded(Double(remaining) / rate) : "unknown"])
    }

    private static func rounded(_ value: Double) -> String { String(format: "%.1f", value) }

    /// A block from a peer (sent with a proposal, or asked for).
    func receive(_ block: Block) {
        guard halted == nil, !stopped else { return }
        let hash = block.hash
        let awaitedCommit = pendingCommit?.hash == hash
        guard tip.receive(block, wanted: pendingVerdicts[hash] != nil || awaitedCommit) else { return }
        if pendingVerdicts[hash] != nil { resolve(hash) }
        if awaitedCommit, let waiting = pendingCommit {
            pendingCommit = nil
            finishHeight(hash: waiting.hash, certificate: waiting.certificate, round: waiting.round, decision: waiting.decision)
        }
        drain()
    }

    /// A decision of the current height learned from a peer: proposal and commit certificate
    /// (checked by the core). Its block skips the clock check: the others already decided it.
    func receive(_ decision: Decision<LedgerConsensus>) {
        guard halted == nil, !stopped, decision.height >= tip.nextHeight, isCertified(decision) else { return }
        guard decision.height == tip.nextHeight else { return learnCommitted(decision.height) }
        guard certified.count < 64 else { return }
        certified.insert(decision.value)
        inputs.append(.receiveCommit(decision))
        drain()
    }

    /// The certificate proves the decision's value at its height (the core checks the proposal).
    private func isCertified(_ decision: Decision<LedgerConsensus>) -> Bool {
        proves(decision.certificate, value: decision.value, height: decision.height)
    }

    /// More than 2/3 of the power precommitted `value` at `height`.
    private func proves(_ certificate: CommitCertificate<LedgerConsensus>, value: Hash32, height: UInt64) -> Bool {
        guard certificate.valueID == value, certificate.height == height else { return false }
        guard let set = signers(at: height) else { return false }
        return (try? certificate.verify(against: set, verifier: ConsensusSignatureVerifier(),
                                        domain: core.configuration.signingDomain)) != nil
    }

    /// The set that signs `height`, or for a height beyond head + 2 (whose set the chain here
    /// does not hold yet) the newest one known: good enough to tell whether a message from the
    /// future is worth asking the peers for blocks, never used to commit.
    private func signers(at height: UInt64) -> ValidatorSet<LedgerConsensus>? {
        let known = min(height, tip.nextHeight + 1)
        return (try? tip.validators(forHeight: known))??.set
    }

    private func isAuthentic(_ message: ConsensusMessage<LedgerConsensus>) -> Bool {
        message.isSigned(verifier: ConsensusSignatureVerifier(), domain: core.configuration.signingDomain)
    }

    /// Evidence a peer gossiped: kept (and counted) once it checks out.
    func receive(_ found: Evidence<LedgerConsensus>) {
        let found = Self.normalized(found)
        let height = switch found {
        case .conflictingVotes(let vote, _): vote.height
        case .conflictingProposals(let proposal, _): proposal.height
        }
        // Only around the current height: older sets would have to be read from old states,
        // which anyone allowed to connect could ask for height after height.
        guard height >= tip.nextHeight - min(tip.nextHeight, 2), height <= tip.nextHeight + 1,
              signers(at: height)?.contains(found.validator) == true, !evidence.contains(found),
              found.isValid(verifier: ConsensusSignatureVerifier(), domain: core.configuration.signingDomain) else { return }
        keep(found)
    }

    /// The pair in one order (by signature), so (a, b) and (b, a) are one piece of evidence.
    static func normalized(_ evidence: Evidence<LedgerConsensus>) -> Evidence<LedgerConsensus> {
        switch evidence {
        case .conflictingVotes(let first, let second):
            second.signature.lexicographicallyPrecedes(first.signature) ? .conflictingVotes(second, first) : evidence
        case .conflictingProposals(let first, let second):
            second.signature.lexicographicallyPrecedes(first.signature) ? .conflictingProposals(second, first) : evidence
        }
    }

    private func keep(_ found: Evidence<LedgerConsensus>) {
        let found = Self.normalized(found)
        guard !evidence.contains(found) else { return }
        evidence.append(found)
        if evidence.count > Self.evidenceKept { evidence.removeFirst(evidence.count - Self.evidenceKept) }
        metrics.equivocations.increment()
        log(.warning, "equivocation evidence", ["validator": found.validator, "height": core.height])
    }

    // MARK: The loop

    private func startHeightIfIdle() {
        guard !heightRunning, halted == nil, !stopped else { return }
        let set: ValidatorSet<LedgerConsensus>
        do {
            guard let known = try tip.validators(forHeight: tip.nextHeight)?.set else {
                return halt("the validator set of height \(tip.nextHeight) is not known")
            }
            set = known
        } catch { return halt(error.description) }
        heightRunning = true
        heightStartedAt = monotonicMilliseconds()
        inputs.append(.startHeight(tip.nextHeight, validators: set))
    }

    /// Feeds queued inputs to the core one at a time and carries out each one's actions, in
    /// order, before the next input. Re-entrant calls return at once: the running loop takes
    /// what they queued.
    private func drain() {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        var next = 0
        while next < inputs.count, halted == nil, !stopped {
            let input = inputs[next]
            next += 1
            for action in core.handle(input) {
                guard halted == nil else { break }
                perform(action)
            }
        }
        inputs.removeAll(keepingCapacity: true)
    }

    private func perform(_ action: Core.Action) {
        switch action {
        case .persist(let state):
            // The blocks of its own proposals and of its lock and valid value: after a restart the
            // node re-sends, and can commit, exactly these without fetching them.
            var hashes: [Hash32] = state.ownProposals.map(\.value)
            for value in [state.lockedValue, state.validValue].compactMap({ $0 }) where !hashes.contains(value) {
                hashes.append(value)
            }
            let blocks = hashes.compactMap { tip.block($0) }
            do { try consensusLog.write(ConsensusEncoding.encode(state, proposedBlocks: blocks)) } catch {
                halt("cannot write the consensus log: \(error)")
            }
        case .broadcast(let message):
            if case .proposal(let proposal) = message, proposal.proposer == core.validator,
               let block = tip.block(proposal.value) {
                network.broadcast(block)
            }
            network.broadcast(message)
        case .requestValue(let height, let round):
            valueRequest = (height, round)
            answerValueRequestIfDue()
        case .validate(let value, let height, _):
            pendingVerdicts[value] = height
            resolve(value)
        case .scheduleTimeout(let timeout, let milliseconds):
            var delay = UInt64(max(milliseconds, 0))
            if timeout.kind == .propose { delay += pacingAllowance() }
            after(milliseconds: delay) { driver in
                guard timeout.height == driver.core.height else { return }
                driver.inputs.append(.timeoutExpired(timeout))
            }
        case .decide(let decision):
            commit(decision)
        case .reportEvidence(let found):
            keep(found)
            network.broadcast(found)
        }
    }

    // MARK: Values

    /// Builds this validator's block when it is due and answers the core's request with it.
    private func answerValueRequestIfDue() {
        guard let request = valueRequest, halted == nil, !stopped else { return }
        guard request.height == core.height, request.round == core.round, request.height == tip.nextHeight else {
            valueRequest = nil
            return
        }
        if !proposeWithoutWaiting {
            guard automatic else { return }
            let decision = schedule.decide(nowMilliseconds: clock.nowMilliseconds(), lastBlockMs: tip.head.timestampMs,
                                           hasPendingTransactions: pool.counts.pending > 0)
            if case .wait(let due) = decision {
                pacingGeneration += 1
                let generation = pacingGeneration
                let delay = due > clock.nowMilliseconds() ? due - clock.nowMilliseconds() : 0
                after(milliseconds: delay) { driver in
                    guard generation == driver.pacingGeneration else { return }
                    driver.answerValueRequestIfDue()
                }
                return
            }
        }
        valueRequest = nil
        pacingGeneration += 1
        let builtFrom = monotonicMilliseconds()
        do {
            let block = try tip.build(height: request.height, round: request.round, proposer: core.validator,
                                      nowMilliseconds: clock.nowMilliseconds(),
                                      proposal: pool.proposal(maxCount: maximumTransactionsPerBlock,
                                                              maxGas: tip.checks.genesis.gasLimit))
            buildMilliseconds = monotonicMilliseconds() &- builtFrom
            inputs.append(.proposeValue(block.hash, height: request.height, round: request.round))
        } catch {
            halt("cannot build block \(request.height): \(error)")
        }
    }

    /// How much later than its base the propose timeout fires: until the proposer is due at the
    /// latest (an empty block `emptyBlockPeriodMs` after the parent), so waiting for
    /// transactions is never mistaken for a silent proposer.
    private func pacingAllowance() -> UInt64 {
        let due = tip.head.timestampMs &+ schedule.emptyBlockPeriodMs
        let now = clock.nowMilliseconds()
        return due > now ? due - now : 0
    }

    /// Answers the core about `hash` if the verdict is known; otherwise fetches the block or
    /// waits for the clock, and answers later.
    private func resolve(_ hash: Hash32) {
        guard let height = pendingVerdicts[hash], height == core.height, height == tip.nextHeight else {
            pendingVerdicts[hash] = nil
            return
        }
        switch tip.verdict(on: hash, certified: certified.contains(hash), nowMilliseconds: clock.nowMilliseconds()) {
        case .valid:
            pendingVerdicts[hash] = nil
            inputs.append(.validationResult(hash, height: height, isValid: true))
        case .invalid:
            pendingVerdicts[hash] = nil
            inputs.append(.validationResult(hash, height: height, isValid: false))
        case .fault(let reason):
            halt("cannot read this node's state to check block \(hash): \(reason)")
        case .missing:
            if requestedBlocks.insert(hash).inserted { network.requestBlock(hash, height: height) }
        case .notBefore(let time):
            let now = clock.nowMilliseconds()
            let delay = time > now ? time - now : 0
            log(.info, "proposed block is ahead of this node's clock; waiting", ["hash": hash, "waitMs": delay])
            after(milliseconds: delay) { driver in driver.resolve(hash) }
        }
    }

    /// Runs `body` on the queue after `milliseconds`, then drains what it queued; not at all
    /// once the driver stopped, halted or is gone (the node was released).
    private func after(milliseconds: UInt64, _ body: @escaping @Sendable (ConsensusDriver) -> Void) {
        queue.asyncAfter(milliseconds: milliseconds) { [weak self] in
            guard let self, !stopped, halted == nil else { return }
            body(self)
            drain()
        }
    }

    // MARK: Round catch-up

    /// Every `rebroadcastIntervalMs`, a validator whose height, round and step have not moved
    /// sends again what it signed at this height (with its proposed block) and the decision of the
    /// head (with the block): a peer that missed them — it was starting, reconnecting, or a
    /// height behind — catches up, and no round waits forever on a message lost once. Receivers
    /// drop what they already hold.
    private func armRebroadcast() {
        guard !rebroadcasting else { return }
        rebroadcasting = true
        after(milliseconds: rebroadcastIntervalMs) { driver in
            driver.rebroadcasting = false
            driver.rebroadcastIfStuck()
            driver.armRebroadcast()
        }
    }

    private func rebroadcastIfStuck() {
        guard core.validators != nil else { return }
        let mark = Progress(height: core.height, round: core.round, step: core.step)
        defer { lastProgress = mark }
        guard mark == lastProgress else { return }
        let held = core.persistentState
        log(.debug, "no progress since the last rebroadcast; sending again", [
            "height": mark.height, "round": mark.round, "step": "\(mark.step)", "lockedRound": held.lockedRound,
            "lockedValue": held.lockedValue.map { "\($0)" } ?? "none", "validRound": held.validRound,
            "awaitedVerdicts": pendingVerdicts.count, "awaitedCommit": pendingCommit.map { "\($0.hash)" } ?? "none"])
        // Blocks asked for once and still missing (a lost answer) are asked for again.
        requestedBlocks = []
        for hash in pendingVerdicts.keys.sorted(by: { $0.bytes.lexicographicallyPrecedes($1.bytes) }) { resolve(hash) }
        if let waiting = pendingCommit { network.requestBlock(waiting.hash, height: tip.nextHeight) }
        if let (decision, block) = lastDecision {
            network.broadcast(block)
            network.broadcast(commit: decision)
        }
        let state = core.persistentState
        for proposal in state.ownProposals {
            if let block = tip.block(proposal.value) { network.broadcast(block) }
            network.broadcast(.proposal(proposal))
        }
        for vote in state.ownVotes { network.broadcast(.vote(vote)) }
        // The polka behind the valid value, others' votes included: Tendermint's liveness needs
        // every message one correct node received to reach the others, also when its signer
        // is gone (found by the node simulation: a validator running twice, locked peers, rounds
        // forever).
        // Once per round: a stuck round sends it again in the next one.
        if polkaSentInRound.map({ $0 != (mark.height, mark.round) }) ?? true {
            polkaSentInRound = (mark.height, mark.round)
            for vote in core.validValuePolka where vote.validator != core.validator { network.broadcast(.vote(vote)) }
        }
    }

    // MARK: Commit

    private func commit(_ decision: Decision<LedgerConsensus>) {
        finishHeight(hash: decision.value, certificate: ConsensusEncoding.encode(decision.certificate),
                     round: decision.certificate.round, decision: decision)
    }

    /// Commits the block of the current height (decided here, or certified by the others) and
    /// starts the next height.
    private func finishHeight(hash: Hash32, certificate: [UInt8], round: Int, decision: Decision<LedgerConsensus>?) {
        // Decided without having executed the block here (e.g. locked on it before a restart):
        // it is certified, so execute it now, or fetch it and finish when it arrives.
        switch tip.verdict(on: hash, certified: true, nowMilliseconds: clock.nowMilliseconds()) {
        case .valid:
            break
        case .missing, .notBefore:
            pendingCommit = PendingCommit(hash: hash, certificate: certificate, round: round, decision: decision)
            network.requestBlock(hash, height: tip.nextHeight)
            return
        case .invalid(let reason):
            return halt("block \(tip.nextHeight) (\(hash)) is certified by the validators but invalid here: \(reason)")
        case .fault(let reason):
            return halt("cannot read this node's state to commit block \(hash): \(reason)")
        }
        let committedFrom = monotonicMilliseconds()
        let signers = (try? tip.validators(forHeight: tip.nextHeight))??.set
        let decided: ExecutedBlock
        do { decided = try tip.commit(hash, certificate: certificate) } catch {
            return halt("cannot commit block \(tip.nextHeight): \(error)")
        }
        heightRunning = false
        valueRequest = nil
        proposeWithoutWaiting = false
        pendingVerdicts = [:]
        requestedBlocks = []
        certified = []
        relayedThisHeight = []
        let committedAt = monotonicMilliseconds()
        let block = decided.block
        metrics.round.record(round)
        metrics.roundsPerHeight.record(round + 1)
        metrics.heightTime.recordMilliseconds(Int64(clamping: committedAt &- heightStartedAt))
        if let signers, let signed = try? ConsensusEncoding.decodeCertificate(certificate) {
            let present = Set(signed.signatures.map(\.validator))
            for member in signers.validators where !present.contains(member.id) {
                metrics.missedPrecommit(by: member.id.checksummed)
            }
        }
        metrics.buildTime.recordMilliseconds(Int64(clamping: buildMilliseconds))
        metrics.commitTime.recordMilliseconds(Int64(clamping: committedAt &- committedFrom))
        log(.info, "committed block", ["number": block.number, "hash": tip.headHash, "transactions": block.transactions.count,
                                       "gasUsed": block.header.gasUsed, "round": round, "synced": decision == nil,
                                       "proposer": block.header.proposer, "heightMs": committedAt &- heightStartedAt,
                                       "buildMs": buildMilliseconds, "commitMs": committedAt &- committedFrom])
        buildMilliseconds = 0
        lastDecision = decision.map { ($0, block) }
        didCommit(decided)
        forgetSyncAhead(below: tip.nextHeight)
        // Decided here: this node is at the live height, whatever a peer claimed.
        if decision != nil { syncTarget = min(syncTarget, tip.head.number) }
        syncProgress()
        // After a catch-up the core must follow the tip even in manual mode.
        if !startingHeightsLater, automatic || decision == nil { startHeightIfIdle() }
    }

    // MARK: Faults

    /// A message signed with this validator's key that this process did not sign: the same key
    /// runs on another host (or an old copy of this one). Signing on would risk equivocation.
    private func secondSigner(_ message: ConsensusMessage<LedgerConsensus>) -> String? {
        guard message.height >= core.height, core.validators != nil else { return nil }
        guard isAuthentic(message) else { return nil } // a forgery; the core drops it
        let state = core.persistentState
        let ours: Bool = switch message {
        case .proposal(let proposal): state.height == proposal.height && state.ownProposals.contains(proposal)
        case .vote(let vote): state.height == vote.height && state.ownVotes.contains(vote)
        }
        guard !ours else { return nil }
        return "a \(message.kindName) for height \(message.height) round \(message.round) signed with this validator's key "
            + "was not signed by this process: another node runs with the same key. Stop one of them."
    }

    func halt(_ reason: String) {
        guard halted == nil else { return }
        halted = reason
        heightRunning = false
        log(.error, "block production halted", ["reason": reason])
        didHalt(reason)
    }

    /// The queue's monotonic time (simulated time in the node simulation).
    private func monotonicMilliseconds() -> UInt64 { queue.uptimeMilliseconds }
}

extension ConsensusMessage {
    var kindName: String {
        switch self {
        case .proposal: "proposal"
        case .vote(let vote): vote.type == .prevote ? "prevote" : "precommit"
        }
    }
}
