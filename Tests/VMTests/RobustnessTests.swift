// Determinism and seeded fuzzing: random code is rejected or runs to a defined end within its gas.
import Bytecode
import LedgerPrimitives
import Testing
import TestSupport
import VM

@Test func sameProgramSameResultOnFreshHosts() throws {
    let code = CodeBuilder().push(0).op(.calldataload).push(0).op(.mstore).push(32).push(0).op(.keccak256)
        .op(.dup1).push(3).op(.sstore).op(.dup1).push(32).push(0).op(.log1).op(.gas, .add).returnTop()
    let first = try Fixture.run(code, input: [1, 2, 3])
    let second = try Fixture.run(code, input: [1, 2, 3])
    #expect(first.result == second.result)
    #expect(first.host.logs == second.host.logs)
    #expect(first.host.storage(of: Fixture.contract, at: 3) == second.host.storage(of: Fixture.contract, at: 3))
}

/// Random straight-line code that keeps a plausible stack height (so a good share verifies and
/// runs), ended by a terminator, and then one byte mutated in a quarter of the cases (so the
/// verifier sees near-misses too).
private func randomCode(_ generator: inout SplitMix64) -> [UInt8] {
    let excluded: Set<Opcode> = [.rjump, .rjumpi, .rjumpv, .callf, .retf, .dataloadn]
    let opcodes = Opcode.allCases.filter { !$0.definition.flags.contains(.internalOnly) && !excluded.contains($0) }
    var code: [UInt8] = []
    var height = 0
    for _ in 0..<(Int(generator.next() % 40) + 1) {
        let opcode = opcodes[Int(generator.next() % UInt64(opcodes.count))]
        let info = opcode.definition
        if info.flags.contains(.terminator) || info.inputs > height || generator.next() % 3 == 0 {
            code += [Opcode.push1.rawValue, UInt8(generator.next() % 64)]
            height += 1
            continue
        }
        code.append(opcode.rawValue)
        for _ in 0..<info.immediateSize { code.append(UInt8(truncatingIfNeeded: generator.next() % 8)) }
        height += info.outputs - info.inputs
    }
    code.append(height >= 2 && generator.next() % 2 == 0 ? Opcode.ret.rawValue : Opcode.stop.rawValue)
    if generator.next() % 4 == 0 {
        code[Int(generator.next() % UInt64(code.count))] = UInt8(truncatingIfNeeded: generator.next())
    }
    return code
}

@Test func randomCodeIsRejectedOrEndsWithinItsGas() throws {
    var generator = SplitMix64(seed: 0xF0221)
    var ran = 0
    for _ in 0..<5_000 {
        let code = randomCode(&generator)
        guard let bytes = try? Container(runtimeFunctions: [Function(code: code)]).encoded() else { continue }
        let host = TestHost()
        guard (try? host.installCode(bytes, at: Fixture.contract)) != nil else { continue }
        ran += 1
        let result = VM.call(Message(caller: Fixture.sender, recipient: Fixture.contract, input: [1, 2, 3], gas: 100_000), host: host)
        #expect(result.gasLeft >= 0 && result.gasLeft <= 100_000)
        if case .failure(let failure) = result.outcome, failure.consumesAllGas { #expect(result.gasLeft == 0) }
    }
    #expect(ran > 50)
}
