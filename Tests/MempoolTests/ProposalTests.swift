// What the proposer gets: nonce order per sender, tip priority across senders, gas and count caps.
import LedgerPrimitives
import LedgerTypes
import Mempool
import Testing

@Test func highestTipFirstWithEachSendersNoncesInOrder() throws {
    let (a, b, c) = (Fixture.keys[0], Fixture.keys[1], Fixture.keys[2])
    let state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    // a: tips 1 then 9 (its cheap head holds back its rich second); b: 5, 5; c: 7 but queued.
    let a0 = Fixture.transaction(from: a, nonce: 0, tip: 1)
    let a1 = Fixture.transaction(from: a, nonce: 1, tip: 9)
    let b0 = Fixture.transaction(from: b, nonce: 0, tip: 5)
    let b1 = Fixture.transaction(from: b, nonce: 1, tip: 5)
    let c1 = Fixture.transaction(from: c, nonce: 1, tip: 7)
    for transaction in [a1, b1, c1, a0, b0] { try pool.admit(transaction, state: state) }
    #expect(pool.pendingTransactions() == [b0, b1, a0, a1])
}

@Test func equalTipsGoInArrivalOrder() throws {
    let state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    let arrivals = (0..<6).map { Fixture.transaction(from: Fixture.keys[5 - $0], nonce: 0, tip: 3) }
    for transaction in arrivals { try pool.admit(transaction, state: state) }
    #expect(pool.pendingTransactions() == arrivals)
    // The same pool gives the same answer every time.
    #expect(pool.pendingTransactions() == pool.pendingTransactions())
}

@Test func countAndGasCaps() throws {
    let (a, b) = (Fixture.keys[0], Fixture.keys[1])
    let state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    let a0 = Fixture.transaction(from: a, nonce: 0, tip: 9, gas: 50_000)
    let a1 = Fixture.transaction(from: a, nonce: 1, tip: 9)
    let b0 = Fixture.transaction(from: b, nonce: 0, tip: 1)
    for transaction in [a0, a1, b0] { try pool.admit(transaction, state: state) }
    #expect(pool.pendingTransactions(maxCount: 2) == [a0, a1])
    #expect(pool.pendingTransactions(maxCount: 0) == [])
    // a0 does not fit 40,000 gas, so a is skipped whole; b0 still fits.
    #expect(pool.pendingTransactions(maxGas: 40_000) == [b0])
    #expect(pool.pendingTransactions(maxGas: 71_000) == [a0, a1])
    #expect(pool.pendingTransactions(maxGas: 92_000) == [a0, a1, b0])
    // Nothing was removed.
    #expect(pool.count == 3)
}

@Test func legacyTransactionsTipTheirWholePriceAboveTheBaseFee() throws {
    let state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())   // base fee 1
    let legacy = Fixture.legacy(from: Fixture.keys[0], nonce: 0, gasPrice: 6)      // tip 5
    let dynamic = Fixture.transaction(from: Fixture.keys[1], nonce: 0, tip: 4, feeCap: 50)
    try pool.admit(dynamic, state: state)
    try pool.admit(legacy, state: state)
    #expect(pool.pendingTransactions() == [legacy, dynamic])
}
