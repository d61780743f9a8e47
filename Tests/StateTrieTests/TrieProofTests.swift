// Merkle proofs: inclusion and exclusion verify; altered nodes and a wrong root are rejected.
import LedgerPrimitives
import StateTrie
import Testing
import TestSupport

struct TrieProofTests {
    /// A trie of random 32-byte keys (committed and reopened, so proofs also come from loaded nodes).
    static func sampleTrie(seed: UInt64, count: Int) throws -> (trie: MerklePatriciaTrie, contents: [[UInt8]: [UInt8]]) {
        var random = SplitMix64(seed: seed)
        var trie = MerklePatriciaTrie()
        var contents: [[UInt8]: [UInt8]] = [:]
        for index in 0..<count {
            let key = random.bytes(index % 3 == 0 ? 32 : 5)
            let value = random.bytes(index % 2 == 0 ? 3 : 70)
            try trie.insert(value, forKey: key)
            contents[key] = value
        }
        let store = InMemoryTrieNodeStore()
        store.write(trie.commit())
        return (try MerklePatriciaTrie(rootHash: trie.rootHash, store: store), contents)
    }

    @Test func inclusionProofsVerify() throws {
        let (trie, contents) = try Self.sampleTrie(seed: 1, count: 300)
        for (key, value) in contents {
            let proof = try trie.proof(forKey: key)
            #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: key, proof: proof) == value)
        }
    }

    @Test func exclusionProofsVerify() throws {
        let (trie, contents) = try Self.sampleTrie(seed: 2, count: 300)
        var random = SplitMix64(seed: 99)
        let absentKeys = (0..<100).map { _ in random.bytes(32) } + contents.keys.map { $0 + [0] } + contents.keys.map { Array($0.dropLast()) }
        for key in absentKeys where contents[key] == nil {
            let proof = try trie.proof(forKey: key)
            #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: key, proof: proof) == nil)
        }
    }

    @Test func tinyTrieProofs() throws {
        // Root under 32 bytes: the proof is just the root's encoding.
        var trie = MerklePatriciaTrie()
        try trie.insert([7], forKey: [1])
        let proof = try trie.proof(forKey: [1])
        #expect(proof.count == 1)
        #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: [1], proof: proof) == [7])
        #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: [2], proof: try trie.proof(forKey: [2])) == nil)
        #expect(try MerklePatriciaTrie.verifyProof(root: MerklePatriciaTrie.emptyRootHash, key: [1], proof: []) == nil)
    }

    @Test func tamperedNodeIsRejected() throws {
        let (trie, contents) = try Self.sampleTrie(seed: 3, count: 300)
        for key in contents.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }).prefix(40) {
            let proof = try trie.proof(forKey: key)
            for position in proof.indices {
                var tampered = proof
                let byte = tampered[position].count - 1
                tampered[position][byte] ^= 0x01
                #expect(throws: TrieProofError.self, "node \(position) of \(proof.count) altered") {
                    _ = try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: key, proof: tampered)
                }
            }
        }
    }

    @Test func truncatedProofIsRejected() throws {
        let (trie, contents) = try Self.sampleTrie(seed: 4, count: 300)
        for key in contents.keys.prefix(40) {
            let proof = try trie.proof(forKey: key)
            guard proof.count > 1 else { continue }
            #expect(throws: TrieProofError.self) {
                _ = try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: key, proof: Array(proof.dropLast()))
            }
        }
    }

    @Test func wrongRootIsRejected() throws {
        let (trie, contents) = try Self.sampleTrie(seed: 5, count: 100)
        let (other, _) = try Self.sampleTrie(seed: 6, count: 100)
        let key = try #require(contents.keys.first)
        let proof = try trie.proof(forKey: key)
        #expect(throws: TrieProofError.missingNode(other.rootHash)) {
            _ = try MerklePatriciaTrie.verifyProof(root: other.rootHash, key: key, proof: proof)
        }
    }

    @Test func secureTrieProofs() throws {
        var trie = SecureTrie()
        var random = SplitMix64(seed: 8)
        var contents: [[UInt8]: [UInt8]] = [:]
        for _ in 0..<200 {
            let (key, value) = (random.bytes(20), random.bytes(70))
            try trie.insert(value, forKey: key)
            contents[key] = value
        }
        for (key, value) in contents.prefix(50) {
            #expect(try SecureTrie.verifyProof(root: trie.rootHash, key: key, proof: try trie.proof(forKey: key)) == value)
        }
        let absent = random.bytes(20)
        #expect(try SecureTrie.verifyProof(root: trie.rootHash, key: absent, proof: try trie.proof(forKey: absent)) == nil)
    }

    @Test func malformedNodeUnderTheRootIsRejected() {
        // A "node" that hashes to the root but is not a trie node: 3 items.
        let garbage: [UInt8] = [0xc3, 0x01, 0x02, 0x03]
        let root = Keccak256.hash(garbage)
        #expect {
            _ = try MerklePatriciaTrie.verifyProof(root: root, key: [1], proof: [garbage])
        } throws: { error in
            guard case TrieProofError.malformedNode(let hash, _) = error else { return false }
            return hash == root
        }
    }

    @Test func unusedAndReorderedNodesDoNotMatter() throws {
        let (trie, contents) = try Self.sampleTrie(seed: 9, count: 200)
        let keys = Array(contents.keys.prefix(2))
        let proof = try trie.proof(forKey: keys[0])
        let padded = (proof + (try trie.proof(forKey: keys[1]))).reversed()
        #expect(try MerklePatriciaTrie.verifyProof(root: trie.rootHash, key: keys[0], proof: Array(padded)) == contents[keys[0]])
    }
}
