// The contract every store keeps, written once and run against MemoryStore and RocksDBStore.
import LedgerPrimitives
import StorageAPI
import Testing

struct StoreContractTests {
    let alice = Address(bytes: Array(repeating: 0xa1, count: 20))!
    let bob = Address(bytes: Array(repeating: 0xb0, count: 20))!

    @Test(arguments: StoreKind.allCases)
    func putGetOverwriteDelete(kind: StoreKind) throws {
        try withStore(kind) { store throws in
            #expect(try store.get(alice, from: Tables.balances) == nil)
            var first = WriteBatch()
            first.put(10, forKey: alice, in: Tables.balances)
            try store.commit(first)
            #expect(try store.get(alice, from: Tables.balances) == 10)
            #expect(try store.contains(alice, in: Tables.balances))

            var second = WriteBatch()
            second.put(20, forKey: alice, in: Tables.balances)
            try store.write(second, sync: false)
            #expect(try store.get(alice, from: Tables.balances) == 20)

            var third = WriteBatch()
            third.delete(alice, from: Tables.balances)
            try store.commit(third)
            #expect(try store.get(alice, from: Tables.balances) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func oneBatchSpansTablesAndLaterChangesWin(kind: StoreKind) throws {
        try withStore(kind) { store throws in
            var batch = WriteBatch()
            batch.put(1, forKey: alice, in: Tables.balances)
            batch.put("one", forKey: 1, in: Tables.numbers)
            batch.put(2, forKey: alice, in: Tables.balances)
            batch.put(5, forKey: bob, in: Tables.balances)
            batch.delete(bob, from: Tables.balances)
            batch.put([], forKey: (alice, .zero), in: Tables.slots)
            try store.commit(batch)
            #expect(try store.get(alice, from: Tables.balances) == 2)
            #expect(try store.get(bob, from: Tables.balances) == nil)
            #expect(try store.get(1, from: Tables.numbers) == "one")
            #expect(try store.get((alice, .zero), from: Tables.slots) == [], "empty values are values, not absence")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aBatchWithAnUnknownTableWritesNothing(kind: StoreKind) throws {
        let stray = Table("stray", key: UInt64Codec(), value: StringCodec())
        try withStore(kind) { store throws in
            var batch = WriteBatch()
            batch.put("kept out", forKey: 1, in: Tables.numbers)
            batch.put("nowhere", forKey: 1, in: stray)
            #expect(throws: StorageError.unknownTable("stray")) { try store.commit(batch) }
            #expect(try store.get(1, from: Tables.numbers) == nil)
            #expect(throws: StorageError.unknownTable("stray")) { try store.get(1, from: stray) }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func scansWalkKeysInOrderWithinRanges(kind: StoreKind) throws {
        try withStore(kind) { store throws in
            var batch = WriteBatch()
            for number: UInt64 in [300, 7, 256, 1, 42, 255, 1 << 40] { batch.put("\(number)", forKey: number, in: Tables.numbers) }
            try store.commit(batch)
            #expect(try store.entries(in: Tables.numbers).map(\.key) == [1, 7, 42, 255, 256, 300, 1 << 40])
            #expect(try store.entries(in: Tables.numbers, over: Tables.numbers.range(from: 42, to: 300)).map(\.key) == [42, 255, 256])
            #expect(try store.entries(in: Tables.numbers, over: Tables.numbers.range(from: 42, through: 300)).map(\.key) == [42, 255, 256, 300])
            #expect(try store.entries(in: Tables.numbers, over: Tables.numbers.range(from: 256)).map(\.value) == ["256", "300", "\(1 << 40)"])
            #expect(try store.entries(in: Tables.numbers, limit: 2).map(\.key) == [1, 7])
            var visited: [UInt64] = []
            try store.forEach(in: Tables.numbers, over: Tables.numbers.range(to: 256)) { number, _ in
                visited.append(number)
                return number < 42 ? .continue : .stop
            }
            #expect(visited == [1, 7, 42])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func prefixScansStayWithinTheFirstComponent(kind: StoreKind) throws {
        let slots = (0..<4).map { Keccak256.hash([UInt8($0)]) }
        try withStore(kind) { store throws in
            var batch = WriteBatch()
            for (index, slot) in slots.enumerated() {
                batch.put([UInt8(index)], forKey: (alice, slot), in: Tables.slots)
                batch.put([0xbb], forKey: (bob, slot), in: Tables.slots)
            }
            try store.commit(batch)
            let aliceSlots = try store.entries(in: Tables.slots, over: Tables.slots.range(whereFirstIs: alice))
            #expect(aliceSlots.map(\.key.1) == slots.sorted())
            #expect(aliceSlots.allSatisfy { $0.key.0 == alice })
            #expect(try store.entries(in: Tables.slots, over: Tables.slots.range(whereFirstIs: bob)).count == 4)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func snapshotsIgnoreLaterWrites(kind: StoreKind) throws {
        try withStore(kind) { store throws in
            var before = WriteBatch()
            before.put("old", forKey: 1, in: Tables.numbers)
            try store.commit(before)
            let snapshot = try store.snapshot()
            var after = WriteBatch()
            after.put("new", forKey: 1, in: Tables.numbers)
            after.put("added", forKey: 2, in: Tables.numbers)
            try store.commit(after)
            #expect(try snapshot.get(1, from: Tables.numbers) == "old")
            #expect(try snapshot.entries(in: Tables.numbers).map(\.key) == [1])
            #expect(try store.entries(in: Tables.numbers).map(\.value) == ["new", "added"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func corruptBytesAreCodecErrorsNotCrashes(kind: StoreKind) throws {
        try withStore(kind) { store throws in
            var plant = WriteBatch()
            plant.put([0xff, 0xfe], forKey: 1, in: Tables.numbersAsBytes)
            try store.commit(plant)
            #expect(throws: StorageError.corruptValue(table: "numbers", .malformed("not UTF-8"))) {
                try store.get(1, from: Tables.numbers)
            }

            var badKey = WriteBatch()
            badKey.delete(1, from: Tables.numbersAsBytes)
            badKey.put("short key", forKey: [1, 2, 3], in: Tables.numbersWithRawKeys)
            try store.commit(badKey)
            #expect(throws: StorageError.corruptKey(table: "numbers", .wrongLength(expected: 8, actual: 3))) {
                try store.entries(in: Tables.numbers)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func emptyBatchesAndEmptyTablesAreFine(kind: StoreKind) throws {
        try withStore(kind) { store throws in
            try store.commit(WriteBatch())
            #expect(try store.entries(in: Tables.numbers).isEmpty)
            #expect(try store.entries(in: Tables.numbers, limit: 0).isEmpty)
        }
    }
}
