// The store seams: small protocols composed with `&` (STYLE.md habit 4). Stores implement them
// on bytes per column family; callers use the typed extensions, which go through a `Table`.
//
// Every method blocks (disk I/O for RocksDB): call them from a thread pool, never from the
// Swift concurrency pool's threads (DESIGN.md §7).

/// Whether a scan goes on after the entry just visited.
public enum IterationDecision: Sendable {
    case `continue`
    case stop
}

/// Point reads.
public protocol KeyValueReading: Sendable {
    /// The stored bytes for `key`, or nil when absent.
    func value(forKey key: [UInt8], in family: ColumnFamily) throws(StorageError) -> [UInt8]?
}

/// Ordered scans. Entries come in ascending byte order of their keys.
public protocol KeyValueScanning: Sendable {
    /// Visits the entries with `lowerBound <= key < upperBound` (nil: open) until `visit` says stop.
    func scan(_ family: ColumnFamily, from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
              _ visit: (_ key: [UInt8], _ value: [UInt8]) throws(StorageError) -> IterationDecision) throws(StorageError)
}

/// Atomic writes.
public protocol BatchWriting: Sendable {
    /// Applies every change in `batch`, or none of them if the call fails or the process dies.
    /// With `sync`, the batch is on disk when the call returns (it survives power loss);
    /// without, it survives a process crash but the last batches may be lost on power loss.
    func write(_ batch: WriteBatch, sync: Bool) throws(StorageError)
}

/// Consistent read views: a snapshot sees the store as it was when taken, whatever is written after.
public protocol SnapshotProviding: Sendable {
    associatedtype Snapshot: KeyValueReading & KeyValueScanning
    func snapshot() throws(StorageError) -> Snapshot
}

/// What block execution and RPC read through.
public typealias ReadView = KeyValueReading & KeyValueScanning

/// A whole store: reads, scans, atomic batches and snapshots.
public typealias KeyValueStore = KeyValueReading & KeyValueScanning & BatchWriting & SnapshotProviding

// MARK: - Typed access through tables

extension KeyValueReading {
    /// The value stored under `key` in `table`, or nil.
    public func get<K, V>(_ key: K.Value, from table: Table<K, V>) throws(StorageError) -> V.Value? {
        guard let bytes = try value(forKey: table.keyCodec.encode(key), in: table.family) else { return nil }
        return try table.decodeValue(bytes)
    }

    public func contains<K, V>(_ key: K.Value, in table: Table<K, V>) throws(StorageError) -> Bool {
        try value(forKey: table.keyCodec.encode(key), in: table.family) != nil
    }
}

extension KeyValueScanning {
    /// Visits `table`'s entries in `range`, in key order, until `body` says stop.
    public func forEach<K, V>(in table: Table<K, V>, over range: KeyRange<K.Value> = .all,
                              _ body: (K.Value, V.Value) -> IterationDecision) throws(StorageError) {
        try scan(table.family, from: range.lowerBound, to: range.upperBound) { key, value throws(StorageError) in
            let entry = try table.decode(key: key, value: value)
            return body(entry.key, entry.value)
        }
    }

    /// Up to `limit` entries of `table` in `range`, in key order.
    public func entries<K, V>(in table: Table<K, V>, over range: KeyRange<K.Value> = .all,
                              limit: Int = .max) throws(StorageError) -> [(key: K.Value, value: V.Value)] {
        var result: [(key: K.Value, value: V.Value)] = []
        guard limit > 0 else { return result }
        try forEach(in: table, over: range) { key, value in
            result.append((key, value))
            return result.count < limit ? .continue : .stop
        }
        return result
    }
}

extension BatchWriting {
    /// One synced batch: the way a committed block is written (Docs/storage.md §Batch per block).
    public func commit(_ batch: WriteBatch) throws(StorageError) {
        try write(batch, sync: true)
    }
}
