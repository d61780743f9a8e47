// What only the RocksDB store does: persistence across reopen, checkpoints, recovery of a torn
// write-ahead log, open errors, closing, compression and schema changes.
import Foundation
import StorageAPI
import StorageRocksDB
import Testing

func numbers(_ range: ClosedRange<UInt64>) -> WriteBatch {
    var batch = WriteBatch()
    for number in range { batch.put("value \(number)", forKey: number, in: Tables.numbers) }
    return batch
}

struct RocksDBStoreTests {
    @Test func dataSurvivesCloseAndReopen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("db")
        let store = try RocksDBStore(path: path, families: Tables.families)
        try store.commit(numbers(1...100))
        store.close()
        #expect(throws: StorageError.closed) { try store.get(1, from: Tables.numbers) }

        let reopened = try RocksDBStore(path: path, families: Tables.families)
        defer { reopened.close() }
        #expect(try reopened.entries(in: Tables.numbers).count == 100)
        #expect(try reopened.get(77, from: Tables.numbers) == "value 77")
    }

    @Test func checkpointsOpenAsDatabasesOfTheirOwn() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try RocksDBStore(path: directory.path("db"), families: Tables.families)
        defer { store.close() }
        try store.commit(numbers(1...10))
        try store.checkpoint(to: directory.path("backup"))
        try store.commit(numbers(11...20))

        let backup = try RocksDBStore(path: directory.path("backup"), families: Tables.families)
        defer { backup.close() }
        #expect(try backup.entries(in: Tables.numbers).map(\.key) == Array(1...10))
        #expect(try store.entries(in: Tables.numbers).count == 20)
        #expect(throws: StorageError.self, "a checkpoint never overwrites a directory") {
            try store.checkpoint(to: directory.path("backup"))
        }
    }

    /// A process killed in the middle of writing a batch leaves a torn last record in the
    /// write-ahead log. Cutting the log short reproduces that on disk: recovery must keep the
    /// earlier batch whole and drop the torn one whole.
    @Test func aTornBatchIsDroppedWholeOnRecovery() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("db")
        let store = try RocksDBStore(path: path, families: Tables.families)
        try store.commit(numbers(1...10))
        let logFile = try newestLog(in: path)
        let sizeAfterFirst = try fileSize(logFile)
        try store.commit(numbers(11...1_000))
        store.close()  // memtables are not flushed on close: both batches live only in the log
        let sizeAfterSecond = try fileSize(logFile)
        #expect(sizeAfterSecond > sizeAfterFirst + 1_000)

        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        try handle.truncate(atOffset: UInt64(sizeAfterFirst + (sizeAfterSecond - sizeAfterFirst) / 2))
        try handle.close()

        let recovered = try RocksDBStore(path: path, families: Tables.families)
        defer { recovered.close() }
        #expect(try recovered.entries(in: Tables.numbers).map(\.key) == Array(1...10))
    }

    @Test func openErrorsCarryRocksDBsMessage() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.path("plain-file")
        _ = FileManager.default.createFile(atPath: file, contents: Data([1, 2, 3]))
        do {
            _ = try RocksDBStore(path: file + "/db", families: Tables.families)
            Issue.record("opened a database below a regular file")
        } catch let StorageError.openFailed(path, message) {
            #expect(path == file + "/db")
            #expect(!message.isEmpty)
        }

        var noCreate = RocksDBConfiguration()
        noCreate.createIfMissing = false
        #expect(throws: StorageError.self) {
            try RocksDBStore(path: directory.path("absent"), families: Tables.families, configuration: noCreate)
        }
    }

    @Test func aSecondOpenOfTheSameDatabaseIsRefused() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try RocksDBStore(path: directory.path("db"), families: Tables.families)
        defer { store.close() }
        #expect(throws: StorageError.self, "RocksDB's LOCK file keeps a second node off the data") {
            try RocksDBStore(path: directory.path("db"), families: Tables.families)
        }
    }

    @Test func snapshotsOutliveCloseAndReleaseTheDatabaseAfter() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("db")
        let store = try RocksDBStore(path: path, families: Tables.families)
        try store.commit(numbers(1...3))
        var snapshot: RocksDBSnapshot? = try store.snapshot()
        store.close()
        #expect(try snapshot?.entries(in: Tables.numbers).count == 3)
        snapshot = nil  // the last user: the database closes now
        let reopened = try RocksDBStore(path: path, families: Tables.families)
        reopened.close()
    }

    @Test func familiesOnDiskButNotDeclaredStillOpen() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("db")
        let store = try RocksDBStore(path: path, families: Tables.families)
        try store.commit(numbers(1...3))
        store.close()

        let fewer = try RocksDBStore(path: path, families: [Tables.numbers.family])
        defer { fewer.close() }
        #expect(try fewer.entries(in: Tables.numbers).count == 3)
    }

    @Test(arguments: RocksDBConfiguration.Compression.allCases)
    func compressionIsCheckedAtOpen(compression: RocksDBConfiguration.Compression) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var configuration = RocksDBConfiguration()
        configuration.compression = compression
        configuration.blockCacheBytes = 8 << 20
        configuration.writeBufferBudgetBytes = 4 << 20
        let store = try RocksDBStore(path: directory.path("db"), families: Tables.families, configuration: configuration)
        defer { store.close() }
        // Debian's librocksdb links lz4 and zstd: what was asked for is what runs.
        #expect(store.compression == compression)
        try store.commit(numbers(1...2_000))
        try store.checkpoint(to: directory.path("flushed"))  // flushes, so SST blocks are read back
        #expect(try store.entries(in: Tables.numbers).count == 2_000)
        #expect(try store.blockCacheUsage > 0)
    }
}

private func newestLog(in path: String) throws -> String {
    let logs = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".log") && $0 != "LOG" }.sorted()
    return try #require(logs.last.map { path + "/" + $0 })
}

private func fileSize(_ path: String) throws -> Int {
    try #require(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
}
