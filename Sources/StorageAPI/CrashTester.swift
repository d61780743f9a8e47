// A harness for crash tests: runs a workload once per write point, kills the simulated process
// there, restarts, and hands the recovered store to a check. This is how the node proves
// "killed at any instant, restarts consistent; no committed block lost" (DESIGN.md §8) in
// microseconds, before the kill -9 end-to-end scenarios.

public struct CrashTester: Sendable {
    /// What one crash run did before dying, for the check to compare against.
    public struct Outcome: Sendable {
        /// The write point (batch operation, from 0) at which the process died.
        public let crashPoint: Int
        /// Batches the workload completed before dying: exactly these must be visible after a
        /// process crash, and none of the batch that was being written.
        public let batchesCommitted: Int
    }

    public let families: [ColumnFamily]
    public let death: MemoryStore.Death

    public init(families: [ColumnFamily], death: MemoryStore.Death = .processCrash) {
        (self.families, self.death) = (families, death)
    }

    /// Runs `workload` on a fresh store without faults to count its write points, then once per
    /// write point with a crash there. After each crash, `check` gets the restarted store.
    /// `prepare` fills each fresh store first (its writes are not crash points).
    /// Returns the number of crash points explored.
    ///
    /// The workload must stop at the first error (just let `StorageError.crashed` propagate).
    /// Errors other than the injected crash, and errors thrown by `check`, end the exploration.
    @discardableResult
    public func exploreEveryCrashPoint(
        prepare: (MemoryStore) throws -> Void = { _ in },
        workload: (MemoryStore) throws -> Void,
        check: (_ restarted: MemoryStore, _ outcome: Outcome) throws -> Void
    ) throws -> Int {
        let dryRun = MemoryStore(families: families)
        try prepare(dryRun)
        dryRun.inject(.crash(atWritePoint: .max))
        try workload(dryRun)
        let writePoints = dryRun.writePointsPassed

        for crashPoint in 0..<writePoints {
            let store = MemoryStore(families: families)
            try prepare(store)
            let batchesBefore = store.batchesCommitted
            store.inject(.crash(atWritePoint: crashPoint))
            do {
                try workload(store)
            } catch StorageError.crashed {
                // The fault fired: this is the run we wanted.
            }
            guard store.isDead else {
                throw CrashTesterError.workloadNotDeterministic(crashPoint: crashPoint, writePoints: writePoints)
            }
            let outcome = Outcome(crashPoint: crashPoint, batchesCommitted: store.batchesCommitted - batchesBefore)
            try check(store.restarted(after: death), outcome)
        }
        return writePoints
    }
}

public enum CrashTesterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A run wrote fewer batch operations than the dry run: the workload must do the same
    /// writes on every run for every crash point to be reached.
    case workloadNotDeterministic(crashPoint: Int, writePoints: Int)

    public var description: String {
        switch self {
        case .workloadNotDeterministic(let point, let total):
            return "the workload finished before write point \(point) of the \(total) its dry run passed; make it deterministic"
        }
    }
}
