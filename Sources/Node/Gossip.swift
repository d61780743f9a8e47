// What nodes say to each other over the P2P transport (Docs/p2p.md): the consensus network of a
// validator (ConsensusNetwork) and the answers to what peers ask, as frames of one kind byte and
// an RLP payload. Anything a peer sends that does not decode bans it (it passed the handshake,
// so it is a broken or hostile node). The validators form a full mesh; a validator's proposal or
// vote of the current height is also relayed once by each node (`relay`), so validators whose
// direct link is cut still hear each other.
import ConsensusCore
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Mempool
import P2P
import Synchronization

/// The frame kinds.
public enum GossipKind: UInt8, Sendable, CaseIterable {
    case consensus = 1
    case block = 2
    case blockRequest = 3
    case commit = 4
    case committedBlocksRequest = 5
    case committedBlock = 6
    case evidence = 7
    case transactions = 8
}

public final class Gossip: ConsensusNetwork, PeerTransportDelegate, @unchecked Sendable {
    // `@unchecked`: `node` and `transport` are set once, before the transport starts, under `lock`.
    private let lock = NSLock()
    private var node: LedgerNode?
    private var transport: PeerTransport?
    private let chainId: UInt64
    private let transactionOptions: TransactionValidationOptions
    private let log: NodeLog
    private let metrics = GossipMetrics()
    /// Committed-blocks requests being answered, per peer: at most `requestsServedPerPeer` at
    /// a time each (a syncing node asks for a few batches at once), so a peer cannot queue
    /// thousands of storage reads a second.
    private let serving = Mutex<[PeerID: Int]>([:])
    public static let requestsServedPerPeer = 4
    /// Which peer the next committed-blocks request goes to (round robin over the sessions).
    private let nextSyncPeer = Mutex(0)
    /// Consensus messages this node sent (its own and relayed), by the hash of their bytes: a
    /// message is relayed at most once, so relays end. The node's own sends (and what it sends
    /// again when a round does not move) always go out.
    private let sent = Mutex(RecentHashes(capacity: 16_384))

    /// Committed blocks sent per request (a node far behind asks again from where it got to).
    public static let committedBlocksPerRequest = 16
    /// Transactions one frame may carry.
    public static let transactionsPerFrame = 2_000

    public init(genesis: Genesis, log: NodeLog) {
        chainId = genesis.chainId
        transactionOptions = genesis.rules.transactionOptions
        self.log = log
    }

    /// Connects the two ends; before `transport.start()`.
    public func attach(node: LedgerNode, transport: PeerTransport) {
        lock.withLock {
            self.node = node
            self.transport = transport
        }
    }

    private var parts: (LedgerNode, PeerTransport)? {
        lock.withLock { node.flatMap { node in transport.map { (node, $0) } } }
    }

    private func send(_ kind: GossipKind, _ payload: [UInt8], to peer: PeerID? = nil) {
        guard let (_, transport) = parts else { return }
        metrics.sentBytes.increment(by: payload.count)
        if let peer { transport.send(kind: kind.rawValue, payload: payload, to: peer) } else {
            transport.broadcast(kind: kind.rawValue, payload: payload)
        }
    }

    // MARK: ConsensusNetwork

    public func broadcast(_ message: ConsensusMessage<LedgerConsensus>) {
        let payload = ConsensusEncoding.encode(message)
        _ = sent.withLock { $0.insert(Keccak256.hash(payload)) }
        send(.consensus, payload)
    }

    public func relay(_ message: ConsensusMessage<LedgerConsensus>) {
        let payload = ConsensusEncoding.encode(message)
        guard sent.withLock({ $0.insert(Keccak256.hash(payload)) }) else { return }
        metrics.relayed.increment()
        send(.consensus, payload)
    }
    public func broadcast(_ block: Block) { send(.block, block.encoded) }
    public func broadcast(commit decision: Decision<LedgerConsensus>) { send(.commit, ConsensusEncoding.encode(decision)) }
    public func broadcast(_ evidence: Evidence<LedgerConsensus>) { send(.evidence, ConsensusEncoding.encode(evidence)) }

    public func requestBlock(_ hash: Hash32, height: UInt64) {
        send(.blockRequest, RLP.Item.list([.hash(hash), .uint64(height)]).encoded)
    }

    /// To one peer, the next in turn (the batches of one sync come from several peers), or to all.
    public func requestCommittedBlocks(from height: UInt64, fromEveryPeer: Bool) {
        guard let (_, transport) = parts else { return }
        let peers = transport.connectedPeers
        guard !peers.isEmpty else { return }
        if fromEveryPeer { return send(.committedBlocksRequest, RLP.Item.list([.uint64(height)]).encoded) }
        let turn = nextSyncPeer.withLock { turn in
            defer { turn = (turn + 1) % Int.max }
            return turn
        }
        send(.committedBlocksRequest, RLP.Item.list([.uint64(height)]).encoded, to: peers[turn % peers.count])
    }

    public func broadcast(transactions: [SignedTransaction]) {
        for start in stride(from: 0, to: transactions.count, by: Self.transactionsPerFrame) {
            let slice = transactions[start..<min(start + Self.transactionsPerFrame, transactions.count)]
            send(.transactions, RLP.Item.list(slice.map { .bytes($0.encoded) }).encoded)
        }
    }

    // MARK: PeerTransportDelegate

    public func peerConnected(_ peer: PeerID) {
        metrics.peerConnected()
        log(.info, "peer connected", ["peer": peer.short])
    }

    public func peerDisconnected(_ peer: PeerID) {
        metrics.peerDisconnected()
        log(.info, "peer disconnected", ["peer": peer.short])
    }

    public func transportNote(_ text: String, peer: PeerID?) {
        log(.warning, "p2p: \(text)", ["peer": peer?.short ?? "-"])
    }

    public func received(kind: UInt8, payload: [UInt8], from peer: PeerID) {
        metrics.receivedBytes.increment(by: payload.count)
        guard let (node, transport) = parts else { return }
        guard let kind = GossipKind(rawValue: kind) else {
            return transport.ban(peer, reason: "unknown frame kind \(kind)")
        }
        do {
            try handle(kind, payload, from: peer, node: node)
        } catch {
            transport.ban(peer, reason: "undecodable \(kind) frame: \(error)")
        }
    }

    private func handle(_ kind: GossipKind, _ payload: [UInt8], from peer: PeerID, node: LedgerNode) throws {
        switch kind {
        case .consensus:
            node.receive(try ConsensusEncoding.decodeMessage(payload))
        case .block:
            node.receive(block: try Block(decoding: payload))
        case .blockRequest:
            let fields = try RLP.decode(payload).list(count: 2)
            let hash = try fields[0].hash()
            Task {
                if let block = await node.pendingBlock(hash: hash) { send(.block, block.encoded, to: peer) }
            }
        case .commit:
            node.receive(decision: try ConsensusEncoding.decodeDecision(payload))
        case .committedBlocksRequest:
            let from = try RLP.decode(payload).list(count: 1)[0].uint64()
            guard serving.withLock({ serving in
                guard serving[peer, default: 0] < Self.requestsServedPerPeer else { return false }
                serving[peer, default: 0] += 1
                return true
            }) else { return }
            Task {
                defer {
                    serving.withLock { serving in
                        serving[peer, default: 1] -= 1
                        if serving[peer] == 0 { serving[peer] = nil }
                    }
                }
                let blocks = (try? await node.committedBlocks(from: from, limit: Self.committedBlocksPerRequest)) ?? []
                for (block, certificate) in blocks {
                    send(.committedBlock, RLP.Item.list([.bytes(block.encoded), .bytes(certificate)]).encoded, to: peer)
                }
                metrics.committedBlocksServed.increment(by: blocks.count)
                log(.debug, "served committed blocks", ["peer": peer.short, "from": from, "count": blocks.count])
            }
        case .committedBlock:
            let fields = try RLP.decode(payload).list(count: 2)
            node.receive(committed: try Block(decoding: try fields[0].bytes()), certificate: try fields[1].bytes())
        case .evidence:
            node.receive(evidence: try ConsensusEncoding.decodeEvidence(payload))
        case .transactions:
            let items = try RLP.decode(payload).list()
            guard items.count <= Self.transactionsPerFrame else { throw GossipError.tooManyTransactions(items.count) }
            // Senders are recovered once, here; a transaction that fails is dropped, not the peer:
            // rules can differ for a moment (a permission changed in the last block).
            var recovered: [RecoveredTransaction] = []
            for item in items {
                guard let transaction = try? RecoveredTransaction(decoding: try item.bytes(), chainId: chainId,
                                                                  options: transactionOptions) else { continue }
                recovered.append(transaction)
            }
            Task { _ = await node.submit(recovered, gossip: false) }
        }
    }
}

enum GossipError: Error, CustomStringConvertible {
    case tooManyTransactions(Int)

    var description: String {
        switch self {
        case .tooManyTransactions(let count): "\(count) transactions in one frame (at most \(Gossip.transactionsPerFrame))"
        }
    }
}

/// A set of the last `capacity` hashes inserted: older ones are forgotten first.
struct RecentHashes {
    let capacity: Int
    private var members: Set<Hash32> = []
    private var order: [Hash32] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    /// Inserts `hash`; false if it is already there.
    mutating func insert(_ hash: Hash32) -> Bool {
        guard members.insert(hash).inserted else { return false }
        if order.count < capacity {
            order.append(hash)
        } else {
            members.remove(order[next])
            order[next] = hash
            next = (next + 1) % capacity
        }
        return true
    }
}
