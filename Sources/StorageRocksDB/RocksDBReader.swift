// Point reads and ordered scans against a database handle, shared by the store (latest data)
// and its snapshots (data as of the snapshot).
import CRocksDB
import StorageAPI

struct RocksDBReader {
    let handle: DatabaseHandle
    /// nil reads the latest data.
    let snapshot: OpaquePointer?

    func value(forKey key: [UInt8], in family: ColumnFamily, readOptions: OpaquePointer) throws(StorageError) -> [UInt8]? {
        let familyHandle = try handle.family(family.name)
        // Pinned: RocksDB hands out the block's bytes without an intermediate malloc'd copy.
        let pinned = try withCBytes(key) { (pointer, length) throws(StorageError) in
            try checkingErrors(during: "get") { error in
                rocksdb_get_pinned_cf(handle.database, readOptions, familyHandle, pointer, length, error)
            }
        }
        guard let pinned else { return nil }
        defer { rocksdb_pinnableslice_destroy(pinned) }
        var length = 0
        let bytes = rocksdb_pinnableslice_value(pinned, &length)
        return copyBytes(bytes, length)
    }

    func scan(_ family: ColumnFamily, from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
              _ visit: ([UInt8], [UInt8]) throws(StorageError) -> IterationDecision) throws(StorageError) {
        let familyHandle = try handle.family(family.name)
        // Fresh read options per scan: the bounds belong to this iterator only. The bound
        // bytes are copied into buffers that outlive the iterator, as RocksDB requires.
        let options = rocksdb_readoptions_create()!
        let lower = lowerBound.map(CopiedBytes.init)
        let upper = upperBound.map(CopiedBytes.init)
        defer {
            rocksdb_readoptions_destroy(options)
            lower?.free()
            upper?.free()
        }
        if let snapshot { rocksdb_readoptions_set_snapshot(options, snapshot) }
        if let lower { rocksdb_readoptions_set_iterate_lower_bound(options, lower.pointer, lower.count) }
        if let upper { rocksdb_readoptions_set_iterate_upper_bound(options, upper.pointer, upper.count) }

        let iterator = rocksdb_create_iterator_cf(handle.database, options, familyHandle)!
        defer { rocksdb_iter_destroy(iterator) }
        if let lower { rocksdb_iter_seek(iterator, lower.pointer, lower.count) } else { rocksdb_iter_seek_to_first(iterator) }
        while rocksdb_iter_valid(iterator) != 0 {
            var keyLength = 0, valueLength = 0
            let key = copyBytes(rocksdb_iter_key(iterator, &keyLength), keyLength)
            let value = copyBytes(rocksdb_iter_value(iterator, &valueLength), valueLength)
            if try visit(key, value) == .stop { return }
            rocksdb_iter_next(iterator)
        }
        // An iterator that stops early because of an I/O error or corruption says so only here.
        try checkingErrors(during: "scan") { error in rocksdb_iter_get_error(iterator, error) }
    }
}

/// A heap copy of key bytes with a stable address for C to keep pointing at.
private struct CopiedBytes {
    let pointer: UnsafeMutablePointer<CChar>
    let count: Int

    init(_ bytes: [UInt8]) {
        count = bytes.count
        pointer = .allocate(capacity: max(count, 1))
        bytes.withUnsafeBytes { raw in
            if let base = raw.baseAddress { pointer.initialize(from: base.assumingMemoryBound(to: CChar.self), count: count) }
        }
    }

    func free() { pointer.deallocate() }
}
