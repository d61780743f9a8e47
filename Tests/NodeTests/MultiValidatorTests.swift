// Several validators, each a whole LedgerNode with its own store and write-ahead log, connected
// in memory: they decide every height together, blocks travel apart from votes (and are fetched
// by hash when they do not arrive), a silent validator costs rounds but not progress, and a key
// that signs on two hosts stops the node that sees it.
import ConsensusCore
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Node
import StorageAPI
import Synchronization
import Testing

/// Validators of a test network: keys from public seeds.
let testValidatorKeys = (0..<4).map { DevNetwork.key(seed: "d6g-test-validator-\($0)") }
/// A validator outside the genesis set, voted in by a test.
let votedInKey = DevNetwork.key(seed: "d6g-test-validator-4")

/// A vote on the validator set: a transaction from `key` to the Permissions contract.
func validatorVote(_ key: PrivateKey, nonce: UInt64, add member: ValidatorMember? = nil,
                   remove removed: Address? = nil) throws -> RecoveredTransaction {
    func word(_ value: UInt256) -> [UInt8] { value.bigEndianBytes }
    var data: [UInt8]
    if let member {
        data = Array(Keccak256.hash(Array("voteAddValidator(address,bytes,uint64)".utf8)).bytes.prefix(4))
        data += word(UInt256(member.address)) + word(UInt256(0x60)) + word(UInt256(member.power))
        data += word(UInt256(UInt64(member.nodeKey.count))) + member.nodeKey
        data += [UInt8](repeating: 0, count: (32 - member.nodeKey.count % 32) % 32)
    } else {
        data = Array(Keccak256.hash(Array("voteRemoveValidator(address)".utf8)).bytes.prefix(4))
        data += word(UInt256(removed ?? .zero))
    }
    return try recovered(UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
        chainId: 1337, nonce: nonce, maxPriorityFeePerGas: .zero, maxFeePerGas: UInt256(2_000_000_000), gasLimit: 2_000_000,
        to: Permissions.address, data: data)).signed(with: key))
}

/// The devnet with `keys` as its validators (power 1 each unless given) and fast pacing.
func multiValidatorGenesis(_ keys: [PrivateKey] = testValidatorKeys, powers: [UInt64]? = nil,
                           emptyBlockPeriodMs: UInt64 = 300) throws -> Genesis {
    let members = keys.enumerated().map { index, key in
        DevNetwork.Member(consensusKey: key.publicKey, nodeKey: DevNetwork.key(seed: "d6g-test-node-\(index)").publicKey,
                          power: powers?[index] ?? 1)
    }
    // The validators' accounts (and the one voted in) pay for their votes on the validator set.
    return try Genesis(json: DevNetwork.genesisJSON(validators: members, funding: (keys + [votedInKey]).map(\.address),
                                                    emptyBlockPeriodMs: emptyBlockPeriodMs, minBlockIntervalMs: 250))
}

/// Nodes connected in memory. Delivery is asynchronous (each node's own queue); a node can be
/// cut off, and broadcast blocks can be withheld so that every block must be fetched by hash.
final class MemoryNetwork: @unchecked Sendable {
    private let state = Mutex(State())

    private struct State {
        var nodes: [LedgerNode?] = []
        var cutOff: Set<Int> = []
        /// Pairs (smaller index first) that cannot reach each other directly.
        var cutLinks: Set<[Int]> = []
        /// What each node relayed (it relays a message once).
        var relayed: [Int: Set<ConsensusMessage<LedgerConsensus>>] = [:]
        var relays = 0
        var withholdBlocks = false
        var tamperBlocks = false
        var blockRequests = 0
    }

    func link(_ index: Int) -> Link { Link(network: self, index: index) }

    func attach(_ node: LedgerNode, at index: Int) {
        state.withLock { state in
            while state.nodes.count <= index { state.nodes.append(nil) }
            state.nodes[index] = node
        }
    }

    func cutOff(_ index: Int) { state.withLock { _ = $0.cutOff.insert(index) } }
    func cutLink(_ a: Int, _ b: Int) { state.withLock { _ = $0.cutLinks.insert([min(a, b), max(a, b)]) } }
    var relays: Int { state.withLock { $0.relays } }

    /// Whether `node` relays `message` now (the first time it is asked to).
    fileprivate func relayOnce(_ message: ConsensusMessage<LedgerConsensus>, by node: Int) -> Bool {
        state.withLock { state in
            guard state.relayed[node, default: []].insert(message).inserted else { return false }
            state.relays += 1
            return true
        }
    }
    func withholdBlocks() { state.withLock { $0.withholdBlocks = true } }
    /// Every block goes out twice: first a copy with the header kept and the body changed (what
    /// a hostile peer could send, the hash covering the header only), then the real one.
    func tamperBlocks() { state.withLock { $0.tamperBlocks = true } }
    fileprivate var tampering: Bool { state.withLock { $0.tamperBlocks } }
    var blockRequests: Int { state.withLock { $0.blockRequests } }

    /// The nodes `from` reaches: every attached node but itself, unless one of the two is cut off.
    fileprivate func peers(of from: Int) -> [LedgerNode] {
        state.withLock { state in
            guard !state.cutOff.contains(from) else { return [] }
            return state.nodes.enumerated().compactMap { index, node in
                index == from || state.cutOff.contains(index) || state.cutLinks.contains([min(from, index), max(from, index)])
                    ? nil : node
            }
        }
    }

    fileprivate var withholding: Bool { state.withLock { $0.withholdBlocks } }
    fileprivate func countRequest() { state.withLock { $0.blockRequests += 1 } }

    struct Link: ConsensusNetwork {
        let network: MemoryNetwork
        let index: Int

        func broadcast(_ message: ConsensusMessage<LedgerConsensus>) {
            _ = network.relayOnce(message, by: index)
            for peer in network.peers(of: index) { peer.receive(message) }
        }

        func relay(_ message: ConsensusMessage<LedgerConsensus>) {
            guard network.relayOnce(message, by: index) else { return }
            for peer in network.peers(of: index) { peer.receive(message) }
        }

        func broadcast(_ block: Block) {
            guard !network.withholding else { return }
            for peer in network.peers(of: index) {
                if network.tampering {
                    peer.receive(block: Block(header: block.header, transactions: block.transactions, lastCommit: [0xc0]))
                    let forged = try! transfer(from: devAccounts[4], nonce: 0)
                    peer.receive(block: Block(header: block.header, transactions: block.transactions + [forged],
                                              lastCommit: block.lastCommit))
                }
                peer.receive(block: block)
            }
        }

        func requestCommittedBlocks(from height: UInt64, fromEveryPeer: Bool) {
            let peers = network.peers(of: index)
            guard let me = network.state.withLock({ $0.nodes[index] }) else { return }
            Task {
                for peer in peers {
                    let blocks = try await peer.committedBlocks(from: height, limit: 16)
                    guard !blocks.isEmpty else { continue }
                    for (block, certificate) in blocks { me.receive(committed: block, certificate: certificate) }
                    return
                }
            }
        }

        func broadcast(commit decision: Decision<LedgerConsensus>) {
            for peer in network.peers(of: index) { peer.receive(decision: decision) }
        }

        func broadcast(transactions: [SignedTransaction]) {
            let peers = network.peers(of: index)
            let recovered = transactions.compactMap { try? $0.recovered(onChain: 1337) }
            Task { for peer in peers { _ = await peer.submit(recovered, gossip: false) } }
        }

        func broadcast(_ evidence: Evidence<LedgerConsensus>) {
            for peer in network.peers(of: index) { peer.receive(evidence: evidence) }
        }

        func requestBlock(_ hash: Hash32, height: UInt64) {
            network.countRequest()
            let peers = network.peers(of: index)
            guard let me = network.state.withLock({ $0.nodes[index] }) else { return }
            Task {
                for peer in peers {
                    if let block = await peer.pendingBlock(hash: hash) {
                        me.receive(block: block)
                        return
                    }
                }
            }
        }
    }
}

/// `count` validator nodes of `genesis` on one memory network, started.
func startNetwork(_ genesis: Genesis, keys: [PrivateKey] = testValidatorKeys, network: MemoryNetwork = MemoryNetwork(),
                  running: Set<Int>? = nil) throws -> [LedgerNode] {
    var nodes: [LedgerNode] = []
    for (index, key) in keys.enumerated() {
        let store = MemoryStore(families: ChainSchema.families)
        try ChainStore(storage: store).initialize(with: genesis)
        var configuration = NodeConfiguration(genesis: genesis, validatorKey: key)
        configuration.consensusTimeouts = TimeoutPolicy(proposeBase: 300, proposeDelta: 100, prevoteBase: 200,
                                                        prevoteDelta: 100, precommitBase: 200, precommitDelta: 100)
        let node = try LedgerNode(configuration: configuration, store: ChainStore(storage: store),
                                  consensusLog: MemoryConsensusLog(), network: network.link(index), log: .silent)
        network.attach(node, at: index)
        nodes.append(node)
    }
    for (index, node) in nodes.enumerated() where running?.contains(index) ?? true { node.start() }
    return nodes
}

/// Waits until every node in `nodes` has committed `height` (at most `seconds`).
func waitForHeight(_ height: UInt64, _ nodes: [LedgerNode], seconds: Double = 20) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while nodes.contains(where: { $0.status.head.number < height }), Date() < deadline {
        try await Task.sleep(for: .milliseconds(20))
    }
    if nodes.contains(where: { $0.status.head.number < height }) {
        var states: [String] = []
        for node in nodes { states.append("\(node.status.head.number): \(await node.consensusStatus().map { "\($0)" } ?? "-")") }
        Issue.record("not all nodes reached height \(height): \(states)")
    }
}

/// Every node holds the same block (hash and state root) at every height up to `height`.
func expectSameChain(_ nodes: [LedgerNode], upTo height: UInt64) throws {
    for number in 1...height {
        let blocks = try nodes.map { try #require(try $0.store.block(number: number)?.block) }
        #expect(Set(blocks.map(\.hash)).count == 1, "nodes disagree at height \(number)")
        #expect(Set(blocks.map(\.header.stateRoot)).count == 1)
    }
}

@Suite(.serialized) struct MultiValidatorTests {
    @Test func fourValidatorsDecideEveryHeightTogetherWithEachProposing() async throws {
        let genesis = try multiValidatorGenesis()
        let nodes = try startNetwork(genesis)
        let transfers = try (0..<20).map { try recovered(transfer(from: devAccounts[1], nonce: UInt64($0))) }
        #expect(await nodes[2].submit(transfers).allSatisfy { (try? $0.get()) != nil })
        // Sent to node 2, gossiped to the others' pools.
        try await waitForHeight(8, nodes)
        for node in nodes { await node.stop() }
        try expectSameChain(nodes, upTo: 8)
        let chain = nodes[0].store
        var included = 0
        var proposers = Set<Address>()
        for number in UInt64(1)...8 {
            let block = try #require(try chain.block(number: number)?.block)
            included += block.transactions.count
            proposers.insert(block.header.proposer)
            // Each block carries the certificate of its parent, signed by more than 2/3.
            if number > 1 {
                let certificate = try ConsensusEncoding.decodeCertificate(block.lastCommit)
                #expect(certificate.height == number - 1 && certificate.signatures.count >= 3)
            }
        }
        #expect(included == 20)
        #expect(proposers == Set(testValidatorKeys.map(\.address)))
        #expect(try chain.state(at: nodes[0].status.head).nonce(of: devAccounts[1].address) == 20)
    }

    @Test func blocksThatDoNotArriveAreFetchedByHash() async throws {
        let network = MemoryNetwork()
        network.withholdBlocks()
        let nodes = try startNetwork(try multiValidatorGenesis(), network: network)
        try await waitForHeight(4, nodes)
        for node in nodes { await node.stop() }
        try expectSameChain(nodes, upTo: 4)
        #expect(network.blockRequests >= 4 * 3, "each non-proposer fetches each block")
    }

    @Test func aForgedCopyOfABlockNeitherReplacesNorSpoilsTheRealOne() async throws {
        let network = MemoryNetwork()
        network.tamperBlocks()
        let nodes = try startNetwork(try multiValidatorGenesis(), network: network)
        let transfers = try (0..<5).map { try recovered(transfer(from: devAccounts[3], nonce: UInt64($0))) }
        _ = await nodes[0].submit(transfers)
        try await waitForHeight(5, nodes)
        for node in nodes { await node.stop() }
        // Every node sees a forged copy first: had one been kept, or marked the real block
        // invalid, no block would ever be decided.
        try expectSameChain(nodes, upTo: 5)
        #expect(try nodes[1].store.state(at: nodes[1].status.head).nonce(of: devAccounts[3].address) == 5)
    }

    @Test func threeOfFourKeepDecidingWhileOneIsSilent() async throws {
        let nodes = try startNetwork(try multiValidatorGenesis(), running: [0, 1, 2])
        let running = Array(nodes[0...2])
        try await waitForHeight(6, running)
        for node in running { await node.stop() }
        try expectSameChain(running, upTo: 6)
        // The silent validator's turns pass to the next round's proposer.
        let rounds = try (UInt64(1)...6).map { try #require(try nodes[0].store.header(number: $0)).round }
        #expect(rounds.contains { $0 > 0 })
        #expect(nodes[3].status.head.number == 0)
    }

    @Test func aValidatorStartedLateCatchesUpWithCertifiedBlocks() async throws {
        let nodes = try startNetwork(try multiValidatorGenesis(), running: [0, 1, 2])
        try await waitForHeight(5, Array(nodes[0...2]))
        nodes[3].start()
        // It learns of the later heights from their votes, fetches the committed blocks with their
        // certificates, executes them, and then votes on the heights that follow.
        let target = nodes[0].status.head.number + 3
        try await waitForHeight(target, nodes)
        for node in nodes { await node.stop() }
        try expectSameChain(nodes, upTo: target)
    }

    /// Blocks that arrive ahead of their turn with a forged certificate take no room: the
    /// genuine copies that come after them still wait for their turn and commit.
    @Test func junkCertificatesAheadOfTheirTurnDoNotHoldTheSyncUp() async throws {
        let network = MemoryNetwork()
        let nodes = try startNetwork(try multiValidatorGenesis(), network: network, running: [0, 1, 2])
        try await waitForHeight(8, Array(nodes[0...2]))
        network.cutOff(3)
        nodes[3].start()
        let blocks = try await nodes[0].committedBlocks(from: 1, limit: 8)
        #expect(blocks.count == 8)
        let junk = try #require(blocks.first?.certificate)
        // Heights 2…8 first with another height's certificate, twice over, then for real, newest
        // first; then height 1, after which they must all commit in order.
        for (block, _) in blocks.dropFirst().reversed() {
            nodes[3].receive(committed: block, certificate: junk)
            nodes[3].receive(committed: block, certificate: junk)
        }
        for (block, certificate) in blocks.dropFirst().reversed() { nodes[3].receive(committed: block, certificate: certificate) }
        nodes[3].receive(committed: blocks[0].block, certificate: blocks[0].certificate)
        let deadline = Date().addingTimeInterval(10)
        while nodes[3].status.head.number < 8, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(nodes[3].status.head.number == 8)
        for node in nodes { await node.stop() }
        try expectSameChain(nodes, upTo: 8)
    }

    @Test func aValidatorRestartedMidHeightResumesFromItsLog() async throws {
        // Node 1 stops and restarts three times while the others keep going; it may be locked
        // on (or have prevoted) a peer's block each time: its log holds that block too.
        let genesis = try multiValidatorGenesis()
        let network = MemoryNetwork()
        // Node 1's first process starts below, with the log all its processes share: one that
        // signed with a log of its own would (rightly) be taken for a second signer when peers
        // relay its messages back.
        var nodes = try startNetwork(genesis, network: network, running: [0, 2, 3])
        let stores = nodes.map(\.store)
        var configuration = nodes[1].configuration
        configuration.validatorKey = testValidatorKeys[1]
        let consensusLog = MemoryConsensusLog()
        // Node 1 again, on its own store, with a log that outlives the process.
        func restartNodeOne() async throws {
            await nodes[1].stop()
            let node = try LedgerNode(configuration: configuration, store: stores[1], consensusLog: consensusLog,
                                      network: network.link(1), log: .silent)
            network.attach(node, at: 1)
            nodes[1] = node
            node.start()
        }
        try await restartNodeOne()
        for round in 1...3 {
            try await waitForHeight(UInt64(2 * round + 1), nodes)
            try await Task.sleep(for: .milliseconds(Int.random(in: 0..<300)))
            try await restartNodeOne()
        }
        let target = nodes[0].status.head.number + 2
        try await waitForHeight(target, nodes)
        for node in nodes { await node.stop() }
        #expect(nodes.allSatisfy { $0.status.halted == nil })
        try expectSameChain(nodes, upTo: target)
    }

    @Test func aFollowerWithoutAValidatorKeyKeepsTheSameChain() async throws {
        let genesis = try multiValidatorGenesis()
        let network = MemoryNetwork()
        let nodes = try startNetwork(genesis, network: network)
        let store = MemoryStore(families: ChainSchema.families)
        try ChainStore(storage: store).initialize(with: genesis)
        let follower = try LedgerNode(configuration: NodeConfiguration(genesis: genesis, validatorKey: nil),
                                      store: ChainStore(storage: store), consensusLog: MemoryConsensusLog(),
                                      network: network.link(4), log: .silent)
        network.attach(follower, at: 4)
        follower.start()
        try await waitForHeight(5, nodes + [follower])
        #expect(await follower.consensusStatus()?.validator == nil)
        do {
            _ = try await follower.produceBlock()
            Issue.record("a follower produced a block")
        } catch NodeError.halted(let reason) {
            #expect(reason == "not a validator")
        }
        for node in nodes + [follower] { await node.stop() }
        try expectSameChain(nodes + [follower], upTo: 5)
    }

    /// A validator voted in by 3 of 4 proposes and signs from two heights after the vote passed;
    /// one voted out by 4 of 5 signs nothing from two heights after that. Every node, the
    /// newcomer too (it ran as a follower until then), holds the same chain.
    @Test func validatorsAreAddedAndRemovedByVote() async throws {
        let genesis = try multiValidatorGenesis()
        let network = MemoryNetwork()
        let nodes = try startNetwork(genesis, keys: testValidatorKeys + [votedInKey], network: network)
        let newcomer = ValidatorMember(address: votedInKey.address,
                                       nodeKey: DevNetwork.key(seed: "d6g-test-node-4").publicKey.compressedBytes, power: 1)
        #expect(nodes[4].validators.count == 4)
        for index in 0..<3 {
            #expect(try await nodes[index].submit([validatorVote(testValidatorKeys[index], nonce: 0, add: newcomer)])
                        .allSatisfy { (try? $0.get()) != nil })
        }
        let added = try await firstBlock(where: { $0.count == 5 }, event: "ValidatorAdded(address,bytes,uint64,uint256)", nodes[4])
        let newSet = ValidatorMember.setHash(of: nodes[4].validators)
        let oldSet = genesis.validatorsHash
        // Decided: block `added` holds the passing vote; its state holds 5; the set signs from added + 2.
        try await waitForHeight(added + 8, nodes)
        let chain = nodes[0].store
        for number in 1...(added + 8) {
            let header = try #require(try chain.header(number: number))
            #expect(header.validatorsHash == (number >= added + 2 ? newSet : oldSet), "validatorsHash at \(number)")
            #expect(header.nextValidatorsHash == (number + 1 >= added + 2 ? newSet : oldSet), "nextValidatorsHash at \(number)")
        }
        let proposers = try ((added + 2)...(added + 8)).map { try #require(try chain.header(number: $0)).proposer }
        #expect(proposers.contains(votedInKey.address), "the newcomer proposes once it is in the set")

        // Out: validator 0, by the other four.
        for (offset, key) in (Array(testValidatorKeys[1...]) + [votedInKey]).enumerated() {
            let nonce: UInt64 = offset < 2 ? 1 : 0
            _ = await nodes[offset + 1].submit([try validatorVote(key, nonce: nonce, remove: testValidatorKeys[0].address)])
        }
        let removed = try await firstBlock(where: { $0.count == 4 }, event: "ValidatorRemoved(address,uint256)", nodes[1])
        try await waitForHeight(removed + 8, nodes)
        for number in (removed + 3)...(removed + 8) {
            let certificate = try ConsensusEncoding.decodeCertificate(try #require(try chain.block(number: number)?.block).lastCommit)
            #expect(!certificate.signatures.contains { $0.validator == testValidatorKeys[0].address },
                    "the removed validator's precommit counts at \(number - 1)")
            #expect(try #require(try chain.header(number: number)).proposer != testValidatorKeys[0].address)
        }
        for node in nodes { await node.stop() }
        try expectSameChain(nodes, upTo: removed + 8)
    }

    /// Waits until `node`'s set of the next height meets `condition`; returns the block whose
    /// receipts hold `event` (the block that changed the set: the last one holding it).
    private func firstBlock(where condition: ([ValidatorMember]) -> Bool, event: String, _ node: LedgerNode,
                            seconds: Double = 20) async throws -> UInt64 {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition(node.validators), Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try #require(condition(node.validators), "the vote never passed")
        let topic = Keccak256.hash(Array(event.utf8))
        for number in stride(from: node.status.head.number, through: 1, by: -1) {
            let receipts = try #require(try node.store.receipts(number: number))
            if receipts.contains(where: { $0.receipt.logs.contains { $0.topics.first == topic } }) { return number }
        }
        Issue.record("no block holds \(event)")
        return 0
    }

    /// Links 0–1 and 2–3 cut: every validator still reaches two of the other three, and their
    /// messages reach the rest through them (relay); without relay no one would hear a quorum.
    @Test func validatorsThatCannotReachEachOtherHearEachOtherThroughTheRest() async throws {
        let network = MemoryNetwork()
        network.cutLink(0, 1)
        network.cutLink(2, 3)
        let nodes = try startNetwork(try multiValidatorGenesis(), network: network)
        try await waitForHeight(6, nodes)
        #expect(network.relays > 0)
        for node in nodes { await node.stop() }
        try expectSameChain(nodes, upTo: 6)
    }

    /// Evidence is a peer's input: a height at the top of UInt64 must be ignored, not trap.
    @Test func evidenceFromTheFarFutureIsIgnored() async throws {
        let node = try makeNode(store: try initializedStore())
        let domain = LedgerConsensus.configuration(chainId: 1337).signingDomain
        let signer = ConsensusKeySigner(key: DevNetwork.validatorKey)
        let votes = [Hash32(bytes: [UInt8](repeating: 1, count: 32))!, Hash32(bytes: [UInt8](repeating: 2, count: 32))!].map { value in
            Vote<LedgerConsensus>(type: .prevote, height: .max, round: 0, valueID: value, validator: signer.validator,
                                  signature: signer.sign(SigningBytes.vote(LedgerConsensus.self, domain: domain, type: .prevote,
                                                                           height: .max, round: 0, valueID: value)))
        }
        node.receive(evidence: .conflictingVotes(votes[0], votes[1]))
        _ = try await node.produceBlock()
        #expect(await node.evidence().isEmpty)
        await node.stop()
    }

    @Test func twoOfFourCannotDecide() async throws {
        let nodes = try startNetwork(try multiValidatorGenesis(), running: [0, 1])
        try await Task.sleep(for: .milliseconds(1_500))
        #expect(nodes.allSatisfy { $0.status.head.number == 0 }, "two of four are not more than 2/3")
        for node in nodes { await node.stop() }
    }

    @Test func aValidatorSeeingItsOwnKeyUsedElsewhereHalts() async throws {
        // A second host with the same key signs at height 1: the node that receives it stops.
        let node = try makeNode(store: try initializedStore())
        let domain = LedgerConsensus.configuration(chainId: 1337).signingDomain
        let valueID = Hash32(bytes: [UInt8](repeating: 7, count: 32))!
        let bytes = SigningBytes.vote(LedgerConsensus.self, domain: domain, type: .prevote, height: 1, round: 0, valueID: valueID)
        let signer = ConsensusKeySigner(key: DevNetwork.validatorKey)
        // A forgery in its name is ignored; a real signature it did not make is not.
        node.receive(.vote(Vote(type: .prevote, height: 1, round: 0, valueID: valueID, validator: signer.validator,
                                signature: ConsensusKeySigner(key: devAccounts[0]).sign(bytes))))
        _ = try await node.produceBlock()
        #expect(node.status.halted == nil)
        let atHeightTwo = SigningBytes.vote(LedgerConsensus.self, domain: domain, type: .prevote, height: 2, round: 0,
                                            valueID: valueID)
        node.receive(.vote(Vote(type: .prevote, height: 2, round: 0, valueID: valueID, validator: signer.validator,
                                signature: signer.sign(atHeightTwo))))
        for _ in 0..<200 where node.status.halted == nil { try await Task.sleep(for: .milliseconds(5)) }
        #expect(node.status.halted?.contains("another node runs with the same key") == true)
        await node.stop()
    }

    @Test func aConsensusLogAheadOfTheChainRefusesToStart() throws {
        // The log of a validator that signed at height 6, under a chain whose head is 0.
        let state = ConsensusPersistentState<LedgerConsensus>(
            height: 6, round: 0, step: .prevote, lockedValue: nil, lockedRound: -1, validValue: nil, validRound: -1,
            ownProposals: [], ownVotes: [])
        let consensusLog = MemoryConsensusLog()
        try consensusLog.write(ConsensusEncoding.encode(state, proposedBlocks: []))
        #expect {
            try makeNode(store: try initializedStore(), consensusLog: consensusLog)
        } throws: { error in
            guard case NodeError.consensusLogAhead(logHeight: 6, head: 0) = error else { return false }
            return "\(error)".contains("would sign them again")
        }
    }
}
