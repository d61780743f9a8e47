// The in-memory node tree: nodes are never changed once built (an update makes new nodes along its
// path and shares the rest), except for caches filled in lazily — the reference (hash or inline
// encoding) once hashed, and the content of a stored node once loaded. Docs/trie.md §Nodes.
import LedgerPrimitives

final class TrieNode {
    enum Content {
        /// The rest of the key (nibbles) and the value.
        case leaf(path: [UInt8], value: [UInt8])
        /// A shared run of nibbles leading to one child (a branch, in a well-formed trie).
        case `extension`(path: [UInt8], child: TrieNode)
        /// Sixteen children by next nibble, and the value of a key that ends here.
        case branch(children: [TrieNode?], value: [UInt8]?)
        /// A node known only by hash until something needs its content; then it is loaded once.
        case stored(Hash32)
    }

    var content: Content
    /// What a parent's encoding holds for this node: its own RLP if under 32 bytes, else 0xa0 ‖ keccak.
    /// nil while the node is new and not yet hashed.
    var reference: [UInt8]?
    /// In the store already (loaded from it, or handed out by a commit): a commit skips it and its subtree.
    var isPersisted: Bool

    init(_ content: Content) {
        self.content = content
        self.reference = nil
        self.isPersisted = false
    }

    /// A node the store holds under `hash`, not loaded yet.
    init(storedAs hash: Hash32) {
        self.content = .stored(hash)
        self.reference = hashReference(hash)
        self.isPersisted = true
    }

    static func leaf(_ path: some Collection<UInt8>, _ value: [UInt8]) -> TrieNode {
        TrieNode(.leaf(path: Array(path), value: value))
    }

    static func `extension`(_ path: some Collection<UInt8>, _ child: TrieNode) -> TrieNode {
        TrieNode(.extension(path: Array(path), child: child))
    }

    static func branch(_ children: [TrieNode?], _ value: [UInt8]?) -> TrieNode {
        TrieNode(.branch(children: children, value: value))
    }

    static var emptyChildren: [TrieNode?] { [TrieNode?](repeating: nil, count: 16) }

    /// The hash if the reference is one (the node's encoding is 32 bytes or more).
    var referencedHash: Hash32? {
        guard let reference, reference.count == 33 else { return nil }
        return reference.withUnsafeBytes { Hash32(unsafeBytes: UnsafeRawBufferPointer(rebasing: $0[1...])) }
    }
}

func hashReference(_ hash: Hash32) -> [UInt8] {
    var reference = [UInt8](repeating: 0xa0, count: 1)
    reference.append(contentsOf: hash.bytes)
    return reference
}

// MARK: Encoding (yellow paper appendix D)

extension TrieNode {
    /// The reference, hashing this node and any new descendants first.
    func computeReference() -> [UInt8] {
        if let reference { return reference }
        let encoding = encode()
        let computed = encoding.count < 32 ? encoding : hashReference(Keccak256.hash(encoding))
        reference = computed
        return computed
    }

    /// The node's RLP. Children are referenced, so new children get hashed first.
    func encode() -> [UInt8] {
        var out = [UInt8]()
        switch content {
        case .leaf(let path, let value):
            let pathLength = HexPrefix.encodedLength(nibbleCount: path.count)
            let payload = stringEncodedLength(count: pathLength, first: path.count % 2 == 1 ? 0x30 | path[0] : 0x20)
                + stringEncodedLength(value)
            out.reserveCapacity(payload + 9)
            RLP.appendListHeader(payloadLength: payload, to: &out)
            appendPath(path, isLeaf: true, to: &out)
            RLP.appendString(value, to: &out)
        case .extension(let path, let child):
            let childReference = child.computeReference()
            let pathLength = HexPrefix.encodedLength(nibbleCount: path.count)
            let payload = stringEncodedLength(count: pathLength, first: path.count % 2 == 1 ? 0x10 | path[0] : 0)
                + childReference.count
            out.reserveCapacity(payload + 9)
            RLP.appendListHeader(payloadLength: payload, to: &out)
            appendPath(path, isLeaf: false, to: &out)
            out.append(contentsOf: childReference)
        case .branch(let children, let value):
            var payload = value.map(stringEncodedLength) ?? 1
            for child in children {
                payload += child?.computeReference().count ?? 1
            }
            out.reserveCapacity(payload + 9)
            RLP.appendListHeader(payloadLength: payload, to: &out)
            for child in children {
                // References were computed (and cached) in the loop above.
                if let reference = child?.reference { out.append(contentsOf: reference) } else { out.append(0x80) }
            }
            if let value { RLP.appendString(value, to: &out) } else { out.append(0x80) }
        case .stored:
            preconditionFailure("a stored node is loaded before it is encoded")
        }
        return out
    }
}

/// Length of the RLP of a byte string of `count` bytes starting with `first`.
private func stringEncodedLength(count: Int, first: UInt8) -> Int {
    if count == 1 && first < 0x80 { return 1 }
    return RLP.headerLength(payload: count) + count
}

private func stringEncodedLength(_ bytes: [UInt8]) -> Int {
    stringEncodedLength(count: bytes.count, first: bytes.first ?? 0)
}

private func appendPath(_ path: [UInt8], isLeaf: Bool, to out: inout [UInt8]) {
    let packedLength = HexPrefix.encodedLength(nibbleCount: path.count)
    if packedLength == 1 || packedLength >= 56 {
        // One byte (always under 0x80: the flag nibble is at most 3) or a long path: the general route.
        RLP.appendString(HexPrefix.encode(nibbles: path, isLeaf: isLeaf), to: &out)
    } else {
        // Short string header, then the packed nibbles straight into the output.
        out.append(0x80 + UInt8(packedLength))
        HexPrefix.append(nibbles: path, isLeaf: isLeaf, to: &out)
    }
}

// MARK: Decoding

extension TrieNode {
    /// The content of a node from its encoding; children under 32 bytes come decoded, larger ones as `.stored`.
    static func decodeContent(_ encoding: [UInt8], hash: Hash32) throws(TrieError) -> Content {
        do {
            return try decodeContent(RLP.decode(encoding))
        } catch let error as RLPError {
            throw .malformedNode(hash, reason: error.description)
        } catch let error as HexPrefixError {
            throw .malformedNode(hash, reason: error.description)
        } catch let error as NodeShapeError {
            throw .malformedNode(hash, reason: error.reason)
        } catch {
            throw .malformedNode(hash, reason: "\(error)")
        }
    }

    struct NodeShapeError: Error { var reason: String }

    static func decodeContent(_ item: RLP.Item) throws -> Content {
        let items = try item.list()
        switch items.count {
        case 2:
            let (path, isLeaf) = try HexPrefix.decode(try items[0].bytes())
            if isLeaf { return .leaf(path: path, value: try items[1].bytes()) }
            guard !path.isEmpty else { throw NodeShapeError(reason: "extension with an empty path") }
            guard let child = try childNode(items[1]) else { throw NodeShapeError(reason: "extension without a child") }
            return .extension(path: path, child: child)
        case 17:
            var children = emptyChildren
            for index in 0..<16 { children[index] = try childNode(items[index]) }
            let value = try items[16].bytes()
            return .branch(children: children, value: value.isEmpty ? nil : value)
        default:
            throw NodeShapeError(reason: "a node is a list of 2 or 17 items, not \(items.count)")
        }
    }

    /// A child reference: empty, a 32-byte hash, or a node under 32 bytes inline.
    private static func childNode(_ item: RLP.Item) throws -> TrieNode? {
        switch item {
        case .bytes(let bytes) where bytes.isEmpty:
            return nil
        case .bytes(let bytes):
            guard let hash = Hash32(bytes: bytes) else {
                throw NodeShapeError(reason: "child reference of \(bytes.count) bytes (expected 0 or 32)")
            }
            return TrieNode(storedAs: hash)
        case .list:
            let encoding = RLP.encode(item)
            guard encoding.count < 32 else {
                throw NodeShapeError(reason: "inline child of \(encoding.count) bytes (must be under 32)")
            }
            let node = TrieNode(try decodeContent(item))
            node.reference = encoding
            node.isPersisted = true
            return node
        }
    }
}
