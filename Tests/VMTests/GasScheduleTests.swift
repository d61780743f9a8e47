// The measured parts of the gas schedule (Docs/vm.md §Gas): cold and warm state access per
// transaction, code loading per word, the per-transaction log limits, and the stop check.
import Bytecode
import LedgerPrimitives
import Testing
import VM

/// The base gas of `opcode`, as the table gives it.
private func base(_ opcode: Opcode) -> Int64 { Int64(opcode.definition.gas) }

/// Gas a run of `code` used, with `gas` given.
private func gasUsed(_ code: CodeBuilder, gas: Int64 = 1_000_000, host: TestHost = TestHost()) throws -> (Int64, ExecutionResult) {
    let result = try Fixture.run(code, gas: gas, host: host).result
    return (gas - result.gasLeft, result)
}

@Test func theFirstSloadOfASlotIsColdTheSecondWarm() throws {
    let one = CodeBuilder().push(7).op(.sload, .pop, .stop)
    let twice = CodeBuilder().push(7).op(.sload, .pop).push(7).op(.sload, .pop, .stop)
    let other = CodeBuilder().push(7).op(.sload, .pop).push(8).op(.sload, .pop, .stop)
    let (single, _) = try gasUsed(one)
    let (repeated, _) = try gasUsed(twice)
    let (different, _) = try gasUsed(other)
    let sloadBase = base(.sload)
    let pushPop = base(.push1) + base(.pop)
    #expect(repeated - single == pushPop + sloadBase)
    #expect(different - single == pushPop + sloadBase + Gas.coldSlotSurcharge)
}

@Test func sstoreWarmsItsSlotForALaterSload() throws {
    let storeThenLoad = CodeBuilder().push(1).push(7).op(.sstore).push(7).op(.sload, .pop, .stop)
    let storeThenLoadOther = CodeBuilder().push(1).push(7).op(.sstore).push(8).op(.sload, .pop, .stop)
    #expect(try gasUsed(storeThenLoadOther).0 - gasUsed(storeThenLoad).0 == Gas.coldSlotSurcharge)
}

@Test func balanceOfAnUntouchedAccountIsCold() throws {
    let own = CodeBuilder().op(.address, .balance, .pop, .stop)
    let caller = CodeBuilder().op(.caller, .balance, .pop, .stop)
    let stranger = CodeBuilder().push(Fixture.third).op(.balance, .pop, .stop)
    // The contract itself and its caller are warm from the start.
    #expect(try gasUsed(own).0 == gasUsed(caller).0)
    let pushAddress = base(.push20)
    let pushSelf = base(.address)
    #expect(try gasUsed(stranger).0 - gasUsed(own).0 == pushAddress - pushSelf + Gas.coldAccountSurcharge)
}

@Test func callingACodedAccountChargesItsCodeOncePerTransaction() throws {
    // Two calls to one account against one call each to two accounts with the same code: the
    // callers are the same size, so the difference is the second account's cold access and code.
    let host = TestHost()
    let callee = try Fixture.runtime(CodeBuilder().op(.stop), data: [UInt8](repeating: 0xaa, count: 1000))
    try host.installCode(callee, at: Fixture.other)
    try host.installCode(callee, at: Fixture.third)
    func calls(_ a: Address, _ b: Address) -> CodeBuilder {
        CodeBuilder().push(0).push(0).push(0).push(0).push(a).op(.gas, .staticcall, .pop)
            .push(0).push(0).push(0).push(0).push(b).op(.gas, .staticcall, .pop, .stop)
    }
    let (sameTwice, first) = try gasUsed(calls(Fixture.other, Fixture.other), host: host)
    let (oneEach, second) = try gasUsed(calls(Fixture.other, Fixture.third), host: host)
    #expect(first.succeeded && second.succeeded)
    let program = try #require(host.program(at: Fixture.third))
    let codeLoad = Gas.codeLoadPerWord * Int64((program.codeSize + 31) / 32)
    #expect(oneEach - sameTwice == Gas.coldAccountSurcharge + codeLoad)
}

@Test func codeThatCannotPayForItsLoadingFailsOutOfGas() throws {
    let code = CodeBuilder().op(.stop)
    let host = TestHost()
    try host.installCode(try Fixture.runtime(code, data: [UInt8](repeating: 1, count: 3200)), at: Fixture.contract)
    let result = VM.call(Message(caller: Fixture.sender, recipient: Fixture.contract, gas: 500), host: host)
    #expect(result.outcome == .failure(.outOfGas))
}

@Test func aTransactionMayRunOnlySoManyLogs() throws {
    // A loop of LOG0 with no data: the 1,025th fails the whole call, however much gas is left.
    let loop = CodeBuilder().push(UInt256(UInt64(Limits.logsPerTransaction + 1))).label("top")
        .push(0).push(0).op(.log0).push(1).op(.swap1, .sub, .dup1).jumpIf(to: "top").op(.stop)
    let host = TestHost()
    let (_, result) = try gasUsed(loop, gas: 10_000_000, host: host)
    #expect(result.outcome == .failure(.logLimitExceeded))
    #expect(host.logs.isEmpty)
    let fits = CodeBuilder().push(UInt256(UInt64(Limits.logsPerTransaction))).label("top")
        .push(0).push(0).op(.log0).push(1).op(.swap1, .sub, .dup1).jumpIf(to: "top").op(.stop)
    let fitting = TestHost()
    #expect(try gasUsed(fits, gas: 10_000_000, host: fitting).1.succeeded)
    #expect(fitting.logs.count == Limits.logsPerTransaction)
}

@Test func logDataPerTransactionIsBounded() throws {
    let tooMuch = CodeBuilder().push(UInt256(UInt64(Limits.logBytesPerTransaction + 1))).push(0).op(.log0, .stop)
    #expect(try gasUsed(tooMuch, gas: 10_000_000).1.outcome == .failure(.logLimitExceeded))
    let enough = CodeBuilder().push(UInt256(UInt64(Limits.logBytesPerTransaction))).push(0).op(.log0, .stop)
    #expect(try gasUsed(enough, gas: 10_000_000).1.succeeded)
}

@Test func aHostCanStopALoopBetweenSlicesOfGas() throws {
    let host = TestHost()
    var asked = 0
    host.stopCondition = { asked += 1; return asked >= 3 }
    let spin = CodeBuilder().label("top").jump(to: "top")
    let (used, result) = try gasUsed(spin, gas: 100_000_000, host: host)
    #expect(result.outcome == .failure(.interrupted))
    #expect(result.gasLeft == 0)
    #expect(asked == 3)
    #expect(used == 100_000_000)
    // Without a stop condition the same loop ends only when its gas does.
    #expect(try gasUsed(spin, gas: 1_000_000).1.outcome == .failure(.outOfGas))
}

// The consensus rule of charging per basic block (Docs/vm.md §Decoding and gas per basic block):
// a block's base gas is paid in full when it starts, and is not given back when the block stops
// early.

@Test func aCheckedFailureMidBlockKeepsTheWholeBlocksCharge() throws {
    // ADD overflows; the MUL, POP and STOP after it in the same block are paid for all the same.
    let code = CodeBuilder().push(1).push(.max).op(.add).push(2).op(.mul, .pop, .stop)
    let gas: Int64 = 100_000
    let (result, host) = try Fixture.run(code, gas: gas)
    #expect(result.outcome == .failure(.arithmeticOverflow))
    let program = try #require(host.program(at: Fixture.contract))
    let load = Gas.codeLoadPerWord * Int64((program.codeSize + 31) / 32)
    let whole = base(.push1) + base(.push32) + base(.add) + base(.push1) + base(.mul) + base(.pop) + base(.stop)
    #expect(result.gasLeft == gas - load - whole)
}

@Test func aBlockThatCannotBePaidFailsOutOfGasBeforeItsFirstInstruction() throws {
    // With gas for the ADD but not for the whole block, the block fails out of gas: the overflow
    // that per-instruction charging would have reported never happens, and all gas is consumed.
    let code = CodeBuilder().push(1).push(.max).op(.add).push(2).op(.mul, .pop, .stop)
    let upToAdd = base(.push1) + base(.push32) + base(.add)
    let words = Int64((try Fixture.runtime(code).count + 31) / 32)
    let result = try Fixture.run(code, gas: Gas.codeLoadPerWord * words + upToAdd + 1).result
    #expect(result.outcome == .failure(.outOfGas))
    #expect(result.gasLeft == 0)
}
