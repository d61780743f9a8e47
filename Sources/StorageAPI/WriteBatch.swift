// An atomic set of puts and deletes across tables: a store applies all of it or none of it.
// Docs/storage.md §Batch per block: everything one block commits goes into one batch.

public struct WriteBatch: Sendable {
    /// One change in byte form. Stores read these to apply the batch; callers build them only
    /// through the typed `put`/`delete` below.
    public enum Operation: Sendable, Equatable {
        case put(family: String, key: [UInt8], value: [UInt8])
        case delete(family: String, key: [UInt8])

        public var family: String {
            switch self {
            case .put(let family, _, _), .delete(let family, _): return family
            }
        }
    }

    /// In the order they were added: a later change to one key wins over an earlier one.
    public private(set) var operations: [Operation] = []

    public init() {}

    public var count: Int { operations.count }
    public var isEmpty: Bool { operations.isEmpty }

    public mutating func reserveCapacity(_ count: Int) { operations.reserveCapacity(count) }

    public mutating func put<K, V>(_ value: V.Value, forKey key: K.Value, in table: Table<K, V>) {
        operations.append(.put(family: table.name, key: table.keyCodec.encode(key),
                               value: table.valueCodec.encode(value)))
    }

    public mutating func delete<K, V>(_ key: K.Value, from table: Table<K, V>) {
        operations.append(.delete(family: table.name, key: table.keyCodec.encode(key)))
    }

    /// Appends `other`'s changes after this batch's own.
    public mutating func append(contentsOf other: WriteBatch) {
        operations.append(contentsOf: other.operations)
    }
}
