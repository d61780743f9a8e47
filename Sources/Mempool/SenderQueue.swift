// One sender's transactions in nonce order. The prefix that runs without a gap from the
// sender's nonce at the head is pending (executable now); everything after a gap is queued.
import LedgerPrimitives
import LedgerTypes

/// A pooled transaction with the fields the pool compares over and over, read out of the
/// transaction enum once.
struct PooledTransaction {
    let recovered: RecoveredTransaction
    let nonce: UInt64
    let gasLimit: UInt64
    let maxFeePerGas: UInt256
    let maxPriorityFeePerGas: UInt256
    /// gasLimit × maxFeePerGas + value: the most the transaction can take from the sender.
    let cost: UInt256
    /// Arrival order: breaks price ties, oldest first for proposals, newest first for eviction.
    let sequence: UInt64
    /// min(tip, fee cap − base fee) at the pool's base fee: the proposer's priority.
    var effectiveTip: UInt256

    init(_ recovered: RecoveredTransaction, cost: UInt256, sequence: UInt64, baseFee: UInt256) {
        let transaction = recovered.transaction
        self.recovered = recovered
        self.nonce = transaction.nonce
        self.gasLimit = transaction.gasLimit
        self.maxFeePerGas = transaction.maxFeePerGas
        self.maxPriorityFeePerGas = transaction.maxPriorityFeePerGas
        self.cost = cost
        self.sequence = sequence
        self.effectiveTip = .zero
        self.effectiveTip = tip(atBaseFee: baseFee)
    }

    func tip(atBaseFee baseFee: UInt256) -> UInt256 {
        let (headroom, below) = maxFeePerGas.subtractingReportingOverflow(baseFee)
        return below ? .zero : Swift.min(headroom, maxPriorityFeePerGas)
    }

    /// gasLimit × maxFeePerGas + value, or nil past 2^256 (no balance covers it).
    static func cost(of transaction: SignedTransaction) -> UInt256? {
        let (high, gasCost) = transaction.maxFeePerGas.multipliedFullWidth(by: transaction.gasLimit)
        guard high == 0 else { return nil }
        let (total, overflow) = gasCost.addingReportingOverflow(transaction.value)
        return overflow ? nil : total
    }
}

struct SenderQueue {
    /// The sender's nonce at the head as the pool last saw it.
    private(set) var stateNonce: UInt64
    /// Sorted by nonce, one transaction per nonce, every nonce ≥ `stateNonce`.
    private(set) var transactions: [PooledTransaction] = []
    /// `transactions[..<pendingCount]` carry nonces stateNonce, stateNonce + 1, … without a gap.
    private(set) var pendingCount = 0
    /// Sum of `cost` over `transactions`, checked against the balance at admission.
    private(set) var totalCost: UInt256 = .zero

    init(stateNonce: UInt64) { self.stateNonce = stateNonce }

    var count: Int { transactions.count }
    var queuedCount: Int { transactions.count - pendingCount }
    var isEmpty: Bool { transactions.isEmpty }
    /// The nonce a new transaction needs to be pending.
    var nextPendingNonce: UInt64 { stateNonce + UInt64(pendingCount) }
    var tail: PooledTransaction? { transactions.last }
    var tailIsQueued: Bool { pendingCount < transactions.count }

    /// Where `nonce` is or would go.
    func position(of nonce: UInt64) -> (index: Int, found: Bool) {
        // Pending nonces are contiguous, so most lookups need no search.
        if nonce >= stateNonce, nonce - stateNonce < UInt64(pendingCount) {
            return (Int(nonce - stateNonce), true)
        }
        var low = pendingCount, high = transactions.count
        while low < high {
            let middle = (low + high) / 2
            if transactions[middle].nonce < nonce { low = middle + 1 } else { high = middle }
        }
        return (low, low < transactions.count && transactions[low].nonce == nonce)
    }

    func transaction(withNonce nonce: UInt64) -> PooledTransaction? {
        let (index, found) = position(of: nonce)
        return found ? transactions[index] : nil
    }

    /// Adds a transaction whose nonce is new to the queue; returns how many queued
    /// transactions it promoted to pending by filling a gap.
    mutating func insert(_ transaction: PooledTransaction) -> Int {
        let (index, _) = position(of: transaction.nonce)
        transactions.insert(transaction, at: index)
        totalCost &+= transaction.cost
        guard index == pendingCount, transaction.nonce == nextPendingNonce else { return 0 }
        let before = pendingCount
        extendPending()
        return pendingCount - before - 1
    }

    /// Swaps the transaction with the same nonce for `transaction`; returns the old one.
    mutating func replace(_ transaction: PooledTransaction) -> PooledTransaction {
        let (index, _) = position(of: transaction.nonce)
        let old = transactions[index]
        transactions[index] = transaction
        totalCost = (totalCost &- old.cost) &+ transaction.cost
        return old
    }

    /// Removes the highest-nonce transaction (eviction keeps nonce order valid this way).
    mutating func removeTail() -> PooledTransaction {
        let removed = transactions.removeLast()
        totalCost &-= removed.cost
        pendingCount = Swift.min(pendingCount, transactions.count)
        return removed
    }

    /// Moves to the head's `nonce` and keeps the transactions `keep` accepts, dropping those
    /// below the nonce; returns what it dropped. A dropped transaction leaves a gap: its
    /// successors turn queued.
    mutating func rebase(stateNonce nonce: UInt64, keep: (PooledTransaction) -> Bool = { _ in true })
        -> [PooledTransaction] {
        stateNonce = nonce
        var dropped: [PooledTransaction] = []
        var kept: [PooledTransaction] = []
        kept.reserveCapacity(transactions.count)
        totalCost = .zero
        for transaction in transactions {
            if transaction.nonce >= nonce && keep(transaction) {
                kept.append(transaction)
                totalCost &+= transaction.cost
            } else {
                dropped.append(transaction)
            }
        }
        transactions = kept
        pendingCount = 0
        extendPending()
        return dropped
    }

    /// Re-prices every transaction for a new base fee.
    mutating func reprice(baseFee: UInt256) {
        for index in transactions.indices {
            transactions[index].effectiveTip = transactions[index].tip(atBaseFee: baseFee)
        }
    }

    private mutating func extendPending() {
        while pendingCount < transactions.count,
              transactions[pendingCount].nonce == stateNonce + UInt64(pendingCount) {
            pendingCount += 1
        }
    }
}
