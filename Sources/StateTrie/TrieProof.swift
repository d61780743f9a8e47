// Merkle proofs as eth_getProof returns them: the encodings of the nodes on a key's path, root
// first. Verification needs only the root hash; the proof proves a value or the key's absence.
import LedgerPrimitives

public enum TrieProofError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The path needs a node the proof does not hold: the proof was cut short or altered,
    /// or belongs to another root.
    case missingNode(Hash32)
    /// A node in the proof does not decode as a trie node.
    case malformedNode(Hash32, reason: String)

    public var description: String {
        switch self {
        case .missingNode(let hash):
            return "proof: node \(hash) on the key's path is missing (altered proof, or another root)"
        case .malformedNode(let hash, let reason):
            return "proof: node \(hash) is malformed: \(reason)"
        }
    }
}

extension MerklePatriciaTrie {
    /// The encodings of the nodes from the root down the path of `key`, as far as the path goes;
    /// nodes under 32 bytes sit inside their parent and are not listed apart (except a small root).
    /// It proves the value, or the absence of the key.
    public func proof(forKey key: [UInt8]) throws(TrieError) -> [[UInt8]] {
        let path = nibbles(of: key)
        var depth = 0
        var proof: [[UInt8]] = []
        var current = rootNode
        while let node = current {
            let kind = try loaded(node).kind
            let encoding = node.encode()
            if proof.isEmpty || encoding.count >= 32 { proof.append(encoding) }
            switch kind {
            case .leaf:
                current = nil
            case .extension:
                current = matches(path, from: depth, prefix: node.path) ? node.child : nil
                depth += node.path.count
            case .branch:
                current = depth < path.count ? node.children[Int(path[depth])] : nil
                depth += 1
            case .stored:
                preconditionFailure("loaded() returns a loaded node")
            }
        }
        return proof
    }

    /// The value `proof` proves for `key` under `root`, or nil when it proves the key absent.
    /// Nodes are found by hash, so their order does not matter and unused ones are ignored;
    /// a proof that does not reach a conclusion from `root` is rejected.
    public static func verifyProof(root: Hash32, key: [UInt8], proof: [[UInt8]]) throws(TrieProofError) -> [UInt8]? {
        if root == emptyRootHash { return nil }
        var nodesByHash: [Hash32: [UInt8]] = [:]
        for encoding in proof { nodesByHash[Keccak256.hash(encoding)] = encoding }

        let path = nibbles(of: key)
        var depth = 0
        var nodeHash = root
        var item = try provenItem(root, in: nodesByHash)
        while true {
            let next: RLP.Item
            do {
                let items = try item.list()
                switch items.count {
                case 2:
                    let (prefix, isLeaf) = try HexPrefix.decode(try items[0].bytes())
                    if isLeaf {
                        return matches(path, from: depth, exactly: prefix) ? try items[1].bytes() : nil
                    }
                    guard !prefix.isEmpty else {
                        throw TrieProofError.malformedNode(nodeHash, reason: "extension with an empty path")
                    }
                    guard matches(path, from: depth, prefix: prefix) else { return nil }
                    depth += prefix.count
                    next = items[1]
                case 17:
                    if depth == path.count {
                        let value = try items[16].bytes()
                        return value.isEmpty ? nil : value
                    }
                    next = items[Int(path[depth])]
                    depth += 1
                default:
                    throw TrieProofError.malformedNode(nodeHash, reason: "a list of \(items.count) items, not 2 or 17")
                }
            } catch let error as TrieProofError {
                throw error
            } catch {
                throw .malformedNode(nodeHash, reason: "\(error)")
            }
            switch next {
            case .bytes(let reference) where reference.isEmpty:
                return nil
            case .bytes(let reference):
                guard let hash = Hash32(bytes: reference) else {
                    throw .malformedNode(nodeHash, reason: "child reference of \(reference.count) bytes")
                }
                nodeHash = hash
                item = try provenItem(hash, in: nodesByHash)
            case .list:
                guard RLP.encodedLength(of: next) < 32 else {
                    throw .malformedNode(nodeHash, reason: "inline child of 32 bytes or more")
                }
                item = next
            }
        }
    }

    private static func provenItem(_ hash: Hash32, in nodes: [Hash32: [UInt8]]) throws(TrieProofError) -> RLP.Item {
        guard let encoding = nodes[hash] else { throw .missingNode(hash) }
        do {
            return try RLP.decode(encoding)
        } catch {
            throw .malformedNode(hash, reason: error.description)
        }
    }
}
