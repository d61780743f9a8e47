// Examples of the trie's behaviour: empty values delete, small tries, the store seam and its errors.
import LedgerPrimitives
import StateTrie
import Testing
import TestSupport

struct TrieBehaviourTests {
    @Test func emptyTrieHasTheWellKnownRoot() throws {
        #expect(MerklePatriciaTrie().rootHash.hexString == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        #expect(MerklePatriciaTrie.emptyRootHash == Keccak256.hash([0x80]))
    }

    @Test func insertingAnEmptyValueDeletes() throws {
        var trie = MerklePatriciaTrie()
        try trie.insert(Array("verb".utf8), forKey: Array("do".utf8))
        try trie.insert(Array("coin".utf8), forKey: Array("doge".utf8))
        let withOneKey = trie.rootHash
        try trie.insert(Array("puppy".utf8), forKey: Array("dog".utf8))
        try trie.insert([], forKey: Array("dog".utf8))
        #expect(try trie.value(forKey: Array("dog".utf8)) == nil)
        #expect(trie.rootHash == withOneKey)
    }

    @Test func removingAnAbsentKeyChangesNothing() throws {
        var trie = MerklePatriciaTrie()
        try trie.insert([1, 2, 3], forKey: [0x12, 0x34])
        try trie.insert([4, 5, 6], forKey: [0x12, 0x35])
        let before = trie.rootHash
        for absent: [UInt8] in [[], [0x12], [0x12, 0x36], [0x12, 0x34, 0x00], [0xff]] {
            try trie.removeValue(forKey: absent)
        }
        #expect(trie.rootHash == before)
    }

    @Test func smallRootIsCommittedUnderItsHash() throws {
        // One short key and value: the root's RLP is under 32 bytes, yet it is stored by hash.
        var trie = MerklePatriciaTrie()
        try trie.insert([0x01], forKey: [0xab])
        let commit = trie.commit()
        #expect(commit.nodes.count == 1)
        let store = InMemoryTrieNodeStore()
        store.write(commit)
        let reopened = try MerklePatriciaTrie(rootHash: commit.rootHash, store: store)
        #expect(try reopened.value(forKey: [0xab]) == [0x01])
    }

    @Test func secondCommitHandsOutOnlyNewNodes() throws {
        var trie = MerklePatriciaTrie()
        var random = SplitMix64(seed: 7)
        for _ in 0..<500 { try trie.insert(random.bytes(40), forKey: random.bytes(32)) }
        let first = trie.commit()
        try trie.insert(random.bytes(40), forKey: random.bytes(32))
        let second = trie.commit()
        #expect(second.rootHash != first.rootHash)
        // A new leaf and the branches (and perhaps an extension) above it, not the whole trie.
        #expect(second.nodes.count >= 2 && second.nodes.count <= 6)
        #expect(trie.commit().nodes.isEmpty)  // nothing changed, nothing new to write
    }

    @Test func openingAtAnUnknownRootFails() {
        let unknown = Keccak256.hash(Array("no such node".utf8))
        #expect(throws: TrieError.missingNode(unknown)) {
            _ = try MerklePatriciaTrie(rootHash: unknown, store: InMemoryTrieNodeStore())
        }
    }

    @Test func readingThroughALostNodeReportsIt() throws {
        var trie = MerklePatriciaTrie()
        var random = SplitMix64(seed: 11)
        var keys: [[UInt8]] = []
        for _ in 0..<200 {
            keys.append(random.bytes(32))
            try trie.insert(random.bytes(40), forKey: keys.last!)
        }
        let commit = trie.commit()
        // A store missing every node but the root.
        let store = InMemoryTrieNodeStore()
        store.write(TrieCommit(rootHash: commit.rootHash, nodes: [commit.rootHash: commit.nodes[commit.rootHash]!]))
        let reopened = try MerklePatriciaTrie(rootHash: commit.rootHash, store: store)
        #expect {
            _ = try reopened.value(forKey: keys[0])
        } throws: { error in
            guard case TrieError.missingNode(let hash) = error else { return false }
            return commit.nodes[hash] != nil
        }
    }

    @Test func malformedStoredNodeIsReported() throws {
        struct BrokenStore: TrieNodeStore {
            func encodedNode(for hash: Hash32) throws(TrieError) -> [UInt8] { [0xc3, 0x01, 0x02, 0x03] }
        }
        let hash = Keccak256.hash([1])
        #expect {
            _ = try MerklePatriciaTrie(rootHash: hash, store: BrokenStore())
        } throws: { error in
            guard case TrieError.malformedNode(let reported, _) = error else { return false }
            return reported == hash
        }
    }

    @Test func copiesDoNotSeeEachOthersEdits() throws {
        // Edits change a trie's own new nodes in place; a copy must not observe that.
        var random = SplitMix64(seed: 21)
        var contents: [[UInt8]: [UInt8]] = [:]
        var original = MerklePatriciaTrie()
        for _ in 0..<300 {
            let (key, value) = (random.bytes(Int.random(in: 1...4, using: &random)), random.bytes(40))
            try original.insert(value, forKey: key)
            contents[key] = value
        }
        var copy = original
        var copyContents = contents
        var snapshot = (trie: original, contents: contents)
        for (round, key) in contents.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).enumerated() {
            // Interleave edits to both, each to keys the other keeps.
            if round % 3 == 0 {
                try copy.removeValue(forKey: key)
                copyContents[key] = nil
            } else if round % 3 == 1 {
                let value = random.bytes(33)
                try original.insert(value, forKey: key)
                contents[key] = value
            }
            if round == 100 {
                _ = original.rootHash   // hashed nodes, then edited again
                snapshot = (original, contents)
            }
        }
        for (trie, expected) in [(original, contents), (copy, copyContents), snapshot] {
            var rebuilt = MerklePatriciaTrie()
            for (key, value) in expected { try rebuilt.insert(value, forKey: key) }
            #expect(trie.rootHash == rebuilt.rootHash)
            for (key, value) in expected { #expect(try trie.value(forKey: key) == value) }
        }
    }
}
