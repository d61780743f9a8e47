// Properties over seeded random insert/delete sequences: the root depends only on the contents.
import LedgerPrimitives
import StateTrie
import Testing
import TestSupport

/// A random workload: keys of mixed lengths sharing prefixes (so branches, extensions and
/// branch values all occur), with updates, overwrites and deletes.
struct RandomWorkload {
    var operations: [(key: [UInt8], value: [UInt8]?)] = []
    /// What the trie should hold at the end (deleted keys are absent).
    var finalContents: [[UInt8]: [UInt8]] = [:]
    var touchedKeys: Set<[UInt8]> = []

    init(seed: UInt64, count: Int) {
        var random = SplitMix64(seed: seed)
        var keys: [[UInt8]] = []
        for _ in 0..<count {
            let key: [UInt8]
            if !keys.isEmpty && Int.random(in: 0..<3, using: &random) == 0 {
                // Reuse, extend or truncate an earlier key.
                let base = keys.randomElement(using: &random)!
                switch Int.random(in: 0..<3, using: &random) {
                case 0: key = base
                case 1: key = base + random.bytes(Int.random(in: 1...3, using: &random))
                default: key = Array(base.prefix(Int.random(in: 0...base.count, using: &random)))
                }
            } else {
                key = [UInt8.random(in: 0...3, using: &random)] + random.bytes(Int.random(in: 0...6, using: &random))
            }
            keys.append(key)
            let value: [UInt8]? = Int.random(in: 0..<4, using: &random) == 0
                ? nil
                : random.bytes(Int.random(in: 1...(Bool.random(using: &random) ? 4 : 60), using: &random))
            operations.append((key, value))
            finalContents[key] = value
            touchedKeys.insert(key)
        }
    }
}

extension MerklePatriciaTrie {
    mutating func apply(_ operations: [(key: [UInt8], value: [UInt8]?)]) throws {
        for (key, value) in operations {
            if let value { try insert(value, forKey: key) } else { try removeValue(forKey: key) }
        }
    }
}

struct TriePropertyTests {
    static let seeds: [UInt64] = [1, 2, 3, 42, 2024, 0xdead_beef]

    @Test(arguments: seeds)
    func rootDependsOnlyOnContents(seed: UInt64) throws {
        let workload = RandomWorkload(seed: seed, count: 400)
        var incremental = MerklePatriciaTrie()
        try incremental.apply(workload.operations)

        var random = SplitMix64(seed: seed ^ 0x5eed)
        var rebuilt = MerklePatriciaTrie()
        for (key, value) in workload.finalContents.shuffled(using: &random) {
            try rebuilt.insert(value, forKey: key)
        }
        #expect(incremental.rootHash == rebuilt.rootHash, "seed \(seed)")
        for key in workload.touchedKeys {
            #expect(try incremental.value(forKey: key) == workload.finalContents[key], "seed \(seed), key \(key.hexString)")
        }
    }

    @Test(arguments: seeds)
    func hashingMidwayDoesNotChangeTheRoot(seed: UInt64) throws {
        let workload = RandomWorkload(seed: seed, count: 300)
        var hashedOnce = MerklePatriciaTrie()
        try hashedOnce.apply(workload.operations)
        var hashedOften = MerklePatriciaTrie()
        for (index, operation) in workload.operations.enumerated() {
            try hashedOften.apply([operation])
            if index % 7 == 0 { _ = hashedOften.rootHash }
        }
        #expect(hashedOnce.rootHash == hashedOften.rootHash, "seed \(seed)")
    }

    @Test(arguments: seeds)
    func commitReopenAndRead(seed: UInt64) throws {
        let workload = RandomWorkload(seed: seed, count: 300)
        let store = InMemoryTrieNodeStore()
        var trie = MerklePatriciaTrie(store: store)
        // Commit in three steps, so later commits build on nodes loaded from or shared with earlier ones.
        let thirds = workload.operations.count / 3
        for part in 0..<3 {
            try trie.apply(Array(workload.operations[(part * thirds)..<(part == 2 ? workload.operations.count : (part + 1) * thirds)]))
            let commit = trie.commit()
            #expect(commit.rootHash == trie.rootHash)
            store.write(commit)
            trie = try MerklePatriciaTrie(rootHash: commit.rootHash, store: store)
        }
        let reopened = try MerklePatriciaTrie(rootHash: trie.rootHash, store: store)
        for key in workload.touchedKeys {
            #expect(try reopened.value(forKey: key) == workload.finalContents[key], "seed \(seed), key \(key.hexString)")
        }
        #expect(try reopened.entries().count == workload.finalContents.count)
    }

    @Test(arguments: seeds)
    func deletingEverythingLeavesTheEmptyRoot(seed: UInt64) throws {
        let workload = RandomWorkload(seed: seed, count: 300)
        var trie = MerklePatriciaTrie()
        try trie.apply(workload.operations)
        let store = InMemoryTrieNodeStore()
        _ = trie.rootHash
        var random = SplitMix64(seed: seed)
        for key in Array(workload.finalContents.keys).shuffled(using: &random) {
            try trie.removeValue(forKey: key)
        }
        #expect(trie.rootHash == MerklePatriciaTrie.emptyRootHash)
        #expect(trie.isEmpty)
        #expect(trie.commit().nodes.isEmpty)
        #expect(try MerklePatriciaTrie(rootHash: trie.rootHash, store: store).isEmpty)
    }

    @Test(arguments: seeds)
    func entriesComeInKeyOrder(seed: UInt64) throws {
        let workload = RandomWorkload(seed: seed, count: 200)
        var trie = MerklePatriciaTrie()
        try trie.apply(workload.operations)
        let expected = workload.finalContents.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        let entries = try trie.entries()
        #expect(entries.map { $0.key } == expected.map { $0.key })
        #expect(entries.map { $0.value } == expected.map { $0.value })
        // Neighbours of every key, and of keys not in the trie.
        for (index, entry) in entries.enumerated() {
            #expect(try trie.key(after: entry.key) == (index + 1 < entries.count ? entries[index + 1].key : nil))
            #expect(try trie.key(before: entry.key) == (index > 0 ? entries[index - 1].key : nil))
            let probe = entry.key + [0]  // not necessarily absent: compare against the sorted list
            let afterProbe = entries.first { probe.lexicographicallyPrecedes($0.key) }?.key
            #expect(try trie.key(after: probe) == afterProbe)
        }
    }
}
