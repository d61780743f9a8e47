// The pure parts of load generation (`d6g-bench transfers`): which sender's which nonce goes in
// which batch on which connection, and latency/throughput statistics. Kept here, not in the
// benchmark executable, so tests can reach them.

/// One transfer of a schedule: the sender's index and the nonce it signs with.
public struct ScheduledTransfer: Hashable, Sendable {
    public let sender: Int
    public let nonce: UInt64

    public init(sender: Int, nonce: UInt64) {
        self.sender = sender
        self.nonce = nonce
    }
}

/// Distributes transfers over senders, connections and batches so that no sender's nonces can
/// arrive out of order: each sender belongs to exactly one connection, a connection sends its
/// batches one after another, and inside a batch a sender's nonces ascend. Senders of one
/// connection are interleaved, so every batch spreads over many senders' queues.
public struct TransferSchedule: Hashable, Sendable {
    /// `batches[connection][batch]` = the transfers of that batch, in order.
    public let batches: [[[ScheduledTransfer]]]

    /// `firstNonces[s]` is sender s's next nonce; `count` transfers are split as evenly as
    /// possible over the senders (the first `count % senders` get one more).
    public init(count: Int, firstNonces: [UInt64], connections: Int, batchSize: Int) {
        precondition(count >= 0 && !firstNonces.isEmpty && connections >= 1 && batchSize >= 1,
                     "a schedule needs senders, a connection and a positive batch size")
        let senders = firstNonces.count
        let usedConnections = min(connections, senders)
        var perConnection: [[ScheduledTransfer]] = Array(repeating: [], count: usedConnections)
        let share = count / senders
        let extra = count % senders
        let counts = (0..<senders).map { share + ($0 < extra ? 1 : 0) }
        for connection in 0..<usedConnections {
            let members = Array(stride(from: connection, to: senders, by: usedConnections))
            let deepest = members.map { counts[$0] }.max() ?? 0
            for level in 0..<deepest {
                for sender in members where counts[sender] > level {
                    perConnection[connection].append(ScheduledTransfer(sender: sender, nonce: firstNonces[sender] + UInt64(level)))
                }
            }
        }
        batches = perConnection.map { transfers in
            stride(from: 0, to: transfers.count, by: batchSize).map { Array(transfers[$0..<min(transfers.count, $0 + batchSize)]) }
        }
    }

    public var transferCount: Int { batches.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
}

/// Order statistics of a set of samples (latencies in seconds, say).
public struct Percentiles: Hashable, Sendable {
    public let sorted: [Double]

    public init(_ samples: [Double]) { sorted = samples.sorted() }

    public var count: Int { sorted.count }
    public var isEmpty: Bool { sorted.isEmpty }

    /// The nearest-rank percentile: the smallest sample with at least `percent`% of the samples
    /// at or below it. nil without samples.
    public func value(at percent: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let clamped = min(100, max(0, percent))
        let rank = Int((clamped / 100 * Double(sorted.count)).rounded(.up))
        return sorted[max(0, min(sorted.count - 1, rank - 1))]
    }

    public var median: Double? { value(at: 50) }
    public var p99: Double? { value(at: 99) }
    public var mean: Double? { sorted.isEmpty ? nil : sorted.reduce(0, +) / Double(sorted.count) }
}

/// Throughput measures of one load run.
public enum Throughput {
    /// Transactions per second between two instants (seconds); nil for an empty interval.
    public static func rate(count: Int, from start: Double, to end: Double) -> Double? {
        end > start ? Double(count) / (end - start) : nil
    }

    /// Transactions per second by block timestamps: the transactions of `blocks` over the time
    /// from the parent of the first block to the last block. Timestamps are whole seconds, so
    /// this is coarse for short runs. nil when the span is zero.
    public static func byBlockTimestamps(blocks: [(timestamp: UInt64, transactions: Int)],
                                         parentTimestamp: UInt64) -> Double? {
        guard let last = blocks.max(by: { $0.timestamp < $1.timestamp }), last.timestamp > parentTimestamp else { return nil }
        let total = blocks.reduce(0) { $0 + $1.transactions }
        return Double(total) / Double(last.timestamp - parentTimestamp)
    }
}
