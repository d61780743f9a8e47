// d6g-adversary: a hostile peer for the end-to-end fault scenarios (tests/e2e, Docs/testing.md).
// It speaks the real handshake and frame format with real keys, and breaks the rules the honest
// nodes must survive: a validator that equivocates (two proposals, conflicting votes), floods
// far-future heights and rounds, forges other validators' signatures and finally sends frames
// that do not decode; and a node whose key is not on the allowlist. It is a test tool: the node
// never links it, and it is built only so the scenarios can run it as a process.
import ArgumentParser
import ConsensusCore
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import Node
import P2P
import Synchronization

struct Adversary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-adversary",
        abstract: "A hostile peer for d6g-ledger's fault scenarios (test tool; never run it on a real network).",
        subcommands: [Equivocate.self, Unlisted.self])
}

protocol AsyncCommand: ParsableCommand {
    func execute() async throws
}

/// A validator turned Byzantine: it holds a real validator's consensus and node keys.
struct Equivocate: AsyncCommand {
    static let configuration = CommandConfiguration(
        abstract: "Join as a validator and equivocate on every height and round the honest nodes reach.")

    @Option(help: "The network's genesis file.") var genesis: String
    @Option(name: .customLong("validator-key"), help: "File holding the stolen validator's consensus key (hex).")
    var validatorKey: String
    @Option(name: .customLong("node-key"), help: "File holding the validator's P2P key (hex).") var nodeKey: String
    @Option(name: .customLong("p2p-port"), help: "Port to listen on (the validator's configured port).") var port: Int
    @Option(name: .customLong("peer"), help: "A peer to dial (host:port); repeat for several.") var peers: [String] = []
    @Option(help: "Seconds of equivocation before the garbage frame.") var seconds: Double = 20
    @Flag(help: "After equivocating, send a frame of an unknown kind (the peers must ban this key).")
    var garbage = false

    func execute() async throws {
        let genesis = try Genesis(json: try readFile(self.genesis))
        let key = try readKey(validatorKey)
        let validators = try LedgerConsensus.validatorSet(of: genesis)
        guard validators.contains(key.address) else {
            throw ValidationError("\(key.address) is not a validator of this genesis")
        }
        let behaviour = Equivocation(key: key, validators: validators,
                                     domain: LedgerConsensus.configuration(chainId: genesis.chainId).signingDomain,
                                     others: genesis.settings.validators.map(\.address).filter { $0 != key.address })
        let allowed = Set(genesis.settings.validators.map(\.nodeKey))
        let transport = PeerTransport(
            configuration: PeerTransportConfiguration(nodeKey: try readKey(nodeKey), chainId: genesis.chainId,
                                                      port: port, peers: peers),
            allows: { allowed.contains($0.compressedBytes) }, delegate: behaviour)
        behaviour.transport.withLock { $0 = transport }
        _ = try await transport.start()
        try await Task.sleep(for: .seconds(seconds))
        behaviour.report("equivocated")
        if garbage {
            let before = transport.connectedPeers.count
            // Kind 0 is no gossip kind: an authenticated peer sending it is broken or hostile.
            transport.broadcast(kind: 0, payload: [0xde, 0xad])
            try await Task.sleep(for: .seconds(3))
            print(#"{"event": "garbage", "peersBefore": \#(before), "peersAfter": \#(transport.connectedPeers.count)}"#)
        }
        await transport.stop()
    }
}

/// What the Byzantine validator does with every consensus message it hears.
final class Equivocation: PeerTransportDelegate, Sendable {
    let key: PrivateKey
    let validators: ValidatorSet<LedgerConsensus>
    let domain: [UInt8]
    let others: [Address]
    let transport = Mutex<PeerTransport?>(nil)
    private let state = Mutex(State())

    struct State {
        var attacked: Set<[UInt64]> = []
        var proposals = 0
        var votes = 0
        var forged = 0
        var future = 0
        var received = 0
        var connected = 0
    }

    init(key: PrivateKey, validators: ValidatorSet<LedgerConsensus>, domain: [UInt8], others: [Address]) {
        self.key = key
        self.validators = validators
        self.domain = domain
        self.others = others
    }

    func peerConnected(_ peer: PeerID) { state.withLock { $0.connected += 1 } }
    func peerDisconnected(_ peer: PeerID) {}
    func transportNote(_ text: String, peer: PeerID?) {}

    func received(kind: UInt8, payload: [UInt8], from peer: PeerID) {
        guard kind == GossipKind.consensus.rawValue,
              let message = try? ConsensusEncoding.decodeMessage(payload) else { return }
        let first = state.withLock { state in
            state.received += 1
            return state.attacked.insert([message.height, UInt64(max(message.round, 0))]).inserted
        }
        guard first else { return }
        var value: Hash32?
        if case .proposal(let proposal) = message { value = proposal.value }
        attack(height: message.height, round: max(message.round, 0), honestValue: value)
    }

    /// Once per (height, round): everything a single Byzantine validator can sign.
    private func attack(height: UInt64, round: Int, honestValue: Hash32?) {
        var messages: [ConsensusMessage<LedgerConsensus>] = []
        if validators.proposer(height: height, round: round) == key.address {
            // Two proposals for blocks nobody has: the peers ask for them and never get them.
            messages.append(.proposal(proposal(height: height, round: round, value: randomHash())))
            messages.append(.proposal(proposal(height: height, round: round, value: randomHash())))
        }
        // Conflicting votes: for the honest proposal (when heard) and for something else.
        for type in [VoteType.prevote, .precommit] {
            messages.append(.vote(vote(type, height: height, round: round, value: honestValue ?? randomHash())))
            messages.append(.vote(vote(type, height: height, round: round, value: randomHash())))
            messages.append(.vote(vote(type, height: height, round: round, value: nil)))
        }
        // A flood of far-future rounds and heights: one validator's power must never move anyone.
        var future = 0
        for step in 1...8 {
            messages.append(.vote(vote(.precommit, height: height, round: round + 10 * step, value: randomHash())))
            messages.append(.vote(vote(.prevote, height: height &+ UInt64(100 * step), round: 0, value: randomHash())))
            future += 2
        }
        // Votes in the other validators' names with signatures that are not theirs.
        var forged = 0
        for other in others {
            messages.append(.vote(Vote(type: .precommit, height: height, round: round, valueID: randomHash(),
                                       validator: other, signature: sign(randomHash().bytes))))
            forged += 1
        }
        guard let transport = transport.withLock({ $0 }) else { return }
        var proposals = 0
        for message in messages {
            if case .proposal = message { proposals += 1 }
            transport.broadcast(kind: GossipKind.consensus.rawValue, payload: ConsensusEncoding.encode(message))
        }
        state.withLock { state in
            state.proposals += proposals
            state.votes += messages.count - proposals
            state.forged += forged
            state.future += future
        }
    }

    private func proposal(height: UInt64, round: Int, value: Hash32) -> Proposal<LedgerConsensus> {
        let bytes = SigningBytes.proposal(LedgerConsensus.self, domain: domain, height: height, round: round,
                                          valueID: value, validRound: -1)
        return Proposal(height: height, round: round, value: value, validRound: -1, proposer: key.address,
                        signature: sign(bytes))
    }

    private func vote(_ type: VoteType, height: UInt64, round: Int, value: Hash32?) -> Vote<LedgerConsensus> {
        let bytes = SigningBytes.vote(LedgerConsensus.self, domain: domain, type: type, height: height, round: round,
                                      valueID: value)
        return Vote(type: type, height: height, round: round, valueID: value, validator: key.address,
                    signature: sign(bytes))
    }

    private func sign(_ bytes: [UInt8]) -> [UInt8] { ConsensusKeySigner(key: key).sign(bytes) }

    func report(_ event: String) {
        let state = state.withLock { $0 }
        print(#"{"event": "\#(event)", "validator": "\#(key.address.checksummed)", "roundsAttacked": \#(state.attacked.count), "#
            + #""proposals": \#(state.proposals), "votes": \#(state.votes), "forged": \#(state.forged), "#
            + #""future": \#(state.future), "received": \#(state.received), "connections": \#(state.connected)}"#)
    }
}

/// A node whose key is on nobody's allowlist dials a peer: the handshake must be refused.
struct Unlisted: AsyncCommand {
    static let configuration = CommandConfiguration(abstract: "Dial a node with a fresh, unlisted node key.")

    @Option(name: .customLong("chain-id"), help: "The network's chain id.") var chainId: UInt64
    @Option(name: .customLong("peer"), help: "The node to dial (host:port).") var peer: String
    @Option(help: "Seconds to keep trying.") var seconds: Double = 5

    func execute() async throws {
        let observer = ConnectionObserver()
        // The unlisted node accepts anyone itself: only the far side's allowlist is under test.
        let key = PrivateKey.generate()
        let transport = PeerTransport(
            configuration: PeerTransportConfiguration(nodeKey: key, chainId: chainId, port: 0),
            allows: { _ in true }, delegate: observer)
        _ = try await transport.start()
        transport.connect(to: peer)
        try await Task.sleep(for: .seconds(seconds))
        // The dialler learns only after its last handshake message whether the other side admits
        // it, so it may count sessions that were closed at once: what matters is that none is
        // open at the end and that no frame ever came through.
        let (attempts, frames) = (observer.connected.withLock { $0 }, observer.frames.withLock { $0 })
        print(#"{"event": "unlisted", "nodeKey": "\#(Hex.encode(key.publicKey.compressedBytes))", "#
            + #""attempts": \#(attempts), "open": \#(transport.connectedPeers.count), "frames": \#(frames)}"#)
        await transport.stop()
    }
}

final class ConnectionObserver: PeerTransportDelegate, Sendable {
    let connected = Mutex(0)
    let frames = Mutex(0)
    func peerConnected(_ peer: PeerID) { connected.withLock { $0 += 1 } }
    func peerDisconnected(_ peer: PeerID) {}
    func received(kind: UInt8, payload: [UInt8], from peer: PeerID) { frames.withLock { $0 += 1 } }
    func transportNote(_ text: String, peer: PeerID?) {}
}

func randomHash() -> Hash32 {
    var generator = SystemRandomNumberGenerator()
    let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
    guard let hash = Hash32(bytes: bytes) else { preconditionFailure("32 bytes are a hash") }
    return hash
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("cannot read \(path)") }
    return [UInt8](data)
}

func readKey(_ path: String) throws -> PrivateKey {
    let text = String(decoding: try readFile(path), as: UTF8.self)
    return try PrivateKey(bytes: try Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)))
}

// Top-level code (main.swift): asynchronous subcommands are awaited here.
do {
    var command = try Adversary.parseAsRoot()
    if let asynchronous = command as? any AsyncCommand {
        try await asynchronous.execute()
    } else {
        try command.run()
    }
} catch {
    Adversary.exit(withError: error)
}
