// d6g-bench trie: the state trie's cost of building and of updating a large trie, hashing once.
import ArgumentParser
import Foundation
import LedgerPrimitives
import StateTrie

struct TrieBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trie",
        abstract: "Merkle Patricia Trie: bulk insert + root, and updates to a large committed trie + root."
    )

    @Option(help: "Keys inserted into a fresh trie before one root hash.")
    var keys = 100_000

    @Option(help: "Keys in the large committed trie that updates are applied to.")
    var largeKeys = 1_000_000

    @Option(help: "Keys updated in the large trie before one root hash.")
    var updates = 1_000

    @Option(help: "Timed runs of each measurement (the median is reported).")
    var runs = 5

    func validate() throws {
        guard keys > 0, largeKeys > 0, updates > 0, runs > 0 else {
            throw ValidationError("counts and runs must be positive")
        }
    }

    func run() throws {
        var random = SplitMix64(seed: 0x7215)
        print("times are CPU time of the benchmark thread, medians of \(runs) runs")

        // 1. Fresh trie: insert random 32-byte keys with ~100-byte values, then hash once.
        let entries = (0..<keys).map { _ in (random.bytes(32), random.bytes(100)) }
        var insertTimes: [Double] = []
        for _ in 0..<runs {
            insertTimes.append(try seconds {
                var trie = MerklePatriciaTrie()
                for (key, value) in entries { try trie.insert(value, forKey: key) }
                _ = trie.rootHash
            })
        }
        let insertMedian = median(insertTimes)
        print("insert \(keys) keys + root: \(format(insertMedian)) median of \(runs) "
              + "(\(format(insertMedian / Double(keys) * 1e6, unit: "µs")) per key)")

        // Why hashing waits for `rootHash`: the same inserts with a root after each one.
        let eagerCount = min(keys, 10_000)
        var onceTimes: [Double] = []
        var eagerTimes: [Double] = []
        for _ in 0..<runs {
            onceTimes.append(try seconds {
                var trie = MerklePatriciaTrie()
                for (key, value) in entries.prefix(eagerCount) { try trie.insert(value, forKey: key) }
                _ = trie.rootHash
            })
            eagerTimes.append(try seconds {
                var trie = MerklePatriciaTrie()
                for (key, value) in entries.prefix(eagerCount) {
                    try trie.insert(value, forKey: key)
                    _ = trie.rootHash
                }
            })
        }
        print("insert \(eagerCount) keys, root once: \(format(median(onceTimes))); root after every insert: "
              + "\(format(median(eagerTimes))) (\(String(format: "%.1f", median(eagerTimes) / median(onceTimes)))×)")

        // 2. Large trie: build and commit once, then reopen at its root for every run.
        let store = InMemoryTrieNodeStore()
        var largeKeyList: [[UInt8]] = []
        largeKeyList.reserveCapacity(largeKeys)
        var largeRoot = MerklePatriciaTrie.emptyRootHash
        let buildTime = try seconds {
            var trie = MerklePatriciaTrie(store: store)
            for _ in 0..<largeKeys {
                let key = random.bytes(32)
                largeKeyList.append(key)
                try trie.insert(random.bytes(100), forKey: key)
            }
            let commit = trie.commit()
            store.write(commit)
            largeRoot = commit.rootHash
        }
        print("built and committed \(largeKeys) keys in \(format(buildTime)) (\(store.count) nodes stored)")

        var updateTimes: [Double] = []
        for _ in 0..<runs {
            let chosen = (0..<updates).map { _ in largeKeyList[Int.random(in: 0..<largeKeys, using: &random)] }
            let values = (0..<updates).map { _ in random.bytes(100) }
            // Reopened each run, so every run starts with only the root in memory.
            var trie = try MerklePatriciaTrie(rootHash: largeRoot, store: store)
            updateTimes.append(try seconds {
                for (key, value) in zip(chosen, values) { try trie.insert(value, forKey: key) }
                _ = trie.rootHash
            })
        }
        let updateMedian = median(updateTimes)
        print("update \(updates) of \(largeKeys) keys + root: \(format(updateMedian)) median of \(runs) "
              + "(\(format(updateMedian / Double(updates) * 1e6, unit: "µs")) per update)")
    }
}

/// CPU time of this thread, in seconds: on a shared, loaded machine wall time mostly measures the
/// neighbours, while the benchmark is single-threaded.
private func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = threadCPUSeconds()
    try body()
    return threadCPUSeconds() - start
}

private func format(_ seconds: Double) -> String {
    seconds >= 1 ? String(format: "%.2f s", seconds) : String(format: "%.1f ms", seconds * 1e3)
}

private func format(_ value: Double, unit: String) -> String { String(format: "%.2f \(unit)", value) }

