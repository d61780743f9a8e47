// The traffic frames' receiver: what it drops and why (PROTOCOL.md §Key exchange, "Traffic").
import D6GProtocol
import LedgerCrypto
import LedgerPrimitives
import Testing

@Suite struct TrafficTests {
    let group = UInt256(7)
    let alice = Address(bytes: [UInt8](repeating: 0xa1, count: 20))!
    let bob = Address(bytes: [UInt8](repeating: 0xb0, count: 20))!
    let mallory = Address(bytes: [UInt8](repeating: 0x66, count: 20))!

    func receiver(_ key: GroupKey, epoch: UInt64 = 1, members: Set<Address>) -> TrafficReceiver {
        var receiver = TrafficReceiver(group: group, graceMs: 5_000)
        receiver.install(epoch: epoch, key: key, members: members, nowMs: 0)
        return receiver
    }

    @Test func framesOpenOnceEachInAnyOrderWithinTheWindow() throws {
        let key = try GroupKey.random()
        var sender = try TrafficSender(groupKey: key, group: group, epoch: 1, sender: alice, session: 9)
        var receiver = receiver(key, members: [alice, bob])
        let frames = try (0..<40).map { try sender.seal(Array("frame \($0)".utf8)) }
        for index in [3, 0, 1, 39, 2, 10] {
            let opened = try receiver.open(frames[index], nowMs: 1)
            #expect(opened.sender == alice && opened.payload == Array("frame \(index)".utf8))
        }
        // Replayed: refused, and so is anything older than the window.
        #expect(throws: TrafficError.replayed(sequence: 3)) { try receiver.open(frames[3], nowMs: 1) }
        for _ in 0..<Int(ReplayWindow.size) { _ = try sender.seal([0]) }
        _ = try receiver.open(try sender.seal([1]), nowMs: 1)
        #expect(throws: TrafficError.replayed(sequence: 20)) { try receiver.open(frames[20], nowMs: 1) }
    }

    @Test func forgedDamagedAndForeignFramesAreDropped() throws {
        let key = try GroupKey.random()
        var sender = try TrafficSender(groupKey: key, group: group, epoch: 1, sender: alice, session: 1)
        var receiver = receiver(key, members: [alice, bob])
        let frame = try sender.seal(Array("pay 10 to bob".utf8))
        // A header changed (the sender, the sequence): authentication fails, the window stays.
        var forgedSender = frame
        forgedSender[41] ^= 1
        #expect(throws: TrafficError.notAMember(Address(bytes: [0xa0] + [UInt8](repeating: 0xa1, count: 19))!)) {
            try receiver.open(forgedSender, nowMs: 0)
        }
        var forgedSequence = frame
        forgedSequence[76] ^= 1
        #expect(throws: TrafficError.authenticationFailed) { try receiver.open(forgedSequence, nowMs: 0) }
        var flipped = frame
        flipped[frame.count - 1] ^= 1
        #expect(throws: TrafficError.authenticationFailed) { try receiver.open(flipped, nowMs: 0) }
        #expect(throws: TrafficError.tooShort(92)) { try receiver.open(Array(frame.prefix(92)), nowMs: 0) }
        var version = frame
        version[0] = 2
        #expect(throws: TrafficError.unknownVersion(2)) { try receiver.open(version, nowMs: 0) }
        // The genuine frame still opens once: the forgeries did not move the replay window.
        let opened1 = try receiver.open(frame, nowMs: 0)
        #expect(opened1.payload == Array("pay 10 to bob".utf8))
        // A non-member with the group key (a member that leaked it) is dropped before decryption.
        var outsider = try TrafficSender(groupKey: key, group: group, epoch: 1, sender: mallory, session: 1)
        #expect(throws: TrafficError.notAMember(mallory)) { try receiver.open(try outsider.seal([1]), nowMs: 0) }
        // Another group's frame, and a frame under a key that is not the group's.
        var other = try TrafficSender(groupKey: key, group: UInt256(8), epoch: 1, sender: alice, session: 1)
        #expect(throws: TrafficError.otherGroup) { try receiver.open(try other.seal([1]), nowMs: 0) }
        var wrongKey = try TrafficSender(groupKey: try GroupKey.random(), group: group, epoch: 1, sender: alice, session: 2)
        #expect(throws: TrafficError.authenticationFailed) { try receiver.open(try wrongKey.seal([1]), nowMs: 0) }
    }

    /// After a rekey the old epoch is read for the grace only, and never from a member the new
    /// epoch removed; the removed member cannot read the new epoch at all.
    @Test func epochGraceAndRemovedMembers() throws {
        let old = try GroupKey.random()
        let new = try GroupKey.random()
        var receiver = receiver(old, epoch: 1, members: [alice, bob, mallory])
        var aliceOld = try TrafficSender(groupKey: old, group: group, epoch: 1, sender: alice, session: 1)
        var malloryOld = try TrafficSender(groupKey: old, group: group, epoch: 1, sender: mallory, session: 1)
        receiver.install(epoch: 2, key: new, members: [alice, bob], nowMs: 1_000)
        let opened2 = try receiver.open(try aliceOld.seal([1]), nowMs: 2_000)
        #expect(opened2.sender == alice)
        #expect(throws: TrafficError.removedMember(mallory)) { try receiver.open(try malloryOld.seal([1]), nowMs: 2_000) }
        #expect(throws: TrafficError.unknownEpoch(1)) { try receiver.open(try aliceOld.seal([2]), nowMs: 6_001) }
        var aliceNew = try TrafficSender(groupKey: new, group: group, epoch: 2, sender: alice, session: 1)
        let opened3 = try receiver.open(try aliceNew.seal([3]), nowMs: 6_001)
        #expect(opened3.payload == [3])
        // Mallory, removed, holds only the old key: its receiver for epoch 2 cannot be built, and
        // a receiver that tries the old key on a new frame fails authentication.
        var stale = TrafficReceiver(group: group)
        stale.install(epoch: 2, key: old, members: [alice, bob], nowMs: 0)
        #expect(throws: TrafficError.authenticationFailed) { try stale.open(try aliceNew.seal([4]), nowMs: 0) }
        // An older epoch cannot be installed over a newer one.
        receiver.install(epoch: 1, key: old, members: [mallory], nowMs: 7_000)
        #expect(receiver.currentEpoch == 2)
    }

    @Test func replayWindowEdges() {
        var window = ReplayWindow()
        var accepted: [Bool] = []
        for sequence in [UInt64.max - 1, UInt64.max - 1, UInt64.max - ReplayWindow.size, UInt64.max - 1 - ReplayWindow.size, 5_000] {
            accepted.append(window.accept(sequence))
        }
        #expect(accepted == [true, false, true, false, false])
        var fresh = ReplayWindow()
        var first: [Bool] = []
        var again: [Bool] = []
        for sequence in stride(from: UInt64(0), to: 3_000, by: 7) { first.append(fresh.accept(sequence)) }
        for sequence in stride(from: UInt64(2_002), to: 3_000, by: 7) { again.append(fresh.accept(sequence)) }
        #expect(first.allSatisfy { $0 } && again.allSatisfy { !$0 })
        let between = fresh.accept(2_001)
        #expect(between)
    }
}
