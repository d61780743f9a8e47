// Codecs between typed keys/values and the bytes a store keeps. Each table names its codecs
// once (Table.swift), so call sites never see bytes and a bad stored value is a typed error.
import LedgerPrimitives

/// What was wrong with stored bytes that a codec could not turn back into a value.
public enum CodecError: Error, Equatable, Sendable, CustomStringConvertible {
    case wrongLength(expected: Int, actual: Int)
    case tooShort(minimum: Int, actual: Int)
    case malformed(String)

    public var description: String {
        switch self {
        case .wrongLength(let expected, let actual): return "expected \(expected) bytes, found \(actual)"
        case .tooShort(let minimum, let actual): return "expected at least \(minimum) bytes, found \(actual)"
        case .malformed(let reason): return "malformed bytes: \(reason)"
        }
    }
}

/// Turns values into bytes and back. `decode(encode(v)) == v` for every value; decode rejects
/// bytes that no value encodes to with a `CodecError`, never a crash.
///
/// A codec used for keys must also preserve order — `a < b` exactly when `encode(a)` precedes
/// `encode(b)` byte-wise — because range iteration walks keys in byte order (big-endian integers,
/// fixed-width hashes). Codecs that keep order say so with `OrderPreservingCodec`.
public protocol TableCodec<Value>: Sendable {
    associatedtype Value
    func encode(_ value: Value) -> [UInt8]
    func decode(_ bytes: [UInt8]) throws(CodecError) -> Value
}

/// A codec whose byte order is the value order, fit for keys that are scanned by range.
public protocol OrderPreservingCodec<Value>: TableCodec {}

/// A codec whose encodings all have one length: it can head a composite key (`PairCodec`).
public protocol FixedWidthCodec<Value>: OrderPreservingCodec {
    var width: Int { get }
}

// MARK: - Built-in codecs

/// Bytes stored as they are (trie nodes keyed by hash, code, opaque blobs).
public struct BytesCodec: OrderPreservingCodec {
    public init() {}
    public func encode(_ value: [UInt8]) -> [UInt8] { value }
    public func decode(_ bytes: [UInt8]) throws(CodecError) -> [UInt8] { bytes }
}

/// UTF-8 text, rejecting invalid UTF-8 on the way back.
public struct StringCodec: OrderPreservingCodec {
    public init() {}
    public func encode(_ value: String) -> [UInt8] { Array(value.utf8) }
    public func decode(_ bytes: [UInt8]) throws(CodecError) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .malformed("not UTF-8") }
        return text
    }
}

/// A `UInt64` in 8 big-endian bytes, so block numbers iterate in numeric order.
public struct UInt64Codec: FixedWidthCodec {
    public init() {}
    public var width: Int { 8 }
    public func encode(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }
    public func decode(_ bytes: [UInt8]) throws(CodecError) -> UInt64 {
        guard bytes.count == 8 else { throw .wrongLength(expected: 8, actual: bytes.count) }
        return bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

public struct Hash32Codec: FixedWidthCodec {
    public init() {}
    public var width: Int { 32 }
    public func encode(_ value: Hash32) -> [UInt8] { value.bytes }
    public func decode(_ bytes: [UInt8]) throws(CodecError) -> Hash32 {
        guard let hash = Hash32(bytes: bytes) else { throw .wrongLength(expected: 32, actual: bytes.count) }
        return hash
    }
}

public struct AddressCodec: FixedWidthCodec {
    public init() {}
    public var width: Int { 20 }
    public func encode(_ value: Address) -> [UInt8] { value.bytes }
    public func decode(_ bytes: [UInt8]) throws(CodecError) -> Address {
        guard let address = Address(bytes: bytes) else { throw .wrongLength(expected: 20, actual: bytes.count) }
        return address
    }
}

/// A composite key `first ‖ second`, e.g. (address, storage slot) for flat storage. The fixed
/// width of `first` makes the split unambiguous and lets all keys sharing `first` be scanned
/// as one prefix (`Table.range(whereFirstIs:)`).
public struct PairCodec<First: FixedWidthCodec, Second: OrderPreservingCodec>: OrderPreservingCodec {
    public let first: First
    public let second: Second
    public init(_ first: First, _ second: Second) { (self.first, self.second) = (first, second) }

    public func encode(_ value: (First.Value, Second.Value)) -> [UInt8] {
        first.encode(value.0) + second.encode(value.1)
    }
    public func decode(_ bytes: [UInt8]) throws(CodecError) -> (First.Value, Second.Value) {
        guard bytes.count >= first.width else { throw .tooShort(minimum: first.width, actual: bytes.count) }
        return (try first.decode(Array(bytes[..<first.width])), try second.decode(Array(bytes[first.width...])))
    }
}

/// A codec made of two functions, for a value type whose own serialisation (RLP, say) lives
/// with the type. Use it for values; for keys it must preserve order to be range-scanned.
public struct ClosureCodec<Value>: TableCodec {
    private let encoder: @Sendable (Value) -> [UInt8]
    private let decoder: @Sendable ([UInt8]) throws(CodecError) -> Value

    public init(encode: @escaping @Sendable (Value) -> [UInt8],
                decode: @escaping @Sendable ([UInt8]) throws(CodecError) -> Value) {
        (encoder, decoder) = (encode, decode)
    }
    public func encode(_ value: Value) -> [UInt8] { encoder(value) }
    public func decode(_ bytes: [UInt8]) throws(CodecError) -> Value { try decoder(bytes) }
}
