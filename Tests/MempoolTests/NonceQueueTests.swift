// Nonce gaps, promotion when a gap fills, and the pending nonce.
import LedgerPrimitives
import Mempool
import Testing

@Test func futureNoncesWaitQueuedUntilTheGapFills() throws {
    let key = Fixture.keys[0]
    let state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    #expect(try pool.admit(Fixture.transaction(from: key, nonce: 0), state: state).placement == .pending)
    #expect(try pool.admit(Fixture.transaction(from: key, nonce: 2), state: state).placement == .queued)
    #expect(try pool.admit(Fixture.transaction(from: key, nonce: 3), state: state).placement == .queued)
    #expect(try pool.admit(Fixture.transaction(from: key, nonce: 5), state: state).placement == .queued)
    #expect(pool.nonces(of: key.address) == ([0], [2, 3, 5]))
    #expect(pool.pendingCount == 1 && pool.queuedCount == 3)

    let filling = try pool.admit(Fixture.transaction(from: key, nonce: 1), state: state)
    #expect(filling.placement == .pending)
    #expect(filling.promoted == 2)
    #expect(pool.nonces(of: key.address) == ([0, 1, 2, 3], [5]))
    #expect(pool.pendingCount == 4 && pool.queuedCount == 1)
}

@Test func firstTransactionAboveTheStateNonceIsQueued() throws {
    let key = Fixture.keys[1]
    var state = Fixture.funded()
    state[key.address].nonce = 7
    var pool = Mempool(configuration: Fixture.configuration())
    #expect(try pool.admit(Fixture.transaction(from: key, nonce: 8), state: state).placement == .queued)
    #expect(try pool.admit(Fixture.transaction(from: key, nonce: 7), state: state).promoted == 1)
    #expect(pool.nonces(of: key.address) == ([7, 8], []))
}

@Test func pendingNonceCountsPendingTransactionsOnly() throws {
    let key = Fixture.keys[0]
    var state = Fixture.funded()
    state[key.address].nonce = 4
    var pool = Mempool(configuration: Fixture.configuration())
    #expect(pool.pendingNonce(of: key.address, state: state) == 4)
    try pool.admit(Fixture.transaction(from: key, nonce: 4), state: state)
    try pool.admit(Fixture.transaction(from: key, nonce: 5), state: state)
    try pool.admit(Fixture.transaction(from: key, nonce: 7), state: state)
    #expect(pool.pendingNonce(of: key.address, state: state) == 6)
    #expect(pool.pendingNonce(of: Fixture.keys[3].address, state: state) == 0)
    // A head the pool has not been told about yet still gives the right answer.
    state[key.address].nonce = 5
    #expect(pool.pendingNonce(of: key.address, state: state) == 6)
}

@Test func lookupsByHash() throws {
    var pool = Mempool(configuration: Fixture.configuration())
    let queued = Fixture.transaction(nonce: 3)
    try pool.admit(queued, state: Fixture.funded())
    #expect(pool.transaction(hash: queued.hash) == queued)
    #expect(pool.contains(queued.hash))
    #expect(pool.transaction(hash: Fixture.transaction(nonce: 4).hash) == nil)
    #expect(pool.senderAddresses == [queued.sender])
}
