// The crash harness: a block-per-batch workload stays consistent at every crash point, and a
// workload that splits a block across batches is caught.
import StorageAPI
import Testing

/// Writes `blocks` blocks of three entries each plus the head pointer, one batch per block,
/// synced every `syncEvery` blocks.
func commitBlocks(_ store: MemoryStore, blocks: UInt64 = 5, syncEvery: UInt64 = 1) throws {
    for block in 1...blocks {
        try store.write(batch((block * 10)...(block * 10 + 2), head: block), sync: block % syncEvery == 0)
    }
}

/// The restart invariant: the head names the last block, every block up to it is whole, none after.
func headAndBlocksAgree(_ store: MemoryStore) throws -> UInt64 {
    let head = try store.get("head", from: Tables.meta) ?? 0
    let stored = try store.entries(in: Tables.numbers).map(\.key)
    var expected: [UInt64] = []
    for block in stride(from: UInt64(1), through: head, by: 1) {
        expected += [block * 10, block * 10 + 1, block * 10 + 2]
    }
    #expect(stored == expected, "head \(head)")
    return head
}

struct CrashTesterTests {
    @Test func everyCrashPointOfBlockCommitsRestartsConsistent() throws {
        var heads: Set<UInt64> = []
        let explored = try CrashTester(families: Tables.families).exploreEveryCrashPoint(
            workload: { try commitBlocks($0) },
            check: { restarted, outcome in
                let head = try headAndBlocksAgree(restarted)
                #expect(head == UInt64(outcome.batchesCommitted), "no committed block may be lost")
                heads.insert(head)
            })
        #expect(explored == 5 * 4)
        #expect(heads == [0, 1, 2, 3, 4], "crashes land inside every block's batch")
    }

    @Test func powerLossLosesOnlyUnsyncedBlocks() throws {
        try CrashTester(families: Tables.families, death: .powerLoss).exploreEveryCrashPoint(
            prepare: { store in
                var genesis = WriteBatch()
                genesis.put(0, forKey: "head", in: Tables.meta)
                try store.commit(genesis)
            },
            workload: { try commitBlocks($0, blocks: 6, syncEvery: 2) },
            check: { restarted, outcome in
                let head = try headAndBlocksAgree(restarted)
                let lastSynced = UInt64(outcome.batchesCommitted) / 2 * 2
                #expect(head == lastSynced)
            })
    }

    @Test func aBlockSplitAcrossBatchesIsCaught() throws {
        var inconsistentRestarts = 0
        try CrashTester(families: Tables.families).exploreEveryCrashPoint(
            workload: { store in
                for block: UInt64 in 1...3 {
                    // Wrong on purpose: the head moves before the block's data is written.
                    var head = WriteBatch()
                    head.put(block, forKey: "head", in: Tables.meta)
                    try store.commit(head)
                    try store.commit(batch((block * 10)...(block * 10 + 2)))
                }
            },
            check: { restarted, _ in
                let head = try restarted.get("head", from: Tables.meta) ?? 0
                if try restarted.get(head * 10 + 2, from: Tables.numbers) == nil, head > 0 { inconsistentRestarts += 1 }
            })
        #expect(inconsistentRestarts == 9, "each of the 3 blocks' 3 data writes is a crash point after its head moved")
    }

    @Test func aWorkloadThatChangesBetweenRunsIsReported() throws {
        var runs = 0
        #expect(throws: CrashTesterError.self) {
            try CrashTester(families: Tables.families).exploreEveryCrashPoint(
                workload: { store in
                    runs += 1
                    if runs == 1 { try store.commit(batch(1...4)) }
                },
                check: { _, _ in })
        }
    }
}
