// Each DSL construct compiled and run: arithmetic (checked, wrapping, signed, narrow types),
// control flow, storage shapes, built-ins and calls through an interface.
import Bytecode
import ContractCompiler
import ContractDSL
import ContractTesting
import LedgerCrypto
import LedgerPrimitives
import Testing
import VM

private let lab = Contract("Lab") {
    Storage("small", .uint8)
    Storage("items", .array(of: .uint64))
    Storage("people", .map(.address, to: .record("Person")))
    Storage("grid", .map(.uint256, to: .map(.uint256, to: .bool)))
    Record("Person", ("age", .uint16), ("score", .int64), ("friend", .address))

    Function("addSmall", ("a", .uint8), ("b", .uint8), returns: .uint8, .view) { Return(local.a + local.b) }
    Function("wrapSmall", ("a", .uint8), ("b", .uint8), returns: .uint8, .view) { Return(local.a &+ local.b) }
    Function("subtract", ("a", .uint256), ("b", .uint256), returns: .uint256, .view) { Return(local.a - local.b) }
    Function("divide", ("a", .uint256), ("b", .uint256), returns: .uint256, .view) { Return(local.a / local.b) }
    Function("power", ("a", .uint64), ("b", .uint64), returns: .uint64, .view) { Return(local.a.power(local.b)) }
    Function("signedAdd", ("a", .int256), ("b", .int256), returns: .int256, .view) { Return(local.a + local.b) }
    Function("signedSubtract", ("a", .int8), ("b", .int8), returns: .int8, .view) { Return(local.a - local.b) }
    Function("signedMultiply", ("a", .int256), ("b", .int256), returns: .int256, .view) { Return(local.a * local.b) }
    Function("negate", ("a", .int32), returns: .int32, .view) { Return(-local.a) }
    Function("narrow", ("a", .uint256), returns: .uint16, .view) { Return(local.a.as(.uint16)) }
    Function("toSigned", ("a", .uint256), returns: .int256, .view) { Return(local.a.as(.int256)) }
    Function("folded", returns: .uint256, .view) { Return(Expression.integer(2).power(10) * 3 + 1) }
    Function("shifts", ("a", .uint8), returns: .uint8, .view) { Return((local.a << 4) | (local.a >> 4)) }
    Function("classify", ("a", .uint256), returns: .uint8, .view) {
        If(local.a < 10) {
            Return(1)
        } otherwise: {
            If(local.a < 100 && local.a != 50) { Return(2) }
        }
        Return(3)
    }
    Function("sumTo", ("n", .uint256), returns: .uint256, .view) {
        Let("total", .uint256, 0)
        For("i", from: 0, to: local.n, atMost: 100) {
            Increase(local.total, by: local.i)
        }
        Return(local.total)
    }
    Function("manyLocals", ("seed", .uint256), returns: .uint256, .view) {
        Let("a", local.seed + 1)
        Let("b", local.a + 1)
        Let("c", local.b + 1)
        Let("d", local.c + 1)
        Let("e", local.d + 1)
        Let("f", local.e + 1)
        Let("g", local.f + 1)
        Let("h", local.g + 1)
        Let("i", local.h + 1)
        Let("j", local.i + 1)
        Let("k", local.j + 1)
        Let("l", local.k + 1)
        Let("m", local.l + 1)
        Let("n", local.m + 1)
        Let("o", local.n + 1)
        Let("p", local.o + 1)
        Let("q", local.p + 1)
        Assign(local.a, local.q + local.a)
        Return(local.a + local.b + local.c + local.p + local.q)
    }
    Function("setSmall", ("value", .uint8)) { Assign(state.small, local.value) }
    Function("bumpSmall", ("by", .uint8)) { Increase(state.small, by: local.by) }
    Function("push", ("value", .uint64)) { Append(state.items, local.value) }
    Function("pop") { RemoveLast(state.items) }
    Function("item", ("index", .uint256), returns: .uint64, .view) { Return(state.items[local.index]) }
    Function("count", returns: .uint256, .view) { Return(state.items.length) }
    Function("setPerson", ("who", .address), ("age", .uint16), ("score", .int64)) {
        Assign(state.people[local.who].age, local.age)
        Assign(state.people[local.who].score, local.score)
        Assign(state.people[local.who].friend, sender)
    }
    Function("score", ("who", .address), returns: .int64, .view) { Return(state.people[local.who].score) }
    Function("friend", ("who", .address), returns: .address, .view) { Return(state.people[local.who].friend) }
    Function("mark", ("x", .uint256), ("y", .uint256)) { Assign(state.grid[local.x][local.y], true) }
    Function("marked", ("x", .uint256), ("y", .uint256), returns: .bool, .view) { Return(state.grid[local.x][local.y]) }
    Function("hash", ("a", .uint256), ("b", .address), returns: .bytes32, .view) { Return(keccak256(local.a, local.b)) }
    Function("digest", ("a", .bytes32), returns: .bytes32, .view) { Return(sha256(local.a)) }
    Function("signer", ("digest", .bytes32), ("v", .uint8), ("r", .bytes32), ("s", .bytes32), returns: .address, .view) {
        Return(recoverSigner(digest: local.digest, v: local.v, r: local.r, s: local.s))
    }
    Function("whoAmI", returns: .address, .view) { Return(sender) }
    Storage("rounds", .array(.record("Round")))
    Record("Round", ("deadline", .uint64), ("open", .bool))
    Function("openRound", ("deadline", .uint64)) {
        Append(state.rounds)
        Assign(state.rounds[state.rounds.length - 1].deadline, local.deadline)
        Assign(state.rounds[state.rounds.length - 1].open, true)
    }
    Function("closeLast") { RemoveLast(state.rounds) }
    Function("roundDeadline", ("index", .uint256), returns: .uint64, .view) { Return(state.rounds[local.index].deadline) }
    Function("deposit", returns: .uint256, .payable) { Return(callValue) }
}

private func deployLab() throws -> DeployedContract {
    try ContractHarness().deploy(try ContractCompiler.compile(lab))
}

private let overflow = CallFailure.failure(.arithmeticOverflow)

@Test func checkedArithmeticFailsOnOverflowAtEveryWidth() throws {
    let contract = try deployLab()
    #expect(try contract.call("addSmall", .uint(200), .uint(55)).value == .uint(255))
    #expect(try contract.call("addSmall", .uint(200), .uint(56)).failure == overflow)
    #expect(try contract.call("wrapSmall", .uint(200), .uint(56)).value == .uint(0))
    #expect(try contract.call("subtract", .uint(3), .uint(4)).failure == overflow)
    #expect(try contract.call("divide", .uint(3), .uint(0)).failure == .failure(.divisionByZero))
    #expect(try contract.call("power", .uint(2), .uint(63)).value == .uint(1 << 63))
    #expect(try contract.call("power", .uint(2), .uint(64)).failure == overflow)
    #expect(try contract.call("folded").value == .uint(3_073))
    #expect(try contract.call("shifts", .uint(0x1f)).value == .uint(0xf1))
    // Arguments outside their type are refused before the body runs.
    #expect(contract.send(ABICodec.callData("addSmall(uint8,uint8)", [.uint(256), .uint(1)])).failure == .revert([]))
}

@Test func signedArithmeticIsCheckedToo() throws {
    let contract = try deployLab()
    let maximum = ABIValue.signed(.signedMax), minimum = ABIValue.signed(.signedMin)
    #expect(try contract.call("signedAdd", .int(-5), .int(3)).value == .int(-2))
    #expect(try contract.call("signedAdd", maximum, .int(1)).failure == overflow)
    #expect(try contract.call("signedAdd", minimum, .int(-1)).failure == overflow)
    #expect(try contract.call("signedSubtract", .int(-100), .int(28)).value == .int(-128))
    #expect(try contract.call("signedSubtract", .int(-100), .int(29)).failure == overflow)
    #expect(try contract.call("signedMultiply", .int(-7), .int(6)).value == .int(-42))
    #expect(try contract.call("signedMultiply", minimum, .int(-1)).failure == overflow)
    #expect(try contract.call("signedMultiply", .int(-1), minimum).failure == overflow)
    #expect(try contract.call("signedMultiply", .signed(UInt256.one << 128), .signed(UInt256.one << 127)).failure == overflow)
    #expect(try contract.call("signedMultiply", .int(0), minimum).value == .int(0))
    #expect(try contract.call("negate", .int(-5)).value == .int(5))
    #expect(try contract.call("negate", .int(-2_147_483_648)).failure == overflow)
    #expect(try contract.call("narrow", .uint(65_535)).value == .uint(65_535))
    #expect(try contract.call("narrow", .uint(65_536)).failure == overflow)
    #expect(try contract.call("toSigned", .unsigned(.signedMax)).value == .signed(.signedMax))
    #expect(try contract.call("toSigned", .unsigned(.signedMin)).failure == overflow)
}

@Test func controlFlowBranchesAndBoundedLoops() throws {
    let contract = try deployLab()
    #expect(try contract.call("classify", .uint(3)).value == .uint(1))
    #expect(try contract.call("classify", .uint(50)).value == .uint(3))
    #expect(try contract.call("classify", .uint(99)).value == .uint(2))
    #expect(try contract.call("classify", .uint(100)).value == .uint(3))
    #expect(try contract.call("sumTo", .uint(0)).value == .uint(0))
    #expect(try contract.call("sumTo", .uint(100)).value == .uint(4_950))
    #expect(try contract.call("sumTo", .uint(101)).failure == .error(name: "LoopBoundExceeded", values: []))
    // 17 locals do not fit DUP's reach: some live in memory, with the same results.
    let seed: UInt64 = 1_000
    #expect(try contract.call("manyLocals", .uint(seed)).value == .uint((seed + 17 + seed + 1) + (seed + 2) + (seed + 3) + (seed + 16) + (seed + 17)))
}

@Test func storageShapesReadBackWhatWasWritten() throws {
    let contract = try deployLab()
    let bob = Address(truncating: UInt256(0xB0B))
    #expect(try contract.call("setSmall", .uint(250)).succeeded)
    #expect(try contract.call("bumpSmall", .uint(5)).succeeded)
    #expect(try contract.call("bumpSmall", .uint(1)).failure == overflow)
    #expect(contract.storage(at: .zero) == UInt256(255))
    #expect(try contract.call("pop").failure == .panic(UInt256(0x31)))
    for value: UInt64 in [7, 8, 9] { #expect(try contract.call("push", .uint(value)).succeeded) }
    #expect(try contract.call("count").value == .uint(3))
    #expect(try contract.call("item", .uint(2)).value == .uint(9))
    #expect(try contract.call("item", .uint(3)).failure == .panic(UInt256(0x32)))
    #expect(try contract.call("pop").succeeded)
    #expect(try contract.call("count").value == .uint(2))
    #expect(try contract.call("item", .uint(2)).failure == .panic(UInt256(0x32)))
    #expect(try contract.call("setPerson", .address(bob), .uint(42), .int(-3)).succeeded)
    #expect(try contract.call("score", .address(bob)).value == .int(-3))
    #expect(try contract.call("friend", .address(bob)).value == .address(ContractHarness.defaultSender))
    #expect(try contract.call("marked", .uint(1), .uint(2)).value == .bool(false))
    #expect(try contract.call("mark", .uint(1), .uint(2)).succeeded)
    #expect(try contract.call("marked", .uint(1), .uint(2)).value == .bool(true))
    #expect(try contract.call("marked", .uint(2), .uint(1)).value == .bool(false))
    // Solidity's layout: the map entry of key k at slot p is keccak(k . p).
    let slot = UInt256(Keccak256.hash(UInt256(bob).bigEndianBytes + UInt256(2).bigEndianBytes))
    #expect(contract.storage(at: slot) == UInt256(42))
    #expect(contract.storage(at: slot &+ .one) == ABIValue.int(-3).word)
}

@Test func theLayoutSpellsOutRecords() throws {
    let layout = try ContractCompiler.compile(lab).storageLayout
    #expect(layout.first { $0.name == "people" }?.type == "map(address => Person{age uint16, score int64, friend address})")
    #expect(layout.first { $0.name == "rounds" }?.type == "Round{deadline uint64, open bool}[]")
}

@Test func arraysOfRecordsGrowAndShrink() throws {
    let contract = try deployLab()
    #expect(try contract.call("openRound", .uint(100)).succeeded)
    #expect(try contract.call("openRound", .uint(200)).succeeded)
    #expect(try contract.call("roundDeadline", .uint(1)).value == .uint(200))
    #expect(try contract.call("closeLast").succeeded)
    #expect(try contract.call("roundDeadline", .uint(1)).failure == .panic(UInt256(0x32)))
    #expect(try contract.call("roundDeadline", .uint(0)).value == .uint(100))
    #expect(try contract.call("closeLast").succeeded)
    #expect(try contract.call("closeLast").failure == .panic(UInt256(0x31)))
}

@Test func builtinsHashAndRecover() throws {
    let contract = try deployLab()
    let who = Address(truncating: UInt256(0x1234))
    let expected = Keccak256.hash(UInt256(77).bigEndianBytes + UInt256(who).bigEndianBytes)
    #expect(try contract.call("hash", .uint(77), .address(who)).value == .fixedBytes(UInt256(expected)))
    let word = UInt256(0xabc)
    let sha = StandardCryptography.sha256(word.bigEndianBytes)
    #expect(try contract.call("digest", .fixedBytes(word)).value == .fixedBytes(UInt256(sha)))
    let key = try PrivateKey(bytes: [UInt8](repeating: 7, count: 32))
    let digest = Keccak256.hash(Array("attest".utf8))
    let signature = try key.signature(for: digest)
    let result = try contract.call("signer", .fixedBytes(UInt256(digest)), .uint(UInt64(signature.recoveryID) + 27),
                                   .fixedBytes(UInt256(bigEndianBytes: signature.signature.r)!),
                                   .fixedBytes(UInt256(bigEndianBytes: signature.signature.s)!))
    #expect(result.value == .address(key.address))
    #expect(try contract.call("whoAmI").value == .address(ContractHarness.defaultSender))
    contract.harness.host.setBalance(UInt256(100), of: ContractHarness.defaultSender)
    #expect(try contract.call("deposit", value: UInt256(40)).value == .uint(40))
}

private let registry = Contract("Registry") {
    Storage("eligible", .map(.address, to: .bool))
    Function("setEligible", ("agent", .address), ("value", .bool)) { Assign(state.eligible[local.agent], local.value) }
    Function("isEligible", ("agent", .address), returns: .bool, .view) { Return(state.eligible[local.agent]) }
    Function("fail") { Revert("registry says no") }
}

private let consumer = Contract("Consumer") {
    Storage("registry", .address)
    Storage("published", .uint256)
    Interface("Registry",
              InterfaceFunction("isEligible", ("agent", .address), returns: .bool, .view),
              InterfaceFunction("fail"))
    Constructor(("registry", .address)) { Assign(state.registry, local.registry) }
    Function("check", ("agent", .address), returns: .bool, .view) { Return(state.registry.call("Registry", "isEligible", local.agent)) }
    Function("publish", ("agent", .address)) {
        If(state.registry.call("Registry", "isEligible", local.agent)) { Increase(state.published, by: 1) }
    }
    Function("forward") { Evaluate(state.registry.call("Registry", "fail")) }
    Function("published", returns: .uint256, .view) { Return(state.published) }
}

@Test func interfaceCallsReachAnotherContract() throws {
    let harness = ContractHarness()
    let registryContract = try harness.deploy(try ContractCompiler.compile(registry))
    let consumerContract = try harness.deploy(try ContractCompiler.compile(consumer), .address(registryContract.address))
    let agent = Address(truncating: UInt256(0xA6E47))
    #expect(try consumerContract.call("check", .address(agent)).value == .bool(false))
    #expect(try registryContract.call("setEligible", .address(agent), .bool(true)).succeeded)
    #expect(try consumerContract.call("check", .address(agent)).value == .bool(true))
    #expect(try consumerContract.call("publish", .address(agent)).succeeded)
    #expect(try consumerContract.call("publish", .address(Address.zero)).succeeded)
    #expect(try consumerContract.call("published").value == .uint(1))
    // The callee's revert reaches the caller's caller unchanged.
    #expect(try consumerContract.call("forward").failure == .message("registry says no"))
}

/// The fusion on/off differential over compiled code: the same calls, with and without
/// superinstructions, give the same outputs, gas and storage.
@Test func compiledCodeRunsTheSameWithAndWithoutFusion() throws {
    let artifact = try ContractCompiler.compile(lab)
    let fused = try ContractHarness(fusing: true).deploy(artifact)
    let plain = try ContractHarness(fusing: false).deploy(artifact)
    // The two really run different programs.
    let fusedCount = fused.harness.host.program(at: fused.address)?.instructionCount ?? 0
    let plainCount = plain.harness.host.program(at: plain.address)?.instructionCount ?? 0
    #expect(fusedCount > 0 && fusedCount < plainCount)
    var random = SplitMix64(seed: 99)
    let calls: [(String, Int)] = [("addSmall", 2), ("wrapSmall", 2), ("subtract", 2), ("signedAdd", 2), ("signedMultiply", 2),
                                  ("classify", 1), ("sumTo", 1), ("manyLocals", 1), ("setSmall", 1), ("bumpSmall", 1),
                                  ("push", 1), ("pop", 0), ("item", 1), ("mark", 2), ("marked", 2), ("hash", 2), ("shifts", 1)]
    for _ in 0..<400 {
        let (name, arity) = calls[Int(random.next() % UInt64(calls.count))]
        let arguments = (0..<arity).map { _ in ABIValue.unsigned(UInt256(random.next() % 300)) }
        let entry = artifact.abi.first { $0.name == name }!
        let types = entry.inputs.map { (parameter: ABIParameter) in parameter.type }.joined(separator: ",")
        let data = ABICodec.callData("\(name)(\(types))", arguments)
        let a = fused.send(data, entry: entry), b = plain.send(data, entry: entry)
        let sameOutput: Bool = a.output == b.output
        let sameGas: Bool = a.gasUsed == b.gasUsed
        let sameFailure: Bool = a.failure == b.failure
        #expect(sameOutput, "\(name) \(arguments)")
        #expect(sameGas, "\(name) \(arguments)")
        #expect(sameFailure, "\(name) \(arguments)")
    }
    #expect(fused.harness.host.storageSlots(of: fused.address) == plain.harness.host.storageSlots(of: plain.address))
}

/// The compiler against the reference evaluator on random contracts (d6g-fuzz dsl runs many more).
@Test func randomContractsAgreeWithTheReferenceEvaluator() {
    let summary = ContractDifferential.run(seed: 2026, count: 150, calls: 20)
    #expect(summary.divergences.isEmpty, "\(summary.divergences)")
    #expect(summary.compared > 2_500)
    // Every kind of outcome happened, so the comparison covered them.
    #expect(summary.outcomes.count == 4, "\(summary.outcomes)")
}

@Test func constructorMessagesStayOutOfTheStoredCode() throws {
    let guarded = Contract("Guarded") {
        Storage("limit", .uint256)
        Constructor(("limit", .uint256)) {
            Require(local.limit > 0, "the limit must be positive; this text is only in the init code")
            Assign(state.limit, local.limit)
        }
        Function("limit", returns: .uint256, .view) { Return(state.limit) }
    }
    let artifact = try ContractCompiler.compile(guarded)
    #expect(!artifact.deployedBytecode.contains(Hex.encode(Array("only in the init code".utf8), prefix: false)))
    #expect(throws: HarnessError.self) { try ContractHarness().deploy(artifact, .uint(0)) }
    do {
        _ = try ContractHarness().deploy(artifact, .uint(0))
    } catch HarnessError.deploymentFailed(let failure) {
        #expect(failure == .message("the limit must be positive; this text is only in the init code"))
    }
    #expect(try ContractHarness().deploy(artifact, .uint(5)).call("limit").value == .uint(5))
}

/// Statements from a Swift function go where they are written, in every body that uses them.
@StatementBuilder private func credit(_ who: Expression, _ amount: Expression) -> [Statement] {
    Increase(state.balances[who], by: amount)
    Emit("Credited", who, amount)
}

@Test func sharedStatementsAreInlinedInEachFunction() throws {
    let ledger = Contract("Ledger") {
        Storage("balances", .map(.address, to: .uint256))
        Storage("pending", .map(.address, to: .uint256))
        Event("Credited", .indexed("who", .address), .field("amount", .uint256))
        Function("mint", ("to", .address), ("amount", .uint256)) { credit(local.to, local.amount) }
        Function("owe", ("amount", .uint256)) { Assign(state.pending[sender], local.amount) }
        Function("claim") {
            credit(sender, state.pending[sender])
            Assign(state.pending[sender], 0)
        }
        Function("balanceOf", ("who", .address), returns: .uint256, .view) { Return(state.balances[local.who]) }
    }
    let contract = try ContractHarness().deploy(try ContractCompiler.compile(ledger))
    let me = ContractHarness.defaultSender
    #expect(try contract.call("mint", .address(me), .uint(5)).events.map(\.name) == ["Credited"])
    #expect(try contract.call("owe", .uint(7)).succeeded)
    #expect(try contract.call("claim").events.map(\.name) == ["Credited"])
    #expect(try contract.call("balanceOf", .address(me)).value == .uint(12))
}
