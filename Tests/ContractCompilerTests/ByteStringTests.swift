// `bytes` and `string` (ADR 0006): call data with heads and tails, Solidity's storage layout in
// its short and long forms, ABI returns, events and errors, hashing, comparison, calls through
// an interface, and a catalogue of bad call data that must revert and change nothing.
import Bytecode
import ContractCompiler
import ContractDSL
import ContractTesting
import LedgerCrypto
import LedgerPrimitives
import Testing
import VM

private let notes = Contract("Notes") {
    Storage("title", .string)
    Storage("blobs", .map(.uint256, to: .bytes))
    Storage("list", .array(of: .bytes))
    Storage("agents", .map(.address, to: .record("Agent")))
    Record("Agent", ("key", .bytes), ("level", .uint8), ("label", .string))
    Event("Noted", .indexed("tag", .bytes), .field("text", .string), .field("count", .uint256))
    CustomError("Rejected", ("why", .string), ("code", .uint8))

    Function("setTitle", ("title", .string)) { Assign(state.title, local.title) }
    Function("title", returns: .string, .view) { Return(state.title) }
    Function("put", ("key", .uint256), ("value", .bytes)) { Assign(state.blobs[local.key], local.value) }
    Function("get", ("key", .uint256), returns: .bytes, .view) { Return(state.blobs[local.key]) }
    Function("sizeOf", ("key", .uint256), returns: .uint256, .view) { Return(state.blobs[local.key].length) }
    Function("push", ("value", .bytes)) { Append(state.list, local.value) }
    Function("pop") { RemoveLast(state.list) }
    Function("at", ("index", .uint256), returns: .bytes, .view) { Return(state.list[local.index]) }
    Function("count", returns: .uint256, .view) { Return(state.list.length) }
    Function("same", ("a", .bytes), ("b", .bytes), returns: .bool, .view) { Return(local.a == local.b) }
    Function("lengthOf", ("a", .string), returns: .uint256, .view) { Return(local.a.length) }
    Function("packed", ("a", .bytes), ("n", .uint256), returns: .bytes32, .view) { Return(keccak256(local.a, local.n)) }
    Function("digest", ("a", .bytes), returns: .bytes32, .view) { Return(sha256(local.a)) }
    Function("register", ("key", .bytes), ("level", .uint8)) {
        Assign(state.agents[sender].key, local.key)
        Assign(state.agents[sender].level, local.level)
        Assign(state.agents[sender].label, text("registered agent"))
    }
    Function("keyOf", ("agent", .address), returns: .bytes, .view) { Return(state.agents[local.agent].key) }
    Function("labelOf", ("agent", .address), returns: .string, .view) { Return(state.agents[local.agent].label) }
    Function("note", ("tag", .bytes), ("text", .string), ("count", .uint256)) { Emit("Noted", local.tag, local.text, local.count) }
    Function("reject", ("why", .string)) { Revert(error: "Rejected", local.why, 7) }
    Function("greeting", returns: .string, .view) { Return(text("hello, 6G")) }
    Function("echo", ("a", .bytes), ("b", .string), returns: .string, .view) {
        Let("copy", local.b)
        Require(local.a.as(.string) != local.copy, "a equals b")
        Return(local.copy)
    }
    Function("signer", ("digest", .bytes32), ("signature", .bytes), returns: .address, .view) {
        Return(recoverSigner(digest: local.digest, signature: local.signature))
    }
}

private func deployNotes() throws -> DeployedContract {
    try ContractHarness().deploy(try ContractCompiler.compile(notes))
}

/// Bytes 0, 1, …, n − 1 (mod 251), so a shifted or truncated copy shows.
private func sample(_ count: Int) -> [UInt8] { (0..<count).map { UInt8($0 % 251) } }

private let edgeLengths = [0, 1, 2, 31, 32, 33, 63, 64, 65, 100, 300]

@Test func byteStringsRoundTripThroughStorageAtEveryEdgeLength() throws {
    let contract = try deployNotes()
    for length in edgeLengths {
        let value = sample(length)
        #expect(try contract.call("put", .uint(UInt64(length)), .bytes(value)).succeeded)
        #expect(try contract.call("get", .uint(UInt64(length))).value == .bytes(value), "length \(length)")
        #expect(try contract.call("sizeOf", .uint(UInt64(length))).value == .uint(UInt64(length)))
    }
    #expect(try contract.call("setTitle", .string("Desire6G — attestation")).succeeded)
    #expect(try contract.call("title").value == .string("Desire6G — attestation"))
    #expect(try contract.call("get", .uint(9999)).value == .bytes([]))
}

@Test func storageUsesSolidityShortAndLongForms() throws {
    let contract = try deployNotes()
    let slot = UInt256(Keccak256.hash(UInt256(1).bigEndianBytes + UInt256(1).bigEndianBytes))
    // Short: the bytes left-aligned, 2 × length in the low byte.
    #expect(try contract.call("put", .uint(1), .bytes([0xAB, 0xCD])).succeeded)
    #expect(contract.storage(at: slot) == UInt256(bigEndianBytes: [0xAB, 0xCD] + [UInt8](repeating: 0, count: 29) + [4]))
    // Long: 2 × length + 1 in the slot, the bytes in words from keccak(slot).
    let long = sample(40)
    #expect(try contract.call("put", .uint(1), .bytes(long)).succeeded)
    #expect(contract.storage(at: slot) == UInt256(81))
    let data = UInt256(Keccak256.hash(slot.bigEndianBytes))
    #expect(contract.storage(at: data) == UInt256(bigEndianBytes: Array(long[0..<32])))
    #expect(contract.storage(at: data &+ .one) == UInt256(bigEndianBytes: Array(long[32..<40]) + [UInt8](repeating: 0, count: 24)))
    // Shorter again: the old words are cleared, nothing of the long value stays stored.
    #expect(try contract.call("put", .uint(1), .bytes([7])).succeeded)
    #expect(contract.storage(at: data).isZero && contract.storage(at: data &+ .one).isZero)
    #expect(contract.harness.host.storageSlots(of: contract.address).count == 1)
    // Long over long: 100 bytes (4 words), then 40 (2 words): words 2 and 3 are cleared.
    #expect(try contract.call("put", .uint(1), .bytes(sample(100))).succeeded)
    #expect(!contract.storage(at: data &+ UInt256(3)).isZero)
    #expect(try contract.call("put", .uint(1), .bytes(long)).succeeded)
    #expect(contract.storage(at: data &+ UInt256(2)).isZero && contract.storage(at: data &+ UInt256(3)).isZero)
    #expect(contract.storage(at: data &+ .one) == UInt256(bigEndianBytes: Array(long[32..<40]) + [UInt8](repeating: 0, count: 24)))
    #expect(try contract.call("get", .uint(1)).value == .bytes(long))
    #expect(contract.harness.host.storageSlots(of: contract.address).count == 3)
}

@Test func arraysAndRecordsHoldByteStrings() throws {
    let contract = try deployNotes()
    for length in [3, 64, 0] { #expect(try contract.call("push", .bytes(sample(length))).succeeded) }
    #expect(try contract.call("count").value == .uint(3))
    #expect(try contract.call("at", .uint(1)).value == .bytes(sample(64)))
    #expect(try contract.call("at", .uint(3)).failure == .panic(UInt256(0x32)))
    #expect(try contract.call("pop").succeeded)
    #expect(try contract.call("pop").succeeded)
    // The 64-byte element's words went with it: only the array's length and element 0 remain.
    #expect(contract.harness.host.storageSlots(of: contract.address).count == 2)
    let key = sample(33)
    #expect(try contract.call("register", .bytes(key), .uint(3)).succeeded)
    #expect(try contract.call("keyOf", .address(ContractHarness.defaultSender)).value == .bytes(key))
    #expect(try contract.call("labelOf", .address(ContractHarness.defaultSender)).value == .string("registered agent"))
}

@Test func comparisonHashingAndLengthFollowTheContent() throws {
    let contract = try deployNotes()
    #expect(try contract.call("same", .bytes(sample(40)), .bytes(sample(40))).value == .bool(true))
    #expect(try contract.call("same", .bytes(sample(40)), .bytes(sample(41))).value == .bool(false))
    #expect(try contract.call("same", .bytes([]), .bytes([])).value == .bool(true))
    #expect(try contract.call("lengthOf", .string("épée")).value == .uint(6))
    let blob = sample(45)
    let packed = Keccak256.hash(blob + UInt256(9).bigEndianBytes)
    #expect(try contract.call("packed", .bytes(blob), .uint(9)).value == .fixedBytes(UInt256(packed)))
    #expect(try contract.call("digest", .bytes(blob)).value == .fixedBytes(UInt256(StandardCryptography.sha256(blob))))
    #expect(try contract.call("greeting").value == .string("hello, 6G"))
    #expect(try contract.call("echo", .bytes(Array("a".utf8)), .string("b")).value == .string("b"))
    #expect(try contract.call("echo", .bytes(Array("b".utf8)), .string("b")).failure == .message("a equals b"))
}

@Test func eventsAndErrorsCarryByteStrings() throws {
    let contract = try deployNotes()
    let result = try contract.call("note", .bytes(sample(50)), .string("fifty bytes of tag"), .uint(50))
    let event = try #require(result.events.first)
    #expect(event.name == "Noted")
    // An indexed byte string is its keccak-256 hash.
    #expect(event.values["tag"] == .fixedBytes(UInt256(Keccak256.hash(sample(50)))))
    #expect(event.values["text"] == .string("fifty bytes of tag"))
    #expect(event.values["count"] == .uint(50))
    #expect(try contract.call("reject", .string(String(repeating: "no ", count: 20))).failure
            == .error(name: "Rejected", values: [.string(String(repeating: "no ", count: 20)), .uint(7)]))
}

@Test func signaturesAsBytesRecoverTheSigner() throws {
    let contract = try deployNotes()
    let key = try PrivateKey(bytes: [UInt8](repeating: 9, count: 32))
    let digest = Keccak256.hash(Array("encryption key".utf8))
    let signed = try key.signature(for: digest)
    let signature = signed.signature.r + signed.signature.s + [UInt8(signed.recoveryID) + 27]
    #expect(try contract.call("signer", .fixedBytes(UInt256(digest)), .bytes(signature)).value == .address(key.address))
    // Not 65 bytes: no signer.
    #expect(try contract.call("signer", .fixedBytes(UInt256(digest)), .bytes(signature + [0])).value == .address(.zero))
    #expect(try contract.call("signer", .fixedBytes(UInt256(digest)), .bytes(Array(signature.prefix(64)))).value == .address(.zero))
}

/// Call data whose offsets or lengths point outside it: each reverts without data and changes
/// nothing, on the VM and in the reference evaluator alike.
@Test func badCallDataIsRefusedAndChangesNothing() throws {
    let artifact = try ContractCompiler.compile(notes)
    let contract = try ContractHarness().deploy(artifact)
    let reference = try ReferenceContract(notes)
    let selector = ABICodec.selector("put(uint256,bytes)")
    let good = ABICodec.encode([.uint(1), .bytes(sample(40))])
    func word(_ value: UInt256) -> [UInt8] { value.bigEndianBytes }
    let catalogue: [(String, [UInt8])] = [
        ("no tail at all", word(.one) + word(UInt256(64))),
        ("offset past the end", replacingWord(in: good, at: 32, with: UInt256(UInt64(good.count)))),
        ("offset one word short of the end", replacingWord(in: good, at: 32, with: UInt256(UInt64(good.count - 31)))),
        ("offset 2^64", replacingWord(in: good, at: 32, with: UInt256.one << 64)),
        ("offset 2^256 − 1", replacingWord(in: good, at: 32, with: .max)),
        ("length one past the end", replacingWord(in: good, at: 64, with: UInt256(UInt64(good.count - 96 + 1)))),
        ("length 2^255", replacingWord(in: good, at: 64, with: UInt256.one << 255)),
        ("length 2^256 − 1", replacingWord(in: good, at: 64, with: .max)),
        ("tail cut into the bytes", Array(good.dropLast(30))),
    ]
    let environment = ReferenceEnvironment(caller: ContractHarness.defaultSender, contractAddress: contract.address,
                                           sha256: StandardCryptography.sha256, recoverSigner: StandardCryptography.recoverSigner)
    expectRefusedEverywhere(catalogue, selector: selector, contract: contract, reference: reference)
    #expect(contract.harness.host.storageSlots(of: contract.address).isEmpty)
    // The same call data, well formed, is accepted by both.
    #expect(contract.send(selector + good).succeeded)
    #expect(reference.call(selector + good, environment: environment).status == .success)
    // The offset may point at the very last word, whose zero is then the length.
    let lastWord = replacingWord(in: good + [UInt8](repeating: 0, count: 32), at: 32, with: UInt256(UInt64(good.count)))
    #expect(contract.send(selector + lastWord).succeeded)
    #expect(reference.call(selector + lastWord, environment: environment).status == .success)
    #expect(reference.nonzeroStorage == contract.harness.host.storageSlots(of: contract.address))
}

/// A bytes length right at the end of the call data is fine; longer padding after it too.
@Test func exactAndPaddedCallDataAreAccepted() throws {
    let contract = try deployNotes()
    let selector = ABICodec.selector("put(uint256,bytes)")
    let unpadded = ABICodec.encode([.uint(2), .bytes(sample(33))]).dropLast(31)
    #expect(contract.send(selector + unpadded).succeeded)
    #expect(try contract.call("get", .uint(2)).value == .bytes(sample(33)))
    #expect(contract.send(selector + ABICodec.encode([.uint(3), .bytes([1])]) + [UInt8](repeating: 0xEE, count: 50)).succeeded)
}

private let keyStore = Contract("KeyStore") {
    Storage("keys", .map(.address, to: .bytes))
    Function("setKey", ("key", .bytes)) { Assign(state.keys[sender], local.key) }
    Function("keyOf", ("agent", .address), returns: .bytes, .view) { Return(state.keys[local.agent]) }
    Function("isKey", ("agent", .address), ("key", .bytes), returns: .bool, .view) { Return(state.keys[local.agent] == local.key) }
}

private let keyReader = Contract("KeyReader") {
    Storage("store", .address)
    Interface("KeyStore",
              InterfaceFunction("keyOf", ("agent", .address), returns: .bytes, .view),
              InterfaceFunction("isKey", ("agent", .address), ("key", .bytes), returns: .bool, .view))
    Constructor(("store", .address)) { Assign(state.store, local.store) }
    Function("fetch", ("agent", .address), returns: .bytes, .view) { Return(state.store.call("KeyStore", "keyOf", local.agent)) }
    Function("fetchLength", ("agent", .address), returns: .uint256, .view) {
        Return(state.store.call("KeyStore", "keyOf", local.agent).length)
    }
    Function("check", ("agent", .address), ("key", .bytes), returns: .bool, .view) {
        Return(state.store.call("KeyStore", "isKey", local.agent, local.key))
    }
    Function("touch", ("agent", .address), returns: nil, .view) { Evaluate(state.store.call("KeyStore", "keyOf", local.agent)) }
}

@Test func interfaceCallsPassAndReturnByteStrings() throws {
    let harness = ContractHarness()
    let store = try harness.deploy(try ContractCompiler.compile(keyStore))
    let reader = try harness.deploy(try ContractCompiler.compile(keyReader), .address(store.address))
    let key = sample(65)
    #expect(try store.call("setKey", .bytes(key)).succeeded)
    #expect(try reader.call("fetch", .address(ContractHarness.defaultSender)).value == .bytes(key))
    #expect(try reader.call("fetchLength", .address(ContractHarness.defaultSender)).value == .uint(65))
    #expect(try reader.call("fetch", .address(.zero)).value == .bytes([]))
    #expect(try reader.call("check", .address(ContractHarness.defaultSender), .bytes(key)).value == .bool(true))
    #expect(try reader.call("check", .address(ContractHarness.defaultSender), .bytes(sample(64))).value == .bool(false))
    #expect(try reader.call("touch", .address(ContractHarness.defaultSender)).succeeded)

    // The reference evaluator, calling the same store on the VM, agrees call by call.
    let reference = try ReferenceContract(keyReader)
    let environment = ReferenceEnvironment(
        caller: ContractHarness.defaultSender, contractAddress: reader.address, sha256: StandardCryptography.sha256,
        recoverSigner: StandardCryptography.recoverSigner,
        call: { _, data, _ in let result = store.send(data); return (result.succeeded, result.output) })
    _ = reference.deploy(arguments: ABICodec.encode([.address(store.address)]), environment: environment)
    let who = ABIValue.address(ContractHarness.defaultSender)
    let calls: [(String, [ABIValue])] = [("fetch", [who]), ("fetchLength", [who]), ("fetch", [.address(.zero)]),
                                         ("check", [who, .bytes(key)]), ("check", [who, .bytes([])]), ("touch", [who])]
    for (name, arguments) in calls {
        let entry = try #require(reader.artifact.abi.first { $0.name == name })
        let data = ABICodec.callData(entry.signature(entry.valueTypes ?? []), arguments)
        let onVM = reader.send(data, entry: entry)
        let expected = reference.call(data, environment: environment)
        #expect(expected.status == (onVM.succeeded ? .success : .revert), "\(name)")
        #expect(expected.output == onVM.output, "\(name)")
    }
}

@Test func byteStringsHaveTheirOwnCompileErrors() {
    let contract = Contract("Bad") {
        Storage("byKey", .map(.bytes, to: .uint256))
        Function("f", ("a", .bytes), returns: .uint256, .view) { Return(local.a + 1) }
        Function("g", ("a", .uint256), returns: .uint256, .view) { Return(local.a.length) }
        Function("h", ("a", .string), returns: .bytes, .view) { Return(local.a) }
    }
    do {
        _ = try ContractCompiler.compile(contract)
        Issue.record("compiled")
    } catch {
        let messages = error.errors.map(\.message)
        #expect(messages.contains { $0.contains("a map key is a word type, not bytes") }, "\(messages)")
        #expect(messages.contains { $0.contains("the literal 1 does not fit a bytes") }, "\(messages)")
        #expect(messages.contains { $0.contains("a uint256 has no length") }, "\(messages)")
        #expect(messages.contains { $0.contains("cannot return a string where a bytes is expected") }, "\(messages)")
    }
}

/// The compiler against the reference evaluator on contracts of byte strings only: many
/// generated contracts, their call data sometimes malformed.
@Test func byteStringContractsAgreeWithTheReferenceEvaluator() {
    let summary = ContractDifferential.run(seed: 6006, count: 120, calls: 25)
    #expect(summary.divergences.isEmpty, "\(summary.divergences)")
    #expect(summary.compared > 2_000)
}
