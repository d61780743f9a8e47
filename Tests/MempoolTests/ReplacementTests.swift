// Replacing a transaction (same sender and nonce) takes a price bump on fee cap and tip.
import LedgerPrimitives
import Mempool
import Testing

struct Bump: Sendable, CustomTestStringConvertible {
    let tip: UInt64, feeCap: UInt64, accepted: Bool
    var testDescription: String { "tip 100→\(tip), fee cap 1000→\(feeCap): \(accepted ? "replaces" : "refused")" }
}

@Test(arguments: [
    Bump(tip: 110, feeCap: 1_100, accepted: true),     // exactly 10% on both
    Bump(tip: 200, feeCap: 2_000, accepted: true),
    Bump(tip: 109, feeCap: 1_100, accepted: false),    // tip short by one
    Bump(tip: 110, feeCap: 1_099, accepted: false),    // fee cap short by one
    Bump(tip: 100, feeCap: 1_000, accepted: false),    // same prices, different value
    Bump(tip: 50, feeCap: 5_000, accepted: false),     // a higher cap does not excuse a lower tip
])
func replacementNeedsTheBumpOnBothPrices(_ bump: Bump) throws {
    let state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    let original = Fixture.transaction(nonce: 0, tip: 100, feeCap: 1_000)
    try pool.admit(original, state: state)
    let replacement = Fixture.transaction(nonce: 0, tip: bump.tip, feeCap: bump.feeCap, value: 2)
    if bump.accepted {
        let admission = try pool.admit(replacement, state: state)
        #expect(admission.replaced == original)
        #expect(admission.placement == .pending)
        #expect(!pool.contains(original.hash))
        #expect(pool.transaction(hash: replacement.hash) == replacement)
    } else {
        #expect(throws: MempoolError.replacementUnderpriced) { try pool.admit(replacement, state: state) }
        #expect(pool.contains(original.hash))
        #expect(!pool.contains(replacement.hash))
    }
    #expect(pool.count == 1 && pool.pendingCount == 1)
}

@Test func zeroPricedTransactionsCannotBeReplacedForFree() throws {
    var configuration = Fixture.configuration()
    configuration.baseFee = .zero
    var pool = Mempool(configuration: configuration)
    try pool.admit(Fixture.transaction(nonce: 0, tip: 0, feeCap: 0), state: Fixture.funded())
    #expect(throws: MempoolError.replacementUnderpriced) {
        try pool.admit(Fixture.transaction(nonce: 0, tip: 0, feeCap: 0, value: 9), state: Fixture.funded())
    }
}

@Test func replacingAQueuedTransactionKeepsItQueued() throws {
    var pool = Mempool(configuration: Fixture.configuration())
    try pool.admit(Fixture.transaction(nonce: 2, tip: 1, feeCap: 10), state: Fixture.funded())
    let admission = try pool.admit(Fixture.transaction(nonce: 2, tip: 2, feeCap: 20), state: Fixture.funded())
    #expect(admission.placement == .queued)
    #expect(pool.queuedCount == 1 && pool.pendingCount == 0)
}

@Test func replacementMustStayAffordable() throws {
    // Balance covers the original (21,000 × 10 + 1) but not a replacement at fee cap 20.
    var state = Fixture.funded()
    state[Fixture.keys[0].address].balance = UInt256(300_000)
    var pool = Mempool(configuration: Fixture.configuration())
    try pool.admit(Fixture.transaction(nonce: 0, tip: 1, feeCap: 10), state: state)
    #expect(throws: MempoolError.insufficientFunds(sender: Fixture.keys[0].address, balance: UInt256(300_000),
                                                   cost: UInt256(420_001))) {
        try pool.admit(Fixture.transaction(nonce: 0, tip: 2, feeCap: 20), state: state)
    }
}
