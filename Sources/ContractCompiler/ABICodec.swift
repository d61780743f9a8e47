// ABI encoding of the DSL's value types (Docs/contract-dsl.md §ABI): every value is one 32-byte
// word, as the Ethereum ABI encodes static types, so call data is the selector and the words.
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

    public var word: UInt256 {
        switch self {
        case .unsigned(let value), .signed(let value), .fixedBytes(let value): return value
        case .bool(let value): return value ? .one : .zero
        case .address(let address): return UInt256(address)
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
        }
    }

    public var description: String {
        switch self {
        case .unsigned(let value): return value.description
        case .signed(let value): return value.isNegative ? "-\(value.negated())" : value.description
        case .bool(let value): return value.description
        case .address(let address): return address.description
        case .fixedBytes(let value): return Hex.encode(value.bigEndianBytes)
        }
    }
}

public enum ABICodec {
    /// Call data: the 4-byte selector of `signature` ("transfer(address,uint256)"), then the words.
    public static func callData(_ signature: String, _ arguments: [ABIValue]) -> [UInt8] {
        selector(signature) + encode(arguments)
    }

    /// The first 4 bytes of keccak-256 of a signature.
    public static func selector(_ signature: String) -> [UInt8] {
        Array(Keccak256.hash(Array(signature.utf8)).bytes.prefix(4))
    }

    public static func encode(_ values: [ABIValue]) -> [UInt8] {
        values.flatMap(\.word.bigEndianBytes)
    }

    /// The 32-byte words of `bytes` (nil unless its length is a multiple of 32).
    public static func words(_ bytes: [UInt8]) -> [UInt256]? {
        guard bytes.count % 32 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 32).compactMap { UInt256(bigEndianBytes: bytes[$0..<($0 + 32)]) }
    }

    /// The ABI type name a `ValueType` has, parsed back ("uint64" → .uint64).
    public static func valueType(named name: String) -> ValueType? {
        func bits(after prefix: String) -> Int? { Int(name.dropFirst(prefix.count)) }
        let type: ValueType?
        switch name {
        case "bool": type = .bool
        case "address": type = .address
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
