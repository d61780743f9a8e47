// `d6g-bench storage`: RocksDB through StorageAPI — batched puts of 32-byte keys with 100-byte
// values (the TARGETS.md anchor, ~1.45 M/s on this machine) and random point gets.
import ArgumentParser
import CRocksDB
import Foundation
import LedgerPrimitives
import StorageAPI
import StorageRocksDB

struct StorageBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "RocksDB store: batched puts/s (32 B keys, 100 B values) and random point gets/s."
    )

    @Option(help: "Timed runs, each on a fresh database; medians are reported.")
    var runs = 5

    @Option(help: "Entries written per run.")
    var entries = 1_000_000

    @Option(name: .customLong("batch"), help: "Puts per write batch.")
    var batchSize = 10_000

    @Option(help: "Random point gets per run, over the keys just written.")
    var gets = 200_000

    @Option(help: "Directory for the temporary databases (default: the system temporary directory).")
    var directory: String?

    /// TARGETS.md: RocksDB batched put, 32-byte keys, 100-byte values, ~1.45 M/s on this machine.
    static let anchorPutsPerSecond = 1.45e6

    static let table = Table("bench", key: BytesCodec(), value: BytesCodec())

    func validate() throws {
        guard runs > 0, entries > 0, batchSize > 0, gets >= 0 else {
            throw ValidationError("--runs, --entries and --batch must be positive, --gets not negative")
        }
    }

    func run() throws {
        let root = URL(fileURLWithPath: directory ?? FileManager.default.temporaryDirectory.path)
        // Keys and values are made before the clock starts: only the store is measured.
        var generator = SplitMix64(seed: 0x6d6_1ed9e5)
        let keys = (0..<entries).map { _ in generator.bytes(32) }
        let values = (0..<entries).map { _ in generator.bytes(100) }
        let probes = (0..<gets).map { _ in keys[Int(generator.next() % UInt64(entries))] }

        print("storage: RocksDB via StorageAPI, \(entries) entries of 32 B + 100 B in batches of \(batchSize), "
            + "\(gets) random gets; median of \(runs) runs, each on a fresh database")
        var samples: [String: [Double]] = [:]
        for run in 0...runs {  // run 0 warms the page cache and allocator and is not counted
            for sync in [false, true] {
                let figures = try measure(root: root, keys: keys, values: values, probes: probes, sync: sync)
                guard run > 0 else { continue }
                for (name, value) in figures { samples[sync ? "synced " + name : name, default: []].append(value) }
            }
            let reference = try measureRawRocksDB(root: root, keys: keys, values: values, probes: probes, batchSize: batchSize)
            if run > 0 {
                samples["reference puts", default: []].append(reference.puts)
                samples["reference gets", default: []].append(reference.gets)
                samples["reference cpu per put", default: []].append(reference.cpuPerPut)
            }
        }
        let puts = median(samples["puts"]!)
        let reference = median(samples["reference puts"]!)
        report("puts/s, unsynced batches", puts)
        report("  of which building batches", median(samples["batch building"]!), unit: "s per 1M puts")
        report("puts/s, one fsync per batch", median(samples["synced puts"]!))
        if gets > 0 {
            report("random gets/s", median(samples["gets"]!))
            report("  reference: raw C API gets/s", median(samples["reference gets"]!))
        }
        report("reference: raw C API puts/s", reference)
        report("writer-thread CPU per put, ours", median(samples["cpu per put"]!), unit: "ns")
        report("  raw C API", median(samples["reference cpu per put"]!), unit: "ns")
        print("unsynced puts: \(format(puts / 1e6)) M/s = \(format(puts / Self.anchorPutsPerSecond))× the TARGETS.md anchor of 1.45 M/s, "
            + "\(format(puts / reference))× RocksDB's C API with default options in this run")
    }

    private func measure(root: URL, keys: [[UInt8]], values: [[UInt8]], probes: [[UInt8]],
                         sync: Bool) throws -> [String: Double] {
        let path = root.appendingPathComponent("d6g-bench-storage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try RocksDBStore(path: path, families: [Self.table.family])
        defer { store.close() }

        var building = Duration.zero
        // The writer thread's CPU time: its own cost (WAL append, memtable insert, our layer);
        // flushes and compactions run on RocksDB's background threads and are not in it.
        let cpuStart = threadCPUSeconds()
        let start = ContinuousClock.now
        var index = 0
        while index < keys.count {
            let buildStart = ContinuousClock.now
            var batch = WriteBatch()
            batch.reserveCapacity(batchSize)
            for position in index..<min(index + batchSize, keys.count) {
                batch.put(values[position], forKey: keys[position], in: Self.table)
            }
            building += ContinuousClock.now - buildStart
            try store.write(batch, sync: sync)
            index += batchSize
        }
        let putSeconds = seconds(ContinuousClock.now - start)
        var figures = ["puts": Double(keys.count) / putSeconds,
                       "cpu per put": (threadCPUSeconds() - cpuStart) * 1e9 / Double(keys.count),
                       "batch building": seconds(building) * 1e6 / Double(keys.count)]
        guard !sync, !probes.isEmpty else { return figures }

        var found = 0
        let getStart = ContinuousClock.now
        for key in probes where try store.get(key, from: Self.table) != nil { found += 1 }
        figures["gets"] = Double(probes.count) / seconds(ContinuousClock.now - getStart)
        guard found == probes.count else { throw ValidationError("only \(found) of \(probes.count) written keys were found") }
        return figures
    }

    private func report(_ label: String, _ value: Double, unit: String = "") {
        let text = unit.isEmpty ? "\(format(value / 1e6)) M/s" : "\(format(value)) \(unit)"
        print("  \(label.padding(toLength: 32, withPad: " ", startingAt: 0)) \(text)")
    }
}

/// The reference in the same run: RocksDB's C API straight, default options (as one would
/// measure the anchor), the same data and batches, no Swift layer. What separates our figure
/// from this one is our tuning plus the cost of typed batches and byte copies.
private func measureRawRocksDB(root: URL, keys: [[UInt8]], values: [[UInt8]], probes: [[UInt8]],
                               batchSize: Int) throws -> (puts: Double, cpuPerPut: Double, gets: Double) {
    let path = root.appendingPathComponent("d6g-bench-storage-raw-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let options = rocksdb_options_create()
    rocksdb_options_set_create_if_missing(options, 1)
    let writeOptions = rocksdb_writeoptions_create()
    let readOptions = rocksdb_readoptions_create()
    defer {
        rocksdb_options_destroy(options)
        rocksdb_writeoptions_destroy(writeOptions)
        rocksdb_readoptions_destroy(readOptions)
    }
    var error: UnsafeMutablePointer<CChar>? = nil
    guard let database = rocksdb_open(options, path, &error) else {
        defer { rocksdb_free(error) }
        throw ValidationError("reference open failed: \(error.map { String(cString: $0) } ?? "?")")
    }
    defer { rocksdb_close(database) }

    let cpuStart = threadCPUSeconds()
    let start = ContinuousClock.now
    var index = 0
    while index < keys.count {
        let batch = rocksdb_writebatch_create()
        for position in index..<min(index + batchSize, keys.count) {
            keys[position].withUnsafeBytes { key in
                values[position].withUnsafeBytes { value in
                    rocksdb_writebatch_put(batch, key.baseAddress, key.count, value.baseAddress, value.count)
                }
            }
        }
        rocksdb_write(database, writeOptions, batch, &error)
        rocksdb_writebatch_destroy(batch)
        if let error {
            defer { rocksdb_free(error) }
            throw ValidationError("reference write failed: \(String(cString: error))")
        }
        index += batchSize
    }
    let puts = Double(keys.count) / seconds(ContinuousClock.now - start)
    let cpuPerPut = (threadCPUSeconds() - cpuStart) * 1e9 / Double(keys.count)

    let getStart = ContinuousClock.now
    var found = 0
    for key in probes {
        let pinned = key.withUnsafeBytes { rocksdb_get_pinned(database, readOptions, $0.baseAddress, $0.count, &error) }
        if let pinned { found += 1; rocksdb_pinnableslice_destroy(pinned) }
    }
    let gets = probes.isEmpty ? 0 : Double(probes.count) / seconds(ContinuousClock.now - getStart)
    guard found == probes.count else { throw ValidationError("reference found \(found) of \(probes.count) keys") }
    return (puts, cpuPerPut, gets)
}

private func format(_ value: Double) -> String { String(format: "%.3f", value) }

