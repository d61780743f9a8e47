// The transaction pool: admission of recovered transactions, per-sender nonce queues (pending
// and queued), replacement with a price bump, limits with eviction, and the updates after each
// block. Docs/mempool.md.
//
// Every operation is O(log n) or O(k) in one sender's transactions (k ≤ maximumPerSender):
// hashes and senders are dictionary lookups, eviction uses a heap over senders' last
// transactions, and a block touches only the queues of the senders it included.
import LedgerPrimitives
import LedgerTypes

/// A pool of transactions waiting for a block.
///
/// A value type with no locking: the node owns one pool and uses it from one serial executor
/// (its actor or queue). Sender recovery is never done here: callers hand in
/// `RecoveredTransaction`s, recovered once when the bytes arrived.
public struct Mempool: Sendable {
    public private(set) var configuration: MempoolConfiguration

    var senders: [Address: SenderQueue] = [:]
    /// Where each pooled transaction sits, for lookups by hash.
    private var locations: [Hash32: Location] = [:]
    /// Eviction candidates: every sender's last transaction. Entries go stale when a tail
    /// changes; they are skipped when met and swept out when they outnumber the live ones.
    private var evictionOrder = BinaryHeap<EvictionCandidate>()
    private var nextSequence: UInt64 = 0

    /// Transactions that can run now, in every sender's gap-free run from its head nonce.
    public private(set) var pendingCount = 0
    /// Transactions behind a nonce gap.
    public private(set) var queuedCount = 0

    public init(configuration: MempoolConfiguration) {
        self.configuration = configuration
    }

    public var count: Int { pendingCount + queuedCount }
    public var isEmpty: Bool { count == 0 }

    // MARK: Admission

    /// What admitting a transaction did to the pool.
    public struct Admission: Sendable {
        public enum Placement: Sendable, Hashable { case pending, queued }
        /// Where the transaction went: pending (next in its sender's nonce run) or queued.
        public let placement: Placement
        /// The transaction with the same sender and nonce that this one replaced.
        public let replaced: RecoveredTransaction?
        /// Transactions evicted to make room.
        public let evicted: [RecoveredTransaction]
        /// Queued transactions of the same sender that became pending because this one filled
        /// their gap.
        public let promoted: Int
    }

    /// Admits `transaction` if it passes every rule, checked in a fixed order (cheapest and
    /// most telling first); throws the first rule it breaks. `state` is the head state.
    @discardableResult
    public mutating func admit(_ transaction: RecoveredTransaction, state: some MempoolAccountView)
        throws(MempoolError) -> Admission {
        let hash = transaction.hash
        let signed = transaction.transaction
        let sender = transaction.sender
        guard locations[hash] == nil else { throw .alreadyKnown }
        let size = signed.encoded.count
        guard size <= configuration.maximumTransactionSize else {
            throw .oversizedData(size: size, limit: configuration.maximumTransactionSize)
        }
        // RecoveredTransaction checked the chain id it was recovered for; the pool checks it is
        // this chain's, since a trusted initializer can carry any.
        if let chainId = signed.chainId {
            guard chainId == configuration.chainId else { throw .invalidChainId(have: chainId, want: configuration.chainId) }
        } else if !configuration.allowsUnprotectedLegacy {
            throw .invalidChainId(have: nil, want: configuration.chainId)
        }
        let account = state.mempoolAccount(of: sender)
        guard account.maySend else { throw .senderNotAllowed(sender) }
        if signed.isContractCreation, !account.mayDeploy { throw .deployNotAllowed(sender) }
        guard signed.gasLimit <= configuration.blockGasLimit else {
            throw .exceedsBlockGasLimit(gas: signed.gasLimit, limit: configuration.blockGasLimit)
        }
        let required = configuration.requiredFeePerGas
        guard signed.maxFeePerGas >= required else {
            throw .underpriced(maxFeePerGas: signed.maxFeePerGas, minimum: required)
        }
        guard signed.nonce >= account.nonce else {
            throw .nonceTooLow(sender: sender, nonce: signed.nonce, stateNonce: account.nonce)
        }
        guard let cost = PooledTransaction.cost(of: signed), cost <= account.balance else {
            throw .insufficientFunds(sender: sender, balance: account.balance,
                                     cost: PooledTransaction.cost(of: signed) ?? .max)
        }
        // A head the pool was not told about (a missed block): catch this sender up first.
        // (Read the nonce alone: a bound copy of the queue would make the update copy its storage.)
        if let seen = senders[sender]?.stateNonce, seen != account.nonce {
            resynchronize(sender, with: account)
        }
        let queue = summary(of: sender, nonce: signed.nonce, stateNonce: account.nonce)
        let pooled = PooledTransaction(transaction, cost: cost, sequence: nextSequence,
                                       baseFee: configuration.baseFee)

        if let old = queue.existing {
            try checkBump(of: old, to: pooled)
            let (total, overflow) = (queue.totalCost &- old.cost).addingReportingOverflow(cost)
            guard !overflow, total <= account.balance else {
                throw .insufficientFunds(sender: sender, balance: account.balance, cost: overflow ? .max : total)
            }
            nextSequence += 1
            modifyQueue(of: sender, stateNonce: account.nonce) { _ = $0.replace(pooled) }
            locations[old.recovered.hash] = nil
            locations[hash] = Location(sender: sender, nonce: pooled.nonce)
            return Admission(placement: signed.nonce < queue.nextPendingNonce ? .pending : .queued,
                             replaced: old.recovered, evicted: [], promoted: 0)
        }

        let (total, overflow) = queue.totalCost.addingReportingOverflow(cost)
        guard !overflow, total <= account.balance else {
            throw .insufficientFunds(sender: sender, balance: account.balance, cost: overflow ? .max : total)
        }
        guard queue.count < configuration.maximumPerSender else {
            throw .accountLimitExceeded(sender: sender, limit: configuration.maximumPerSender)
        }
        let isPending = signed.nonce == queue.nextPendingNonce
        guard isPending || queue.queuedCount < configuration.maximumQueuedPerSender else {
            throw .accountLimitExceeded(sender: sender, limit: configuration.maximumQueuedPerSender)
        }
        // Insert first, then evict: whether a transaction is queued depends on the newcomer,
        // which may fill a gap, and the newcomer is a candidate itself if it becomes the tail.
        let pendingBefore = Int(queue.nextPendingNonce - account.nonce)
        nextSequence += 1
        modifyQueue(of: sender, stateNonce: account.nonce) { _ = $0.insert(pooled) }
        var evicted: [RecoveredTransaction] = []
        if count > configuration.maximumTransactions {
            evicted = try makeRoom(admitting: pooled, from: sender)
        }
        locations[hash] = Location(sender: sender, nonce: pooled.nonce)
        sweepEvictionOrderIfStale()
        let pendingAfter = senders[sender]?.pendingCount ?? 0
        return Admission(placement: isPending ? .pending : .queued, replaced: nil, evicted: evicted,
                         promoted: Swift.max(0, pendingAfter - pendingBefore - (isPending ? 1 : 0)))
    }

    /// Geth's rule: both the fee cap and the tip must rise by at least `priceBumpPercent`
    /// (and strictly, so a zero-priced transaction cannot be replaced for free).
    private func checkBump(of old: PooledTransaction, to new: PooledTransaction) throws(MempoolError) {
        func raised(_ new: UInt256, over old: UInt256, percent: UInt64) -> Bool {
            guard old < new else { return false }
            // new × 100 ≥ old × (100 + percent), compared at full width so nothing overflows.
            let scaledNew = new.multipliedFullWidth(by: 100 as UInt64)
            let scaledOld = old.multipliedFullWidth(by: 100 + percent)
            return scaledNew.high != scaledOld.high ? scaledNew.high > scaledOld.high : scaledNew.low >= scaledOld.low
        }
        let percent = configuration.priceBumpPercent
        guard raised(new.maxFeePerGas, over: old.maxFeePerGas, percent: percent),
              raised(new.maxPriorityFeePerGas, over: old.maxPriorityFeePerGas, percent: percent) else {
            throw .replacementUnderpriced
        }
    }

    /// Evicts senders' last transactions, cheapest first (queued before pending), until the
    /// pool is back within its limit. If the just-inserted `newcomer` would be the first to go,
    /// takes it out again and throws `txpoolFull`.
    private mutating func makeRoom(admitting newcomer: PooledTransaction, from sender: Address)
        throws(MempoolError) -> [RecoveredTransaction] {
        var evicted: [RecoveredTransaction] = []
        while count > configuration.maximumTransactions, let candidate = evictionOrder.popMin() {
            guard isCurrent(candidate) else { continue }
            if candidate.sequence == newcomer.sequence {
                modifyQueue(of: sender, stateNonce: 0) { _ = $0.removeTail() }
                throw .txpoolFull
            }
            let victim = modifyQueue(of: candidate.sender, stateNonce: 0) { $0.removeTail() }
            locations[victim.recovered.hash] = nil
            evicted.append(victim.recovered)
        }
        return evicted
    }

    private func isCurrent(_ candidate: EvictionCandidate) -> Bool {
        guard let queue = senders[candidate.sender], let tail = queue.tail else { return false }
        return tail.sequence == candidate.sequence && queue.tailIsQueued == candidate.isQueued
            && tail.effectiveTip == candidate.tip
    }

    // MARK: After a block

    /// Call after a block commits, with its transactions and the new head state: drops what it
    /// included and whatever else its senders can no longer run (nonces now used, costs above
    /// the new balance), and re-sorts their remaining transactions into pending and queued.
    /// Only the block's senders are touched: an account's nonce and, for the externally owned
    /// accounts that send, its spending, change only through its own transactions.
    public mutating func removeIncluded(_ transactions: some Sequence<RecoveredTransaction>,
                                        headState: some MempoolAccountView) {
        var seen = Set<Address>()
        for transaction in transactions where seen.insert(transaction.sender).inserted {
            guard senders.index(forKey: transaction.sender) != nil else { continue }
            resynchronize(transaction.sender, with: headState.mempoolAccount(of: transaction.sender))
        }
        sweepEvictionOrderIfStale()
    }

    /// Re-checks every pooled transaction against `headState` (and a new base fee, if given):
    /// for a restart, a changed base fee or allowlist, or any head change the pool did not see
    /// block by block. O(n).
    public mutating func reset(headState: some MempoolAccountView, baseFee: UInt256? = nil) {
        if let baseFee, baseFee != configuration.baseFee {
            configuration.baseFee = baseFee
            for sender in Array(senders.keys) {
                modifyQueue(of: sender, stateNonce: 0) { $0.reprice(baseFee: baseFee) }
            }
        }
        for sender in Array(senders.keys) {
            resynchronize(sender, with: headState.mempoolAccount(of: sender))
        }
        rebuildEvictionOrder()
    }

    /// Brings one sender's queue to `account`: drops transactions below its nonce and those the
    /// pool would no longer admit (cost above the balance, gas above the block limit, fee cap
    /// below the required price, sender or deployment not allowed).
    private mutating func resynchronize(_ sender: Address, with account: MempoolAccount) {
        let configuration = self.configuration
        let required = configuration.requiredFeePerGas
        let senderAllowed = account.maySend
        let deployAllowed = account.mayDeploy
        let dropped = modifyQueue(of: sender, stateNonce: account.nonce) { queue in
            queue.rebase(stateNonce: account.nonce) { transaction in
                senderAllowed && transaction.cost <= account.balance
                    && transaction.gasLimit <= configuration.blockGasLimit
                    && transaction.maxFeePerGas >= required
                    && (deployAllowed || !transaction.recovered.transaction.isContractCreation)
            }
        }
        for transaction in dropped { locations[transaction.recovered.hash] = nil }
    }

    // MARK: Queries

    /// The pooled transaction with this hash.
    public func transaction(hash: Hash32) -> RecoveredTransaction? {
        guard let location = locations[hash] else { return nil }
        return senders[location.sender]?.transaction(withNonce: location.nonce)?.recovered
    }

    public func contains(_ hash: Hash32) -> Bool { locations[hash] != nil }

    /// The nonce `address`'s next transaction should carry, counting its pending ones
    /// (eth_getTransactionCount with "pending").
    public func pendingNonce(of address: Address, state: some MempoolAccountView) -> UInt64 {
        let nonce = state.mempoolAccount(of: address).nonce
        guard let queue = senders[address] else { return nonce }
        if queue.stateNonce == nonce { return queue.nextPendingNonce }
        // The view is at a head the pool has not caught up with: count the run from there.
        var (index, found) = queue.position(of: nonce)
        var next = nonce
        while found, index < queue.count, queue.transactions[index].nonce == next {
            next += 1
            index += 1
        }
        return next
    }

    /// One sender's transactions, each part in nonce order.
    public struct SenderTransactions: Sendable {
        public let pending: [RecoveredTransaction]
        public let queued: [RecoveredTransaction]
    }

    /// `address`'s pooled transactions (txpool_content's view of one account).
    public func transactions(from address: Address) -> SenderTransactions {
        guard let queue = senders[address] else { return SenderTransactions(pending: [], queued: []) }
        let all = queue.transactions.map(\.recovered)
        return SenderTransactions(pending: Array(all[..<queue.pendingCount]),
                                  queued: Array(all[queue.pendingCount...]))
    }

    /// Every sender with a transaction in the pool.
    public var senderAddresses: [Address] { Array(senders.keys) }

    // MARK: Internals

    private struct Location: Hashable {
        let sender: Address
        let nonce: UInt64
    }

    /// What admission reads from a sender's queue, copied out so the queue itself is not held
    /// while it is modified (which would copy its storage).
    private struct QueueSummary {
        var existing: PooledTransaction?
        var nextPendingNonce: UInt64
        var count = 0
        var queuedCount = 0
        var totalCost = UInt256.zero
    }

    private func summary(of sender: Address, nonce: UInt64, stateNonce: UInt64) -> QueueSummary {
        guard let queue = senders[sender] else { return QueueSummary(nextPendingNonce: stateNonce) }
        return QueueSummary(existing: queue.transaction(withNonce: nonce), nextPendingNonce: queue.nextPendingNonce, count: queue.count,
                            queuedCount: queue.queuedCount, totalCost: queue.totalCost)
    }

    /// Runs `body` on `sender`'s queue in place (creating it at `stateNonce` if absent), then
    /// keeps the counts, the eviction heap and the sender table in step with what it did.
    @discardableResult
    private mutating func modifyQueue<Result>(of sender: Address, stateNonce: UInt64,
                                              _ body: (inout SenderQueue) -> Result) -> Result {
        let (result, change) = Self.modify(&senders[sender, default: SenderQueue(stateNonce: stateNonce)], body)
        pendingCount += change.pendingDelta
        queuedCount += change.queuedDelta
        if let tail = change.newTail {
            evictionOrder.push(EvictionCandidate(isQueued: change.tailIsQueued, tip: tail.effectiveTip,
                                                 sequence: tail.sequence, sender: sender))
        }
        if change.isEmpty { senders[sender] = nil }
        return result
    }

    private struct QueueChange {
        var pendingDelta: Int
        var queuedDelta: Int
        /// The queue's last transaction if it or its pending/queued standing changed.
        var newTail: PooledTransaction?
        var tailIsQueued: Bool
        var isEmpty: Bool
    }

    private static func modify<Result>(_ queue: inout SenderQueue, _ body: (inout SenderQueue) -> Result)
        -> (Result, QueueChange) {
        let (pendingBefore, queuedBefore) = (queue.pendingCount, queue.queuedCount)
        let tailBefore = queue.tail.map { ($0.sequence, $0.effectiveTip, queue.tailIsQueued) }
        let result = body(&queue)
        var change = QueueChange(pendingDelta: queue.pendingCount - pendingBefore,
                                 queuedDelta: queue.queuedCount - queuedBefore,
                                 newTail: nil, tailIsQueued: queue.tailIsQueued, isEmpty: queue.isEmpty)
        if let tail = queue.tail {
            if let before = tailBefore, before.0 == tail.sequence, before.1 == tail.effectiveTip,
               before.2 == queue.tailIsQueued {
                // Same candidate as before: its heap entry is still right.
            } else {
                change.newTail = tail
            }
        }
        return (result, change)
    }

    /// Drops stale heap entries once they outnumber live ones, keeping the heap O(senders).
    private mutating func sweepEvictionOrderIfStale() {
        if evictionOrder.count > 2 * senders.count + 1_024 { rebuildEvictionOrder() }
    }

    private mutating func rebuildEvictionOrder() {
        var candidates: [EvictionCandidate] = []
        candidates.reserveCapacity(senders.count)
        for (sender, queue) in senders {
            guard let tail = queue.tail else { continue }
            candidates.append(EvictionCandidate(isQueued: queue.tailIsQueued, tip: tail.effectiveTip,
                                                sequence: tail.sequence, sender: sender))
        }
        evictionOrder = BinaryHeap(candidates)
    }
}

/// A sender's last transaction as an eviction candidate. `<` means "evicted first": queued
/// before pending, then the lowest effective tip, then the newest arrival.
struct EvictionCandidate: Comparable, Sendable {
    let isQueued: Bool
    let tip: UInt256
    let sequence: UInt64
    let sender: Address

    static func < (a: EvictionCandidate, b: EvictionCandidate) -> Bool {
        if a.isQueued != b.isQueued { return a.isQueued }
        if a.tip != b.tip { return a.tip < b.tip }
        return a.sequence > b.sequence
    }
}
