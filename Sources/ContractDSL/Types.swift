// The types of the contract DSL (Docs/contract-dsl.md §Types). Value types map to the Ethereum ABI
// type of the same name: the word types are one 256-bit word each, `bytes` and `string` are byte
// strings of any length (ADR 0006); storage types say how state is laid out.

/// Where a DSL element was written: the contract author's Swift file and line, for compile errors
/// and the source map. `#fileID` ("Module/File.swift") keeps artifacts the same on every machine.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public init(_ file: StaticString, _ line: UInt) {
        self.file = "\(file)"
        self.line = Int(line)
    }

    public var description: String { "\(file):\(line)" }
}

/// What parameters, locals, returns, event fields and storage values hold: a word type, or a
/// byte string (`bytes`, `string`) whose length is known only at run time; a function parameter
/// may also be an array of word values (`address[]`, `bytes32[]`).
public indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
    /// uint8 … uint256 (bits a multiple of 8).
    case unsigned(bits: Int)
    /// int8 … int256, two's complement.
    case signed(bits: Int)
    case bool
    case address
    /// bytes1 … bytes32, left-aligned in the word as in the ABI.
    case fixedBytes(Int)
    /// A byte string of any length.
    case bytes
    /// UTF-8 text of any length (stored and encoded as `bytes`; not checked for UTF-8).
    case string
    /// A dynamic array of word values or byte strings, `T[]` in the ABI: a function parameter
    /// only, read with `local.xs[i]` and `local.xs.length` (Docs/contract-dsl.md §Array parameters).
    case array(ValueType)

    public static let uint256 = ValueType.unsigned(bits: 256)
    public static let uint128 = ValueType.unsigned(bits: 128)
    public static let uint64 = ValueType.unsigned(bits: 64)
    public static let uint32 = ValueType.unsigned(bits: 32)
    public static let uint16 = ValueType.unsigned(bits: 16)
    public static let uint8 = ValueType.unsigned(bits: 8)
    public static let int256 = ValueType.signed(bits: 256)
    public static let int128 = ValueType.signed(bits: 128)
    public static let int64 = ValueType.signed(bits: 64)
    public static let int32 = ValueType.signed(bits: 32)
    public static let int16 = ValueType.signed(bits: 16)
    public static let int8 = ValueType.signed(bits: 8)
    public static let bytes32 = ValueType.fixedBytes(32)
    public static let bytes4 = ValueType.fixedBytes(4)

    /// The ABI name: `uint256`, `int64`, `bool`, `address`, `bytes32`.
    public var description: String {
        switch self {
        case .unsigned(let bits): return "uint\(bits)"
        case .signed(let bits): return "int\(bits)"
        case .bool: return "bool"
        case .address: return "address"
        case .fixedBytes(let count): return "bytes\(count)"
        case .bytes: return "bytes"
        case .string: return "string"
        case .array(let element): return "\(element)[]"
        }
    }

    /// Whether the value is a byte string or an array (a pointer to memory in compiled code,
    /// heads and tails in the ABI) rather than one word.
    public var isDynamic: Bool {
        switch self {
        case .bytes, .string, .array: return true
        default: return false
        }
    }

    /// Whether the value is a byte string (`bytes` or `string`).
    public var isByteString: Bool { self == .bytes || self == .string }

    public var isArray: Bool {
        if case .array = self { return true }
        return false
    }

    /// Whether the type exists in the ABI (bit widths 8…256 in steps of 8, bytes1…bytes32).
    public var isWellFormed: Bool {
        switch self {
        case .unsigned(let bits), .signed(let bits): return bits >= 8 && bits <= 256 && bits % 8 == 0
        case .fixedBytes(let count): return count >= 1 && count <= 32
        case .bool, .address, .bytes, .string: return true
        case .array(let element): return element.isWellFormed && !element.isArray
        }
    }

    public var isInteger: Bool {
        switch self {
        case .unsigned, .signed: return true
        default: return false
        }
    }

    public var isSigned: Bool {
        if case .signed = self { return true }
        return false
    }
}

/// A named field of a record, an event, an error or a parameter list.
public struct Field: Sendable, Hashable {
    public var name: String
    public var type: ValueType

    public init(_ name: String, _ type: ValueType) {
        self.name = name
        self.type = type
    }
}

/// How a storage variable is laid out (Docs/contract-dsl.md §Storage layout).
public indirect enum StorageType: Sendable, Hashable, CustomStringConvertible {
    /// One word.
    case value(ValueType)
    /// A mapping from a value key; a nested map has another map as its value.
    case map(key: ValueType, value: StorageType)
    /// A dynamic array: its length at the variable's slot, elements from keccak(slot).
    case array(StorageType)
    /// A declared record: its fields in consecutive slots.
    case record(String)

    public var description: String {
        switch self {
        case .value(let type): return type.description
        case .map(let key, let value): return "map(\(key) => \(value))"
        case .array(let element): return "\(element)[]"
        case .record(let name): return name
        }
    }
}
