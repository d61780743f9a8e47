// Log queries over a chain: ranges and tags, block hashes, limits, and the polling scan.
import ChainQueries
import LedgerPrimitives
import LedgerTypes
import Testing

@Suite struct LogScannerTests {
    let a = address(0xa), b = address(0xb)
    let t1 = topic(1)

    /// Block n has n logs from `a` (one transaction each) and one from `b`; block 0 has none.
    func chain(blocks: Int = 20) -> FakeChain {
        FakeChain(blockLogs: (0..<blocks).map { number in
            number == 0 ? [] : (0..<number).map { _ in [Log(address: a, topics: [t1])] } + [[Log(address: b)]]
        })
    }

    @Test func rangeWithTags() async throws {
        let source = chain()
        let scanner = LogScanner(source: source)
        let some = try await scanner.logs(LogQuery(filter: LogFilter(addresses: [a]), scope: .range(from: .number(3), to: .number(5))))
        #expect(some.count == 3 + 4 + 5)
        #expect(Set(some.map(\.blockNumber)) == [3, 4, 5])
        let latest = try await scanner.logs(LogQuery(filter: LogFilter(addresses: [b])))
        #expect(latest.map(\.blockNumber) == [19])
        #expect(latest.first?.logIndex == 19)
        let all = try await scanner.logs(LogQuery(filter: LogFilter(addresses: [b]), scope: .range(from: .earliest, to: .latest)))
        #expect(all.map(\.blockNumber) == Array(1...19))
        // Above the head: clipped, or empty when it starts there.
        let beyond = try await scanner.logs(LogQuery(filter: LogFilter(addresses: [b]), scope: .range(from: .number(18), to: .number(1_000_000))))
        #expect(beyond.map(\.blockNumber) == [18, 19])
        let future = try await scanner.logs(LogQuery(filter: LogFilter(), scope: .range(from: .number(50), to: .number(60))))
        #expect(future.isEmpty)
    }

    @Test func blockHashScope() async throws {
        let source = chain()
        let scanner = LogScanner(source: source)
        let logs = try await scanner.logs(LogQuery(filter: LogFilter(), scope: .blockHash(source.blocks[4].hash)))
        #expect(logs.count == 5)
        #expect(logs.allSatisfy { $0.blockNumber == 4 && $0.blockHash == source.blocks[4].hash })
        #expect(logs.map(\.logIndex) == [0, 1, 2, 3, 4])
        await #expect(throws: LogQueryError.unknownBlock(topic(9))) {
            try await scanner.logs(LogQuery(filter: LogFilter(), scope: .blockHash(topic(9))))
        }
    }

    @Test func bloomSkipsReceiptReads() async throws {
        let source = chain()
        let scanner = LogScanner(source: source)
        let none = try await scanner.logs(LogQuery(filter: LogFilter(addresses: [address(0xee)]), scope: .range(from: .earliest, to: .latest)))
        #expect(none.isEmpty)
        #expect(source.receiptReads < 3)  // false positives only
    }

    @Test func limits() async throws {
        let source = chain()
        let scanner = LogScanner(source: source, limits: LogQueryLimits(maxBlockRange: 10, maxResults: 20))
        await #expect(throws: LogQueryError.rangeTooLarge(blocks: 11, limit: 10)) {
            try await scanner.logs(LogQuery(filter: LogFilter(), scope: .range(from: .number(0), to: .number(10))))
        }
        // Ten blocks is within the range limit, but 1+...+10 logs from `a` is over 20 results.
        await #expect(throws: LogQueryError.tooManyResults(limit: 20)) {
            try await scanner.logs(LogQuery(filter: LogFilter(addresses: [a]), scope: .range(from: .number(1), to: .number(10))))
        }
        let fits = try await scanner.logs(LogQuery(filter: LogFilter(addresses: [a]), scope: .range(from: .number(1), to: .number(5))))
        #expect(fits.count == 15)
        await #expect(throws: LogQueryError.invalidRange(from: 5, to: 4)) {
            try await scanner.logs(LogQuery(filter: LogFilter(), scope: .range(from: .number(5), to: .number(4))))
        }
        #expect(LogQueryError.tooManyResults(limit: 10_000).description == "query returned more than 10000 results")
    }

    @Test func pollingScanStopsAtWholeBlocks() async throws {
        let source = chain()
        let scanner = LogScanner(source: source, limits: LogQueryLimits(maxBlockRange: 100, maxResults: 10))
        // Blocks 1..4 hold 1+2+3+4 = 10 logs of `a`; block 5 would overflow.
        let first = try await scanner.scan(LogFilter(addresses: [a]), blocks: 1...19, stopBeforeOverflow: true)
        #expect(first.logs.count == 10)
        #expect(first.scannedThrough == 4)
        // A lone block over the limit is still taken whole.
        let big = try await scanner.scan(LogFilter(addresses: [a]), blocks: 12...19, stopBeforeOverflow: true)
        #expect(big.logs.count == 12)
        #expect(big.scannedThrough == 12)
    }
}
