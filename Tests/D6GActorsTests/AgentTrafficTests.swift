// Sources/D6GActors/AgentTraffic.swift over real UDP on loopback: an agent accepts its peers'
// frames of the current epoch and drops — counting why — replays, frames older than the replay
// window, forged headers, frames of an epoch past its grace, non-members and members the next
// epoch removed.
import D6GActors
import D6GProtocol
import Foundation
import LedgerCrypto
import LedgerPrimitives
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Sends raw datagrams to 127.0.0.1 (what an attacker on the overlay can do).
private func sendDatagram(_ bytes: [UInt8], to port: Int) {
    #if canImport(Glibc)
    let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    #else
    let descriptor = socket(AF_INET, SOCK_DGRAM, 0)
    #endif
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
    _ = bytes.withUnsafeBytes { buffer in
        withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
    }
}

private final class Flag: @unchecked Sendable { var running = true }

/// A receiving agent on a free port, its loop on a thread, stopped at the end.
private func withReceiver(graceMs: UInt64, _ body: (AgentTraffic, Int) throws -> Void) throws {
    var traffic: AgentTraffic?
    var port = 0
    for _ in 0..<20 where traffic == nil {
        port = Int.random(in: 30_000...59_000)
        traffic = try? AgentTraffic(group: UInt256(7), me: PrivateKey.generate().address, port: port, peerPorts: [], graceMs: graceMs)
    }
    let receiver = try #require(traffic)
    let flag = Flag()
    Thread.detachNewThread { receiver.receiveLoop(while: { flag.running }) }
    defer { flag.running = false }
    try body(receiver, port)
}

/// The counts after the datagrams sent so far have arrived.
private func settle(_ traffic: AgentTraffic) -> (accepted: Int, dropped: [String: Int]) {
    Thread.sleep(forTimeInterval: 0.3)
    return traffic.takeCounts()
}

@Test func framesAreAcceptedOnceAndEveryBadOneIsCountedByItsReason() throws {
    let alice = PrivateKey.generate().address, bob = PrivateKey.generate().address, mallory = PrivateKey.generate().address
    let key1 = try GroupKey.random(), key2 = try GroupKey.random()
    try withReceiver(graceMs: 0) { receiver, port in
        try receiver.install(epoch: 1, key: key1, members: [alice, bob])
        var fromAlice = try TrafficSender(groupKey: key1, group: UInt256(7), epoch: 1, sender: alice, session: 11)
        let first = try fromAlice.seal(Array("hello".utf8))
        sendDatagram(first, to: port)
        sendDatagram(first, to: port)  // replayed
        var counts = settle(receiver)
        #expect(counts.accepted == 1)
        #expect(counts.dropped == ["replay": 1])

        // Far ahead, then one older than the 1,024-frame window: the old one is dropped.
        var late = try TrafficSender(groupKey: key1, group: UInt256(7), epoch: 1, sender: bob, session: 12)
        var frames: [[UInt8]] = []
        for _ in 0..<1_100 { frames.append(try late.seal([1])) }
        sendDatagram(frames[1_099], to: port)
        Thread.sleep(forTimeInterval: 0.1)
        sendDatagram(frames[10], to: port)
        // A forged header: the sequence number changed after sealing (the tag no longer matches).
        var forged = try fromAlice.seal(Array("pay me".utf8))
        forged[70] ^= 0x01
        sendDatagram(forged, to: port)
        // A stranger with the right key material still is no member.
        var stranger = try TrafficSender(groupKey: key1, group: UInt256(7), epoch: 1, sender: mallory, session: 13)
        sendDatagram(try stranger.seal([2]), to: port)
        // Noise.
        sendDatagram([0x01, 0x02, 0x03], to: port)
        counts = settle(receiver)
        #expect(counts.accepted == 1)
        #expect(counts.dropped == ["replay": 1, "forged": 1, "not-member": 1, "malformed": 1])

        // Epoch 2 removes alice, with no grace: epoch 1 frames no longer open; alice's are refused.
        try receiver.install(epoch: 2, key: key2, members: [bob])
        // (A grace of 0 ms still covers the millisecond of the install.)
        Thread.sleep(forTimeInterval: 0.01)
        sendDatagram(try fromAlice.seal([3]), to: port)
        sendDatagram(try late.seal([4]), to: port)
        var bob2 = try TrafficSender(groupKey: key2, group: UInt256(7), epoch: 2, sender: bob, session: 14)
        sendDatagram(try bob2.seal([5]), to: port)
        var alice2 = try TrafficSender(groupKey: key2, group: UInt256(7), epoch: 2, sender: alice, session: 15)
        sendDatagram(try alice2.seal([6]), to: port)
        counts = settle(receiver)
        #expect(counts.accepted == 1)
        #expect(counts.dropped == ["unknown-epoch": 2, "not-member": 1])
    }
}

@Test func theReplacedEpochIsReadDuringItsGraceExceptFromRemovedMembers() throws {
    let alice = PrivateKey.generate().address, bob = PrivateKey.generate().address
    let key1 = try GroupKey.random(), key2 = try GroupKey.random()
    try withReceiver(graceMs: 60_000) { receiver, port in
        try receiver.install(epoch: 1, key: key1, members: [alice, bob])
        var fromAlice = try TrafficSender(groupKey: key1, group: UInt256(7), epoch: 1, sender: alice, session: 1)
        var fromBob = try TrafficSender(groupKey: key1, group: UInt256(7), epoch: 1, sender: bob, session: 2)
        try receiver.install(epoch: 2, key: key2, members: [bob])
        sendDatagram(try fromBob.seal([1]), to: port)
        sendDatagram(try fromAlice.seal([2]), to: port)
        let counts = settle(receiver)
        #expect(counts.accepted == 1)
        #expect(counts.dropped == ["removed-member": 1])
        #expect(receiver.epoch == 2)
    }
}
