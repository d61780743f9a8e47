// Owns every C object of one open database and frees them in deinit, in the order RocksDB
// needs: column family handles, then the database, then the options and the cache it used.
import CRocksDB
import StorageAPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RocksDB's handles are safe for concurrent reads and writes, and this class only reads its
/// stored properties after init, so it may be shared across threads.
final class DatabaseHandle: @unchecked Sendable {
    let database: OpaquePointer
    /// Handles of the declared column families by name (plus any others found on disk).
    let families: [String: OpaquePointer]
    let compression: RocksDBConfiguration.Compression
    let readOptions: OpaquePointer
    let syncedWrite: OpaquePointer
    let unsyncedWrite: OpaquePointer
    private let cache: OpaquePointer
    private let ownedOptions: [OpaquePointer]
    private let tableOptions: [OpaquePointer]

    /// Opens (creating if allowed) the database at `path` with `declared` column families.
    /// Families already on disk but not declared are opened too: RocksDB refuses to open a
    /// database without all of them, and an older or newer schema must still open.
    init(path: String, declared: [ColumnFamily], configuration: RocksDBConfiguration) throws(StorageError) {
        let cache = rocksdb_cache_create_lru(max(configuration.blockCacheBytes, 1 << 20))!
        let pointTable = Self.tableOptions(cache: cache, bloomBitsPerKey: configuration.bloomBitsPerKey)
        let scanTable = Self.tableOptions(cache: cache, bloomBitsPerKey: nil)
        var opened: (OpaquePointer, [String: OpaquePointer], [OpaquePointer])?
        var compression = configuration.compression
        var lastError = StorageError.openFailed(path: path, message: "not attempted")
        // A build without the asked-for compression refuses to open with it ("Compression type
        // … is not linked with the binary"): the runtime check, with a fallback to none.
        for attempt in [configuration.compression, .none] {
            compression = attempt
            do {
                opened = try Self.open(path: path, declared: declared, configuration: configuration,
                                       compression: attempt, pointTable: pointTable, scanTable: scanTable)
                break
            } catch {
                lastError = error
                guard case .openFailed(_, let message) = error, message.contains("not linked"), attempt != .none else { break }
            }
        }
        guard let (database, families, ownedOptions) = opened else {
            rocksdb_block_based_options_destroy(pointTable)
            rocksdb_block_based_options_destroy(scanTable)
            rocksdb_cache_destroy(cache)
            throw lastError
        }
        self.database = database
        self.families = families
        self.compression = compression
        self.cache = cache
        self.ownedOptions = ownedOptions
        self.tableOptions = [pointTable, scanTable]
        readOptions = rocksdb_readoptions_create()
        syncedWrite = rocksdb_writeoptions_create()
        rocksdb_writeoptions_set_sync(syncedWrite, 1)
        unsyncedWrite = rocksdb_writeoptions_create()
    }

    deinit {
        for handle in families.values { rocksdb_column_family_handle_destroy(handle) }
        rocksdb_close(database)
        rocksdb_readoptions_destroy(readOptions)
        rocksdb_writeoptions_destroy(syncedWrite)
        rocksdb_writeoptions_destroy(unsyncedWrite)
        for options in ownedOptions { rocksdb_options_destroy(options) }
        for options in tableOptions { rocksdb_block_based_options_destroy(options) }
        rocksdb_cache_destroy(cache)
    }

    func family(_ name: String) throws(StorageError) -> OpaquePointer {
        guard let handle = families[name] else { throw .unknownTable(name) }
        return handle
    }

    /// Bytes the shared block cache holds now (data, index and filter blocks).
    var blockCacheUsage: Int { rocksdb_cache_get_usage(cache) }

    /// Bytes of live table files and memtables over every column family (RocksDB's own
    /// estimates, cheap to read).
    var approximateSize: Int {
        var total: UInt64 = 0
        for family in families.values {
            for property in ["rocksdb.live-sst-files-size", "rocksdb.cur-size-all-mem-tables"] {
                var value: UInt64 = 0
                if rocksdb_property_int_cf(database, family, property, &value) == 0 { total &+= value }
            }
        }
        return Int(clamping: total)
    }

    private static func tableOptions(cache: OpaquePointer, bloomBitsPerKey: Double?) -> OpaquePointer {
        let table = rocksdb_block_based_options_create()!
        rocksdb_block_based_options_set_block_cache(table, cache)
        // Index and filter blocks stay resident beside the cache (a few percent of the data),
        // not in it: in a cache smaller than the state, data blocks evicted them, and every
        // point read then re-read and decompressed a whole index block — 1–2 ms per cold state
        // read with a 1M-account state and the default 64 MiB cache (Docs/storage.md §Memory).
        rocksdb_block_based_options_set_cache_index_and_filter_blocks(table, 0)
        rocksdb_block_based_options_set_format_version(table, 5)
        if let bloomBitsPerKey {
            // The table options take ownership of the policy.
            rocksdb_block_based_options_set_filter_policy(table, rocksdb_filterpolicy_create_bloom_full(bloomBitsPerKey))
        }
        return table
    }

    /// Options shared by the database and every column family.
    private static func baseOptions(_ configuration: RocksDBConfiguration,
                                    compression: RocksDBConfiguration.Compression) -> OpaquePointer {
        let options = rocksdb_options_create()!
        rocksdb_options_set_create_if_missing(options, configuration.createIfMissing ? 1 : 0)
        rocksdb_options_set_create_missing_column_families(options, configuration.createIfMissing ? 1 : 0)
        rocksdb_options_increase_parallelism(options, Int32(max(configuration.backgroundJobs, 1)))
        rocksdb_options_set_max_background_jobs(options, Int32(max(configuration.backgroundJobs, 1)))
        rocksdb_options_set_db_write_buffer_size(options, max(configuration.writeBufferBudgetBytes, 1 << 20))
        // Each memtable may take half the budget; the budget, not this, is the bound.
        rocksdb_options_set_write_buffer_size(options, max(configuration.writeBufferBudgetBytes / 2, 1 << 20))
        rocksdb_options_set_keep_log_file_num(options, 5)
        let code: Int32 = switch compression {
        case .none: Int32(rocksdb_no_compression)
        case .lz4: Int32(rocksdb_lz4_compression)
        case .zstd: Int32(rocksdb_zstd_compression)
        }
        rocksdb_options_set_compression(options, code)
        return options
    }

    private static func open(
        path: String, declared: [ColumnFamily], configuration: RocksDBConfiguration,
        compression: RocksDBConfiguration.Compression, pointTable: OpaquePointer, scanTable: OpaquePointer
    ) throws(StorageError) -> (OpaquePointer, [String: OpaquePointer], [OpaquePointer]) {
        let databaseOptions = baseOptions(configuration, compression: compression)
        var owned = [databaseOptions]
        var names = ["default"] + declared.map(\.name)
        var options = [databaseOptions]
        for family in declared {
            let familyOptions = baseOptions(configuration, compression: compression)
            rocksdb_options_set_block_based_table_factory(
                familyOptions, family.access == .pointLookups ? pointTable : scanTable)
            owned.append(familyOptions)
            options.append(familyOptions)
        }
        for name in existingFamilies(path: path, options: databaseOptions) where !names.contains(name) {
            names.append(name)
            options.append(databaseOptions)
        }

        var handles = [OpaquePointer?](repeating: nil, count: names.count)
        let cNames = names.map { strdup($0) }
        defer { cNames.forEach { free($0) } }
        let namePointers: [UnsafePointer<CChar>?] = cNames.map { UnsafePointer($0) }
        let optionPointers: [OpaquePointer?] = options
        let database: OpaquePointer?
        do throws(StorageError) {
            database = try checkingErrors({ StorageError.openFailed(path: path, message: $0) }) { error in
                rocksdb_open_column_families(databaseOptions, path, Int32(names.count),
                                             namePointers, optionPointers, &handles, error)
            }
        } catch {
            owned.forEach { rocksdb_options_destroy($0) }
            throw error
        }
        guard let database else {
            owned.forEach { rocksdb_options_destroy($0) }
            throw .openFailed(path: path, message: "RocksDB returned no database and no error")
        }
        var byName: [String: OpaquePointer] = [:]
        for (name, handle) in zip(names, handles) {
            if let handle { byName[name] = handle }
        }
        return (database, byName, owned)
    }

    /// The column families of an existing database, or none if there is no database yet.
    private static func existingFamilies(path: String, options: OpaquePointer) -> [String] {
        var count = 0
        var error: UnsafeMutablePointer<CChar>? = nil
        let list = rocksdb_list_column_families(options, path, &count, &error)
        if let error {
            rocksdb_free(error)  // no database yet: nothing to add
            return []
        }
        guard let list else { return [] }
        defer { rocksdb_list_column_families_destroy(list, count) }
        return (0..<count).compactMap { list[$0].map { String(cString: $0) } }
    }
}
