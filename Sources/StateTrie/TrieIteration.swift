// Ordered walks: keys sort as byte strings (a key before its extensions), which is the order of
// nibble paths with a branch's own value ahead of its children.
import LedgerPrimitives

extension MerklePatriciaTrie {
    /// The smallest key greater than `key`, or nil.
    public func key(after key: [UInt8]) throws(TrieError) -> [UInt8]? {
        guard let root = rootNode else { return nil }
        return try firstKey(in: root, at: [], after: nibbles(of: key)).map(bytes(fromNibbles:))
    }

    /// The largest key less than `key`, or nil.
    public func key(before key: [UInt8]) throws(TrieError) -> [UInt8]? {
        guard let root = rootNode else { return nil }
        return try lastKey(in: root, at: [], before: nibbles(of: key)).map(bytes(fromNibbles:))
    }

    /// Every key and value in key order.
    public func entries() throws(TrieError) -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        if let root = rootNode { try collect(root, at: [], into: &out) }
        return out
    }

    private func collect(_ node: TrieNode, at path: [UInt8],
                         into out: inout [(key: [UInt8], value: [UInt8])]) throws(TrieError) {
        switch try loaded(node).kind {
        case .leaf:
            out.append((bytes(fromNibbles: path + node.path), node.value!))
        case .extension:
            try collect(node.child!, at: path + node.path, into: &out)
        case .branch:
            if let value = node.value { out.append((bytes(fromNibbles: path), value)) }
            for index in 0..<16 {
                if let child = node.children[index] { try collect(child, at: path + [UInt8(index)], into: &out) }
            }
        case .stored:
            preconditionFailure("loaded() returns a loaded node")
        }
    }

    /// The first key under `node` (whose path is `path`) that sorts after `bound`.
    private func firstKey(in node: TrieNode, at path: [UInt8], after bound: [UInt8]) throws(TrieError) -> [UInt8]? {
        switch order(of: path, relativeTo: bound) {
        case .before:
            return nil
        case .after, .extendsBound:
            return try extremeKey(in: node, at: path, first: true)
        case .prefixOfBound, .equal:
            switch try loaded(node).kind {
            case .leaf:
                let key = path + node.path
                let position = order(of: key, relativeTo: bound)
                return position == .after || position == .extendsBound ? key : nil
            case .extension:
                return try firstKey(in: node.child!, at: path + node.path, after: bound)
            case .branch:
                // The branch's own key is `path`, which is not past `bound` here.
                for index in 0..<16 {
                    if let child = node.children[index],
                       let key = try firstKey(in: child, at: path + [UInt8(index)], after: bound) {
                        return key
                    }
                }
                return nil
            case .stored:
                preconditionFailure("loaded() returns a loaded node")
            }
        }
    }

    /// The last key under `node` that sorts before `bound`.
    private func lastKey(in node: TrieNode, at path: [UInt8], before bound: [UInt8]) throws(TrieError) -> [UInt8]? {
        switch order(of: path, relativeTo: bound) {
        case .after, .extendsBound, .equal:
            return nil
        case .before:
            return try extremeKey(in: node, at: path, first: false)
        case .prefixOfBound:
            switch try loaded(node).kind {
            case .leaf:
                let key = path + node.path
                let position = order(of: key, relativeTo: bound)
                return position == .before || position == .prefixOfBound ? key : nil
            case .extension:
                return try lastKey(in: node.child!, at: path + node.path, before: bound)
            case .branch:
                for index in (0..<16).reversed() {
                    if let child = node.children[index],
                       let key = try lastKey(in: child, at: path + [UInt8(index)], before: bound) {
                        return key
                    }
                }
                // `path` is a proper prefix of `bound`, so the branch's own key sorts before it.
                return node.value == nil ? nil : path
            case .stored:
                preconditionFailure("loaded() returns a loaded node")
            }
        }
    }

    /// The smallest (`first`) or largest key under `node`.
    private func extremeKey(in node: TrieNode, at path: [UInt8], first: Bool) throws(TrieError) -> [UInt8]? {
        switch try loaded(node).kind {
        case .leaf:
            return path + node.path
        case .extension:
            return try extremeKey(in: node.child!, at: path + node.path, first: first)
        case .branch:
            if first, node.value != nil { return path }
            for index in first ? Array(0..<16) : (0..<16).reversed() {
                if let child = node.children[index] {
                    return try extremeKey(in: child, at: path + [UInt8(index)], first: first)
                }
            }
            return node.value == nil ? nil : path
        case .stored:
            preconditionFailure("loaded() returns a loaded node")
        }
    }
}

private enum PathOrder { case before, after, prefixOfBound, equal, extendsBound }

/// Where `path` sorts against `bound`; when one is a prefix of the other, which.
private func order(of path: [UInt8], relativeTo bound: [UInt8]) -> PathOrder {
    for index in 0..<min(path.count, bound.count) where path[index] != bound[index] {
        return path[index] < bound[index] ? .before : .after
    }
    if path.count < bound.count { return .prefixOfBound }
    return path.count == bound.count ? .equal : .extendsBound
}
