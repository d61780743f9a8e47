// Deterministic simulation of whole nodes (Docs/testing.md §Node simulation). Validators and
// followers are real `LedgerNode`s — the driver, block building, the pool, execution, the chain
// store (over the in-memory storage engine) and the consensus log — on one seeded event queue in
// simulated time: their serial queues (`NodeQueue`) and wall clocks (`NodeClock`) are the
// simulation's. Between them a simulated network delays, reorders, drops and partitions messages
// until global stabilisation (GST), and validators crash and restart from their store and log. A
// failing seed replays the real code, not a model of it, as FoundationDB and TigerBeetle test.
//
// A run checks what an operator cares about: every node holds the same block and state root at
// every height, no node halts, and after GST every node reaches the target height.
//
// One thread runs everything: an event runs node code, which queues more events through its
// queue and network. Work a node hands to its transaction pool's own queue (admission) is awaited
// (and store reads for a peer's committed-blocks request) are awaited before the next event, so
// nothing overlaps. The same seed gives the same run as long as the node's behaviour never
// depends on the iteration order of a Set or Dictionary (Swift seeds each table's order per
// process and per instance); the trace check of the tests catches it if it does.
// `make simulate-nodes` also sets SWIFT_DETERMINISTIC_HASHING=1.
//
// Crashes fall between two events: the store's batches and the log's records are whole, as
// RocksDB and the file log promise after a kill -9 (which `make e2e` and the crash test exercise
// with real processes).
import ConsensusCore
import ConsensusSimulation
import Execution
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Node
import StorageAPI
import Synchronization

/// Everything that determines a run; `description` is enough to reproduce it.
public struct NodeSimulationConfiguration: Sendable, CustomStringConvertible {
    public var seed: UInt64
    public var validatorCount: Int
    /// Nodes without a validator key, following the chain by the same path.
    public var followerCount: Int
    /// Validators run twice, each twin with its own store and log (Twins testing): the key
    /// signs conflicting messages for real, a Byzantine fault made of honest code. At most a
    /// third of the validators minus one; the twins may halt and may fall behind, nobody else.
    public var twins: Int
    /// When the followers start (0: with everyone); a late one syncs the chain from its peers.
    public var followerStartMs: Int
    /// The run succeeds when every node has committed this height.
    public var targetHeight: UInt64
    /// Before GST messages are dropped, delayed up to `maxDelayBeforeGSTMs` and partitioned;
    /// after it every message between running nodes arrives within `delayAfterGSTMs`.
    public var gstMs: Int
    public var maxDelayBeforeGSTMs: Int
    public var delayAfterGSTMs: ClosedRange<Int>
    public var dropPerMille: Int
    /// Validators that crash once before GST (distinct ones, at most all of them) and restart
    /// from their store and log.
    public var crashes: Int
    /// Each node's wall clock is off by up to this much either way (blocks stamped ahead of a
    /// node's clock by more than its allowed drift wait).
    public var clockSkewMs: Int
    /// A transfer goes to a random running node this often, until the target height.
    public var transferIntervalMs: Int
    /// Every node must reach the target height by `gstMs + livenessBoundMs`.
    public var livenessBoundMs: Int

    public init(seed: UInt64, validatorCount: Int = 4, followerCount: Int = 1, twins: Int = 0, followerStartMs: Int = 0,
                targetHeight: UInt64 = 12,
                gstMs: Int = 3_000, maxDelayBeforeGSTMs: Int = 800, delayAfterGSTMs: ClosedRange<Int> = 5...80,
                dropPerMille: Int = 100, crashes: Int = 1, clockSkewMs: Int = 200, transferIntervalMs: Int = 100,
                livenessBoundMs: Int = 60_000) {
        self.seed = seed
        self.validatorCount = validatorCount
        self.followerCount = followerCount
        self.twins = twins
        self.followerStartMs = followerStartMs
        self.targetHeight = targetHeight
        self.gstMs = gstMs
        self.maxDelayBeforeGSTMs = maxDelayBeforeGSTMs
        self.delayAfterGSTMs = delayAfterGSTMs
        self.dropPerMille = dropPerMille
        self.crashes = crashes
        self.clockSkewMs = clockSkewMs
        self.transferIntervalMs = transferIntervalMs
        self.livenessBoundMs = livenessBoundMs
    }

    /// A run drawn from `seed`: 4 to 7 validators, up to one follower, a twin in half the runs,
    /// GST up to 6 s, up to 30 % loss, crashes of up to every validator, clocks up to 0.7 s
    /// apart each way.
    public static func random(seed: UInt64) -> NodeSimulationConfiguration {
        var random = SplitMix64(seed: seed)
        let validators = random.int(in: 4...7)
        return NodeSimulationConfiguration(
            seed: seed, validatorCount: validators, followerCount: random.int(in: 0...1), twins: random.int(in: 0...1),
            targetHeight: 10,
            gstMs: random.int(in: 0...6_000), maxDelayBeforeGSTMs: random.int(in: 20...1_500),
            delayAfterGSTMs: 2...random.int(in: 10...200), dropPerMille: random.int(in: 0...300),
            crashes: random.int(in: 0...validators), clockSkewMs: random.int(in: 0...700),
            transferIntervalMs: random.int(in: 20...400))
    }

    public var description: String {
        "seed \(seed): \(validatorCount) validators, \(followerCount) followers, \(twins) twins, target \(targetHeight), GST \(gstMs) ms, "
            + "delays ≤ \(maxDelayBeforeGSTMs) ms before and \(delayAfterGSTMs) ms after, drop \(dropPerMille)‰, "
            + "\(crashes) crashes, clock skew ±\(clockSkewMs) ms, a transfer every \(transferIntervalMs) ms"
            + (followerStartMs > 0 ? ", followers start at \(followerStartMs) ms" : "")
    }
}

/// What a run found.
public struct NodeSimulationOutcome: Sendable {
    public var configuration: NodeSimulationConfiguration
    /// Empty when the run passed.
    public var violations: [String]
    /// Each node's head at the end.
    public var heads: [UInt64]
    /// Simulated time at the end.
    public var endedAtMs: Int
    public var events: Int
    public var restarts: Int
    public var committedTransactions: Int
    /// Keccak-256 over every head change seen (time, node, height, hash): two runs of one seed
    /// must give the same.
    public var trace: Hash32
    /// For each node, the peers it asked for committed blocks (block sync).
    public var syncPeers: [[Int]]
    /// The last 200 log lines of each node, for a failing seed.
    public var logTail: [[String]]

    public var passed: Bool { violations.isEmpty }
}

public final class NodeSimulation: @unchecked Sendable {
    // `@unchecked`: `slots` and the counters are touched only by `run()` (one task, one event at a
    // time); what node code reaches while an event runs is in `world`, behind its lock.
    public let configuration: NodeSimulationConfiguration
    private let world: World
    private let genesis: Genesis
    private let logLevel: NodeLog.Level
    private var slots: [Slot] = []
    private var restarts = 0
    private var violations: [String] = []
    private var traceBytes: [UInt8] = []
    private var nonces: [UInt64]
    private let senders = DevNetwork.accountKeys
    static let clockBase = 1_800_000_000_000

    /// A node's place in the run: what survives its crashes (store, log, key, clock) and the
    /// process of the moment.
    private final class Slot {
        let index: Int
        let storage: MemoryStore
        let consensusLog = MemoryConsensusLog()
        let key: PrivateKey?
        let skewMs: Int
        /// Its key also runs elsewhere in this run: it may halt and fall behind.
        var faulty = false
        let lines = LogLines()
        var node: LedgerNode?
        var generation = 0
        var lastHead: UInt64 = 0

        init(index: Int, storage: MemoryStore, key: PrivateKey?, skewMs: Int) {
            self.index = index
            self.storage = storage
            self.key = key
            self.skewMs = skewMs
        }
    }

    /// `logLevel`: what each node's log keeps (its last lines end up in the outcome).
    public init(_ configuration: NodeSimulationConfiguration, logLevel: NodeLog.Level = .info) throws {
        self.configuration = configuration
        self.logLevel = logLevel
        world = World(configuration: configuration)
        nonces = Array(repeating: 0, count: senders.count)
        let keys = (0..<configuration.validatorCount).map { DevNetwork.key(seed: "d6g-simulation-validator-\($0)") }
        let members = keys.indices.map {
            DevNetwork.Member(consensusKey: keys[$0].publicKey,
                              nodeKey: DevNetwork.key(seed: "d6g-simulation-node-\($0)").publicKey, power: 1)
        }
        genesis = try Genesis(json: DevNetwork.genesisJSON(validators: members, funding: keys.map(\.address),
                                                           emptyBlockPeriodMs: 500, minBlockIntervalMs: 100))
        var random = SplitMix64(seed: configuration.seed ^ 0x5eed_c10c)
        for index in 0..<(configuration.validatorCount + configuration.followerCount) {
            let storage = MemoryStore(families: ChainSchema.families)
            _ = try ChainStore(storage: storage).initialize(with: genesis)
            let skew = random.int(in: -configuration.clockSkewMs...configuration.clockSkewMs)
            slots.append(Slot(index: index, storage: storage, key: index < keys.count ? keys[index] : nil, skewMs: skew))
        }
        for twin in 0..<min(configuration.twins, (configuration.validatorCount - 1) / 3) {
            let storage = MemoryStore(families: ChainSchema.families)
            _ = try ChainStore(storage: storage).initialize(with: genesis)
            let slot = Slot(index: slots.count, storage: storage, key: keys[twin], skewMs: slots[twin].skewMs)
            slot.faulty = true
            slots[twin].faulty = true
            slots.append(slot)
        }
    }

    // MARK: The run

    public func run() async -> NodeSimulationOutcome {
        for slot in slots {
            if slot.key == nil, configuration.followerStartMs > 0 {
                world.schedule(.start(slot.index), in: configuration.followerStartMs)
            } else {
                boot(slot)
            }
        }
        world.schedule(.repartition, in: 0)
        world.schedule(.transfer, in: configuration.transferIntervalMs)
        var crashRandom = SplitMix64(seed: configuration.seed ^ 0xc4a5)
        // Distinct validators (each crashes once), in a seeded order.
        var order = Array(0..<configuration.validatorCount)
        for position in order.indices.reversed() { order.swapAt(position, crashRandom.int(in: 0...position)) }
        for index in order.prefix(configuration.crashes) {
            let at = crashRandom.int(in: 0...max(configuration.gstMs, 1))
            world.schedule(.crash(index, downForMs: crashRandom.int(in: 50...3_000)), in: at)
        }
        let deadline = configuration.gstMs + configuration.livenessBoundMs
        var events = 0
        while let (time, event) = world.next(), time <= deadline {
            events += 1
            await handle(event)
            observeHeads(at: time)
            if !violations.isEmpty || everyNodeReachedTarget { break }
        }
        return finish(events: events)
    }

    private var everyNodeReachedTarget: Bool {
        slots.allSatisfy { $0.faulty || ($0.node != nil && $0.lastHead >= configuration.targetHeight) }
    }

    private func handle(_ event: Event) async {
        switch event {
        case .work(let index, let generation, let body):
            guard slots[index].generation == generation, slots[index].node != nil else { return }
            body()
        case .deliver(let index, let delivery):
            guard let node = slots[index].node else { return }
            await deliver(delivery, to: node, at: index)
        case .crash(let index, let downForMs):
            let slot = slots[index]
            guard slot.node != nil else { return }
            slot.node = nil
            slot.generation += 1
            world.setRunning(index, false)
            slot.lines.append("— crashed at \(world.now) ms —")
            world.schedule(.restart(index), in: downForMs)
        case .restart(let index):
            restarts += 1
            boot(slots[index])
        case .start(let index):
            boot(slots[index])
        case .repartition:
            world.repartition(nodeCount: slots.count)
            if world.now < configuration.gstMs { world.schedule(.repartition, in: 1_000) }
        case .transfer:
            await submitTransfer()
            if !everyNodeReachedTarget { world.schedule(.transfer, in: configuration.transferIntervalMs) }
        }
    }

    private func deliver(_ delivery: Delivery, to node: LedgerNode, at index: Int) async {
        switch delivery {
        case .message(let message): node.receive(message)
        case .block(let block): node.receive(block: block)
        case .decision(let decision): node.receive(decision: decision)
        case .evidence(let evidence): node.receive(evidence: evidence)
        case .transactions(let transactions): _ = await node.submit(transactions, gossip: false)
        case .committed(let blocks):
            for (block, certificate) in blocks { node.receive(committed: block, certificate: certificate) }
        case .blockRequest(let hash, let requester):
            let link = SimulatedLink(world: world, index: index)
            node.pendingBlock(hash: hash) { block in
                if let block { link.send(.block(block), to: requester) }
            }
        case .committedBlocksRequest(let height, let requester):
            let blocks = (try? await node.committedBlocks(from: height, limit: 16)) ?? []
            if !blocks.isEmpty { SimulatedLink(world: world, index: index).send(.committed(blocks), to: requester) }
        }
    }

    /// Starts (or restarts) the slot's node on its store and log.
    private func boot(_ slot: Slot) {
        var configuration = NodeConfiguration(genesis: genesis, validatorKey: slot.key)
        configuration.consensusTimeouts = TimeoutPolicy(proposeBase: 400, proposeDelta: 200, prevoteBase: 300,
                                                        prevoteDelta: 150, precommitBase: 300, precommitDelta: 150,
                                                        cap: 5_000)
        let lines = slot.lines
        let log = NodeLog(minimumLevel: logLevel) { line in lines.append(line) }
        do {
            let node = try LedgerNode(configuration: configuration, store: ChainStore(storage: slot.storage),
                                      consensusLog: slot.consensusLog,
                                      network: SimulatedLink(world: world, index: slot.index),
                                      clock: SimulatedClock(world: world, skewMs: slot.skewMs),
                                      queue: SimulatedQueue(world: world, index: slot.index, generation: slot.generation),
                                      log: log)
            slot.node = node
            world.setRunning(slot.index, true)
            node.start()
        } catch {
            violations.append("node \(slot.index) cannot start again: \(error)")
        }
    }

    /// A transfer of 1 wei from one of the devnet's accounts, to a random running node; its
    /// nonce moves on only when a node admitted it.
    private func submitTransfer() async {
        let running = slots.filter { $0.node != nil }
        guard !running.isEmpty else { return }
        let (sender, target) = world.draw { random in
            (random.int(in: 0...(senders.count - 1)), random.int(in: 0...(running.count - 1)))
        }
        guard let node = running[target].node,
              let signed = try? UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
                chainId: genesis.chainId, nonce: nonces[sender], maxPriorityFeePerGas: .zero,
                maxFeePerGas: UInt256(2_000_000_000), gasLimit: 21_000, to: senders[(sender + 1) % senders.count].address,
                value: UInt256(1))).signed(with: senders[sender]),
              let transaction = try? signed.recovered(onChain: genesis.chainId) else { return }
        if case .success = await node.submit([transaction]).first { nonces[sender] += 1 }
    }

    /// Records head changes in the trace, and halts as violations.
    private func observeHeads(at time: Int) {
        for slot in slots {
            guard let node = slot.node else { continue }
            let status = node.status
            if let halted = status.halted, !slot.faulty {
                violations.append("node \(slot.index) halted at \(time) ms: \(halted)")
            }
            guard status.head.number != slot.lastHead else { continue }
            slot.lastHead = status.head.number
            traceBytes += Self.word(UInt64(time)) + Self.word(UInt64(slot.index)) + Self.word(status.head.number)
                + status.headHash.bytes
        }
    }

    // MARK: Checks

    private func finish(events: Int) -> NodeSimulationOutcome {
        let deadline = configuration.gstMs + configuration.livenessBoundMs
        if violations.isEmpty {
            for slot in slots where !slot.faulty && slot.lastHead < configuration.targetHeight {
                violations.append("node \(slot.index) is at height \(slot.lastHead), short of \(configuration.targetHeight), "
                                  + "at \(world.now) ms (deadline \(deadline) ms)")
            }
        }
        var committedTransactions = 0
        var highest: UInt64 = 0
        for slot in slots { highest = max(highest, slot.lastHead) }
        if highest > 0 {
            for number in 1...highest {
                var seen: [(index: Int, hash: Hash32, stateRoot: Hash32)] = []
                for slot in slots {
                    guard let header = try? ChainStore(storage: slot.storage).header(number: number) else { continue }
                    seen.append((slot.index, header.hash, header.stateRoot))
                }
                if let first = seen.first {
                    for other in seen.dropFirst() where other.hash != first.hash || other.stateRoot != first.stateRoot {
                        violations.append("height \(number): node \(first.index) holds \(first.hash) (state \(first.stateRoot)), "
                                          + "node \(other.index) holds \(other.hash) (state \(other.stateRoot))")
                    }
                }
                let body = (try? ChainStore(storage: slots[0].storage).block(number: number))??.block
                committedTransactions += body?.transactions.count ?? 0
            }
        }
        return NodeSimulationOutcome(
            configuration: configuration, violations: violations, heads: slots.map(\.lastHead), endedAtMs: world.now,
            events: events, restarts: restarts, committedTransactions: committedTransactions,
            trace: Keccak256.hash(traceBytes), syncPeers: world.syncPeers(nodeCount: slots.count), logTail: slots.map { $0.lines.last(200) })
    }

    private static func word(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) }
    }
}

/// A node's recent log lines (the last 200).
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])

    func append(_ line: String) {
        lines.withLock { lines in
            lines.append(line)
            if lines.count > 200 { lines.removeFirst(lines.count - 200) }
        }
    }

    func last(_ count: Int) -> [String] { lines.withLock { Array($0.suffix(count)) } }
}

// MARK: The simulated world: time, events, the network's rules

enum Event: Sendable {
    /// Work a node queued on its serial queue (dropped if that process crashed since).
    case work(node: Int, generation: Int, body: @Sendable () -> Void)
    case deliver(to: Int, Delivery)
    case crash(Int, downForMs: Int)
    case restart(Int)
    /// A node's first start (a late follower).
    case start(Int)
    /// Before GST, every second: new partitions (or none).
    case repartition
    case transfer
}

enum Delivery: Sendable {
    case message(ConsensusMessage<LedgerConsensus>)
    case block(Block)
    case decision(Decision<LedgerConsensus>)
    case evidence(Evidence<LedgerConsensus>)
    case transactions([RecoveredTransaction])
    case blockRequest(Hash32, from: Int)
    case committedBlocksRequest(UInt64, from: Int)
    /// A peer's answer to a committed-blocks request, in order (one frame after another on a real link).
    case committed([(block: Block, certificate: [UInt8])])
}

/// What node code reaches while an event runs: the clock, the event queue, the seeded draws and
/// the network's state. Locked, though only one thread runs at a time, because the nodes' queues,
/// clocks and links must be `Sendable`.
final class World: Sendable {
    private let state: Mutex<State>
    let configuration: NodeSimulationConfiguration

    private struct State {
        var events = EventQueue<Event>()
        var now = 0
        var random: SplitMix64
        /// Before GST, the group each node is in; messages cross no group boundary.
        var group: [Int] = []
        var running: Set<Int> = []
        var nextPeer: [Int: Int] = [:]
        var askedForBlocks: [Int: Set<Int>] = [:]
    }

    /// Validators, followers and twins.
    let nodeCount: Int

    init(configuration: NodeSimulationConfiguration) {
        self.configuration = configuration
        nodeCount = configuration.validatorCount + configuration.followerCount
            + min(configuration.twins, (configuration.validatorCount - 1) / 3)
        state = Mutex(State(random: SplitMix64(seed: configuration.seed)))
    }

    var now: Int { state.withLock { $0.now } }

    func schedule(_ event: Event, in milliseconds: Int) {
        state.withLock { $0.events.push(event, at: $0.now + max(0, min(milliseconds, 1 << 40))) }
    }

    func next() -> (Int, Event)? {
        state.withLock { state in
            guard let (time, event) = state.events.pop() else { return nil }
            state.now = time
            return (time, event)
        }
    }

    func syncPeers(nodeCount: Int) -> [[Int]] {
        state.withLock { state in (0..<nodeCount).map { (state.askedForBlocks[$0] ?? []).sorted() } }
    }

    func draw<T>(_ body: (inout SplitMix64) -> T) -> T { state.withLock { body(&$0.random) } }

    func setRunning(_ index: Int, _ running: Bool) {
        state.withLock { if running { $0.running.insert(index) } else { $0.running.remove(index) } }
    }

    /// Half the time no partition; else each node lands in one of two groups.
    func repartition(nodeCount: Int) {
        state.withLock { state in
            let split = state.random.chance(perMille: 500)
            state.group = (0..<nodeCount).map { _ in split ? state.random.int(in: 0...1) : 0 }
        }
    }

    /// Sends `delivery` from `from` to `to` under the network's rules of the moment.
    func send(_ delivery: Delivery, from: Int, to: Int) {
        state.withLock { state in
            guard state.running.contains(from) else { return }
            let delay: Int
            if state.now < configuration.gstMs {
                if state.group.indices.contains(from), state.group.indices.contains(to), state.group[from] != state.group[to] {
                    return
                }
                if state.random.chance(perMille: configuration.dropPerMille) { return }
                delay = state.random.int(in: 0...configuration.maxDelayBeforeGSTMs)
            } else {
                delay = state.random.int(in: configuration.delayAfterGSTMs)
            }
            state.events.push(.deliver(to: to, delivery), at: state.now + delay)
        }
    }

    /// To one other node, the next in turn for `from` (as the P2P layer spreads sync requests).
    func sendToNextPeer(_ delivery: Delivery, from: Int) {
        guard nodeCount > 1 else { return }
        let to = state.withLock { state in
            let turn = state.nextPeer[from, default: 0]
            state.nextPeer[from] = turn + 1
            let to = (from + 1 + turn % (nodeCount - 1)) % nodeCount
            state.askedForBlocks[from, default: []].insert(to)
            return to
        }
        send(delivery, from: from, to: to)
    }

    func broadcast(_ delivery: Delivery, from: Int, nodeCount: Int) {
        for to in 0..<nodeCount where to != from { send(delivery, from: from, to: to) }
    }
}

/// A node's serial queue: events at simulated times.
struct SimulatedQueue: NodeQueue {
    let world: World
    let index: Int
    let generation: Int

    func async(_ body: @escaping @Sendable () -> Void) {
        world.schedule(.work(node: index, generation: generation, body: body), in: 0)
    }

    func asyncAfter(milliseconds: UInt64, _ body: @escaping @Sendable () -> Void) {
        world.schedule(.work(node: index, generation: generation, body: body), in: Int(clamping: milliseconds))
    }

    var uptimeMilliseconds: UInt64 { UInt64(world.now) }
}

/// A node's wall clock: simulated time, off by the node's skew.
struct SimulatedClock: NodeClock {
    let world: World
    let skewMs: Int

    func nowMilliseconds() -> UInt64 { UInt64(NodeSimulation.clockBase + world.now + skewMs) }
}

/// A node's links to every other node.
struct SimulatedLink: ConsensusNetwork {
    let world: World
    let index: Int

    private var nodeCount: Int { world.nodeCount }

    func send(_ delivery: Delivery, to: Int) { world.send(delivery, from: index, to: to) }
    private func broadcast(_ delivery: Delivery) { world.broadcast(delivery, from: index, nodeCount: nodeCount) }

    func broadcast(_ message: ConsensusMessage<LedgerConsensus>) { broadcast(.message(message)) }
    func relay(_ message: ConsensusMessage<LedgerConsensus>) { broadcast(.message(message)) }
    func broadcast(_ block: Block) { broadcast(.block(block)) }
    func broadcast(commit decision: Decision<LedgerConsensus>) { broadcast(.decision(decision)) }
    func broadcast(_ evidence: Evidence<LedgerConsensus>) { broadcast(.evidence(evidence)) }

    func broadcast(transactions: [SignedTransaction]) {
        // Recovered by the sender here; a real receiver recovers them itself (once).
        let chainId = world.configuration.chainId
        broadcast(.transactions(transactions.compactMap { try? $0.recovered(onChain: chainId) }))
    }

    func requestBlock(_ hash: Hash32, height: UInt64) { broadcast(.blockRequest(hash, from: index)) }
    func requestCommittedBlocks(from height: UInt64, fromEveryPeer: Bool) {
        if fromEveryPeer { return broadcast(.committedBlocksRequest(height, from: index)) }
        world.sendToNextPeer(.committedBlocksRequest(height, from: index), from: index)
    }
}

extension NodeSimulationConfiguration {
    var chainId: UInt64 { 1337 }
}
