// ABI encoding of the DSL's value types (Docs/contract-dsl.md §ABI): a word type is one 32-byte
// word; a `bytes` or `string` is an offset in the head and, in the tail, its length and its bytes
// padded to whole words; an array of words is an offset, and in the tail its length and its
// words, as the Ethereum ABI encodes a tuple.
import ContractDSL
import LedgerPrimitives

/// A typed value for a call, a return or an event field.
public enum ABIValue: Sendable, Hashable, CustomStringConvertible {
    case unsigned(UInt256)
    /// Two's complement in 256 bits.
    case signed(UInt256)
    case bool(Bool)
    case address(Address)
    case fixedBytes(UInt256)
    case bytes([UInt8])
    case string(String)
    /// An array of word values (`T[]`).
    case array([ABIValue])

    /// The word of a word value; nil for `bytes` and `string`.
    public var word: UInt256? {
        switch self {
        case .unsigned(let value), .signed(let value), .fixedBytes(let value): return value
        case .bool(let value): return value ? .one : .zero
        case .address(let address): return UInt256(address)
        case .bytes, .string, .array: return nil
        }
    }

    /// The content of a `bytes` or `string`; nil for word values.
    public var byteContent: [UInt8]? {
        switch self {
        case .bytes(let bytes): return bytes
        case .string(let text): return Array(text.utf8)
        default: return nil
        }
    }

    public static func int(_ value: Int) -> ABIValue {
        .signed(value < 0 ? UInt256(UInt64(value.magnitude)).negated() : UInt256(UInt64(value)))
    }

    public static func uint(_ value: UInt64) -> ABIValue { .unsigned(UInt256(value)) }

    /// The value `word` holds as `type`, or nil when the word is not a valid `type`.
    public static func decode(_ word: UInt256, as type: ValueType) -> ABIValue? {
        switch type {
        case .unsigned(let bits): return bits == 256 || word >> bits == .zero ? .unsigned(word) : nil
        case .signed(let bits): return word.signExtend(fromByte: bits / 8 - 1) == word ? .signed(word) : nil
        case .bool: return word <= .one ? .bool(word == .one) : nil
        case .address: return word >> 160 == .zero ? .address(Address(truncating: word)) : nil
        case .fixedBytes(let count): return count == 32 || (word << (8 * count)).isZero ? .fixedBytes(word) : nil
        case .bytes, .string, .array: return nil
        }
    }

    /// The value `content` is as `type` (`bytes` or `string`); text that is not UTF-8 keeps its
    /// bytes as `bytes`, since the ABI does not promise valid UTF-8.
    public static func decode(content: [UInt8], as type: ValueType) -> ABIValue {
        if type == .string, let text = String(validating: content, as: UTF8.self) { return .string(text) }
        return .bytes(content)
    }

    public var description: String {
        switch self {
        case .unsigned(let value): return value.description
        case .signed(let value): return value.isNegative ? "-\(value.negated())" : value.description
        case .bool(let value): return value.description
        case .address(let address): return address.description
        case .fixedBytes(let value): return Hex.encode(value.bigEndianBytes)
        case .bytes(let bytes): return Hex.encode(bytes)
        case .string(let text): return "\"\(text)\""
        case .array(let elements): return "[" + elements.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

public enum ABICodec {
    /// Call data: the 4-byte selector of `signature` ("transfer(address,uint256)"), then the words.
    public static func callData(_ signature: String, _ arguments: [ABIValue]) -> [UInt8] {
        selector(signature) + encode(arguments)
    }

    /// What `Require`/`Revert` with a message revert with: `Error(string)`, as Solidity encodes it.
    public static func errorPayload(_ message: String) -> [UInt8] {
        selector("Error(string)") + encode([.string(message)])
    }

    /// The first 4 bytes of keccak-256 of a signature.
    public static func selector(_ signature: String) -> [UInt8] {
        Array(Keccak256.hash(Array(signature.utf8)).bytes.prefix(4))
    }

    /// The values as an ABI tuple: heads (words, or offsets from the tuple's start), then tails
    /// (each byte string's length and its bytes, zero-padded to whole words), in order.
    public static func encode(_ values: [ABIValue]) -> [UInt8] {
        var head: [UInt8] = []
        var tail: [UInt8] = []
        let headSize = 32 * values.count
        for value in values {
            if let word = value.word {
                head += word.bigEndianBytes
            } else if case .array(let elements) = value {
                head += UInt256(UInt64(headSize + tail.count)).bigEndianBytes
                tail += UInt256(UInt64(elements.count)).bigEndianBytes
                // Words in place; byte strings as a tuple of their own (heads, then tails).
                tail += elements.allSatisfy({ $0.word != nil }) ? elements.flatMap { ($0.word ?? .zero).bigEndianBytes } : encode(elements)
            } else {
                let content = value.byteContent ?? []
                head += UInt256(UInt64(headSize + tail.count)).bigEndianBytes
                tail += UInt256(UInt64(content.count)).bigEndianBytes + content + [UInt8](repeating: 0, count: (32 - content.count % 32) % 32)
            }
        }
        return head + tail
    }

    /// The tuple of `types` that `data` encodes, nil when it is not one: too short, a word that
    /// is not a valid value of its type, or an offset or length that points outside `data`.
    /// Bytes past what the types need are allowed, as the VM's decoder allows them.
    public static func decode(_ data: [UInt8], as types: [ValueType]) -> [ABIValue]? {
        guard data.count >= 32 * types.count else { return nil }
        func word(at offset: Int) -> UInt256? {
            guard offset >= 0, offset <= data.count - 32 else { return nil }
            return UInt256(bigEndianBytes: data[offset..<(offset + 32)])
        }
        var values: [ABIValue] = []
        for (index, type) in types.enumerated() {
            guard let head = word(at: 32 * index) else { return nil }
            if !type.isDynamic {
                guard let value = ABIValue.decode(head, as: type) else { return nil }
                values.append(value)
                continue
            }
            guard let offset = head.exactInt, offset <= data.count - 32, let length = word(at: offset)?.exactInt,
                  length <= data.count - 32 - offset else { return nil }
            if case .array(let element) = type, element.isByteString {
                guard length <= (data.count - 32 - offset) / 32,
                      let elements = decode(Array(data[(offset + 32)...]), as: Array(repeating: element, count: length)) else { return nil }
                values.append(.array(elements))
                continue
            }
            if case .array(let element) = type {
                guard length <= (data.count - 32 - offset) / 32 else { return nil }
                var elements: [ABIValue] = []
                for index in 0..<length {
                    guard let word = word(at: offset + 32 + 32 * index), let value = ABIValue.decode(word, as: element) else { return nil }
                    elements.append(value)
                }
                values.append(.array(elements))
                continue
            }
            values.append(ABIValue.decode(content: Array(data[(offset + 32)..<(offset + 32 + length)]), as: type))
        }
        return values
    }

    /// The 32-byte words of `bytes` (nil unless its length is a multiple of 32).
    public static func words(_ bytes: [UInt8]) -> [UInt256]? {
        guard bytes.count % 32 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 32).compactMap { UInt256(bigEndianBytes: bytes[$0..<($0 + 32)]) }
    }

    /// The ABI type name a `ValueType` has, parsed back ("uint64" → .uint64).
    public static func valueType(named name: String) -> ValueType? {
        if name.hasSuffix("[]") {
            return valueType(named: String(name.dropLast(2))).flatMap { ValueType.array($0).isWellFormed ? .array($0) : nil }
        }
        func bits(after prefix: String) -> Int? { Int(name.dropFirst(prefix.count)) }
        let type: ValueType?
        switch name {
        case "bool": type = .bool
        case "address": type = .address
        case "bytes": type = .bytes
        case "string": type = .string
        case "uint": type = .uint256
        case "int": type = .int256
        case _ where name.hasPrefix("uint"): type = bits(after: "uint").map { .unsigned(bits: $0) }
        case _ where name.hasPrefix("int"): type = bits(after: "int").map { .signed(bits: $0) }
        case _ where name.hasPrefix("bytes"): type = bits(after: "bytes").map { .fixedBytes($0) }
        default: type = nil
        }
        return type.flatMap { $0.isWellFormed ? $0 : nil }
    }
}
