// RocksDBStore from several threads at once: concurrent batches and reads, and a close that
// races with calls in flight (they finish or get `.closed`, never a freed handle).
import Dispatch
import StorageAPI
import StorageRocksDB
import Synchronization
import Testing

struct ConcurrencyTests {
    @Test func concurrentWritersAndReadersSeeWholeBatches() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try RocksDBStore(path: directory.path("db"), families: Tables.families)
        defer { store.close() }
        let failures = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            let base = UInt64(worker) * 1_000
            for round: UInt64 in 0..<50 {
                let first = base + round * 10
                do {
                    try store.commit(numbers(first...(first + 9)))
                    // Whole batches only: a reader sees all ten entries of a batch or none.
                    let seen = try store.entries(in: Tables.numbers, over: Tables.numbers.range(from: first, through: first + 9))
                    if seen.count != 10 { failures.withLock { $0 += 1 } }
                } catch {
                    failures.withLock { $0 += 1 }
                }
            }
        }
        #expect(failures.withLock { $0 } == 0)
        #expect(try store.entries(in: Tables.numbers).count == 4 * 50 * 10)
    }

    @Test func closeRacingWithCallsIsSafe() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("db")
        let store = try RocksDBStore(path: path, families: Tables.families)
        try store.commit(numbers(1...100))
        let unexpected = Mutex<[StorageError]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { worker in
            if worker == 0 {
                for _ in 0..<20 { _ = try? store.get(1, from: Tables.numbers) }
                store.close()
                return
            }
            for _ in 0..<2_000 {
                do {
                    _ = try store.entries(in: Tables.numbers, limit: 10)
                    try store.write(numbers(200...201), sync: false)
                } catch StorageError.closed {
                    return
                } catch {
                    unexpected.withLock { $0.append(error as! StorageError) }
                    return
                }
            }
        }
        #expect(unexpected.withLock { $0 }.isEmpty)
        #expect(throws: StorageError.closed) { try store.get(1, from: Tables.numbers) }
        let reopened = try RocksDBStore(path: path, families: Tables.families)
        defer { reopened.close() }
        #expect(try reopened.get(100, from: Tables.numbers) == "value 100")
    }
}
