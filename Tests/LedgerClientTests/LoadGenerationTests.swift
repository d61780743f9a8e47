// The load generator's pure parts: transfer schedules keep every sender's nonces in order on one
// connection, and percentiles and throughput are computed right.
import LedgerClient
import Testing

@Suite("Load generation")
struct LoadGenerationTests {
    @Test("every nonce of every sender is scheduled exactly once, ascending, on one connection",
          arguments: [(1_000, 7, 3, 64), (10, 4, 8, 3), (5, 1, 2, 2), (0, 3, 2, 10)])
    func scheduleSequencesNonces(count: Int, senders: Int, connections: Int, batchSize: Int) {
        let firstNonces = (0..<senders).map { UInt64($0 * 10) }
        let schedule = TransferSchedule(count: count, firstNonces: firstNonces, connections: connections, batchSize: batchSize)
        #expect(schedule.transferCount == count)
        #expect(schedule.batches.count == min(connections, senders))
        var connectionOf: [Int: Int] = [:]
        var seen: [Int: [UInt64]] = [:]
        for (connection, batches) in schedule.batches.enumerated() {
            for batch in batches {
                #expect(!batch.isEmpty && batch.count <= batchSize)
                for transfer in batch {
                    #expect(connectionOf[transfer.sender, default: connection] == connection)
                    connectionOf[transfer.sender] = connection
                    seen[transfer.sender, default: []].append(transfer.nonce)
                }
            }
        }
        for (sender, nonces) in seen {
            let first = firstNonces[sender]
            #expect(nonces == Array(first..<(first + UInt64(nonces.count))))
        }
        // Even split: no sender has more than one transfer above another.
        let counts = (0..<senders).map { seen[$0]?.count ?? 0 }
        #expect((counts.max() ?? 0) - (counts.min() ?? 0) <= 1)
    }

    @Test("a batch interleaves the senders of its connection")
    func scheduleInterleaves() {
        let schedule = TransferSchedule(count: 8, firstNonces: [0, 0, 0, 0], connections: 2, batchSize: 4)
        let first = schedule.batches[0][0]
        #expect(first.map(\.sender) == [0, 2, 0, 2])
        #expect(first.map(\.nonce) == [0, 0, 1, 1])
    }

    @Test("nearest-rank percentiles")
    func percentiles() {
        let samples = Percentiles((1...100).map(Double.init).shuffled())
        #expect(samples.median == 50)
        #expect(samples.p99 == 99)
        #expect(samples.value(at: 100) == 100)
        #expect(samples.value(at: 0) == 1)
        #expect(samples.mean == 50.5)
        let small = Percentiles([3, 1, 2])
        #expect(small.median == 2 && small.p99 == 3)
        #expect(Percentiles([]).median == nil)
    }

    @Test("throughput from wall-clock time and from block timestamps")
    func throughput() {
        #expect(Throughput.rate(count: 10_000, from: 2, to: 4) == 5_000)
        #expect(Throughput.rate(count: 1, from: 3, to: 3) == nil)
        let blocks: [(timestamp: UInt64, transactions: Int)] = [(101, 4_000), (102, 6_000), (103, 5_000)]
        #expect(Throughput.byBlockTimestamps(blocks: blocks, parentTimestamp: 100) == 5_000)
        #expect(Throughput.byBlockTimestamps(blocks: [(100, 5)], parentTimestamp: 100) == nil)
    }
}
