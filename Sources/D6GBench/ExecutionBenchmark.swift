// d6g-bench execution: signed transfers executed per CPU-second by the pure state transition
// (BlockBuilder: validity, fees, receipts; then the state commit and the block's roots), senders
// already recovered, over a state of many funded accounts. TARGETS.md P4 asks a dev node for
// 10,000 transfers/s end to end; execution is one share of that budget (100 µs per transfer).
import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Execution
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import StateTrie

struct ExecutionBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "execution",
        abstract: "Transfers executed per CPU-second, state commit and roots included (median of several runs)."
    )

    @Option(help: "Timed runs; the median is reported.")
    var runs = 7

    @Option(help: "Funded accounts in the base state.")
    var accounts = 20_000

    @Option(help: "Transfers per block.")
    var transfers = 2_000

    func validate() throws {
        guard runs >= 1, accounts >= 2, transfers >= 1 else {
            throw ValidationError("runs, transfers must be positive; accounts at least 2")
        }
    }

    func run() throws {
        let chainId: UInt64 = 1337
        let senderCount = min(256, transfers)
        let keys = (0..<senderCount).map { _ in PrivateKey.generate() }
        var addresses = keys.map(\.address)
        var random = SystemRandomNumberGenerator()
        while addresses.count < accounts {
            addresses.append(Address(bytes: (0..<20).map { _ in UInt8.random(in: 0...255, using: &random) })!)
        }
        // The base state, committed to an in-memory node store as a node would have it.
        let nodes = InMemoryTrieNodeStore()
        let genesis = WorldState(base: .empty())
        for address in addresses { try genesis.setBalance(UInt256(1) << 80, of: address) }
        let diff = try genesis.commit(deletingEmptyAccounts: false)
        nodes.write(TrieCommit(rootHash: diff.stateRoot, nodes: diff.trieNodes))
        let state = try TrieStateReader(stateRoot: diff.stateRoot, nodes: nodes, codes: InMemoryCodeStore())

        var nonces = [UInt64](repeating: 0, count: senderCount)
        let block: [RecoveredTransaction] = try (0..<transfers).map { index in
            let sender = index % senderCount
            let unsigned = UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
                chainId: chainId, nonce: nonces[sender], maxPriorityFeePerGas: UInt256(1),
                maxFeePerGas: UInt256(2_000_000_000), gasLimit: 21_000,
                to: addresses[Int.random(in: 0..<addresses.count, using: &random)], value: UInt256(1_000)))
            nonces[sender] += 1
            return try unsigned.signed(with: keys[sender]).recovered(onChain: chainId)
        }
        let executor = BlockExecutor(rules: ChainRules(chainId: chainId))
        let context = BlockContext(number: 1, timestamp: 1, gasLimit: UInt64(transfers) * 21_000,
                                   baseFeePerGas: UInt256(1_000_000_000), feeRecipient: addresses[senderCount])

        print("d6g-bench execution: \(runs) runs, median, one thread, per CPU-second; "
              + "\(transfers) transfers from \(senderCount) senders over \(accounts) accounts")
        var includeRates: [Double] = []
        var totalRates: [Double] = []
        for run in 0...runs {
            let start = threadCPUSeconds()
            let builder = BlockBuilder(executor: executor, context: context, state: state)
            let skipped = try builder.include(block)
            precondition(skipped.isEmpty, "a benchmark transfer was rejected: \(skipped[0].reason)")
            let included = threadCPUSeconds()
            let execution = try builder.finish()
            let end = threadCPUSeconds()
            precondition(execution.transactions.count == transfers)
            if run == 0 { continue }  // warm-up
            includeRates.append(Double(transfers) / (included - start))
            totalRates.append(Double(transfers) / (end - start))
        }
        Self.report("execute (validity, fees, receipts)", median(includeRates))
        Self.report("execute + state commit + roots", median(totalRates))
        print("  ratio to the P4 node target of 10,000 transfers/s: \((median(totalRates) / 10_000 * 100).rounded() / 100)")
    }

    private static func report(_ name: String, _ rate: Double) {
        let padded = name + String(repeating: " ", count: max(0, 40 - name.count))
        print("\(padded) \(Int(rate.rounded())) /s  \((1e6 / rate * 100).rounded() / 100) µs per transfer")
    }
}
