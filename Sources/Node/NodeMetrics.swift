// The node's metrics through swift-metrics (Docs/operator-guide.md §Metrics): names and labels
// are part of the operator interface (dashboards and alerts use them), so they are declared here
// once. Without a metrics backend (tests, no --metrics-port) every call is a no-op.
import Mempool
import Metrics
import Synchronization

final class NodeMetrics: Sendable {
    let height = Gauge(label: "d6g_chain_height")
    let round = Gauge(label: "d6g_consensus_round")
    let equivocations = Counter(label: "d6g_consensus_equivocations_total")
    /// Rounds a height took (1: decided in round 0), per committed height.
    let roundsPerHeight = Recorder(label: "d6g_consensus_rounds_per_height", aggregate: true)
    /// From the start of a height to its commit here.
    let heightTime = Metrics.Timer(label: "d6g_consensus_height_seconds")
    let blocks = Counter(label: "d6g_blocks_committed_total")
    let transactions = Counter(label: "d6g_transactions_committed_total")
    let buildTime = Metrics.Timer(label: "d6g_block_build_seconds")
    let commitTime = Metrics.Timer(label: "d6g_block_commit_seconds")
    let pending = Gauge(label: "d6g_mempool_pending")
    let queued = Gauge(label: "d6g_mempool_queued")
    let databaseSize = Gauge(label: "d6g_db_size_bytes")
    /// The highest height the validators are known to have committed, while syncing towards it.
    let syncTarget = Gauge(label: "d6g_sync_target_height")

    /// `d6g_consensus_missed_precommits_total{validator=…}`: members of a height's set whose
    /// precommit is not in its commit certificate (absent, late or partitioned).
    private let missed = LabelledCounters(label: "d6g_consensus_missed_precommits_total", dimension: "validator")
    /// `d6g_mempool_rejected_total{reason=…}`: one counter per rule.
    private let rejections = LabelledCounters(label: "d6g_mempool_rejected_total", dimension: "reason")

    func missedPrecommit(by validator: String) { missed.increment(validator) }

    func rejected(_ error: MempoolError) { rejections.increment(error.reason) }
}

/// One counter per value of a label, made when first used and kept: a flood (of rejects, of
/// missed votes) must not look the metric up in the registry each time.
final class LabelledCounters: Sendable {
    private let label: String
    private let dimension: String
    private let counters = Mutex<[String: Counter]>([:])

    init(label: String, dimension: String) {
        self.label = label
        self.dimension = dimension
    }

    func increment(_ value: String) {
        let counter = counters.withLock { counters in
            if let existing = counters[value] { return existing }
            let made = Counter(label: label, dimensions: [(dimension, value)])
            counters[value] = made
            return made
        }
        counter.increment()
    }
}

/// The P2P layer's metrics (Docs/operator-guide.md §Metrics).
final class GossipMetrics: Sendable {
    private let peers = Gauge(label: "d6g_p2p_peers")
    let sentBytes = Counter(label: "d6g_p2p_sent_bytes_total")
    let receivedBytes = Counter(label: "d6g_p2p_received_bytes_total")
    let relayed = Counter(label: "d6g_p2p_relayed_messages_total")
    /// Committed blocks sent to peers that were syncing.
    let committedBlocksServed = Counter(label: "d6g_p2p_committed_blocks_served_total")
    private let connected = Mutex(0)

    func peerConnected() { peers.record(connected.withLock { $0 += 1; return $0 }) }
    func peerDisconnected() { peers.record(connected.withLock { $0 -= 1; return $0 }) }
}
