// Calls between contracts: value, return data, static calls, depth, re-entrancy, rollback.
import Bytecode
import LedgerPrimitives
import TestSupport
import Testing
import VM

/// CALL(gas, target, value, 0, 0, 0, 32) then return (success flag, first output word).
private func caller(target: Address, value: UInt256 = 0, opcode: Opcode = .call) -> CodeBuilder {
    var code = CodeBuilder().push(32).push(0).push(0).push(0)
    if opcode == .call { code = code.push(value) }
    return code.push(target).op(.gas, opcode).push(32).op(.mstore).push(64).push(0).op(.ret)
}

private func results(_ output: [UInt8]) -> (success: UInt256, word: UInt256) {
    (UInt256(bigEndianBytes: output[32..<64])!, UInt256(bigEndianBytes: output[0..<32])!)
}

@Test func callReturnsDataAndMovesValue() throws {
    let host = TestHost()
    host.setBalance(100, of: Fixture.sender)
    try host.installCode(try Fixture.runtime(CodeBuilder().op(.callvalue).returnTop()), at: Fixture.other)
    let (result, _) = try Fixture.run(caller(target: Fixture.other, value: 7), value: 50, host: host)
    #expect(result.succeeded)
    #expect(results(result.output) == (1, 7))
    #expect(host.balance(of: Fixture.other) == 7)
    #expect(host.balance(of: Fixture.contract) == 43)
}

@Test func failedCalleeIsRolledBackButCallerContinues() throws {
    let host = TestHost()
    let callee = CodeBuilder().push(9).push(9).op(.sstore).push(0xEE).push(0).op(.mstore).push(32).push(0).op(.revert)
    try host.installCode(try Fixture.runtime(callee), at: Fixture.other)
    let (result, _) = try Fixture.run(caller(target: Fixture.other), host: host)
    #expect(result.succeeded)
    #expect(results(result.output) == (0, 0xEE))
    #expect(host.storage(of: Fixture.other, at: 9) == 0)
}

@Test func staticCallsCannotWrite() throws {
    let host = TestHost()
    try host.installCode(try Fixture.runtime(CodeBuilder().push(1).push(1).op(.sstore).op(.stop)), at: Fixture.other)
    let (result, _) = try Fixture.run(caller(target: Fixture.other, opcode: .staticcall), host: host)
    #expect(results(result.output).success == 0)
    let direct = try Fixture.run(CodeBuilder().push(0).push(0).op(.log0).op(.stop), isStatic: true).result
    #expect(direct.outcome == .failure(.staticStateChange))
}

@Test func reentrancyIsRefusedUnlessTheCalleeOptsIn() throws {
    // The contract calls itself once when called with empty input… by calling with 1 byte.
    let code = CodeBuilder().op(.calldatasize).jumpIf(to: "inner")
        .push(32).push(0).push(1).push(0).push(0).push(Fixture.contract).op(.gas, .call).returnTop()
        .label("inner").push(5).returnTop()
    for flags in [Container.Flags(), .reentrant] {
        let host = TestHost()
        try host.installCode(try Fixture.runtime(code, flags: flags), at: Fixture.contract)
        let result = VM.call(Message(caller: Fixture.sender, recipient: Fixture.contract, gas: 1_000_000), host: host)
        #expect(UInt256(bigEndianBytes: result.output) == (flags.contains(.reentrant) ? 1 : 0))
    }
}

@Test func callDepthIsLimited() throws {
    // A reentrant contract that calls itself until a call fails, then returns its depth count:
    // each level returns 1 + what the inner call returned (0 when the inner call failed).
    let code = CodeBuilder().push(32).push(0).push(0).push(0).push(0).push(Fixture.contract).op(.gas, .call)
        .jumpIf(to: "ok").push(0).push(0).op(.mstore).label("ok").push(0).op(.mload).push(1).op(.add).returnTop()
    let host = TestHost()
    try host.installCode(try Fixture.runtime(code, flags: .reentrant), at: Fixture.contract)
    let result = VM.call(Message(caller: Fixture.sender, recipient: Fixture.contract, gas: 1_000_000_000), host: host)
    #expect(result.succeeded)
    #expect(UInt256(bigEndianBytes: result.output) == UInt256(UInt64(Limits.callDepth)))
}

@Test func valueBeyondBalanceFailsTheCall() throws {
    let host = TestHost()
    let result = VM.call(Message(caller: Fixture.sender, recipient: Fixture.other, value: 1, gas: 100), host: host)
    #expect(result.outcome == .failure(.insufficientBalance))
    #expect(result.gasLeft == 100)
}

@Test func returnDataCopyChecksBounds() throws {
    let host = TestHost()
    try host.installCode(try Fixture.runtime(CodeBuilder().push(3).returnTop()), at: Fixture.other)
    let base = CodeBuilder().push(0).push(0).push(0).push(0).push(0).push(Fixture.other).op(.gas, .call, .pop)
    let inside = try Fixture.run(base.push(32).push(0).push(0).op(.returndatacopy).push(32).push(0).op(.ret), host: host).result
    #expect(UInt256(bigEndianBytes: inside.output) == 3)
    let outside = try Fixture.run(base.push(1).push(32).push(0).op(.returndatacopy).op(.stop), host: host).result
    #expect(outside.outcome == .failure(.returnDataOutOfBounds))
}

@Test func ecrecoverGoesThroughTheHost() throws {
    // Nonsense signature values recover nothing: 0.
    let word = try Fixture.word(CodeBuilder().push(1).push(1).push(27).push(1).op(.ecrecover).returnTop())
    #expect(word != nil)
}

// Regression: a source offset near 2^64 once overflowed `offset + length` and trapped the process
// (issue 8). It must fail the call like any other out-of-bounds read.
@Test(arguments: [UInt256(UInt64.max), UInt256(UInt64.max - 31), UInt256(UInt64.max) + 1, UInt256.max])
func returnDataCopyWithAHugeSourceOffsetFails(offset: UInt256) throws {
    let code = CodeBuilder().push(32).push(offset).push(32).op(.returndatacopy).op(.stop)
    let result = try Fixture.run(code).result
    #expect(result.outcome == .failure(.returnDataOutOfBounds))
    #expect(result.gasLeft == 0)
}

@Test func deployPayloadWithAHugeReturnDataOffsetFails() throws {
    let payload = try Assembler.assemble(TestData.fixture("returndatacopy-overflow.asm")).encoded()
    let result = VM.deploy(payload: payload, message: Message(caller: Fixture.sender, recipient: Fixture.contract, gas: 1_000_000),
                           host: TestHost())
    #expect(result.outcome == .failure(.returnDataOutOfBounds))
    #expect(result.runtimeCode == nil)
}
