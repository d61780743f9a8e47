// Telling others that a block was committed: the RPC server's subscription hub pushes newHeads
// and logs notifications from here. Observers run on the node's queue, right after the store
// has the block, so they must be quick (the hub only queues notifications).
import Execution
import LedgerTypes

/// A block as the node committed it: the block, its transactions with senders, and what running
/// them produced (receipts, contract addresses).
public struct CommittedBlock: Sendable {
    public var block: Block
    public var transactions: [RecoveredTransaction]
    public var execution: BlockExecution
}

extension LedgerNode {
    /// Calls `observer` after each commit, in commit order, from the node's queue.
    public func observeCommits(_ observer: @escaping @Sendable (CommittedBlock) -> Void) {
        commitObservers.withLock { $0.append(observer) }
    }

    func notifyCommitObservers(_ committed: CommittedBlock) {
        let observers = commitObservers.withLock { $0 }
        for observer in observers { observer(committed) }
    }
}
