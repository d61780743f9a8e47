// Storage, logs, environment, memory and return data: pre-state, call, expected post-state.
import Bytecode
import LedgerPrimitives
import Testing
import VM

@Test func storageStoreAndLoad() throws {
    let (result, host) = try Fixture.run(CodeBuilder().push(42).push(7).op(.sstore).push(7).op(.sload).returnTop())
    #expect(result.succeeded)
    #expect(UInt256(bigEndianBytes: result.output) == 42)
    #expect(host.storage(of: Fixture.contract, at: 7) == 42)
}

@Test func storageGasDependsOnTheSlotBefore() throws {
    let code = CodeBuilder().push(1).push(0).op(.sstore).op(.stop)
    let fresh = try Fixture.run(code).result
    let host = TestHost()
    host.setStorage(5, of: Fixture.contract, at: 0, journaled: false)
    let updated = try Fixture.run(code, host: host).result
    #expect(updated.gasLeft - fresh.gasLeft == Gas.storageSet - Gas.storageUpdate)
}

@Test func logsCarryTopicsAndData() throws {
    let code = CodeBuilder().push(0xAB).push(0).op(.mstore8).push(0xBEEF).push(0xCAFE).push(1).push(0).op(.log2).op(.stop)
    let (result, host) = try Fixture.run(code)
    #expect(result.succeeded)
    #expect(host.logs == [Log(address: Fixture.contract, topics: [Hash32(UInt256(0xCAFE)), Hash32(UInt256(0xBEEF))], data: [0xAB])])
}

@Test func revertUndoesWritesAndLogsAndReturnsData() throws {
    let code = CodeBuilder().push(1).push(1).op(.sstore).push(0).push(0).op(.log0)
        .push(0x77).push(0).op(.mstore).push(32).push(0).op(.revert)
    let (result, host) = try Fixture.run(code)
    #expect(result.outcome == .revert)
    #expect(UInt256(bigEndianBytes: result.output) == 0x77)
    #expect(result.gasLeft > 0)
    #expect(host.storage(of: Fixture.contract, at: 1) == 0)
    #expect(host.logs.isEmpty)
}

@Test func outOfGasConsumesEverythingAndUndoes() throws {
    let code = CodeBuilder().push(1).push(1).op(.sstore).push(1).push(2).op(.sstore).op(.stop)
    let (result, host) = try Fixture.run(code, gas: 25_000)
    #expect(result.outcome == .failure(.outOfGas))
    #expect(result.gasLeft == 0)
    #expect(host.storage(of: Fixture.contract, at: 1) == 0)
}

@Test func invalidAbortsWithItsReason() throws {
    let (result, _) = try Fixture.run(CodeBuilder().op(.invalid))
    #expect(result.outcome == .failure(.invalidInstruction))
    #expect(result.gasLeft == 0)
}

@Test func environmentReadsTheMessageAndBlock() throws {
    let host = TestHost(block: BlockContext(number: 99, timestamp: 1_700_000_000, chainID: 6))
    host.setBalance(1_000, of: Fixture.sender)
    func read(_ opcode: Opcode) throws -> UInt256? {
        let (result, _) = try Fixture.run(CodeBuilder().op(opcode).returnTop(), input: [1, 2, 3], value: 10, host: host)
        return UInt256(bigEndianBytes: result.output)
    }
    #expect(try read(.address) == UInt256(Fixture.contract))
    #expect(try read(.caller) == UInt256(Fixture.sender))
    #expect(try read(.origin) == UInt256(Fixture.sender))
    #expect(try read(.callvalue) == 10)
    #expect(try read(.calldatasize) == 3)
    #expect(try read(.number) == 99)
    #expect(try read(.timestamp) == 1_700_000_000)
    #expect(try read(.chainid) == 6)
    // Each call moved 10 more into the contract; SELFBALANCE sees the value of its own call.
    #expect(try read(.selfbalance) == 90)
}

@Test func callDataLoadsAreZeroPadded() throws {
    let input: [UInt8] = [0x11, 0x22]
    let word = try Fixture.word(CodeBuilder().push(0).op(.calldataload).returnTop(), input: input)
    #expect(word == UInt256(0x1122) << 240)
    let beyond = try Fixture.word(CodeBuilder().push(.max).op(.calldataload).returnTop(), input: input)
    #expect(beyond == 0)
    let copy = try Fixture.run(CodeBuilder().push(4).push(1).push(0).op(.calldatacopy).push(4).push(0).op(.ret), input: input)
    #expect(copy.result.output == [0x22, 0, 0, 0])
}

@Test func dataSectionIsReadable() throws {
    let data = (0..<40).map { UInt8($0) }
    let fixed = try Fixture.run(CodeBuilder().dataLoad(at: 8).returnTop(), data: data).result
    #expect(fixed.output == Array(data[8..<40]))
    let dynamic = try Fixture.run(CodeBuilder().push(20).op(.dataload).returnTop(), data: data).result
    #expect(dynamic.output == Array(data[20..<40]) + [UInt8](repeating: 0, count: 12))
    let size = try Fixture.run(CodeBuilder().op(.datasize).returnTop(), data: data).result
    #expect(UInt256(bigEndianBytes: size.output) == 40)
}

@Test func memoryGrowsInWordsAndCostsQuadratically() throws {
    let small = try Fixture.run(CodeBuilder().push(1).push(0).op(.mstore8).op(.msize).returnTop()).result
    #expect(UInt256(bigEndianBytes: small.output) == 32)
    let farAway = try Fixture.run(CodeBuilder().push(1).push(UInt256(1) << 40).op(.mstore).op(.stop)).result
    #expect(farAway.outcome == .failure(.outOfGas))
    let tenThousandWords = try Fixture.run(CodeBuilder().push(1).push(UInt256(319_968)).op(.mstore).op(.stop), gas: 10_000_000).result
    let used: Int64 = 10_000_000 - tenThousandWords.gasLeft
    let memoryCost: Int64 = 3 * 10_000 + 10_000 * 10_000 / 512
    #expect(used > memoryCost)
}

@Test func memoryCopyHandlesOverlap() throws {
    let code = CodeBuilder().push(UInt256(0x0102030405)).push(0).op(.mstore)
        .push(32).push(27).push(28).op(.mcopy).push(8).push(28).op(.ret)
    let (result, _) = try Fixture.run(code)
    #expect(result.output == [1, 2, 3, 4, 5, 0, 0, 0])
}

@Test func hashesOverMemory() throws {
    let code = CodeBuilder().push(UInt256(0x616263) << 232).push(0).op(.mstore).push(3).push(0)
    let keccak = try Fixture.word(code.op(.keccak256).returnTop())
    #expect(keccak == UInt256(Keccak256.hash(Array("abc".utf8))))
    let sha = try Fixture.word(code.op(.sha256).returnTop())
    #expect(sha.map { Hash32($0).hexString } == "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
}

@Test func gasReportsWhatIsLeft() throws {
    let (result, _) = try Fixture.run(CodeBuilder().op(.gas).returnTop(), gas: 10_000)
    // Loading the code costs one word (the container is under 32 bytes), then GAS is the whole
    // first block: charged 2 before it reads.
    #expect(UInt256(bigEndianBytes: result.output) == UInt256(UInt64(10_000 - Gas.codeLoadPerWord - 2)))
}

@Test func functionsCallAndReturnWithDeclaredEffects() throws {
    // function 1: (a, b) -> a + b
    let main = CodeBuilder().push(40).push(2).callFunction(1).returnTop()
    let adder = CodeBuilder().op(.add, .retf)
    let bytes = try Fixture.runtime([(main, inputs: 0, outputs: 0), (adder, inputs: 2, outputs: 1)])
    let host = TestHost()
    try host.installCode(bytes, at: Fixture.contract)
    let result = VM.call(Message(caller: Fixture.sender, recipient: Fixture.contract, gas: 100_000), host: host)
    #expect(UInt256(bigEndianBytes: result.output) == 42)
}

@Test func unboundedRecursionHitsTheReturnStackLimit() throws {
    let main = CodeBuilder().callFunction(1).op(.stop)
    let recurse = CodeBuilder().callFunction(1).op(.retf)
    let bytes = try Fixture.runtime([(main, inputs: 0, outputs: 0), (recurse, inputs: 0, outputs: 0)])
    let host = TestHost()
    try host.installCode(bytes, at: Fixture.contract)
    let result = VM.call(Message(caller: Fixture.sender, recipient: Fixture.contract, gas: 1_000_000), host: host)
    #expect(result.outcome == .failure(.stackOverflow))
}

@Test func jumpTableDispatches() throws {
    func pick(_ index: UInt256) throws -> UInt256? {
        try Fixture.word(CodeBuilder().push(index).jumpTable("a", "b").push(30).returnTop()
            .label("a").push(10).returnTop().label("b").push(20).returnTop())
    }
    #expect(try pick(0) == 10)
    #expect(try pick(1) == 20)
    #expect(try pick(2) == 30)
    #expect(try pick(.max) == 30)
}
