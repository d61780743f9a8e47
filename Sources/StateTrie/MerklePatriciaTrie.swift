// Ethereum's hexary Merkle Patricia Trie over a read-only node store. Updates change an in-memory
// node tree without hashing; `rootHash` and `commit()` hash only what changed since the last time.
// Docs/trie.md describes the node encoding and the store protocol.
import LedgerPrimitives

public struct MerklePatriciaTrie {
    /// keccak-256(rlp("")): the root of a trie with no keys.
    public static let emptyRootHash = Keccak256.hash([0x80])

    private var root: TrieNode?
    /// Where nodes not yet in memory are read from.
    public let store: any TrieNodeStore
    /// Nodes carrying this session's token were made by this trie value alone and may be changed in place.
    private var editSession = EditSession()

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
            let node = TrieNode.stored(rootHash)
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
            switch try loaded(node).kind {
            case .leaf:
                return matches(path, from: depth, exactly: node.path) ? node.value : nil
            case .extension:
                guard matches(path, from: depth, prefix: node.path) else { return nil }
                depth += node.path.count
                current = node.child
            case .branch:
                if depth == path.count { return node.value }
                current = node.children[Int(path[depth])]
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
        claimEditToken()
        if case .replaced(let newRoot) = try inserting(value, path: nibbles(of: key), depth: 0, into: root) {
            root = newRoot
        }
    }

    /// Removes `key` if present.
    public mutating func removeValue(forKey key: [UInt8]) throws(TrieError) {
        claimEditToken()
        if case .replaced(let newRoot) = try removing(path: nibbles(of: key), depth: 0, from: root) {
            root = newRoot
        }
    }

    /// Before an edit: if this trie value was copied, neither copy may change shared nodes in place,
    /// so the token is marked shared and this copy takes a new one (the other will too).
    private mutating func claimEditToken() {
        if !isKnownUniquelyReferenced(&editSession) || editSession.isShared {
            editSession.isShared = true
            editSession = EditSession()
        }
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
        let rootWasPersisted = root.isPersisted
        var nodes: [Hash32: [UInt8]] = [:]
        Self.collectNew(root, into: &nodes)
        if root.referencedHash == nil && !rootWasPersisted {
            // The root is stored under its hash even when its encoding is under 32 bytes.
            let encoding = root.encode()
            nodes[Keccak256.hash(encoding)] = encoding
        }
        return TrieCommit(rootHash: rootHash, nodes: nodes)
    }

    private static func collectNew(_ node: TrieNode, into nodes: inout [Hash32: [UInt8]]) {
        guard !node.isPersisted else { return }
        if let child = node.child { collectNew(child, into: &nodes) }
        for child in node.children { if let child { collectNew(child, into: &nodes) } }
        let encoding = node.encode()
        if node.reference == nil {
            node.reference = encoding.count < 32 ? encoding[...] : hashReference(Keccak256.hash(encoding))
        }
        if let hash = node.referencedHash { nodes[hash] = encoding }
        node.isPersisted = true
    }

    // MARK: Loading

    /// The node with its content loaded from the store if it was only known by hash.
    func loaded(_ node: TrieNode) throws(TrieError) -> TrieNode {
        if node.kind == .stored { try Self.load(node, from: store) }
        return node
    }

    private static func load(_ node: TrieNode, from store: any TrieNodeStore) throws(TrieError) {
        guard node.kind == .stored, let hash = node.referencedHash else { return }
        node.adoptContent(of: try TrieNode.decode(store.encodedNode(for: hash), hash: hash))
    }

    /// The root node, for proofs and iteration.
    var rootNode: TrieNode? { root }

    // MARK: Editing nodes

    /// What an edit did to a subtree. A node changed in place comes back as `.replaced(itself)`,
    /// so its parent knows to forget its own hash.
    private enum Edit {
        case unchanged
        case replaced(TrieNode?)
    }

    private var editToken: EditToken { editSession.token }

    private func owns(_ node: TrieNode) -> Bool { node.owner === editSession.token }

    private func leaf(_ path: some Collection<UInt8>, _ value: [UInt8]) -> TrieNode {
        .leaf(path, value, owner: editToken)
    }

    private func extensionNode(_ path: some Collection<UInt8>, _ child: TrieNode) -> TrieNode {
        .extension(path, child, owner: editToken)
    }

    /// `node` (a branch) with one child replaced: in place when this trie owns it.
    private func settingChild(_ index: Int, to child: TrieNode?, in node: TrieNode) -> TrieNode {
        if owns(node) {
            node.children[index] = child
            node.invalidate()
            return node
        }
        var children = node.children
        children[index] = child
        return .branch(children, node.value, owner: editToken)
    }

    /// `node` (a leaf or a branch) with another value.
    private func settingValue(_ value: [UInt8]?, in node: TrieNode) -> TrieNode {
        if owns(node) {
            node.value = value
            node.invalidate()
            return node
        }
        return node.kind == .leaf ? leaf(node.path, value!) : .branch(node.children, value, owner: editToken)
    }

    /// `node` (an extension) leading to another child.
    private func settingExtensionChild(_ child: TrieNode, in node: TrieNode) -> TrieNode {
        if owns(node) {
            node.child = child
            node.invalidate()
            return node
        }
        return extensionNode(node.path, child)
    }

    // MARK: Insertion

    private func inserting(_ value: [UInt8], path: [UInt8], depth: Int, into node: TrieNode?) throws(TrieError) -> Edit {
        guard let node else { return .replaced(leaf(path[depth...], value)) }
        switch try loaded(node).kind {
        case .leaf:
            let rest = node.path
            let common = commonPrefixLength(path, from: depth, rest)
            if common == rest.count && depth + common == path.count {
                return node.value == value ? .unchanged : .replaced(settingValue(value, in: node))
            }
            // The keys part after `common` nibbles: a branch there holds both.
            var children = TrieNode.emptyChildren
            var branchValue: [UInt8]? = nil
            if common == rest.count {
                branchValue = node.value
            } else {
                children[Int(rest[common])] = leaf(rest[(common + 1)...], node.value!)
            }
            let split = depth + common
            if split == path.count {
                branchValue = value
            } else {
                children[Int(path[split])] = leaf(path[(split + 1)...], value)
            }
            let branch = TrieNode.branch(children, branchValue, owner: editToken)
            return .replaced(common == 0 ? branch : extensionNode(rest[..<common], branch))

        case .extension:
            let prefix = node.path
            let common = commonPrefixLength(path, from: depth, prefix)
            if common == prefix.count {
                switch try inserting(value, path: path, depth: depth + common, into: node.child) {
                case .unchanged: return .unchanged
                case .replaced(let newChild): return .replaced(settingExtensionChild(newChild!, in: node))
                }
            }
            // The key leaves the shared run early: split it with a branch.
            var children = TrieNode.emptyChildren
            var branchValue: [UInt8]? = nil
            children[Int(prefix[common])] = common + 1 == prefix.count
                ? node.child
                : extensionNode(prefix[(common + 1)...], node.child!)
            let split = depth + common
            if split == path.count {
                branchValue = value
            } else {
                children[Int(path[split])] = leaf(path[(split + 1)...], value)
            }
            let branch = TrieNode.branch(children, branchValue, owner: editToken)
            return .replaced(common == 0 ? branch : extensionNode(prefix[..<common], branch))

        case .branch:
            if depth == path.count {
                return node.value == value ? .unchanged : .replaced(settingValue(value, in: node))
            }
            let index = Int(path[depth])
            switch try inserting(value, path: path, depth: depth + 1, into: node.children[index]) {
            case .unchanged: return .unchanged
            case .replaced(let newChild): return .replaced(settingChild(index, to: newChild, in: node))
            }

        case .stored:
            preconditionFailure("loaded() returns a loaded node")
        }
    }

    // MARK: Removal

    /// Keeps the trie canonical: no branch with a single entry, no extension to an extension or leaf.
    private func removing(path: [UInt8], depth: Int, from node: TrieNode?) throws(TrieError) -> Edit {
        guard let node else { return .unchanged }
        switch try loaded(node).kind {
        case .leaf:
            return matches(path, from: depth, exactly: node.path) ? .replaced(nil) : .unchanged

        case .extension:
            guard matches(path, from: depth, prefix: node.path) else { return .unchanged }
            switch try removing(path: path, depth: depth + node.path.count, from: node.child) {
            case .unchanged: return .unchanged
            case .replaced(nil): return .replaced(nil)
            case .replaced(let newChild?): return .replaced(try joined(node.path, newChild))
            }

        case .branch:
            var index = -1
            if depth == path.count {
                guard node.value != nil else { return .unchanged }
            } else {
                index = Int(path[depth])
                guard case .replaced(let newChild) = try removing(path: path, depth: depth + 1, from: node.children[index])
                else { return .unchanged }
                if newChild != nil {
                    // The child is still there: the branch keeps at least two entries.
                    return .replaced(settingChild(index, to: newChild, in: node))
                }
            }
            // An entry goes: count what stays.
            var remaining = 0
            var onlyChild = -1
            for slot in 0..<16 where slot != index && node.children[slot] != nil {
                remaining += 1
                onlyChild = slot
            }
            let value = index == -1 ? nil : node.value
            switch (remaining, value) {
            case (0, nil):
                return .replaced(nil)
            case (0, let value?):
                return .replaced(leaf([], value))
            case (1, nil):
                // A lone child takes the branch's place, with its nibble in front of its path.
                return .replaced(try joined([UInt8(onlyChild)], node.children[onlyChild]!))
            default:
                return .replaced(index == -1 ? settingValue(nil, in: node) : settingChild(index, to: nil, in: node))
            }

        case .stored:
            preconditionFailure("loaded() returns a loaded node")
        }
    }

    /// `prefix` followed by `node`, merged into one leaf or extension where the node allows.
    private func joined(_ prefix: [UInt8], _ node: TrieNode) throws(TrieError) -> TrieNode {
        switch try loaded(node).kind {
        case .leaf:
            return leaf(prefix + node.path, node.value!)
        case .extension:
            return extensionNode(prefix + node.path, node.child!)
        case .branch:
            return extensionNode(prefix, node)
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
