// Ethereum's hexary Merkle Patricia Trie over a read-only node store. Updates build new nodes in
// memory without hashing; `rootHash` and `commit()` hash only what changed since the last time.
// Docs/trie.md describes the node encoding and the store protocol.
import LedgerPrimitives

public struct MerklePatriciaTrie {
    /// keccak-256(rlp("")): the root of a trie with no keys.
    public static let emptyRootHash = Keccak256.hash([0x80])

    private var root: TrieNode?
    /// Where nodes not yet in memory are read from.
    public let store: any TrieNodeStore

    /// An empty trie; `store` serves the nodes of tries opened later from this one's commits.
    public init(store: any TrieNodeStore = EmptyTrieNodeStore()) {
        self.store = store
        self.root = nil
    }

    /// The trie whose root has this hash, read lazily from `store`. The root node is loaded now,
    /// so a root the store does not have fails here rather than at the first read.
    public init(rootHash: Hash32, store: any TrieNodeStore) throws(TrieError) {
        self.store = store
        if rootHash == Self.emptyRootHash {
            self.root = nil
        } else {
            let node = TrieNode(storedAs: rootHash)
            try Self.load(node, from: store)
            self.root = node
        }
    }

    public var isEmpty: Bool { root == nil }

    // MARK: Reads

    /// The value stored under `key`, or nil.
    public func value(forKey key: [UInt8]) throws(TrieError) -> [UInt8]? {
        let path = nibbles(of: key)
        var depth = 0
        var current = root
        while let node = current {
            switch try loaded(node).content {
            case .leaf(let rest, let value):
                return matches(path, from: depth, exactly: rest) ? value : nil
            case .extension(let prefix, let child):
                guard matches(path, from: depth, prefix: prefix) else { return nil }
                depth += prefix.count
                current = child
            case .branch(let children, let value):
                if depth == path.count { return value }
                current = children[Int(path[depth])]
                depth += 1
            case .stored:
                preconditionFailure("loaded() returns a loaded node")
            }
        }
        return nil
    }

    // MARK: Updates

    /// Stores `value` under `key`; an empty value removes the key, as in Ethereum's tries.
    public mutating func insert(_ value: [UInt8], forKey key: [UInt8]) throws(TrieError) {
        if value.isEmpty {
            try removeValue(forKey: key)
            return
        }
        root = try inserting(value, path: nibbles(of: key), depth: 0, into: root)
    }

    /// Removes `key` if present.
    public mutating func removeValue(forKey key: [UInt8]) throws(TrieError) {
        root = try removing(path: nibbles(of: key), depth: 0, from: root)
    }

    // MARK: Hashing and committing

    /// The root hash; hashes the nodes changed since the last call, at most once each.
    public var rootHash: Hash32 {
        guard let root else { return Self.emptyRootHash }
        let reference = root.computeReference()
        // A root under 32 bytes is referenced inline, yet its hash is still the root hash.
        return root.referencedHash ?? Keccak256.hash(reference)
    }

    /// The root and every node new since the last commit, for the caller to write to the store.
    /// Afterwards those nodes count as stored: a later commit does not hand them out again.
    public mutating func commit() -> TrieCommit {
        guard let root else { return TrieCommit(rootHash: Self.emptyRootHash, nodes: [:]) }
        var nodes: [Hash32: [UInt8]] = [:]
        Self.collectNew(root, into: &nodes)
        if root.referencedHash == nil {
            // The root is stored under its hash even when its parent-less encoding is under 32 bytes.
            let encoding = root.encode()
            nodes[Keccak256.hash(encoding)] = encoding
        }
        return TrieCommit(rootHash: rootHash, nodes: nodes)
    }

    private static func collectNew(_ node: TrieNode, into nodes: inout [Hash32: [UInt8]]) {
        guard !node.isPersisted else { return }
        switch node.content {
        case .leaf, .stored:
            break
        case .extension(_, let child):
            collectNew(child, into: &nodes)
        case .branch(let children, _):
            for child in children { if let child { collectNew(child, into: &nodes) } }
        }
        let encoding = node.encode()
        if node.reference == nil {
            node.reference = encoding.count < 32 ? encoding : hashReference(Keccak256.hash(encoding))
        }
        if let hash = node.referencedHash { nodes[hash] = encoding }
        node.isPersisted = true
    }

    // MARK: Loading

    /// The node with its content loaded from the store if it was only known by hash.
    func loaded(_ node: TrieNode) throws(TrieError) -> TrieNode {
        if case .stored = node.content { try Self.load(node, from: store) }
        return node
    }

    private static func load(_ node: TrieNode, from store: any TrieNodeStore) throws(TrieError) {
        guard case .stored(let hash) = node.content else { return }
        let encoding = try store.encodedNode(for: hash)
        node.content = try TrieNode.decodeContent(encoding, hash: hash)
    }

    /// The root node, for proofs and iteration.
    var rootNode: TrieNode? { root }

    // MARK: Insertion

    /// The subtree `node` with `value` at `path[depth...]`; returns `node` itself when nothing changes,
    /// so its cached hash survives.
    private func inserting(_ value: [UInt8], path: [UInt8], depth: Int, into node: TrieNode?) throws(TrieError) -> TrieNode {
        guard let node else { return .leaf(path[depth...], value) }
        switch try loaded(node).content {
        case .leaf(let rest, let existing):
            let common = commonPrefixLength(path, from: depth, rest)
            if common == rest.count && depth + common == path.count {
                return existing == value ? node : .leaf(rest, value)
            }
            // The keys part after `common` nibbles: a branch there holds both.
            var children = TrieNode.emptyChildren
            var branchValue: [UInt8]? = nil
            if common == rest.count {
                branchValue = existing
            } else {
                children[Int(rest[common])] = .leaf(rest[(common + 1)...], existing)
            }
            let split = depth + common
            if split == path.count {
                branchValue = value
            } else {
                children[Int(path[split])] = .leaf(path[(split + 1)...], value)
            }
            let branch = TrieNode.branch(children, branchValue)
            return common == 0 ? branch : .extension(rest[..<common], branch)

        case .extension(let prefix, let child):
            let common = commonPrefixLength(path, from: depth, prefix)
            if common == prefix.count {
                let newChild = try inserting(value, path: path, depth: depth + common, into: child)
                return newChild === child ? node : .extension(prefix, newChild)
            }
            // The key leaves the shared run early: split it with a branch.
            var children = TrieNode.emptyChildren
            var branchValue: [UInt8]? = nil
            children[Int(prefix[common])] = common + 1 == prefix.count ? child : .extension(prefix[(common + 1)...], child)
            let split = depth + common
            if split == path.count {
                branchValue = value
            } else {
                children[Int(path[split])] = .leaf(path[(split + 1)...], value)
            }
            let branch = TrieNode.branch(children, branchValue)
            return common == 0 ? branch : .extension(prefix[..<common], branch)

        case .branch(var children, let branchValue):
            if depth == path.count {
                return branchValue == value ? node : .branch(children, value)
            }
            let index = Int(path[depth])
            let oldChild = children[index]
            let newChild = try inserting(value, path: path, depth: depth + 1, into: oldChild)
            if newChild === oldChild { return node }
            children[index] = newChild
            return .branch(children, branchValue)

        case .stored:
            preconditionFailure("loaded() returns a loaded node")
        }
    }

    // MARK: Removal

    /// The subtree `node` without the key `path`; `node` itself when the key is absent.
    /// Keeps the trie canonical: no branch with a single entry, no extension to an extension or leaf.
    private func removing(path: [UInt8], depth: Int, from node: TrieNode?) throws(TrieError) -> TrieNode? {
        guard let node else { return nil }
        switch try loaded(node).content {
        case .leaf(let rest, _):
            return matches(path, from: depth, exactly: rest) ? nil : node

        case .extension(let prefix, let child):
            guard matches(path, from: depth, prefix: prefix) else { return node }
            let newChild = try removing(path: path, depth: depth + prefix.count, from: child)
            if newChild === child { return node }
            guard let newChild else { return nil }
            return try joined(prefix, newChild)

        case .branch(var children, var branchValue):
            if depth == path.count {
                guard branchValue != nil else { return node }
                branchValue = nil
            } else {
                let index = Int(path[depth])
                let oldChild = children[index]
                let newChild = try removing(path: path, depth: depth + 1, from: oldChild)
                if newChild === oldChild { return node }
                children[index] = newChild
            }
            var remaining = 0
            var onlyChild = 0
            for index in 0..<16 where children[index] != nil {
                remaining += 1
                onlyChild = index
            }
            switch (remaining, branchValue) {
            case (0, nil):
                return nil
            case (0, let value?):
                return .leaf([], value)
            case (1, nil):
                // A lone child takes the branch's place, with its nibble in front of its path.
                return try joined([UInt8(onlyChild)], children[onlyChild]!)
            default:
                return .branch(children, branchValue)
            }

        case .stored:
            preconditionFailure("loaded() returns a loaded node")
        }
    }

    /// `prefix` followed by `node`, merged into one leaf or extension where the node allows.
    private func joined(_ prefix: [UInt8], _ node: TrieNode) throws(TrieError) -> TrieNode {
        switch try loaded(node).content {
        case .leaf(let rest, let value):
            return .leaf(prefix + rest, value)
        case .extension(let rest, let child):
            return .extension(prefix + rest, child)
        case .branch:
            return .extension(prefix, node)
        case .stored:
            preconditionFailure("loaded() returns a loaded node")
        }
    }
}

// MARK: Nibble paths

/// How many nibbles `path[depth...]` and `other` share at the start.
@inline(__always)
func commonPrefixLength(_ path: [UInt8], from depth: Int, _ other: [UInt8]) -> Int {
    let limit = min(path.count - depth, other.count)
    var count = 0
    while count < limit && path[depth + count] == other[count] { count += 1 }
    return count
}

/// Whether `path[depth...]` starts with `prefix`.
@inline(__always)
func matches(_ path: [UInt8], from depth: Int, prefix: [UInt8]) -> Bool {
    path.count - depth >= prefix.count && commonPrefixLength(path, from: depth, prefix) == prefix.count
}

/// Whether `path[depth...]` equals `rest`.
@inline(__always)
func matches(_ path: [UInt8], from depth: Int, exactly rest: [UInt8]) -> Bool {
    path.count - depth == rest.count && commonPrefixLength(path, from: depth, rest) == rest.count
}
