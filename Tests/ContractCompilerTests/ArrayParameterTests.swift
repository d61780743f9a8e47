// Array parameters (`address[]`, `uint64[]`, `bytes32[]`, …; Docs/contract-dsl.md §Array
// parameters): decoded from call data with their length and each element checked as a parameter
// of its type, read by index (bounds-checked) and length, refused everywhere else; a catalogue of
// bad call data that must revert and change nothing, on the VM and in the reference evaluator.
import ContractCompiler
import ContractDSL
import ContractTesting
import LedgerCrypto
import LedgerPrimitives
import Testing
import VM

private let roster = Contract("Roster") {
    Storage("members", .array(of: .address))
    Event("Added", .indexed("member", .address), .field("position", .uint256))

    Function("sum", ("values", .array(.uint64)), returns: .uint256, .view) {
        Let("total", .uint256, 0)
        For("i", from: 0, to: local.values.length, atMost: 1_000) {
            Increase(local.total, by: local.values[local.i].as(.uint256))
        }
        Return(local.total)
    }
    Function("count", ("values", .array(.address)), returns: .uint256, .view) { Return(local.values.length) }
    Function("pick", ("values", .array(.bytes32)), ("index", .uint64), returns: .bytes32, .view) {
        Return(local.values[local.index])
    }
    Function("lowest", ("values", .array(.int8)), returns: .int8, .view) {
        Require(local.values.length > 0, "empty")
        Let("lowest", local.values[0])
        For("i", from: 1, to: local.values.length, atMost: 100) {
            If(local.values[local.i] < local.lowest) { Assign(local.lowest, local.values[local.i]) }
        }
        Return(local.lowest)
    }
    Function("addAll", ("who", .array(.address)), ("keep", .array(.bool)), ("tag", .uint8)) {
        Require(local.who.length == local.keep.length, "lengths differ")
        For("i", from: 0, to: local.who.length, atMost: 64) {
            If(local.keep[local.i]) {
                Append(state.members, local.who[local.i])
                Emit("Added", local.who[local.i], state.members.length)
            }
        }
    }
    Function("memberCount", returns: .uint256, .view) { Return(state.members.length) }
}

private func address(_ byte: UInt8) -> Address { Address(truncating: UInt256(UInt64(byte)) << 100 | UInt256(UInt64(byte))) }

@Test func arrayParametersAreReadByIndexAndLength() throws {
    let contract = try ContractHarness().deploy(try ContractCompiler.compile(roster))
    #expect(try contract.call("sum", .array([.uint(1), .uint(2), .uint(UInt64.max)])).value
            == .unsigned(UInt256(UInt64.max).addingReportingOverflow(UInt256(3)).partialValue))
    #expect(try contract.call("sum", .array([])).value == .uint(0))
    #expect(try contract.call("count", .array((0..<40).map { .address(address(UInt8($0))) })).value == .uint(40))
    let words = (0..<5).map { ABIValue.fixedBytes(UInt256(Keccak256.hash([UInt8($0)]))) }
    #expect(try contract.call("pick", .array(words), .uint(3)).value == words[3])
    #expect(try contract.call("pick", .array(words), .uint(5)).failure == .panic(UInt256(0x32)))
    #expect(try contract.call("pick", .array([]), .uint(0)).failure == .panic(UInt256(0x32)))
    #expect(try contract.call("lowest", .array([.int(3), .int(-128), .int(127), .int(-5)])).value == .int(-128))
    #expect(try contract.call("lowest", .array([])).failure == .message("empty"))

    let who = (1...4).map { ABIValue.address(address($0)) }
    let result = try contract.call("addAll", .array(who), .array([.bool(true), .bool(false), .bool(true), .bool(true)]), .uint(9))
    #expect(result.succeeded)
    #expect(result.events.map(\.name) == ["Added", "Added", "Added"])
    #expect(try contract.call("memberCount").value == .uint(3))
    #expect(try contract.call("addAll", .array(who), .array([.bool(true)]), .uint(9)).failure == .message("lengths differ"))
}

/// Malformed arrays in call data: each reverts without data and changes nothing, on the VM and
/// in the reference evaluator alike; the well-formed call is accepted by both.
@Test func badArrayCallDataIsRefusedAndChangesNothing() throws {
    let artifact = try ContractCompiler.compile(roster)
    let contract = try ContractHarness().deploy(artifact)
    let reference = try ReferenceContract(roster)
    let selector = ABICodec.selector("addAll(address[],bool[],uint8)")
    let good = ABICodec.encode([.array([.address(address(1)), .address(address(2))]), .array([.bool(true), .bool(true)]), .uint(1)])
    // Layout: heads at 0, 32, 64; who at 96 (length) 128, 160; keep at 192 (length) 224, 256.
    #expect(good.count == 288)
    let catalogue: [(String, [UInt8])] = [
        ("heads only", Array(good.prefix(96))),
        ("offset past the end", replacingWord(in: good, at: 0, with: UInt256(UInt64(good.count)))),
        ("offset 2^256 − 1", replacingWord(in: good, at: 0, with: .max)),
        ("length past the end", replacingWord(in: good, at: 96, with: UInt256(7))),
        ("length 2^255", replacingWord(in: good, at: 96, with: UInt256.one << 255)),
        ("length 2^256 − 1", replacingWord(in: good, at: 192, with: .max)),
        ("an address with high bits", replacingWord(in: good, at: 128, with: UInt256.one << 160 | UInt256(1))),
        ("a bool of 2", replacingWord(in: good, at: 224, with: UInt256(2))),
        ("words cut short", Array(good.dropLast(1))),
        ("a uint8 of 256", replacingWord(in: good, at: 64, with: UInt256(256))),
    ]
    let environment = ReferenceEnvironment(caller: ContractHarness.defaultSender, contractAddress: contract.address,
                                           sha256: StandardCryptography.sha256, recoverSigner: StandardCryptography.recoverSigner)
    expectRefusedEverywhere(catalogue, selector: selector, contract: contract, reference: reference)
    #expect(contract.harness.host.storageSlots(of: contract.address).isEmpty)
    #expect(contract.send(selector + good).succeeded)
    #expect(reference.call(selector + good, environment: environment).status == .success)
    #expect(reference.nonzeroStorage == contract.harness.host.storageSlots(of: contract.address))
    // Both arrays may share one tail (offsets are not required to differ), and a length of
    // zero needs no words.
    let shared = replacingWord(in: good, at: 32, with: UInt256(96))
    #expect(contract.send(selector + shared).failure == .revert([]), "an address word is not a bool")
    let empty = ABICodec.encode([.array([]), .array([]), .uint(1)])
    #expect(contract.send(selector + empty).succeeded)
}

/// The compiler and the reference evaluator agree call by call, including out-of-range indices.
@Test func arrayParametersAgreeWithTheReferenceEvaluator() throws {
    let contract = try ContractHarness().deploy(try ContractCompiler.compile(roster))
    let reference = try ReferenceContract(roster)
    let environment = ReferenceEnvironment(caller: ContractHarness.defaultSender, contractAddress: contract.address,
                                           sha256: StandardCryptography.sha256, recoverSigner: StandardCryptography.recoverSigner)
    let words = (0..<3).map { ABIValue.fixedBytes(UInt256(Keccak256.hash([UInt8($0)]))) }
    let calls: [(String, [ABIValue])] = [
        ("sum", [.array([.uint(5), .uint(7)])]), ("sum", [.array([])]),
        ("count", [.array([.address(address(1))])]),
        ("pick", [.array(words), .uint(2)]), ("pick", [.array(words), .uint(3)]), ("pick", [.array([]), .uint(0)]),
        ("lowest", [.array([.int(1), .int(-2)])]), ("lowest", [.array([])]),
        ("addAll", [.array([.address(address(3))]), .array([.bool(true)]), .uint(1)]),
        ("addAll", [.array([.address(address(3))]), .array([]), .uint(1)]),
        ("memberCount", []),
    ]
    for (name, arguments) in calls {
        let entry = try #require(contract.artifact.abi.first { $0.name == name })
        let data = ABICodec.callData(entry.signature(entry.valueTypes ?? []), arguments)
        let onVM = contract.send(data, entry: entry)
        let expected = reference.call(data, environment: environment)
        #expect(expected.status == (onVM.succeeded ? .success : .revert), "\(name)")
        #expect(expected.output == onVM.output, "\(name)")
    }
    #expect(reference.nonzeroStorage == contract.harness.host.storageSlots(of: contract.address))
}

@Test func arraysAreOnlyParameters() {
    let contract = Contract("Bad") {
        Storage("kept", .value(.array(.address)))
        Event("Listed", .field("who", .array(.address)))
        Function("a", ("xs", .array(.address)), returns: .uint256, .view) {
            Let("copy", local.xs)
            Return(0)
        }
        Function("b", ("xs", .array(.uint8)), returns: .bool, .view) { Return(local.xs == local.xs) }
        Function("c", ("xs", .array(.array(.uint8))), returns: .uint256, .view) { Return(0) }
        Function("d", ("xs", .array(.uint8))) { Assign(local.xs, 1) }
        Function("e", ("xs", .array(.uint8)), returns: .uint8, .view) { Return(local.xs[-1]) }
        Function("f", returns: .array(.uint8), .view) { Revert("no") }
    }
    do {
        _ = try ContractCompiler.compile(contract)
        Issue.record("compiled")
    } catch {
        let messages = error.errors.map(\.message)
        #expect(messages.contains { $0.contains("'address[]': an array is only a function parameter") }, "\(messages)")
        #expect(messages.contains { $0.contains("'xs' is an array: read an element") }, "\(messages)")
        #expect(messages.contains { $0.contains("'uint8[][]': arrays hold word values, bytes or strings, not arrays") }, "\(messages)")
        #expect(messages.contains { $0.contains("the array parameter 'xs' cannot be assigned") }, "\(messages)")
        #expect(messages.contains { $0.contains("'uint8[]': an array is only a function parameter") }, "\(messages)")
        #expect(messages.contains { $0.contains("an array index is an unsigned integer") || $0.contains("does not fit") }, "\(messages)")
    }
}

@Test func theABINamesArrayTypes() throws {
    let artifact = try ContractCompiler.compile(roster)
    let entry = try #require(artifact.abi.first { $0.name == "addAll" })
    #expect(entry.signature(entry.valueTypes ?? []) == "addAll(address[],bool[],uint8)")
    #expect(ABICodec.valueType(named: "uint64[]") == .array(.uint64))
    #expect(ABICodec.valueType(named: "bytes[]") == .array(.bytes))
    #expect(ABICodec.valueType(named: "uint8[][]") == nil)
    #expect(try ABIValue.parse("[1, 2,3]", as: .array(.uint8)) == .array([.uint(1), .uint(2), .uint(3)]))
    #expect(try ABIValue.parse("[]", as: .array(.address)) == .array([]))
    #expect(throws: ABIArgumentError.self) { try ABIValue.parse("1, 2", as: .array(.uint8)) }
}

private let blobs = Contract("Blobs") {
    Storage("kept", .map(.uint256, to: .bytes))
    Event("Kept", .indexed("index", .uint256), .field("blob", .bytes))

    Function("keepAll", ("items", .array(.bytes))) {
        For("i", from: 0, to: local.items.length, atMost: 32) {
            Assign(state.kept[local.i], local.items[local.i])
            Emit("Kept", local.i, local.items[local.i])
        }
    }
    Function("get", ("index", .uint256), returns: .bytes, .view) { Return(state.kept[local.index]) }
    Function("lengthAt", ("items", .array(.string)), ("index", .uint256), returns: .uint256, .view) {
        Return(local.items[local.index].length)
    }
    Function("hashAt", ("items", .array(.bytes)), ("index", .uint256), returns: .bytes32, .view) {
        Return(keccak256(local.items[local.index]))
    }
}

private func sample(_ count: Int, _ salt: UInt8) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(salt)) } }

@Test func arraysOfByteStringsKeepEveryElementWhole() throws {
    let contract = try ContractHarness().deploy(try ContractCompiler.compile(blobs))
    let lengths = [0, 1, 31, 32, 33, 64, 93, 145, 300]
    let items = lengths.enumerated().map { ABIValue.bytes(sample($0.element, UInt8($0.offset))) }
    let result = try contract.call("keepAll", .array(items))
    #expect(result.succeeded)
    #expect(result.events.count == lengths.count)
    for (index, item) in items.enumerated() {
        #expect(try contract.call("get", .uint(UInt64(index))).value == item, "element \(index)")
        #expect(try contract.call("hashAt", .array(items), .uint(UInt64(index))).value
                == .fixedBytes(UInt256(Keccak256.hash(item.byteContent ?? []))))
    }
    #expect(try contract.call("hashAt", .array(items), .uint(UInt64(items.count))).failure == .panic(UInt256(0x32)))
    #expect(try contract.call("keepAll", .array([])).succeeded)
    #expect(try contract.call("lengthAt", .array([.string("attestation"), .string("")]), .uint(0)).value == .uint(11))
}

/// Malformed `bytes[]`: each reverts without data on the VM and in the reference evaluator.
@Test func badByteStringArrayCallDataIsRefused() throws {
    let contract = try ContractHarness().deploy(try ContractCompiler.compile(blobs))
    let reference = try ReferenceContract(blobs)
    let selector = ABICodec.selector("keepAll(bytes[])")
    let good = ABICodec.encode([.array([.bytes(sample(40, 1)), .bytes(sample(3, 2))])])
    // Layout: head 0 (= 32); n at 32; element heads at 64, 96 (offsets from 64); element 0's
    // length at 128, its 40 bytes in 160…223; element 1's length at 224, bytes at 256.
    #expect(good.count == 288)
    let catalogue: [(String, [UInt8])] = [
        ("the count past the heads there are", replacingWord(in: good, at: 32, with: UInt256(8))),
        ("an element offset past the end", replacingWord(in: good, at: 64, with: UInt256(UInt64(good.count)))),
        ("an element offset 2^256 − 1", replacingWord(in: good, at: 96, with: .max)),
        ("an element length past the end", replacingWord(in: good, at: 128, with: UInt256(200))),
        ("an element length 2^255", replacingWord(in: good, at: 224, with: UInt256.one << 255)),
        ("the last bytes cut off", Array(good.dropLast(32))),
    ]
    let environment = ReferenceEnvironment(caller: ContractHarness.defaultSender, contractAddress: contract.address,
                                           sha256: StandardCryptography.sha256, recoverSigner: StandardCryptography.recoverSigner)
    expectRefusedEverywhere(catalogue, selector: selector, contract: contract, reference: reference)
    #expect(contract.harness.host.storageSlots(of: contract.address).isEmpty)
    // Two elements may share their bytes (offsets need not differ); both implementations agree.
    let shared = replacingWord(in: good, at: 96, with: UInt256(64))
    for data in [good, shared] {
        let onVM = contract.send(selector + data)
        let expected = reference.call(selector + data, environment: environment)
        #expect(onVM.succeeded && expected.status == .success)
    }
    #expect(reference.nonzeroStorage == contract.harness.host.storageSlots(of: contract.address))
    let entry = try #require(contract.artifact.abi.first { $0.name == "hashAt" })
    for index: UInt64 in [0, 1, 2] {
        let data = ABICodec.callData("hashAt(bytes[],uint256)", [.array([.bytes(sample(70, 3)), .bytes([])]), .uint(index)])
        let onVM = contract.send(data, entry: entry)
        #expect(reference.call(data, environment: environment).output == onVM.output)
    }
}
