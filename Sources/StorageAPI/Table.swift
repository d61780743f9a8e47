// Typed tables: a column family's name, key codec and value codec, declared once and used by
// every read and write (STYLE.md habit 5), plus the key ranges a table can be scanned over.

/// How a column family is read, so the store can tune it: point-lookup families get bloom
/// filters (a miss costs no disk read); scanned families skip them (filters don't help scans).
public enum AccessPattern: Sendable, Hashable {
    case pointLookups
    case scans
}

/// A column family as the store sees it: a name and an access pattern, no types.
public struct ColumnFamily: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let access: AccessPattern

    public init(_ name: String, access: AccessPattern = .pointLookups) {
        precondition(!name.isEmpty && name != "default", "column family names must be non-empty and not \"default\"")
        (self.name, self.access) = (name, access)
    }

    public var description: String { name }
}

/// A typed view of one column family. Declare each table once, e.g.
/// `static let headers = Table("headers", key: UInt64Codec(), value: HeaderCodec(), access: .scans)`.
public struct Table<KeyCodec: TableCodec, ValueCodec: TableCodec>: Sendable {
    public typealias Key = KeyCodec.Value
    public typealias Value = ValueCodec.Value

    public let family: ColumnFamily
    public let keyCodec: KeyCodec
    public let valueCodec: ValueCodec

    public init(_ name: String, key: KeyCodec, value: ValueCodec, access: AccessPattern = .pointLookups) {
        family = ColumnFamily(name, access: access)
        (keyCodec, valueCodec) = (key, value)
    }

    public var name: String { family.name }

    /// Decodes a stored entry, naming this table in the error so a corrupt row is findable.
    func decode(key: [UInt8], value: [UInt8]) throws(StorageError) -> (key: Key, value: Value) {
        let decodedKey: Key
        do { decodedKey = try keyCodec.decode(key) } catch { throw .corruptKey(table: name, error) }
        return (decodedKey, try decodeValue(value))
    }

    func decodeValue(_ bytes: [UInt8]) throws(StorageError) -> Value {
        do { return try valueCodec.decode(bytes) } catch { throw .corruptValue(table: name, error) }
    }
}

/// A range of keys in byte order: `lowerBound` inclusive, `upperBound` exclusive, nil for open.
/// Built from a table's typed keys (`table.range(from:to:)`), never from bytes at call sites.
public struct KeyRange<Key>: Sendable {
    public let lowerBound: [UInt8]?
    public let upperBound: [UInt8]?

    /// Every key of the table.
    public static var all: KeyRange { KeyRange(lowerBound: nil, upperBound: nil) }

    /// All keys that start with `prefix`: from the prefix up to its successor.
    static func prefix(_ prefix: [UInt8]) -> KeyRange {
        KeyRange(lowerBound: prefix, upperBound: successor(ofPrefix: prefix))
    }

    /// Whether `key` lies in the range (byte-wise comparison).
    public func contains(encoded key: [UInt8]) -> Bool {
        if let lowerBound, key.lexicographicallyPrecedes(lowerBound) { return false }
        if let upperBound, !key.lexicographicallyPrecedes(upperBound) { return false }
        return true
    }
}

/// The smallest byte string greater than every string starting with `prefix`, or nil when
/// there is none (the prefix is all 0xFF bytes, so the range is open above).
func successor(ofPrefix prefix: [UInt8]) -> [UInt8]? {
    var bytes = prefix
    while let last = bytes.last {
        if last < 0xFF {
            bytes[bytes.count - 1] = last + 1
            return bytes
        }
        bytes.removeLast()
    }
    return nil
}

extension Table where KeyCodec: OrderPreservingCodec {
    /// Keys `lower ..< upper` in key order; nil leaves that end open.
    public func range(from lower: Key? = nil, to upper: Key? = nil) -> KeyRange<Key> {
        KeyRange(lowerBound: lower.map(keyCodec.encode), upperBound: upper.map(keyCodec.encode))
    }

    /// Keys from `lower` through `upper`, both included.
    public func range(from lower: Key, through upper: Key) -> KeyRange<Key> {
        KeyRange(lowerBound: keyCodec.encode(lower), upperBound: successor(ofKey: keyCodec.encode(upper)))
    }

    /// The least byte string greater than `key`: the key with a zero byte appended.
    private func successor(ofKey key: [UInt8]) -> [UInt8] { key + [0] }
}

extension Table {
    /// All keys whose first component is `first`, for composite keys such as (address, slot).
    public func range<First, Second>(whereFirstIs first: First.Value) -> KeyRange<Key>
    where KeyCodec == PairCodec<First, Second> {
        KeyRange.prefix(keyCodec.first.encode(first))
    }
}
