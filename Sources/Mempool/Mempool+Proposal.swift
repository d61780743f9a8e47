// What the proposer takes from the pool: executable transactions, each sender's in nonce order,
// senders interleaved by effective tip. Docs/mempool.md §Proposals.
import LedgerPrimitives
import LedgerTypes

extension Mempool {
    /// Up to `maxCount` pending transactions whose gas limits sum to at most `maxGas` (the
    /// block gas limit by default). A heap over the senders' next transactions picks the highest
    /// effective tip, ties going to the earlier arrival, so the order is deterministic for a
    /// given pool. A sender whose next transaction does not fit the remaining gas is skipped
    /// whole: its later nonces cannot run before it. Nothing is removed; `removeIncluded` does
    /// that once the block commits.
    public func pendingTransactions(maxCount: Int = .max, maxGas: UInt64? = nil) -> [RecoveredTransaction] {
        var gasLeft = maxGas ?? configuration.blockGasLimit
        guard maxCount > 0 else { return [] }
        // Each sender's pending run, held by reference so nothing is copied.
        var lanes: [ArraySlice<PooledTransaction>] = []
        var heads: [ProposalCandidate] = []
        lanes.reserveCapacity(senders.count)
        heads.reserveCapacity(senders.count)
        for queue in senders.values where queue.pendingCount > 0 {
            let lane = queue.transactions[..<queue.pendingCount]
            heads.append(ProposalCandidate(tip: lane[0].effectiveTip, sequence: lane[0].sequence,
                                           lane: lanes.count, position: 0))
            lanes.append(lane)
        }
        var order = BinaryHeap(heads)
        var selected: [RecoveredTransaction] = []
        selected.reserveCapacity(Swift.min(maxCount, pendingCount))
        while selected.count < maxCount, gasLeft >= IntrinsicGas.transaction, let next = order.popMin() {
            let lane = lanes[next.lane]
            let transaction = lane[lane.startIndex + next.position]
            guard transaction.gasLimit <= gasLeft else { continue }
            selected.append(transaction.recovered)
            gasLeft -= transaction.gasLimit
            let position = next.position + 1
            if position < lane.count {
                let following = lane[lane.startIndex + position]
                order.push(ProposalCandidate(tip: following.effectiveTip, sequence: following.sequence,
                                             lane: next.lane, position: position))
            }
        }
        return selected
    }
}

/// A sender's next transaction in a proposal. `<` means "taken first": the higher effective
/// tip, then the earlier arrival.
struct ProposalCandidate: Comparable {
    let tip: UInt256
    let sequence: UInt64
    let lane: Int
    let position: Int

    static func < (a: ProposalCandidate, b: ProposalCandidate) -> Bool {
        a.tip != b.tip ? a.tip > b.tip : a.sequence < b.sequence
    }
}
