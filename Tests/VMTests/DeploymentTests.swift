// Deployment: the init code runs with the constructor arguments; the runtime container (plus
// the init code's output as extra data) is what gets stored.
import Bytecode
import LedgerPrimitives
import Testing
import VM

@Test func deploymentRunsInitAndStoresRuntime() throws {
    // init: store the constructor argument in slot 0, return it as extra data.
    let initCode = CodeBuilder().push(0).op(.calldataload).op(.dup1).push(0).op(.sstore).returnTop()
    // runtime: return the data section's last word (the argument baked in) plus slot 0.
    let runtime = CodeBuilder().push(0).op(.sload).dataLoad(at: 0).op(.add).returnTop()
    let container = Container(initFunctions: [Function(code: try initCode.assembled())],
                              runtimeFunctions: [Function(code: try runtime.assembled())])
    let payload = try container.encoded() + UInt256(21).bigEndianBytes
    let host = TestHost()
    let deployed = host.deploy(payload, at: Fixture.contract, from: Fixture.sender)
    try #require(deployed.succeeded, "\(deployed.outcome)")
    #expect(host.code(at: Fixture.contract) == deployed.runtimeCode)
    #expect(deployed.program?.codeHash == Keccak256.hash(deployed.runtimeCode!))
    let result = VM.call(Message(caller: Fixture.sender, recipient: Fixture.contract, gas: 100_000), host: host)
    #expect(UInt256(bigEndianBytes: result.output) == 42)
}

@Test func deploymentRejectsCodeThatDoesNotVerify() throws {
    let container = Container(initFunctions: [Function(code: [Opcode.stop.rawValue])],
                              runtimeFunctions: [Function(code: [Opcode.add.rawValue, Opcode.stop.rawValue])])
    let result = TestHost().deploy(try container.encoded(), at: Fixture.contract, from: Fixture.sender)
    guard case .failure(.rejectedCode(let error)) = result.outcome else {
        Issue.record("expected rejection, got \(result.outcome)")
        return
    }
    #expect(error.reason == .stackUnderflow(needed: 2, available: 0))
    #expect(result.gasLeft == 0)
}

@Test func deploymentRejectsGarbage() {
    let result = TestHost().deploy([0xEF, 0x00, 0x01], at: Fixture.contract, from: Fixture.sender)
    #expect(result.outcome == .failure(.malformedContainer(.badMagic)))
}

@Test func revertingInitStoresNothing() throws {
    let container = Container(initFunctions: [Function(code: try CodeBuilder().push(1).push(1).op(.sstore).push(0).push(0).op(.revert).assembled())],
                              runtimeFunctions: [Function(code: [Opcode.stop.rawValue])])
    let host = TestHost()
    let result = host.deploy(try container.encoded(), at: Fixture.contract, from: Fixture.sender)
    #expect(result.outcome == .revert)
    #expect(host.code(at: Fixture.contract) == nil)
    #expect(host.storage(of: Fixture.contract, at: 1) == 0)
}
