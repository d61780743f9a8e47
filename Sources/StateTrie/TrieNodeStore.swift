// The seam between the trie and storage: the trie reads nodes by hash through `TrieNodeStore`
// and never writes; `commit()` hands the new nodes out as one batch, so the storage adapter can put
// them in the block's atomic write (Docs/trie.md §Store).
import LedgerPrimitives

public enum TrieError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The store has no node with this hash: the root is wrong, or the store lost or never got a commit.
    case missingNode(Hash32)
    /// A stored node does not decode as a trie node.
    case malformedNode(Hash32, reason: String)
    /// The store could not be read (an adapter's I/O error, described).
    case storeFailure(String)

    public var description: String {
        switch self {
        case .missingNode(let hash):
            return "trie: node \(hash) is not in the store (wrong root, or a commit was not written)"
        case .malformedNode(let hash, let reason):
            return "trie: node \(hash) is malformed: \(reason)"
        case .storeFailure(let reason):
            return "trie: node store failed: \(reason)"
        }
    }
}

/// Reads trie nodes by the keccak-256 of their encoding.
public protocol TrieNodeStore {
    /// The encoding of the node with this hash; throws `TrieError.missingNode` when absent.
    func encodedNode(for hash: Hash32) throws(TrieError) -> [UInt8]
}

/// The nodes a commit created, to be written by hash, and the root they make.
public struct TrieCommit: Sendable {
    public var rootHash: Hash32
    /// keccak-256(encoding) → encoding, for every node new since the last commit (the root included).
    public var nodes: [Hash32: [UInt8]]

    public init(rootHash: Hash32, nodes: [Hash32: [UInt8]]) {
        self.rootHash = rootHash
        self.nodes = nodes
    }
}

/// A store with no nodes: for tries built from scratch in memory (transaction and receipt tries).
public struct EmptyTrieNodeStore: TrieNodeStore {
    public init() {}

    public func encodedNode(for hash: Hash32) throws(TrieError) -> [UInt8] {
        throw .missingNode(hash)
    }
}

/// Nodes kept in a dictionary: the store for tests, benchmarks and tools.
/// A class, so tries opened over it see the commits written later.
public final class InMemoryTrieNodeStore: TrieNodeStore {
    public private(set) var nodes: [Hash32: [UInt8]] = [:]

    public init() {}

    public var count: Int { nodes.count }

    public func encodedNode(for hash: Hash32) throws(TrieError) -> [UInt8] {
        guard let encoding = nodes[hash] else { throw .missingNode(hash) }
        return encoding
    }

    /// Writes a commit's nodes (old nodes stay: nothing is pruned).
    public func write(_ commit: TrieCommit) {
        nodes.merge(commit.nodes) { existing, _ in existing }
    }
}
