// The in-memory node tree. Loaded and shared nodes are never changed (an update makes new nodes
// along its path and shares the rest); nodes the current edit session made are changed in place.
// Caches are filled in lazily: the reference (hash or inline encoding) once hashed, the content of
// a stored node once loaded. Docs/trie.md §Nodes.
import LedgerPrimitives

final class TrieNode {
    enum Kind {
        /// `path` is the rest of the key (nibbles), `value` its value.
        case leaf
        /// `path` is a shared run of nibbles leading to `child` (a branch, in a well-formed trie).
        case `extension`
        /// Sixteen `children` by next nibble, and the `value` of a key that ends here, if any.
        case branch
        /// Known only by hash (in `reference`) until something needs its content; then loaded once.
        case stored
    }

    // Fields rather than an enum with payloads, so that an edit can change one child of a branch
    // in place without copying the other fifteen (see `MerklePatriciaTrie.owns`).
    var kind: Kind
    var path: [UInt8]
    var value: [UInt8]?
    var child: TrieNode?
    var children: [TrieNode?]

    /// What a parent's encoding holds for this node: its own RLP if under 32 bytes, else 0xa0 ‖ keccak.
    /// nil while the node is new or changed and not yet hashed. A slice, so the references of loaded
    /// children share their parent's encoding instead of each holding a copy.
    var reference: ArraySlice<UInt8>?
    /// In the store already (loaded from it, or handed out by a commit): a commit skips it and its subtree.
    var isPersisted: Bool
    /// The trie edit session that made this node and alone may change it in place; nil for loaded nodes.
    var owner: EditToken?

    private init(kind: Kind, path: [UInt8], value: [UInt8]?, child: TrieNode?, children: [TrieNode?], owner: EditToken?) {
        self.kind = kind
        self.path = path
        self.value = value
        self.child = child
        self.children = children
        self.reference = nil
        self.isPersisted = false
        self.owner = owner
    }

    static func leaf(_ path: some Collection<UInt8>, _ value: [UInt8], owner: EditToken?) -> TrieNode {
        TrieNode(kind: .leaf, path: Array(path), value: value, child: nil, children: [], owner: owner)
    }

    static func `extension`(_ path: some Collection<UInt8>, _ child: TrieNode, owner: EditToken?) -> TrieNode {
        TrieNode(kind: .extension, path: Array(path), value: nil, child: child, children: [], owner: owner)
    }

    static func branch(_ children: [TrieNode?], _ value: [UInt8]?, owner: EditToken?) -> TrieNode {
        TrieNode(kind: .branch, path: [], value: value, child: nil, children: children, owner: owner)
    }

    /// A node the store holds under `hash`, not loaded yet.
    static func stored(_ hash: Hash32) -> TrieNode {
        let node = TrieNode(kind: .stored, path: [], value: nil, child: nil, children: [], owner: nil)
        node.reference = hashReference(hash)
        node.isPersisted = true
        return node
    }

    static var emptyChildren: [TrieNode?] { [TrieNode?](repeating: nil, count: 16) }

    /// The hash if the reference is one (the node's encoding is 32 bytes or more).
    var referencedHash: Hash32? {
        guard let reference, reference.count == 33 else { return nil }
        return reference.withUnsafeBytes { Hash32(unsafeBytes: UnsafeRawBufferPointer(rebasing: $0[1...])) }
    }

    /// Takes the content of `decoded` (this node's own, read from the store).
    func adoptContent(of decoded: TrieNode) {
        kind = decoded.kind
        path = decoded.path
        value = decoded.value
        child = decoded.child
        children = decoded.children
    }

    /// Marks the node changed: its hash must be recomputed and it must be written again.
    func invalidate() {
        reference = nil
        isPersisted = false
    }
}

/// Marks the nodes one trie value made and may change in place. Nodes hold it; trie values reach it
/// through an `EditSession`.
final class EditToken {}

/// Held only by trie values, so a copied trie value shows up as a session that is not uniquely
/// referenced. The copy that notices marks the session shared and starts a new one; the other copy
/// then sees the mark and does the same, so neither changes nodes the other can see.
final class EditSession {
    let token = EditToken()
    var isShared = false
}

func hashReference(_ hash: Hash32) -> ArraySlice<UInt8> {
    var reference = [UInt8](repeating: 0xa0, count: 1)
    reference.append(contentsOf: hash.bytes)
    return reference[...]
}

// MARK: Encoding (yellow paper appendix D)

extension TrieNode {
    /// The reference, hashing this node and any new descendants first.
    func computeReference() -> ArraySlice<UInt8> {
        if let reference { return reference }
        let encoding = encode()
        let computed = encoding.count < 32 ? encoding[...] : hashReference(Keccak256.hash(encoding))
        reference = computed
        return computed
    }

    /// The node's RLP. Children are referenced, so new children get hashed first.
    func encode() -> [UInt8] {
        var out = [UInt8]()
        switch kind {
        case .leaf:
            let value = value!
            let pathLength = HexPrefix.encodedLength(nibbleCount: path.count)
            let payload = stringEncodedLength(count: pathLength, first: path.count % 2 == 1 ? 0x30 | path[0] : 0x20)
                + stringEncodedLength(value)
            out.reserveCapacity(payload + 9)
            RLP.appendListHeader(payloadLength: payload, to: &out)
            appendPath(path, isLeaf: true, to: &out)
            RLP.appendString(value, to: &out)
        case .extension:
            let childReference = child!.computeReference()
            let pathLength = HexPrefix.encodedLength(nibbleCount: path.count)
            let payload = stringEncodedLength(count: pathLength, first: path.count % 2 == 1 ? 0x10 | path[0] : 0)
                + childReference.count
            out.reserveCapacity(payload + 9)
            RLP.appendListHeader(payloadLength: payload, to: &out)
            appendPath(path, isLeaf: false, to: &out)
            out.append(contentsOf: childReference)
        case .branch:
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
    /// A node from its encoding; children under 32 bytes come decoded, larger ones as stored nodes.
    /// Reads the RLP in place rather than through `RLP.Item`: loading is the cost of every update
    /// that reaches a node not yet in memory.
    static func decode(_ encoding: [UInt8], hash: Hash32) throws(TrieError) -> TrieNode {
        do {
            return try encoding.withUnsafeBytes { raw in
                try decode(raw, encoding: encoding, start: 0, end: raw.count)
            }
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

    /// Decodes the node whose RLP spans exactly `start..<end` of `raw` (the bytes of `encoding`).
    private static func decode(_ raw: UnsafeRawBufferPointer, encoding: [UInt8], start: Int, end: Int) throws -> TrieNode {
        let list = try RLP.header(raw, at: start, end: end)
        guard list.isList else { throw NodeShapeError(reason: "a node is a list, not a byte string") }
        guard list.end == end else { throw RLPError.trailingBytes(count: end - list.end) }
        // Where each item starts and what its header says; a node has 2 or 17.
        var items: [(start: Int, header: RLP.Header)] = []
        items.reserveCapacity(17)
        var cursor = list.payloadOffset
        while cursor < list.end {
            guard items.count < 17 else { throw NodeShapeError(reason: "a node is a list of 2 or 17 items, not more") }
            let header = try RLP.header(raw, at: cursor, end: list.end)
            items.append((cursor, header))
            cursor = header.end
        }
        func bytes(_ index: Int) throws -> UnsafeRawBufferPointer {
            let header = items[index].header
            guard !header.isList else { throw RLPError.expectedBytes }
            return UnsafeRawBufferPointer(rebasing: raw[header.payloadOffset..<header.end])
        }
        /// A child reference: empty, a 32-byte hash, or a node under 32 bytes inline.
        func child(_ index: Int) throws -> TrieNode? {
            let (itemStart, header) = items[index]
            if header.isList {
                guard header.end - itemStart < 32 else {
                    throw NodeShapeError(reason: "inline child of \(header.end - itemStart) bytes (must be under 32)")
                }
                let node = try decode(raw, encoding: encoding, start: itemStart, end: header.end)
                node.reference = encoding[itemStart..<header.end]
                return node
            }
            switch header.payloadLength {
            case 0:
                return nil
            case 32:
                let node = TrieNode(kind: .stored, path: [], value: nil, child: nil, children: [], owner: nil)
                node.reference = encoding[itemStart..<header.end]  // 0xa0 and the hash
                node.isPersisted = true
                return node
            default:
                throw NodeShapeError(reason: "child reference of \(header.payloadLength) bytes (expected 0 or 32)")
            }
        }

        let node: TrieNode
        switch items.count {
        case 2:
            let (path, isLeaf) = try HexPrefix.decode(try bytes(0))
            if isLeaf {
                node = .leaf(path, Array(try bytes(1)), owner: nil)
            } else {
                guard !path.isEmpty else { throw NodeShapeError(reason: "extension with an empty path") }
                guard let child = try child(1) else { throw NodeShapeError(reason: "extension without a child") }
                node = .extension(path, child, owner: nil)
            }
        case 17:
            var children = emptyChildren
            for index in 0..<16 { children[index] = try child(index) }
            let value = try bytes(16)
            node = .branch(children, value.isEmpty ? nil : Array(value), owner: nil)
        default:
            throw NodeShapeError(reason: "a node is a list of 2 or 17 items, not \(items.count)")
        }
        node.isPersisted = true
        return node
    }
}
