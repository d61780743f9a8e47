// ProgramCache: bounded by the bytes its programs hold, least recently used out first.
import Bytecode
import LedgerPrimitives
import Testing

/// A distinct runtime container of roughly `size` bytes of code (GAS POP pairs, then STOP).
private func container(_ seed: UInt8, size: Int) throws -> [UInt8] {
    var code: [UInt8] = [Opcode.push1.rawValue, seed, Opcode.pop.rawValue]
    while code.count < size - 2 { code += [Opcode.gas.rawValue, Opcode.pop.rawValue] }
    code.append(Opcode.stop.rawValue)
    return try Container(runtimeFunctions: [Function(code: code)]).encoded()
}

@Test func theCacheStaysWithinItsByteBudget() throws {
    let one = try ProgramCache().program(forRuntimeContainer: try container(0, size: 8_000))
    let budget = one.footprint * 10
    let cache = ProgramCache(byteBudget: budget)
    for seed in 0..<50 { _ = try cache.program(forRuntimeContainer: try container(UInt8(seed), size: 8_000)) }
    #expect(cache.bytes <= budget)
    #expect(cache.count >= 8 && cache.count <= 10)
}

@Test func recentlyUsedProgramsStay() throws {
    let first = try container(0, size: 4_000)
    let one = try ProgramCache().program(forRuntimeContainer: first)
    let cache = ProgramCache(byteBudget: one.footprint * 4)
    let kept = try cache.program(forRuntimeContainer: first)
    for seed in 1..<20 {
        _ = try cache.program(forRuntimeContainer: try container(UInt8(seed), size: 4_000))
        // Using the first program keeps it the most recent.
        #expect(cache.cachedProgram(forCodeHash: kept.codeHash) === kept)
    }
    #expect(cache.cachedProgram(forCodeHash: try cache.program(forRuntimeContainer: try container(1, size: 4_000)).codeHash) != nil)
}

@Test func aProgramsTablesReadBackFromItsBuffers() throws {
    let container = try Container(runtimeFunctions: [Function(code: try CodeBuilder().push(UInt256.max).push(7)
        .op(.add, .pop).push(0).jumpTable("a", "b").label("a").label("b").op(.stop).assembled())]).encoded()
    let decoded = try Container.decodeExactly(container)
    let program = try Verifier.runtimeProgram(of: decoded, fusing: false)
    // The arrays are rebuilt from the raw buffers the interpreter reads: the same values.
    #expect(program.instructions.count == program.instructionCount)
    #expect(program.constants == [UInt256.max])
    #expect(program.jumpTables.first == 2)
    #expect(program.codeSize == decoded.runtimeFunctions[0].code.count)
}
