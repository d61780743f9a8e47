// Each admission rule, its typed error and geth's message.
import LedgerPrimitives
import LedgerTypes
import Mempool
import Testing

struct AdmissionCase: Sendable, CustomTestStringConvertible {
    let name: String
    /// What geth says for this rule: the description must start with it.
    let message: String
    let configure: @Sendable (inout MempoolConfiguration) -> Void
    let state: @Sendable (inout MempoolAccountTable) -> Void
    let transaction: @Sendable () -> RecoveredTransaction
    let check: @Sendable (MempoolError) -> Bool

    var testDescription: String { name }

    init(_ name: String, message: String,
         configure: @escaping @Sendable (inout MempoolConfiguration) -> Void = { _ in },
         state: @escaping @Sendable (inout MempoolAccountTable) -> Void = { _ in },
         transaction: @escaping @Sendable () -> RecoveredTransaction,
         check: @escaping @Sendable (MempoolError) -> Bool) {
        (self.name, self.message, self.configure, self.state, self.transaction, self.check) =
            (name, message, configure, state, transaction, check)
    }
}

let firstSender = Fixture.keys[0].address

let admissionCases: [AdmissionCase] = [
    AdmissionCase("oversized data", message: "oversized data",
                  configure: { $0.maximumTransactionSize = 200 },
                  transaction: { Fixture.transaction(nonce: 0, gas: 30_000, data: [UInt8](repeating: 1, count: 300)) },
                  check: { if case .oversizedData(let size, 200) = $0 { return size > 300 } else { return false } }),
    AdmissionCase("other chain", message: "invalid chain id for signer",
                  transaction: { Fixture.transaction(nonce: 0, chainId: 5) },
                  check: { $0 == .invalidChainId(have: 5, want: Fixture.chainId) }),
    AdmissionCase("unprotected legacy", message: "only replay-protected",
                  transaction: { Fixture.legacy(nonce: 0, chainId: nil) },
                  check: { $0 == .invalidChainId(have: nil, want: Fixture.chainId) }),
    AdmissionCase("sender not on the send allowlist", message: "sender not allowed",
                  state: { $0[firstSender].maySend = false },
                  transaction: { Fixture.transaction(nonce: 0) },
                  check: { $0 == .senderNotAllowed(firstSender) }),
    AdmissionCase("creation by a sender not on the deploy allowlist", message: "sender not allowed to deploy",
                  state: { $0[firstSender].mayDeploy = false },
                  transaction: { Fixture.transaction(nonce: 0, gas: 60_000, to: nil, data: [0x60, 0x00]) },
                  check: { $0 == .deployNotAllowed(firstSender) }),
    AdmissionCase("gas above the block gas limit", message: "exceeds block gas limit",
                  transaction: { Fixture.transaction(nonce: 0, gas: 1_000_001) },
                  check: { $0 == .exceedsBlockGasLimit(gas: 1_000_001, limit: 1_000_000) }),
    AdmissionCase("fee cap below the base fee", message: "transaction underpriced",
                  configure: { $0.baseFee = UInt256(11) },
                  transaction: { Fixture.transaction(nonce: 0, feeCap: 10) },
                  check: { $0 == .underpriced(maxFeePerGas: UInt256(10), minimum: UInt256(11)) }),
    AdmissionCase("fee cap below the configured minimum", message: "transaction underpriced",
                  configure: { $0.minimumFeePerGas = UInt256(20) },
                  transaction: { Fixture.transaction(nonce: 0, feeCap: 10) },
                  check: { $0 == .underpriced(maxFeePerGas: UInt256(10), minimum: UInt256(20)) }),
    AdmissionCase("nonce below the state nonce", message: "nonce too low",
                  state: { $0[firstSender].nonce = 3 },
                  transaction: { Fixture.transaction(nonce: 2) },
                  check: { $0 == .nonceTooLow(sender: firstSender, nonce: 2, stateNonce: 3) }),
    AdmissionCase("balance below gas × fee cap + value", message: "insufficient funds for gas * price + value",
                  state: { $0[firstSender].balance = UInt256(21_000 * 10) },
                  transaction: { Fixture.transaction(nonce: 0, feeCap: 10, value: 1) },
                  check: { $0 == .insufficientFunds(sender: firstSender, balance: UInt256(210_000), cost: UInt256(210_001)) }),
    AdmissionCase("unknown sender has no funds", message: "insufficient funds for gas * price + value",
                  state: { $0.accounts = [:] },
                  transaction: { Fixture.transaction(nonce: 0) },
                  check: { if case .insufficientFunds(firstSender, .zero, _) = $0 { return true } else { return false } }),
]

@Test(arguments: admissionCases)
func admissionRule(_ rule: AdmissionCase) throws {
    var configuration = Fixture.configuration()
    rule.configure(&configuration)
    var state = Fixture.funded()
    rule.state(&state)
    var pool = Mempool(configuration: configuration)
    let transaction = rule.transaction()
    let error = #expect(throws: MempoolError.self) { try pool.admit(transaction, state: state) }
    let thrown = try #require(error)
    #expect(rule.check(thrown), "got \(thrown)")
    #expect(thrown.description.hasPrefix(rule.message), "message: \(thrown.description)")
    #expect(pool.isEmpty)
    #expect(!pool.contains(transaction.hash))
}

@Test func admitsAValidTransaction() throws {
    var pool = Mempool(configuration: Fixture.configuration())
    let transaction = Fixture.transaction(nonce: 0)
    let admission = try pool.admit(transaction, state: Fixture.funded())
    #expect(admission.placement == .pending)
    #expect(pool.contains(transaction.hash))
    #expect(pool.transaction(hash: transaction.hash) == transaction)
    #expect(pool.pendingCount == 1 && pool.queuedCount == 0)
}

@Test func duplicateIsAlreadyKnown() throws {
    var pool = Mempool(configuration: Fixture.configuration())
    let transaction = Fixture.transaction(nonce: 0)
    try pool.admit(transaction, state: Fixture.funded())
    #expect(throws: MempoolError.alreadyKnown) { try pool.admit(transaction, state: Fixture.funded()) }
    #expect(MempoolError.alreadyKnown.description == "already known")
    #expect(pool.count == 1)
}

@Test func aSenderWhoMayNotDeployMayStillSend() throws {
    var state = Fixture.funded()
    state[firstSender].mayDeploy = false
    var pool = Mempool(configuration: Fixture.configuration())
    try pool.admit(Fixture.transaction(nonce: 0), state: state)
    #expect(throws: MempoolError.deployNotAllowed(firstSender)) {
        try pool.admit(Fixture.transaction(nonce: 1, gas: 60_000, to: nil, data: [0x60, 0x00]), state: state)
    }
    #expect(pool.pendingCount == 1)
}

@Test func unprotectedLegacyWhenAllowed() throws {
    var configuration = Fixture.configuration()
    configuration.allowsUnprotectedLegacy = true
    var pool = Mempool(configuration: configuration)
    try pool.admit(Fixture.legacy(nonce: 0, chainId: nil), state: Fixture.funded())
    try pool.admit(Fixture.legacy(nonce: 1), state: Fixture.funded())
    #expect(pool.pendingCount == 2)
}

@Test func fundsCoverAllOfTheSendersTransactions() throws {
    // Each costs 21,000 × 10 + 1; the balance covers two, not three.
    var state = Fixture.funded()
    state[firstSender].balance = UInt256(2 * 210_001)
    var pool = Mempool(configuration: Fixture.configuration())
    try pool.admit(Fixture.transaction(nonce: 0), state: state)
    try pool.admit(Fixture.transaction(nonce: 5), state: state)
    #expect(throws: MempoolError.insufficientFunds(sender: firstSender, balance: UInt256(420_002), cost: UInt256(630_003))) {
        try pool.admit(Fixture.transaction(nonce: 1), state: state)
    }
}

@Test func stateMessagesMatchGeth() {
    let messages: [(MempoolError, String)] = [
        (.replacementUnderpriced, "replacement transaction underpriced"),
        (.txpoolFull, "txpool is full"),
        (.accountLimitExceeded(sender: firstSender, limit: 4), "account limit exceeded"),
    ]
    for (error, message) in messages {
        #expect(error.description.hasPrefix(message))
    }
}
