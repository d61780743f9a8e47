// LogFilter matching by Ethereum's rules, and the bloom pre-check never losing a match.
import ChainQueries
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport

@Suite struct LogFilterTests {
    let a = address(0xa), b = address(0xb), c = address(0xc)
    let t1 = topic(1), t2 = topic(2), t3 = topic(3), t4 = topic(4)

    @Test func semanticsTable() {
        let log = Log(address: a, topics: [t1, t2], data: [1])
        let noTopics = Log(address: b)
        let cases: [(String, LogFilter, Log, Bool)] = [
            ("empty filter matches all", LogFilter(), log, true),
            ("empty filter matches a log without topics", LogFilter(), noTopics, true),
            ("address matches", LogFilter(addresses: [a]), log, true),
            ("address differs", LogFilter(addresses: [b]), log, false),
            ("one of several addresses", LogFilter(addresses: [c, a]), log, true),
            ("none of several addresses", LogFilter(addresses: [b, c]), log, false),
            ("first topic", LogFilter(topics: [[t1]]), log, true),
            ("first topic differs", LogFilter(topics: [[t2]]), log, false),
            ("wildcard then topic", LogFilter(topics: [nil, [t2]]), log, true),
            ("wildcard then wrong topic", LogFilter(topics: [nil, [t1]]), log, false),
            ("OR-set at position 0", LogFilter(topics: [[t3, t1]]), log, true),
            ("OR-set at position 1 misses", LogFilter(topics: [nil, [t3, t4]]), log, false),
            ("both positions", LogFilter(topics: [[t1], [t2]]), log, true),
            ("empty OR-set is a wildcard", LogFilter(topics: [[], [t2]]), log, true),
            ("more positions than topics, even wildcards", LogFilter(topics: [nil, nil, nil]), log, false),
            ("exactly as many wildcards as topics", LogFilter(topics: [nil, nil]), log, true),
            ("topic filter vs log without topics", LogFilter(topics: [nil]), noTopics, false),
            ("address and topics both needed", LogFilter(addresses: [b], topics: [[t1]]), log, false),
            ("address and topics both match", LogFilter(addresses: [a], topics: [[t1], [t2, t3]]), log, true),
        ]
        for (name, filter, log, expected) in cases {
            #expect(filter.matches(log) == expected, "\(name)")
            // A match must also pass the bloom pre-check of a bloom holding the log.
            if expected { #expect(filter.mayMatch(Bloom(logs: [log])), "\(name): bloom") }
        }
    }

    @Test func bloomRulesOutAbsentItems() {
        let bloom = Bloom(logs: [Log(address: a, topics: [t1])])
        #expect(!LogFilter(addresses: [b]).mayMatch(bloom))
        #expect(!LogFilter(topics: [[t2]]).mayMatch(bloom))
        #expect(LogFilter(addresses: [b, a]).mayMatch(bloom))
        #expect(LogFilter().mayMatch(Bloom()))
    }

    @Test func blockLogIndexCountsSkippedReceipts() {
        let chain = FakeChain(blockLogs: [[
            [Log(address: b, topics: [t1]), Log(address: b)],  // receipt skipped by its bloom
            [Log(address: a, topics: [t2]), Log(address: c), Log(address: a)],
        ]])
        let block = chain.blocks[0]
        let found = LogFilter(addresses: [a]).logs(in: block)
        #expect(found.map(\.logIndex) == [2, 4])
        #expect(found.map(\.transactionIndex) == [1, 1])
        #expect(found.allSatisfy { $0.transactionHash == block.transactionHashes[1] && $0.blockHash == block.hash })
    }

    /// Random logs from a small pool of addresses and topics against random filters: the bloom
    /// paths (block bloom, then receipt bloom) find exactly what a brute-force scan finds.
    @Test func bloomPreCheckNeverDropsAMatch() {
        var random = SplitMix64(seed: 0xd6)
        let addresses = (1...6).map { address(UInt8($0)) }
        let topics = (1...8).map { topic(UInt8($0)) }
        func randomLog() -> Log {
            Log(address: addresses.randomElement(using: &random)!,
                topics: (0..<Int.random(in: 0...4, using: &random)).map { _ in topics.randomElement(using: &random)! })
        }
        let chain = FakeChain(blockLogs: (0..<60).map { _ in
            (0..<Int.random(in: 0...5, using: &random)).map { _ in (0..<Int.random(in: 0...4, using: &random)).map { _ in randomLog() } }
        })
        var totalMatches = 0
        for _ in 0..<300 {
            let filterAddresses = (0..<Int.random(in: 0...2, using: &random)).map { _ in addresses.randomElement(using: &random)! }
            let filterTopics: [[Hash32]?] = (0..<Int.random(in: 0...3, using: &random)).map { _ in
                Bool.random(using: &random) ? nil : (0..<Int.random(in: 1...2, using: &random)).map { _ in topics.randomElement(using: &random)! }
            }
            let filter = LogFilter(addresses: filterAddresses, topics: filterTopics)
            for block in chain.blocks {
                var expected: [Int] = []
                var index = 0
                for receipt in block.receipts {
                    for log in receipt.logs {
                        let addressOK = filterAddresses.isEmpty || filterAddresses.contains(log.address)
                        let topicsOK = filterTopics.count <= log.topics.count && filterTopics.enumerated().allSatisfy { position, set in
                            set.map { $0.contains(log.topics[position]) } ?? true
                        }
                        if addressOK && topicsOK { expected.append(index) }
                        index += 1
                    }
                }
                totalMatches += expected.count
                if !expected.isEmpty { #expect(filter.mayMatch(block.header.logsBloom)) }
                #expect(filter.logs(in: block).map(\.logIndex) == expected)
            }
        }
        #expect(totalMatches > 100)  // the pools are small enough that many filters match
    }
}
