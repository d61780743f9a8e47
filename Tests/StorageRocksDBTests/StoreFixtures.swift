// Store factories for the contract tests: every contract test runs once per store kind, and
// RocksDB stores live in temporary directories that are removed afterwards.
import Foundation
import LedgerPrimitives
import StorageAPI
import StorageRocksDB

enum Tables {
    static let numbers = Table("numbers", key: UInt64Codec(), value: StringCodec(), access: .scans)
    static let balances = Table("balances", key: AddressCodec(), value: UInt64Codec())
    static let slots = Table("slots", key: PairCodec(AddressCodec(), Hash32Codec()), value: BytesCodec(), access: .scans)
    static let families = [numbers.family, balances.family, slots.family]

    /// The "numbers" column family seen through other codecs, to plant bytes that the real
    /// table's codecs reject.
    static let numbersAsBytes = Table("numbers", key: UInt64Codec(), value: BytesCodec(), access: .scans)
    static let numbersWithRawKeys = Table("numbers", key: BytesCodec(), value: StringCodec(), access: .scans)
}

enum StoreKind: String, CaseIterable, Sendable {
    case memory, rocksDB
}

/// A fresh temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("d6g-storage-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Runs `body` with an empty store of `kind`, cleaning up afterwards.
func withStore(_ kind: StoreKind, _ body: (any KeyValueStore) throws -> Void) throws {
    switch kind {
    case .memory:
        try body(MemoryStore(families: Tables.families))
    case .rocksDB:
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try RocksDBStore(path: directory.path("db"), families: Tables.families)
        defer { store.close() }
        try body(store)
    }
}
