// MemoryStore's own semantics: snapshots, faults, and what a restart recovers after a crash
// or a power loss. The read/write contract it shares with RocksDB is in StorageRocksDBTests.
import StorageAPI
import Testing

enum Tables {
    static let numbers = Table("numbers", key: UInt64Codec(), value: StringCodec(), access: .scans)
    static let meta = Table("meta", key: StringCodec(), value: UInt64Codec())
    static let families = [numbers.family, meta.family]
}

func batch(_ numbers: ClosedRange<UInt64>, head: UInt64? = nil) -> WriteBatch {
    var batch = WriteBatch()
    for number in numbers { batch.put("block \(number)", forKey: number, in: Tables.numbers) }
    if let head { batch.put(head, forKey: "head", in: Tables.meta) }
    return batch
}

struct MemoryStoreTests {
    @Test func snapshotsKeepTheirView() throws {
        let store = MemoryStore(families: Tables.families)
        try store.commit(batch(1...2))
        let snapshot = try store.snapshot()
        var later = batch(3...3)
        later.delete(1, from: Tables.numbers)
        try store.commit(later)
        #expect(try snapshot.entries(in: Tables.numbers).map(\.key) == [1, 2])
        #expect(try store.entries(in: Tables.numbers).map(\.key) == [2, 3])
    }

    @Test func aScanMayWriteToTheStoreItReads() throws {
        let store = MemoryStore(families: Tables.families)
        try store.commit(batch(1...3))
        try store.forEach(in: Tables.numbers) { number, _ in
            try? store.commit(batch((number + 10)...(number + 10)))
            return .continue
        }
        #expect(try store.entries(in: Tables.numbers).map(\.key) == [1, 2, 3, 11, 12, 13])
    }

    @Test func crashInsideABatchLeavesNoneOfIt() throws {
        let store = MemoryStore(families: Tables.families)
        try store.commit(batch(1...2, head: 2))
        store.inject(.crash(atWritePoint: 2))  // the third operation of the next batch
        #expect(throws: StorageError.crashed) { try store.commit(batch(3...6, head: 6)) }
        #expect(store.isDead)
        #expect(throws: StorageError.crashed) { try store.get(1, from: Tables.numbers) }

        let restarted = store.restarted(after: .processCrash)
        #expect(try restarted.get("head", from: Tables.meta) == 2)
        #expect(try restarted.entries(in: Tables.numbers).map(\.key) == [1, 2])
    }

    @Test func processCrashKeepsUnsyncedBatchesPowerLossDoesNot() throws {
        let store = MemoryStore(families: Tables.families)
        try store.write(batch(1...1), sync: false)
        try store.write(batch(2...2), sync: true)   // syncing also makes batch 1 durable
        try store.write(batch(3...3), sync: false)
        store.die()
        #expect(try store.restarted(after: .processCrash).entries(in: Tables.numbers).map(\.key) == [1, 2, 3])
        #expect(try store.restarted(after: .powerLoss).entries(in: Tables.numbers).map(\.key) == [1, 2])
    }

    @Test func injectedWriteErrorsFailOneBatchAndTheStoreGoesOn() throws {
        let store = MemoryStore(families: Tables.families)
        store.inject(.writeError(atWritePoint: 1))
        #expect(throws: StorageError.self) { try store.commit(batch(1...3)) }
        #expect(try store.entries(in: Tables.numbers).isEmpty)
        try store.commit(batch(4...4))
        #expect(try store.entries(in: Tables.numbers).map(\.key) == [4])
        #expect(!store.isDead)
    }

    @Test func writePointsCountBatchOperations() throws {
        let store = MemoryStore(families: Tables.families)
        try store.commit(batch(1...3, head: 3))
        try store.commit(WriteBatch())
        #expect(store.writePointsPassed == 4)
        #expect(store.batchesCommitted == 2)
    }
}
