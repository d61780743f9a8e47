// Hex-prefix ("compact") encoding of nibble paths, as the Ethereum yellow paper defines it (appendix C):
// one flag nibble says leaf-or-extension and odd-or-even length, so a path of nibbles packs into bytes.

public enum HexPrefixError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case invalidFlag(UInt8)
    case nonZeroPadding(UInt8)

    public var description: String {
        switch self {
        case .empty: return "hex-prefix: empty input (a path needs at least its flag byte)"
        case .invalidFlag(let flag): return "hex-prefix: flag nibble \(flag) is not 0-3"
        case .nonZeroPadding(let nibble): return "hex-prefix: even path padded with nibble \(nibble) instead of 0"
        }
    }
}

public enum HexPrefix {
    /// Packs a path of nibbles (each 0...15) with its leaf flag.
    public static func encode(nibbles: some Collection<UInt8>, isLeaf: Bool) -> [UInt8] {
        var out = [UInt8]()
        append(nibbles: nibbles, isLeaf: isLeaf, to: &out)
        return out
    }

    /// Appends the packed path (not RLP-wrapped) to `out`.
    static func append(nibbles: some Collection<UInt8>, isLeaf: Bool, to out: inout [UInt8]) {
        let isOdd = nibbles.count % 2 == 1
        let flag: UInt8 = (isLeaf ? 2 : 0) + (isOdd ? 1 : 0)
        out.reserveCapacity(out.count + nibbles.count / 2 + 1)
        var iterator = nibbles.makeIterator()
        if isOdd {
            out.append(flag << 4 | iterator.next()!)
        } else {
            out.append(flag << 4)
        }
        while let high = iterator.next(), let low = iterator.next() {
            out.append(high << 4 | low)
        }
    }

    /// Length of the packed form of a path of `count` nibbles.
    static func encodedLength(nibbleCount count: Int) -> Int { count / 2 + 1 }

    /// Unpacks a path; rejects unknown flags and odd padding, since a node has one canonical encoding.
    public static func decode(_ bytes: some Collection<UInt8>) throws(HexPrefixError) -> (nibbles: [UInt8], isLeaf: Bool) {
        guard let first = bytes.first else { throw .empty }
        let flag = first >> 4
        guard flag <= 3 else { throw .invalidFlag(flag) }
        var nibbles = [UInt8]()
        nibbles.reserveCapacity(bytes.count * 2)
        if flag & 1 == 1 {
            nibbles.append(first & 0x0f)
        } else if first & 0x0f != 0 {
            throw .nonZeroPadding(first & 0x0f)
        }
        for byte in bytes.dropFirst() {
            nibbles.append(byte >> 4)
            nibbles.append(byte & 0x0f)
        }
        return (nibbles, flag & 2 == 2)
    }
}

/// The nibbles (high half first) of a byte string: the path a key takes down the trie.
func nibbles(of bytes: some Collection<UInt8>) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(byte >> 4)
        out.append(byte & 0x0f)
    }
    return out
}

/// Packs an even number of nibbles back into bytes.
func bytes(fromNibbles nibbles: some Collection<UInt8>) -> [UInt8] {
    var out = [UInt8]()
    out.reserveCapacity(nibbles.count / 2)
    var iterator = nibbles.makeIterator()
    while let high = iterator.next(), let low = iterator.next() { out.append(high << 4 | low) }
    return out
}
