// An in-memory store with the same contract as RocksDB, for tests, plus fault injection: it can
// "die" at a chosen write point and restart into what RocksDB would recover after that death.
import Synchronization

/// Column families held as sorted arrays: binary search for reads, ordered scans for free.
/// Tests put thousands of entries in it, not millions; RocksDB is the production store.
public final class MemoryStore: Sendable {
    /// How the simulated process died, which decides what a restart recovers.
    public enum Death: Sendable {
        /// kill -9: the WAL sits in the OS page cache, so every completed batch survives.
        case processCrash
        /// Machine lost power: only batches up to the last synced one survive (RocksDB's WAL
        /// is replayed in order, so what survives is always a prefix of the batches).
        case powerLoss
    }

    /// A fault armed to fire at a write point: one point per operation of every batch written
    /// after arming, counted from 0.
    public enum Fault: Sendable, Equatable {
        /// The process dies before applying that operation; the store refuses everything after.
        case crash(atWritePoint: Int)
        /// The batch holding that operation fails with an engine error; the store goes on.
        case writeError(atWritePoint: Int)
    }

    struct State: Sendable {
        var families: [String: SortedEntries]
        /// The families as a power loss would leave them: as of the last synced batch.
        var durable: [String: SortedEntries]
        var fault: Fault?
        var writePointsPassed = 0
        var batchesCommitted = 0
        var isDead = false
    }

    private let state: Mutex<State>
    public let columnFamilies: [ColumnFamily]

    /// A store with the given column families, all empty.
    public convenience init(families: [ColumnFamily]) {
        let empty = Dictionary(uniqueKeysWithValues: families.map { ($0.name, SortedEntries()) })
        self.init(families: families, contents: empty)
    }

    private init(families: [ColumnFamily], contents: [String: SortedEntries]) {
        columnFamilies = families
        state = Mutex(State(families: contents, durable: contents))
    }

    // MARK: Fault injection

    /// Arms `fault`; write points are counted from now.
    public func inject(_ fault: Fault) {
        state.withLock { $0.fault = fault; $0.writePointsPassed = 0 }
    }

    /// Write points (batch operations) passed since the last `inject`, or since creation.
    public var writePointsPassed: Int { state.withLock { $0.writePointsPassed } }

    /// Batches applied since creation or restart.
    public var batchesCommitted: Int { state.withLock { $0.batchesCommitted } }

    public var isDead: Bool { state.withLock { $0.isDead } }

    /// Kills the simulated process now (as a crash at the next write point would).
    public func die() { state.withLock { $0.isDead = true } }

    /// A new store holding what RocksDB would recover after `death` of this one. Works on a
    /// living store too: the restart then follows a clean stop or a kill between batches.
    public func restarted(after death: Death = .processCrash) -> MemoryStore {
        let contents = state.withLock { death == .processCrash ? $0.families : $0.durable }
        return MemoryStore(families: columnFamilies, contents: contents)
    }
}

extension MemoryStore: KeyValueReading, KeyValueScanning, BatchWriting, SnapshotProviding {
    public func value(forKey key: [UInt8], in family: ColumnFamily) throws(StorageError) -> [UInt8]? {
        try entries(of: family).value(forKey: key)
    }

    public func scan(_ family: ColumnFamily, from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
                     _ visit: ([UInt8], [UInt8]) throws(StorageError) -> IterationDecision) throws(StorageError) {
        // A copy (a retain, thanks to copy-on-write) so `visit` runs outside the lock and may
        // read or write the store itself.
        try entries(of: family).scan(from: lowerBound, to: upperBound, visit)
    }

    public func write(_ batch: WriteBatch, sync: Bool) throws(StorageError) {
        try state.withLock { (state: inout State) throws(StorageError) in
            guard !state.isDead else { throw .crashed }
            for operation in batch.operations where state.families[operation.family] == nil {
                throw .unknownTable(operation.family)
            }
            // Decide whether the armed fault fires inside this batch before touching anything:
            // either way nothing of the batch is applied, as with RocksDB's atomic WAL record.
            let firstPoint = state.writePointsPassed
            if let fault = state.fault {
                switch fault {
                case .crash(let point) where point >= firstPoint && point < firstPoint + batch.count:
                    state.writePointsPassed = point
                    state.isDead = true
                    throw .crashed
                case .writeError(let point) where point >= firstPoint && point < firstPoint + batch.count:
                    state.writePointsPassed += batch.count
                    state.fault = nil
                    throw .engine(operation: "write", message: "injected I/O error at write point \(point)")
                default: break
                }
            }
            for operation in batch.operations {
                switch operation {
                case .put(let family, let key, let value): state.families[family]!.set(value, forKey: key)
                case .delete(let family, let key): state.families[family]!.remove(key)
                }
            }
            state.writePointsPassed += batch.count
            state.batchesCommitted += 1
            if sync { state.durable = state.families }
        }
    }

    public func snapshot() throws(StorageError) -> MemorySnapshot {
        try state.withLock { (state: inout State) throws(StorageError) in
            guard !state.isDead else { throw .crashed }
            return MemorySnapshot(families: state.families)
        }
    }

    private func entries(of family: ColumnFamily) throws(StorageError) -> SortedEntries {
        try state.withLock { (state: inout State) throws(StorageError) -> SortedEntries in
            guard !state.isDead else { throw .crashed }
            guard let entries = state.families[family.name] else { throw .unknownTable(family.name) }
            return entries
        }
    }
}

/// A frozen copy of a `MemoryStore`'s contents.
public struct MemorySnapshot: KeyValueReading, KeyValueScanning {
    let families: [String: SortedEntries]

    public func value(forKey key: [UInt8], in family: ColumnFamily) throws(StorageError) -> [UInt8]? {
        guard let entries = families[family.name] else { throw .unknownTable(family.name) }
        return entries.value(forKey: key)
    }

    public func scan(_ family: ColumnFamily, from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
                     _ visit: ([UInt8], [UInt8]) throws(StorageError) -> IterationDecision) throws(StorageError) {
        guard let entries = families[family.name] else { throw .unknownTable(family.name) }
        try entries.scan(from: lowerBound, to: upperBound, visit)
    }
}

/// Key-value pairs kept sorted by key bytes.
struct SortedEntries: Sendable {
    private var keys: [[UInt8]] = []
    private var values: [[UInt8]] = []

    /// The index of `key`, or where it would be inserted.
    private func index(of key: [UInt8]) -> (index: Int, found: Bool) {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if keys[middle].lexicographicallyPrecedes(key) { low = middle + 1 } else { high = middle }
        }
        return (low, low < keys.count && keys[low] == key)
    }

    func value(forKey key: [UInt8]) -> [UInt8]? {
        let (index, found) = index(of: key)
        return found ? values[index] : nil
    }

    mutating func set(_ value: [UInt8], forKey key: [UInt8]) {
        let (index, found) = index(of: key)
        if found {
            values[index] = value
        } else {
            keys.insert(key, at: index)
            values.insert(value, at: index)
        }
    }

    mutating func remove(_ key: [UInt8]) {
        let (index, found) = index(of: key)
        if found {
            keys.remove(at: index)
            values.remove(at: index)
        }
    }

    func scan(from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
              _ visit: ([UInt8], [UInt8]) throws(StorageError) -> IterationDecision) throws(StorageError) {
        var position = lowerBound.map { index(of: $0).index } ?? 0
        while position < keys.count {
            if let upperBound, !keys[position].lexicographicallyPrecedes(upperBound) { return }
            if try visit(keys[position], values[position]) == .stop { return }
            position += 1
        }
    }
}
