// Two transports on loopback: the handshake, frames both ways, one session per pair even when
// both dial, an unlisted key kept out, garbage and floods closed, and a dropped peer dialled again.
import Foundation
import LedgerCrypto
import LedgerPrimitives
import NIOCore
import NIOPosix
import P2P
import Synchronization
import Testing

final class Recorder: PeerTransportDelegate, @unchecked Sendable {
    let lock = NSLock()
    var connected: [PeerID] = []
    var frames: [(UInt8, [UInt8], PeerID)] = []
    var notes: [String] = []

    func peerConnected(_ peer: PeerID) { lock.withLock { connected.append(peer) } }
    func peerDisconnected(_ peer: PeerID) { lock.withLock { connected.removeAll { $0 == peer } } }
    func received(kind: UInt8, payload: [UInt8], from peer: PeerID) { lock.withLock { frames.append((kind, payload, peer)) } }
    func transportNote(_ text: String, peer: PeerID?) { lock.withLock { notes.append(text) } }

    var connectedCount: Int { lock.withLock { connected.count } }
    var frameCount: Int { lock.withLock { frames.count } }
}

func until(_ seconds: Double = 10, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition(), Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
}

@Suite(.serialized) struct PeerTransportTests {
    let keys = (0..<3).map { try! PrivateKey(bytes: Keccak256.hash(Array("node-\($0)".utf8)).bytes) }

    func transport(_ index: Int, peers: [String] = [], allowed: Set<Int> = [0, 1, 2], framesPerSecond: Int = 5_000)
        -> (PeerTransport, Recorder) {
        let recorder = Recorder()
        let allowedKeys = Set(allowed.map { keys[$0].publicKey.compressedBytes })
        let transport = PeerTransport(
            configuration: PeerTransportConfiguration(nodeKey: keys[index], chainId: 9, host: "127.0.0.1", port: 0,
                                                      peers: peers, framesPerSecond: framesPerSecond),
            allows: { allowedKeys.contains($0.compressedBytes) }, delegate: recorder)
        return (transport, recorder)
    }

    @Test func peersConnectAndExchangeFramesBothWays() async throws {
        let (b, bSeen) = transport(1)
        let bPort = try await b.start()
        let (a, aSeen) = transport(0, peers: ["127.0.0.1:\(bPort)"])
        _ = try await a.start()
        try await until { aSeen.connectedCount == 1 && bSeen.connectedCount == 1 }
        #expect(a.connectedPeers == [b.id] && b.connectedPeers == [a.id])
        for index in 0..<100 { a.send(kind: 3, payload: [UInt8(index)], to: b.id) }
        b.broadcast(kind: 4, payload: Array(repeating: 9, count: 100_000))
        try await until { bSeen.frameCount == 100 && aSeen.frameCount == 1 }
        #expect(bSeen.lock.withLock { bSeen.frames.map { $0.1.first ?? 0 } } == (0..<100).map(UInt8.init))
        #expect(aSeen.lock.withLock { aSeen.frames.first?.1.count } == 100_000)
        await a.stop()
        await b.stop()
    }

    @Test func twoNodesDiallingEachOtherKeepOneSession() async throws {
        let (b, bSeen) = transport(1)
        let bPort = try await b.start()
        let (a, aSeen) = transport(0)
        let aPort = try await a.start()
        a.connect(to: "127.0.0.1:\(bPort)")
        b.connect(to: "127.0.0.1:\(aPort)")
        try await until { aSeen.connectedCount >= 1 && bSeen.connectedCount >= 1 }
        try await Task.sleep(for: .milliseconds(300))
        #expect(a.connectedPeers == [b.id] && b.connectedPeers == [a.id])
        #expect(aSeen.connectedCount == 1 && bSeen.connectedCount == 1)
        // The session both kept carries frames.
        a.send(kind: 1, payload: [42], to: b.id)
        try await until { bSeen.frameCount == 1 }
        #expect(bSeen.frameCount == 1)
        await a.stop()
        await b.stop()
    }

    @Test func anUnlistedKeyNeverGetsASession() async throws {
        let (b, bSeen) = transport(1, allowed: [1])
        let bPort = try await b.start()
        let (a, aSeen) = transport(0, peers: ["127.0.0.1:\(bPort)"])
        _ = try await a.start()
        try await Task.sleep(for: .milliseconds(2_700))
        #expect(aSeen.connectedCount == 0 && bSeen.connectedCount == 0)
        // Refused handshakes back off like refused connections (dials at 0, 0.5, 1.5 s; then 3.5 s),
        // not one every half second.
        let refusals = bSeen.lock.withLock { bSeen.notes.filter { $0.contains("not allowed") }.count }
        #expect((1...4).contains(refusals), "\(refusals) refused handshakes in 2.7 s")
        await a.stop()
        await b.stop()
    }

    @Test func garbageAndFloodsAreCut() async throws {
        let (b, bSeen) = transport(1, framesPerSecond: 50)
        let bPort = try await b.start()
        // Raw bytes that are not a handshake: closed, and the listener keeps serving.
        let raw = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: bPort).get()
        try await raw.writeAndFlush(raw.allocator.buffer(bytes: [UInt8](repeating: 0x41, count: 4_096)))
        try await raw.closeFuture.get()

        let (a, aSeen) = transport(0, peers: ["127.0.0.1:\(bPort)"])
        _ = try await a.start()
        try await until { aSeen.connectedCount == 1 }
        for _ in 0..<500 { a.send(kind: 1, payload: [1], to: b.id) }
        try await until { bSeen.lock.withLock { bSeen.notes.contains { $0.contains("banned") } } }
        #expect(bSeen.lock.withLock { bSeen.notes.contains { $0.contains("banned") } })
        #expect(bSeen.frameCount <= 60, "the flood stops at the rate limit")
        try await Task.sleep(for: .milliseconds(1_200)) // a redials; the ban holds
        #expect(b.connectedPeers.isEmpty)
        await a.stop()
        await b.stop()
    }

    @Test func aDroppedPeerIsDialledAgain() async throws {
        let (b, _) = transport(1)
        let bPort = try await b.start()
        let (a, aSeen) = transport(0, peers: ["127.0.0.1:\(bPort)"])
        _ = try await a.start()
        try await until { aSeen.connectedCount == 1 }
        await b.stop()
        try await until { aSeen.connectedCount == 0 }
        let restarted = PeerTransportConfiguration(nodeKey: keys[1], chainId: 9, host: "127.0.0.1", port: bPort)
        let again = PeerTransport(configuration: restarted, allows: { _ in true }, delegate: Recorder())
        _ = try await again.start()
        try await until(15) { aSeen.connectedCount == 1 }
        #expect(aSeen.connectedCount == 1)
        await a.stop()
        await again.stop()
    }
}
