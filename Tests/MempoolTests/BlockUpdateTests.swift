// After a block: included and stale transactions leave, the rest are re-sorted.
import LedgerPrimitives
import LedgerTypes
import Mempool
import Testing

/// Applies `transactions` to `state` as execution would for the pool's purposes: nonce + 1 and
/// the maximum cost taken from the balance.
func execute(_ transactions: [RecoveredTransaction], on state: inout MempoolAccountTable) {
    for transaction in transactions {
        let signed = transaction.transaction
        let cost = signed.maxFeePerGas &* UInt256(signed.gasLimit) &+ signed.value
        state[transaction.sender].nonce += 1
        state[transaction.sender].balance = state[transaction.sender].balance &- cost
    }
}

@Test func includedTransactionsLeaveAndQueuedOnesMoveUp() throws {
    let (a, b) = (Fixture.keys[0], Fixture.keys[1])
    var state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    let fromA = [0, 1, 2, 4].map { Fixture.transaction(from: a, nonce: $0) }
    for transaction in fromA { try pool.admit(transaction, state: state) }
    try pool.admit(Fixture.transaction(from: b, nonce: 0), state: state)
    // Equal tips: a arrived first, so its run leads.
    let included = pool.pendingTransactions(maxCount: 2)
    #expect(included == Array(fromA[0...1]))
    execute(included, on: &state)
    pool.removeIncluded(included, headState: state)
    #expect(pool.nonces(of: a.address) == ([2], [4]))
    #expect(pool.nonces(of: b.address) == ([0], []))
    #expect(!pool.contains(included[0].hash) && !pool.contains(included[1].hash))
    #expect(pool.pendingCount == 2 && pool.queuedCount == 1)
    #expect(pool.pendingNonce(of: a.address, state: state) == 3)
}

@Test func aDifferentTransactionWithAnIncludedNonceIsDropped() throws {
    let key = Fixture.keys[0]
    var state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    let pooled = Fixture.transaction(from: key, nonce: 0, tip: 1)
    try pool.admit(pooled, state: state)
    try pool.admit(Fixture.transaction(from: key, nonce: 1), state: state)
    // Another node's block carried a different transaction with nonce 0.
    let rival = Fixture.transaction(from: key, nonce: 0, tip: 3, feeCap: 30)
    execute([rival], on: &state)
    pool.removeIncluded([rival], headState: state)
    #expect(!pool.contains(pooled.hash))
    #expect(pool.nonces(of: key.address) == ([1], []))
}

@Test func transactionsTheNewBalanceCannotCoverAreDroppedAndTheirSuccessorsQueued() throws {
    let key = Fixture.keys[0]
    var state = Fixture.funded()
    state[key.address].balance = UInt256(10_000_000)
    var pool = Mempool(configuration: Fixture.configuration())
    try pool.admit(Fixture.transaction(from: key, nonce: 0), state: state)
    let expensive = Fixture.transaction(from: key, nonce: 1, value: 5_000_000)
    try pool.admit(expensive, state: state)
    try pool.admit(Fixture.transaction(from: key, nonce: 2), state: state)
    // The included nonce 0 (a rival to the pooled one) spent most of the balance.
    let included = [Fixture.transaction(from: key, nonce: 0, value: 6_000_000)]
    execute(included, on: &state)
    pool.removeIncluded(included, headState: state)
    #expect(!pool.contains(expensive.hash))
    #expect(pool.nonces(of: key.address) == ([], [2]))
    #expect(pool.pendingNonce(of: key.address, state: state) == 1)
}

@Test func missedBlockIsCaughtUpOnTheSendersNextAdmission() throws {
    let key = Fixture.keys[0]
    var state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    let old = Fixture.transaction(from: key, nonce: 0)
    try pool.admit(old, state: state)
    try pool.admit(Fixture.transaction(from: key, nonce: 1), state: state)
    state[key.address].nonce = 1   // the pool was not told
    try pool.admit(Fixture.transaction(from: key, nonce: 2), state: state)
    #expect(!pool.contains(old.hash))
    #expect(pool.nonces(of: key.address) == ([1, 2], []))
    #expect(pool.count == 2)
}

@Test func resetRepricesForANewBaseFee() throws {
    var state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    let cheap = Fixture.transaction(from: Fixture.keys[0], nonce: 0, tip: 5, feeCap: 10)
    let rich = Fixture.transaction(from: Fixture.keys[1], nonce: 0, tip: 2, feeCap: 100)
    try pool.admit(cheap, state: state)
    try pool.admit(rich, state: state)
    #expect(pool.pendingTransactions() == [cheap, rich])
    // Base fee 9: cheap's effective tip falls to 1, below rich's 2; base fee 11 prices it out.
    pool.reset(headState: state, baseFee: UInt256(9))
    #expect(pool.pendingTransactions() == [rich, cheap])
    pool.reset(headState: state, baseFee: UInt256(11))
    #expect(pool.pendingTransactions() == [rich])
    #expect(!pool.contains(cheap.hash))
    state[Fixture.keys[1].address].nonce = 1
    pool.reset(headState: state)
    #expect(pool.isEmpty)
}

@Test func narrowedPermissionsDropWhatTheyNoLongerPermit() throws {
    let (a, b) = (Fixture.keys[0], Fixture.keys[1])
    var state = Fixture.funded()
    var pool = Mempool(configuration: Fixture.configuration())
    try pool.admit(Fixture.transaction(from: a, nonce: 0), state: state)
    let creation = Fixture.transaction(from: b, nonce: 0, gas: 60_000, to: nil, data: [0x60, 0x00])
    try pool.admit(creation, state: state)
    try pool.admit(Fixture.transaction(from: b, nonce: 1), state: state)
    state[a.address].maySend = false
    state[b.address].mayDeploy = false
    pool.reset(headState: state)
    #expect(pool.nonces(of: a.address) == ([], []))
    #expect(pool.nonces(of: b.address) == ([], [1]))
    #expect(throws: MempoolError.senderNotAllowed(a.address)) {
        try pool.admit(Fixture.transaction(from: a, nonce: 0), state: state)
    }
}
