// The knobs that keep a RocksDB store's memory predictable (Docs/storage.md §Memory bounds).

public struct RocksDBConfiguration: Sendable, Equatable {
    public enum Compression: String, Sendable, Equatable, CaseIterable {
        case none, lz4, zstd
    }

    /// One LRU block cache shared by all column families; index and filter blocks are charged
    /// to it too, so it bounds the read-side memory.
    public var blockCacheBytes: Int = 64 << 20
    /// The total of all memtables across column families (RocksDB's write buffer manager,
    /// set through `db_write_buffer_size`): past it, the largest memtable is flushed.
    public var writeBufferBudgetBytes: Int = 64 << 20
    /// Asked for; if this RocksDB build lacks it the store opens without compression and
    /// `RocksDBStore.compression` says so.
    public var compression: Compression = .lz4
    /// Bloom filter bits per key on point-lookup column families (~1% false positives at 10).
    public var bloomBitsPerKey: Double = 10
    /// Background flush and compaction threads.
    public var backgroundJobs: Int = 2
    /// Create the database (and missing column families) when absent.
    public var createIfMissing = true

    public init() {}
}
