// The node's transaction pool on a queue of its own: admission, the pending views, the next
// block's proposal and the clean-up after a commit. A height holds the node's queue for the
// whole build, execute and commit; admission used to wait behind it, and now only waits for
// the short moments when the height takes its proposal and hands back what it included.
// The pool reads accounts from the head state (a cache miss reads RocksDB), so it runs on its
// own dispatch queue, never on Swift's cooperative pool (DESIGN.md §7).
import Dispatch
import Execution
import LedgerPrimitives
import LedgerTypes
import Mempool
import Synchronization

final class TransactionPool: @unchecked Sendable {
    // `@unchecked`: `mempool` and `accounts` are touched only on `queue`.
    private let queue = DispatchQueue(label: "d6g.node.pool", qos: .userInitiated)
    private var mempool: Mempool
    private var accounts: HeadAccounts
    /// Pending and queued counts, readable without the queue (status, the block schedule).
    private let published = Mutex((pending: 0, queued: 0))
    private let metrics = NodeMetrics()

    init(configuration: MempoolConfiguration, headState: TrieStateReader, log: NodeLog) {
        mempool = Mempool(configuration: configuration)
        accounts = HeadAccounts(state: headState, log: log)
    }

    var counts: (pending: Int, queued: Int) { published.withLock { $0 } }

    /// Admits transactions in order, one result each.
    func admit(_ transactions: [RecoveredTransaction]) async -> [Result<Hash32, MempoolError>] {
        await onQueue { pool in
            var results: [Result<Hash32, MempoolError>] = []
            results.reserveCapacity(transactions.count)
            for transaction in transactions {
                do throws(MempoolError) {
                    try pool.mempool.admit(transaction, state: pool.accounts)
                    results.append(.success(transaction.hash))
                } catch {
                    pool.metrics.rejected(error)
                    results.append(.failure(error))
                }
            }
            pool.publishCounts()
            return results
        }
    }

    /// The nonce the next transaction of `address` should carry, counting the pool.
    func pendingNonce(of address: Address) async -> UInt64 {
        await onQueue { pool in pool.mempool.pendingNonce(of: address, state: pool.accounts) }
    }

    func transaction(hash: Hash32) async -> RecoveredTransaction? {
        await onQueue { pool in pool.mempool.transaction(hash: hash) }
    }

    /// The pool's recovered copies of these transactions, where it holds them (called on the
    /// node's queue): a peer's block is mostly transactions gossiped here before, whose senders
    /// were recovered on arrival, and recovering them again costs ~30 µs each on every node.
    func recovered(_ transactions: [SignedTransaction]) -> [RecoveredTransaction?] {
        queue.sync {
            transactions.map { transaction in
                mempool.transaction(hash: transaction.hash).flatMap { $0.transaction == transaction ? $0 : nil }
            }
        }
    }

    /// The transactions for the next block, best first (called on the node's queue).
    func proposal(maxCount: Int, maxGas: UInt64) -> [RecoveredTransaction] {
        queue.sync { mempool.pendingTransactions(maxCount: maxCount, maxGas: maxGas) }
    }

    /// After a commit (on the node's queue): the block's transactions leave the pool, accounts
    /// move to the new head state, and with a floating base fee or changed permissions the pool
    /// checks everything it holds again.
    func didCommit(_ removed: [RecoveredTransaction], headState: TrieStateReader, diff: StateDiff, baseFee: UInt256?) {
        queue.sync {
            let permissionsChanged = accounts.advance(to: headState, applying: diff)
            mempool.removeIncluded(removed, headState: accounts)
            if let baseFee {
                mempool.reset(headState: accounts, baseFee: baseFee)
            } else if permissionsChanged {
                // A revoked sender's or deployer's waiting transactions leave the pool now.
                mempool.reset(headState: accounts)
            }
            publishCounts()
        }
    }

    private func publishCounts() {
        let counts = (pending: mempool.pendingCount, queued: mempool.queuedCount)
        published.withLock { $0 = counts }
        metrics.pending.record(counts.pending)
        metrics.queued.record(counts.queued)
    }

    private func onQueue<T: Sendable>(_ body: @escaping @Sendable (TransactionPool) -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { [self] in continuation.resume(returning: body(self)) }
        }
    }
}

/// The head state as the mempool sees it: accounts read once from the trie and then kept up to
/// date from each block's diff, so admission rarely touches storage.
final class HeadAccounts: MempoolAccountView {
    private var state: TrieStateReader
    private var cache: [Address: MempoolAccount] = [:]
    private let log: NodeLog
    /// Bounds memory; the cache refills from the trie.
    private let capacity = 1 << 20

    init(state: TrieStateReader, log: NodeLog) {
        self.state = state
        self.log = log
    }

    func mempoolAccount(of address: Address) -> MempoolAccount {
        if let cached = cache[address] { return cached }
        let account: MempoolAccount
        do {
            let stored = try state.account(at: address)
            account = MempoolAccount(nonce: stored?.nonce ?? 0, balance: stored?.balance ?? .zero,
                                     maySend: try Permissions.maySend(address, in: state),
                                     mayDeploy: try Permissions.mayDeploy(address, in: state))
        } catch {
            // The pool's view may not fail; an unreadable account admits nothing at all.
            log(.error, "cannot read an account for the mempool", ["address": address, "error": error])
            return MempoolAccount(maySend: false, mayDeploy: false)
        }
        if cache.count >= capacity { cache.removeAll(keepingCapacity: true) }
        cache[address] = account
        return account
    }

    /// Moves to the state after a block; true when the block changed the permissions, so that
    /// every pooled transaction must be checked again.
    func advance(to newState: TrieStateReader, applying diff: StateDiff) -> Bool {
        state = newState
        if diff.storage[Permissions.address] != nil {
            cache.removeAll(keepingCapacity: true)
            return true
        }
        for (address, account) in diff.accounts {
            guard let cached = cache[address] else { continue }
            cache[address] = MempoolAccount(nonce: account.nonce, balance: account.balance,
                                            maySend: cached.maySend, mayDeploy: cached.mayDeploy)
        }
        for address in diff.deletedAccounts { cache[address] = nil }
        return false
    }
}
