// Per-sender and global limits, and which transaction goes when the pool is full.
import LedgerPrimitives
import Mempool
import Testing

@Test func perSenderLimitCountsPendingAndQueued() throws {
    var pool = Mempool(configuration: Fixture.configuration(maximumPerSender: 3, maximumQueuedPerSender: 3))
    let state = Fixture.funded()
    for nonce: UInt64 in [0, 1, 5] { try pool.admit(Fixture.transaction(nonce: nonce), state: state) }
    #expect(throws: MempoolError.accountLimitExceeded(sender: Fixture.keys[0].address, limit: 3)) {
        try pool.admit(Fixture.transaction(nonce: 2), state: state)
    }
    // A replacement is not a new slot.
    try pool.admit(Fixture.transaction(nonce: 1, tip: 2, feeCap: 20), state: state)
    // Other senders are unaffected.
    try pool.admit(Fixture.transaction(from: Fixture.keys[1], nonce: 0), state: state)
}

@Test func queuedLimitRefusesFutureNoncesButNotTheGapFiller() throws {
    var pool = Mempool(configuration: Fixture.configuration(maximumPerSender: 10, maximumQueuedPerSender: 2))
    let state = Fixture.funded()
    try pool.admit(Fixture.transaction(nonce: 2), state: state)
    try pool.admit(Fixture.transaction(nonce: 3), state: state)
    #expect(throws: MempoolError.accountLimitExceeded(sender: Fixture.keys[0].address, limit: 2)) {
        try pool.admit(Fixture.transaction(nonce: 4), state: state)
    }
    try pool.admit(Fixture.transaction(nonce: 0), state: state)
    try pool.admit(Fixture.transaction(nonce: 1), state: state)
    #expect(pool.nonces(of: Fixture.keys[0].address) == ([0, 1, 2, 3], []))
}

@Test func fullPoolEvictsQueuedBeforePending() throws {
    var pool = Mempool(configuration: Fixture.configuration(maximumTransactions: 3))
    let state = Fixture.funded()
    let (a, b, c) = (Fixture.keys[0], Fixture.keys[1], Fixture.keys[2])
    try pool.admit(Fixture.transaction(from: a, nonce: 0, tip: 1), state: state)
    let queued = Fixture.transaction(from: b, nonce: 4, tip: 9, feeCap: 20)
    try pool.admit(queued, state: state)
    try pool.admit(Fixture.transaction(from: c, nonce: 0, tip: 1), state: state)
    // A pending newcomer at the lowest price still outranks a queued transaction.
    let admission = try pool.admit(Fixture.transaction(from: a, nonce: 1, tip: 1), state: state)
    #expect(admission.evicted == [queued])
    #expect(pool.count == 3 && pool.queuedCount == 0)
}

@Test func fullPoolEvictsTheCheapestTailNeverAHeadBeforeItsTail() throws {
    var pool = Mempool(configuration: Fixture.configuration(maximumTransactions: 3))
    let state = Fixture.funded()
    let (a, b, c) = (Fixture.keys[0], Fixture.keys[1], Fixture.keys[2])
    // a's head is the cheapest transaction, but its tail (nonce 1) must go first.
    let head = Fixture.transaction(from: a, nonce: 0, tip: 1)
    let tail = Fixture.transaction(from: a, nonce: 1, tip: 5)
    try pool.admit(head, state: state)
    try pool.admit(tail, state: state)
    try pool.admit(Fixture.transaction(from: b, nonce: 0, tip: 6), state: state)
    let admission = try pool.admit(Fixture.transaction(from: c, nonce: 0, tip: 7), state: state)
    #expect(admission.evicted == [tail])
    #expect(pool.contains(head.hash))
    // Now a's tail is its head (tip 1), the cheapest: it goes next.
    let next = try pool.admit(Fixture.transaction(from: c, nonce: 1, tip: 7), state: state)
    #expect(next.evicted == [head])
    #expect(pool.nonces(of: a.address) == ([], []))
}

@Test func newcomerThatWouldBeEvictedFirstIsRefused() throws {
    var pool = Mempool(configuration: Fixture.configuration(maximumTransactions: 2))
    let state = Fixture.funded()
    try pool.admit(Fixture.transaction(from: Fixture.keys[0], nonce: 0, tip: 5), state: state)
    try pool.admit(Fixture.transaction(from: Fixture.keys[1], nonce: 0, tip: 5), state: state)
    // Cheaper than everything: refused.
    #expect(throws: MempoolError.txpoolFull) {
        try pool.admit(Fixture.transaction(from: Fixture.keys[2], nonce: 0, tip: 4), state: state)
    }
    // Equal price: the newest goes first, so the newcomer is refused too.
    #expect(throws: MempoolError.txpoolFull) {
        try pool.admit(Fixture.transaction(from: Fixture.keys[2], nonce: 0, tip: 5), state: state)
    }
    // A queued newcomer loses to any pending transaction whatever it pays.
    #expect(throws: MempoolError.txpoolFull) {
        try pool.admit(Fixture.transaction(from: Fixture.keys[2], nonce: 3, tip: 9, feeCap: 20), state: state)
    }
    #expect(pool.count == 2)
}

@Test func senderFillingThePoolCannotEvictItsOwnPredecessor() throws {
    var pool = Mempool(configuration: Fixture.configuration(maximumTransactions: 2))
    let state = Fixture.funded()
    let cheapHead = Fixture.transaction(nonce: 0, tip: 1)
    try pool.admit(cheapHead, state: state)
    try pool.admit(Fixture.transaction(nonce: 1, tip: 1), state: state)
    // Pricier, but behind its own transactions: the only eviction it could cause is itself.
    #expect(throws: MempoolError.txpoolFull) {
        try pool.admit(Fixture.transaction(nonce: 2, tip: 9), state: state)
    }
    #expect(pool.nonces(of: Fixture.keys[0].address) == ([0, 1], []))
}

@Test func gapFillerInAFullPoolEvictsAnotherTail() throws {
    var pool = Mempool(configuration: Fixture.configuration(maximumTransactions: 3))
    let state = Fixture.funded()
    let a = Fixture.keys[0]
    try pool.admit(Fixture.transaction(from: a, nonce: 0, tip: 3), state: state)
    try pool.admit(Fixture.transaction(from: a, nonce: 2, tip: 3), state: state)
    let other = Fixture.transaction(from: Fixture.keys[1], nonce: 0, tip: 2)
    try pool.admit(other, state: state)
    // Fills a's gap: a's tail (nonce 2) was queued, but the filler promotes it, so the cheapest
    // pending tail, another sender's, is what goes.
    let admission = try pool.admit(Fixture.transaction(from: a, nonce: 1, tip: 3), state: state)
    #expect(admission.evicted == [other])
    #expect(admission.promoted == 1)
    #expect(pool.nonces(of: a.address) == ([0, 1, 2], []))
    #expect(pool.count == 3 && pool.queuedCount == 0)
}
