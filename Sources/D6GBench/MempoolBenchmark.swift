// d6g-bench mempool: the pool's cost per transaction on one core, for already recovered
// transfers (recovery is the transactions benchmark's business): admission, admission into a
// full pool (every admission evicts), and per block the proposer's pick plus the removal after
// commit. Compared with P4's budget: 10,000 transfers/s leaves 100 µs of one core per transfer.
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Mempool

struct MempoolBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mempool",
        abstract: "Mempool admission, eviction, proposal and removal per transaction, one core (median of several runs)."
    )

    @Option(help: "Timed runs per measurement; the median is reported.")
    var runs = 9

    @Option(help: "Distinct senders.")
    var senders = 1_000

    @Option(help: "Transactions per sender (consecutive nonces).")
    var perSender = 10

    @Option(help: "Transactions per proposed block.")
    var blockSize = 2_000

    func validate() throws {
        guard runs >= 1, senders >= 1, perSender >= 1, blockSize >= 1 else {
            throw ValidationError("runs, senders, per-sender and block size must be positive")
        }
    }

    func run() throws {
        let chainId: UInt64 = 1337
        let keys = (0..<senders).map { _ in PrivateKey.generate() }
        var state = MempoolAccountTable()
        for key in keys { state[key.address] = MempoolAccount(nonce: 0, balance: UInt256(1) << 100) }
        // Arrival order interleaves senders (every sender's nonce 0, then every nonce 1, …), as
        // many clients sending at once would; tips vary so the proposer's heap has work to do.
        var transactions: [RecoveredTransaction] = []
        transactions.reserveCapacity(senders * perSender)
        for nonce in 0..<perSender {
            for (index, key) in keys.enumerated() {
                let tip = UInt256(UInt64(1 + (index * 7 + nonce * 3) % 50) * 1_000_000_000)
                let unsigned = UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
                    chainId: chainId, nonce: UInt64(nonce), maxPriorityFeePerGas: tip,
                    maxFeePerGas: tip &+ UInt256(100_000_000_000), gasLimit: 21_000,
                    to: keys[(index + 1) % senders].address, value: UInt256(UInt64(1_000 + index))))
                transactions.append(try unsigned.signed(with: key).recovered(onChain: chainId))
            }
        }
        let total = transactions.count
        let configuration = MempoolConfiguration(chainId: chainId, blockGasLimit: UInt64(blockSize) * 21_000,
                                                 baseFee: UInt256(1_000_000_000),
                                                 maximumTransactions: Swift.max(50_000, total))
        print("d6g-bench mempool: \(runs) runs, median, one thread, CPU time; \(total) recovered EIP-1559 "
              + "transfers from \(senders) senders, blocks of \(blockSize)")

        // Admission into an empty pool with room for everything.
        let admission = try Self.measure(runs: runs) {
            var pool = Mempool(configuration: configuration)
            let start = threadCPUSeconds()
            for transaction in transactions { try pool.admit(transaction, state: state) }
            let elapsed = threadCPUSeconds() - start
            guard pool.pendingCount == total else { throw ValidationError("pool holds \(pool.pendingCount) of \(total)") }
            return elapsed
        }
        Self.report("admit (room to spare)", seconds: admission, operations: total)

        // Admission into a pool half the size: after the first half every admission evicts
        // (or is refused as the cheapest), the heap path.
        var small = configuration
        small.maximumTransactions = total / 2
        var evictions = 0, refusals = 0
        let crowded = try Self.measure(runs: runs) {
            var pool = Mempool(configuration: small)
            (evictions, refusals) = (0, 0)
            let start = threadCPUSeconds()
            for transaction in transactions {
                do throws(MempoolError) {
                    evictions += try pool.admit(transaction, state: state).evicted.count
                } catch .txpoolFull {
                    refusals += 1
                }
            }
            return threadCPUSeconds() - start
        }
        Self.report("admit (full pool: evict or refuse)", seconds: crowded, operations: total)
        print("  in the full-pool run: \(evictions) evictions, \(refusals) refused as the cheapest")

        // Blocks: the proposer's pick, then removal after the block commits, until the pool is
        // empty. Applying the block to the state view is execution's work and is not timed.
        var blocks = 0
        var pickSeconds: [Double] = [], removeSeconds: [Double] = []
        for _ in 0...runs {
            var pool = Mempool(configuration: configuration)
            for transaction in transactions { try pool.admit(transaction, state: state) }
            var head = state
            var (pick, remove) = (0.0, 0.0)
            blocks = 0
            while !pool.isEmpty {
                var start = threadCPUSeconds()
                let block = pool.pendingTransactions(maxCount: blockSize)
                pick += threadCPUSeconds() - start
                guard !block.isEmpty else { throw ValidationError("the pool holds transactions but proposes none") }
                for transaction in block {
                    head[transaction.sender].nonce += 1
                    let signed = transaction.transaction
                    head[transaction.sender].balance = head[transaction.sender].balance
                        &- (signed.maxFeePerGas &* UInt256(signed.gasLimit) &+ signed.value)
                }
                start = threadCPUSeconds()
                pool.removeIncluded(block, headState: head)
                remove += threadCPUSeconds() - start
                blocks += 1
            }
            pickSeconds.append(pick)
            removeSeconds.append(remove)
        }
        // The first round warmed up; the rest are the runs.
        let pick = median(Array(pickSeconds.dropFirst()))
        let remove = median(Array(removeSeconds.dropFirst()))
        Self.report("pendingTransactions (per tx)", seconds: pick, operations: total)
        Self.report("removeIncluded (per tx)", seconds: remove, operations: total)
        let perBlock = (pick + remove) / Double(blocks) * 1e6
        print("  per block of \(blockSize): pick + remove \((perBlock * 10).rounded() / 10) µs (\(blocks) blocks)")
        let perTransaction = (admission + pick + remove) / Double(total) * 1e6
        print("  admit + pick + remove per transaction: \((perTransaction * 100).rounded() / 100) µs = "
              + "\((perTransaction / 100 * 1000).rounded() / 10)% of P4's 100 µs budget per transfer")
    }

    /// Median over `runs` timed runs of `body`, which returns the seconds it measured; one
    /// untimed warm-up first.
    private static func measure(runs: Int, _ body: () throws -> Double) throws -> Double {
        _ = try body()
        var seconds: [Double] = []
        for _ in 0..<runs { seconds.append(try body()) }
        return median(seconds)
    }

    private static func report(_ name: String, seconds: Double, operations: Int) {
        let rate = Double(operations) / seconds
        let name = name + String(repeating: " ", count: Swift.max(0, 38 - name.count))
        let perSecond = String(Int(rate.rounded()))
        let micros = (seconds / Double(operations) * 1e6 * 1000).rounded() / 1000
        print("\(name) \(String(repeating: " ", count: Swift.max(0, 10 - perSecond.count)))\(perSecond) /s  \(micros) µs")
    }
}
