// The keccak-keyed ("secure") trie Ethereum uses for accounts and storage: every key is replaced by
// its keccak-256, so paths are 64 nibbles and an attacker cannot choose keys that deepen the trie.
import LedgerPrimitives

public struct SecureTrie {
    /// The underlying trie, keyed by keccak-256 of the caller's keys.
    public private(set) var trie: MerklePatriciaTrie

    public init(store: any TrieNodeStore = EmptyTrieNodeStore()) {
        trie = MerklePatriciaTrie(store: store)
    }

    /// The trie with this root in `store` (see `MerklePatriciaTrie.init(rootHash:store:)`).
    public init(rootHash: Hash32, store: any TrieNodeStore) throws(TrieError) {
        trie = try MerklePatriciaTrie(rootHash: rootHash, store: store)
    }

    public static func hashedKey(_ key: [UInt8]) -> [UInt8] { Keccak256.hash(key).bytes }

    public var rootHash: Hash32 { trie.rootHash }
    public var isEmpty: Bool { trie.isEmpty }

    public func value(forKey key: [UInt8]) throws(TrieError) -> [UInt8]? {
        try trie.value(forKey: Self.hashedKey(key))
    }

    /// Stores `value` under keccak(`key`); an empty value removes it.
    public mutating func insert(_ value: [UInt8], forKey key: [UInt8]) throws(TrieError) {
        try trie.insert(value, forKey: Self.hashedKey(key))
    }

    public mutating func removeValue(forKey key: [UInt8]) throws(TrieError) {
        try trie.removeValue(forKey: Self.hashedKey(key))
    }

    public mutating func commit() -> TrieCommit { trie.commit() }

    /// The proof for `key` (its path is that of keccak(`key`)), as eth_getProof returns it.
    public func proof(forKey key: [UInt8]) throws(TrieError) -> [[UInt8]] {
        try trie.proof(forKey: Self.hashedKey(key))
    }

    public static func verifyProof(root: Hash32, key: [UInt8], proof: [[UInt8]]) throws(TrieProofError) -> [UInt8]? {
        try MerklePatriciaTrie.verifyProof(root: root, key: hashedKey(key), proof: proof)
    }
}
