// Recursive Length Prefix: Ethereum's serialisation of byte strings and lists.
// The encoder is canonical; the decoder is strict and accepts only canonical encodings,
// because two encodings of one value would give two hashes of one transaction or node.

public enum RLPError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyInput
    case truncated(needed: Int, available: Int)
    case trailingBytes(count: Int)
    case lengthWithLeadingZero
    case longFormForShortPayload
    case singleByteNotCanonical(UInt8)
    case lengthTooLarge
    case nestingTooDeep(limit: Int)
    // Typed reads of decoded items.
    case expectedBytes
    case expectedList
    case wrongListLength(expected: Int, actual: Int)
    case integerWithLeadingZero
    case integerTooLarge(maxBytes: Int)
    case wrongByteCount(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .emptyInput: return "rlp: empty input"
        case .truncated(let needed, let available): return "rlp: value needs \(needed) bytes but only \(available) remain"
        case .trailingBytes(let count): return "rlp: \(count) bytes after the value"
        case .lengthWithLeadingZero: return "rlp: length prefix has a leading zero"
        case .longFormForShortPayload: return "rlp: long length form used for a payload under 56 bytes"
        case .singleByteNotCanonical(let b): return "rlp: single byte 0x\(String(b, radix: 16)) must not be wrapped as a string"
        case .lengthTooLarge: return "rlp: length does not fit in memory"
        case .nestingTooDeep(let limit): return "rlp: lists nested deeper than \(limit)"
        case .expectedBytes: return "rlp: expected a byte string, found a list"
        case .expectedList: return "rlp: expected a list, found a byte string"
        case .wrongListLength(let e, let a): return "rlp: expected a list of \(e) items, found \(a)"
        case .integerWithLeadingZero: return "rlp: integer has a leading zero byte"
        case .integerTooLarge(let max): return "rlp: integer longer than \(max) bytes"
        case .wrongByteCount(let e, let a): return "rlp: expected \(e) bytes, found \(a)"
        }
    }
}

public enum RLP {
    /// A decoded (or to-be-encoded) RLP value.
    public enum Item: Equatable, Sendable {
        case bytes([UInt8])
        case list([Item])

        public static let empty = Item.bytes([])
    }

    /// Limits nesting so hostile input cannot exhaust the stack.
    public static let maximumNesting = 256

    // MARK: Encoding

    public static func encode(_ item: Item) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(encodedLength(of: item))
        append(item, to: &out)
        return out
    }

    public static func encodedLength(of item: Item) -> Int {
        switch item {
        case .bytes(let bytes):
            if bytes.count == 1 && bytes[0] < 0x80 { return 1 }
            return headerLength(payload: bytes.count) + bytes.count
        case .list(let items):
            let payload = items.reduce(0) { $0 + encodedLength(of: $1) }
            return headerLength(payload: payload) + payload
        }
    }

    public static func append(_ item: Item, to out: inout [UInt8]) {
        switch item {
        case .bytes(let bytes): appendString(bytes, to: &out)
        case .list(let items):
            let payload = items.reduce(0) { $0 + encodedLength(of: $1) }
            appendHeader(payload: payload, shortBase: 0xc0, to: &out)
            for element in items { append(element, to: &out) }
        }
    }

    /// Appends the encoding of a byte string.
    public static func appendString(_ bytes: some Collection<UInt8>, to out: inout [UInt8]) {
        if bytes.count == 1, let only = bytes.first, only < 0x80 {
            out.append(only)
            return
        }
        appendHeader(payload: bytes.count, shortBase: 0x80, to: &out)
        out.append(contentsOf: bytes)
    }

    /// Appends a list header for a payload of the given length (the payload follows).
    public static func appendListHeader(payloadLength: Int, to out: inout [UInt8]) {
        appendHeader(payload: payloadLength, shortBase: 0xc0, to: &out)
    }

    public static func headerLength(payload: Int) -> Int {
        payload < 56 ? 1 : 1 + minimalByteCount(UInt64(payload))
    }

    private static func appendHeader(payload: Int, shortBase: UInt8, to out: inout [UInt8]) {
        if payload < 56 {
            out.append(shortBase + UInt8(payload))
        } else {
            let lengthBytes = minimalByteCount(UInt64(payload))
            out.append(shortBase + 55 + UInt8(lengthBytes))
            for i in stride(from: lengthBytes - 1, through: 0, by: -1) {
                out.append(UInt8(truncatingIfNeeded: UInt64(payload) >> (8 * UInt64(i))))
            }
        }
    }

    static func minimalByteCount(_ value: UInt64) -> Int {
        (64 - value.leadingZeroBitCount + 7) / 8
    }

    // MARK: Decoding

    /// Decodes exactly one item spanning the whole input.
    public static func decode(_ bytes: [UInt8]) throws(RLPError) -> Item {
        let result: Result<Item, RLPError> = bytes.withUnsafeBytes { raw in
            Result { () throws(RLPError) -> Item in
                guard !raw.isEmpty else { throw .emptyInput }
                var cursor = 0
                let item = try decodeItem(raw, cursor: &cursor, end: raw.count, depth: 0)
                if cursor != raw.count { throw .trailingBytes(count: raw.count - cursor) }
                return item
            }
        }
        return try result.get()
    }

    /// Where the payload of the item starting at `offset` lies, and whether it is a list.
    public struct Header: Equatable, Sendable {
        public var isList: Bool
        public var payloadOffset: Int
        public var payloadLength: Int
        public var end: Int { payloadOffset + payloadLength }
    }

    /// Reads and checks one item's header within `offset..<end`.
    public static func header(_ raw: UnsafeRawBufferPointer, at offset: Int, end: Int) throws(RLPError) -> Header {
        guard offset < end else { throw .truncated(needed: 1, available: 0) }
        let prefix = raw[offset]
        let available = end - offset - 1
        switch prefix {
        case 0x00...0x7f:
            return Header(isList: false, payloadOffset: offset, payloadLength: 1)
        case 0x80...0xb7, 0xc0...0xf7:
            let isList = prefix >= 0xc0
            let length = Int(prefix - (isList ? 0xc0 : 0x80))
            guard length <= available else { throw .truncated(needed: length, available: available) }
            if !isList && length == 1 && raw[offset + 1] < 0x80 {
                throw .singleByteNotCanonical(raw[offset + 1])
            }
            return Header(isList: isList, payloadOffset: offset + 1, payloadLength: length)
        default:
            let isList = prefix >= 0xf8
            let lengthOfLength = Int(prefix - (isList ? 0xf7 : 0xb7))
            guard lengthOfLength <= available else { throw .truncated(needed: lengthOfLength, available: available) }
            guard raw[offset + 1] != 0 else { throw .lengthWithLeadingZero }
            guard lengthOfLength <= 8 else { throw .lengthTooLarge }
            var length: UInt64 = 0
            for i in 0..<lengthOfLength { length = length << 8 | UInt64(raw[offset + 1 + i]) }
            guard length >= 56 else { throw .longFormForShortPayload }
            guard length <= UInt64(Int.max / 2) else { throw .lengthTooLarge }
            let payloadAvailable = available - lengthOfLength
            guard Int(length) <= payloadAvailable else {
                throw .truncated(needed: Int(length), available: payloadAvailable)
            }
            return Header(isList: isList, payloadOffset: offset + 1 + lengthOfLength, payloadLength: Int(length))
        }
    }

    private static func decodeItem(_ raw: UnsafeRawBufferPointer, cursor: inout Int, end: Int,
                                   depth: Int) throws(RLPError) -> Item {
        let header = try header(raw, at: cursor, end: end)
        cursor = header.end
        if !header.isList {
            return .bytes(Array(raw[header.payloadOffset..<header.end]))
        }
        guard depth < maximumNesting else { throw .nestingTooDeep(limit: maximumNesting) }
        var items = [Item]()
        var inner = header.payloadOffset
        while inner < header.end {
            items.append(try decodeItem(raw, cursor: &inner, end: header.end, depth: depth + 1))
        }
        return .list(items)
    }
}

// MARK: Typed reads and writes

extension RLP.Item {
    public func bytes() throws(RLPError) -> [UInt8] {
        guard case .bytes(let bytes) = self else { throw .expectedBytes }
        return bytes
    }

    public func list() throws(RLPError) -> [RLP.Item] {
        guard case .list(let items) = self else { throw .expectedList }
        return items
    }

    /// A list that must have exactly `count` items.
    public func list(count: Int) throws(RLPError) -> [RLP.Item] {
        let items = try list()
        guard items.count == count else { throw .wrongListLength(expected: count, actual: items.count) }
        return items
    }

    /// A canonical unsigned integer: big-endian, no leading zero bytes, zero as the empty string.
    public func integerBytes(maxBytes: Int) throws(RLPError) -> [UInt8] {
        let bytes = try bytes()
        if let first = bytes.first, first == 0 { throw .integerWithLeadingZero }
        guard bytes.count <= maxBytes else { throw .integerTooLarge(maxBytes: maxBytes) }
        return bytes
    }

    public func uint64() throws(RLPError) -> UInt64 {
        try integerBytes(maxBytes: 8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    public func fixedBytes(count: Int) throws(RLPError) -> [UInt8] {
        let bytes = try bytes()
        guard bytes.count == count else { throw .wrongByteCount(expected: count, actual: bytes.count) }
        return bytes
    }

    public func address() throws(RLPError) -> Address {
        Address(bytes: try fixedBytes(count: 20))!
    }

    public func hash() throws(RLPError) -> Hash32 {
        Hash32(bytes: try fixedBytes(count: 32))!
    }

    /// An integer as RLP writes it: big-endian without leading zeros.
    public static func uint64(_ value: UInt64) -> RLP.Item {
        let count = RLP.minimalByteCount(value)
        return .bytes((0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(count - 1 - $0))) })
    }

    public static func address(_ address: Address) -> RLP.Item { .bytes(address.bytes) }
    public static func hash(_ hash: Hash32) -> RLP.Item { .bytes(hash.bytes) }

    public var encoded: [UInt8] { RLP.encode(self) }
}
