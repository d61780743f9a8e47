// StorageAPI's store on RocksDB: column families per table, atomic (optionally synced) write
// batches, pinned point reads, bounded scans, snapshots and checkpoints (Docs/storage.md).
import CRocksDB
import StorageAPI
import Synchronization

/// A RocksDB database opened with a fixed set of column families.
///
/// Thread safety: every method may be called from any thread at the same time; RocksDB's
/// handles are thread-safe for concurrent reads and writes. All calls block on disk I/O, so
/// run them on a thread pool, not on Swift's concurrency pool (DESIGN.md §7).
///
/// Lifetime: the C handles live in one object freed in its deinit. `close()` stops this store
/// at once (later calls throw `.closed`); the database itself closes when the last call in
/// flight and the last snapshot are done — immediately, when there are none.
public final class RocksDBStore: Sendable {
    private let current: Mutex<DatabaseHandle?>
    public let path: String
    public let columnFamilies: [ColumnFamily]
    /// The compression actually in use: the configured one, or `.none` if this RocksDB build
    /// lacks it.
    public let compression: RocksDBConfiguration.Compression

    /// Opens the database at `path`, creating it and missing column families if
    /// `configuration.createIfMissing`.
    public init(path: String, families: [ColumnFamily],
                configuration: RocksDBConfiguration = RocksDBConfiguration()) throws(StorageError) {
        let handle = try DatabaseHandle(path: path, declared: families, configuration: configuration)
        self.path = path
        columnFamilies = families
        compression = handle.compression
        current = Mutex(handle)
    }

    /// Closes the store; see the lifetime note above. Closing twice is harmless.
    public func close() {
        let handle = current.withLock { current in
            defer { current = nil }
            return current
        }
        _ = handle  // dropped here, outside the lock: the database may close now
    }

    /// Writes a consistent copy of the database into `directory` (which must not exist; its
    /// parent must). Files are hard-linked where possible, so it is fast and small on one
    /// file system. The copy opens as a database of its own: this is `d6g-node backup`.
    public func checkpoint(to directory: String) throws(StorageError) {
        let handle = try openHandle()
        let checkpoint = try checkingErrors(during: "checkpoint") { error in
            rocksdb_checkpoint_object_create(handle.database, error)
        }
        guard let checkpoint else { throw .engine(operation: "checkpoint", message: "no checkpoint object") }
        defer { rocksdb_checkpoint_object_destroy(checkpoint) }
        // 0: always flush the memtables first, so the copy needs no WAL replay.
        try checkingErrors(during: "checkpoint") { error in
            rocksdb_checkpoint_create(checkpoint, directory, 0, error)
        }
    }

    /// Bytes of the database's live files and memtables (the `d6g_db_size_bytes` metric).
    public var approximateSize: Int {
        get throws(StorageError) { try openHandle().approximateSize }
    }

    /// Bytes held by the shared block cache now.
    public var blockCacheUsage: Int {
        get throws(StorageError) { try openHandle().blockCacheUsage }
    }

    private func openHandle() throws(StorageError) -> DatabaseHandle {
        guard let handle = current.withLock({ $0 }) else { throw .closed }
        return handle
    }
}

extension RocksDBStore: KeyValueReading, KeyValueScanning, BatchWriting, SnapshotProviding {
    public func value(forKey key: [UInt8], in family: ColumnFamily) throws(StorageError) -> [UInt8]? {
        let handle = try openHandle()
        return try RocksDBReader(handle: handle, snapshot: nil).value(forKey: key, in: family, readOptions: handle.readOptions)
    }

    public func scan(_ family: ColumnFamily, from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
                     _ visit: ([UInt8], [UInt8]) throws(StorageError) -> IterationDecision) throws(StorageError) {
        try RocksDBReader(handle: try openHandle(), snapshot: nil).scan(family, from: lowerBound, to: upperBound, visit)
    }

    /// One RocksDB write batch: one WAL record, applied all-or-nothing even if the process dies
    /// mid-write (recovery drops a torn last record).
    public func write(_ batch: WriteBatch, sync: Bool) throws(StorageError) {
        let handle = try openHandle()
        let cBatch = rocksdb_writebatch_create()!
        defer { rocksdb_writebatch_destroy(cBatch) }
        // Batches mostly run through one family at a time: remember the last lookup.
        var lastName = ""
        var lastFamily: OpaquePointer? = nil
        for operation in batch.operations {
            let name = operation.family
            if lastFamily == nil || name != lastName {
                lastFamily = try handle.family(name)
                lastName = name
            }
            switch operation {
            case .put(_, let key, let value):
                withCBytes(key) { keyPointer, keyLength in
                    withCBytes(value) { valuePointer, valueLength in
                        rocksdb_writebatch_put_cf(cBatch, lastFamily, keyPointer, keyLength, valuePointer, valueLength)
                    }
                }
            case .delete(_, let key):
                withCBytes(key) { keyPointer, keyLength in
                    rocksdb_writebatch_delete_cf(cBatch, lastFamily, keyPointer, keyLength)
                }
            }
        }
        try checkingErrors(during: "write") { error in
            rocksdb_write(handle.database, sync ? handle.syncedWrite : handle.unsyncedWrite, cBatch, error)
        }
    }

    public func snapshot() throws(StorageError) -> RocksDBSnapshot {
        RocksDBSnapshot(handle: try openHandle())
    }
}

/// A consistent view of the database as of its creation. It keeps the database open until it
/// is released, so drop snapshots promptly: RocksDB keeps every version they can see.
public final class RocksDBSnapshot: KeyValueReading, KeyValueScanning, @unchecked Sendable {
    private let handle: DatabaseHandle
    private let snapshot: OpaquePointer
    private let readOptions: OpaquePointer

    init(handle: DatabaseHandle) {
        self.handle = handle
        snapshot = rocksdb_create_snapshot(handle.database)
        readOptions = rocksdb_readoptions_create()
        rocksdb_readoptions_set_snapshot(readOptions, snapshot)
    }

    deinit {
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_release_snapshot(handle.database, snapshot)
    }

    public func value(forKey key: [UInt8], in family: ColumnFamily) throws(StorageError) -> [UInt8]? {
        try RocksDBReader(handle: handle, snapshot: snapshot).value(forKey: key, in: family, readOptions: readOptions)
    }

    public func scan(_ family: ColumnFamily, from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
                     _ visit: ([UInt8], [UInt8]) throws(StorageError) -> IterationDecision) throws(StorageError) {
        try RocksDBReader(handle: handle, snapshot: snapshot).scan(family, from: lowerBound, to: upperBound, visit)
    }
}
