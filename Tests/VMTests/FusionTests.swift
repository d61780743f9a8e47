// Superinstructions are invisible: random verified programs — arithmetic on small and large
// immediates, conditions and forward jumps, loops, jump tables, functions, storage and logs — give
// the same outcome, gas, output, storage and logs decoded with fusion and without.
import Bytecode
import LedgerPrimitives
import Testing
import TestSupport
import VM

/// Builds random programs that verify: every statement keeps track of the stack height, and
/// branches rejoin at the height they left.
private struct ProgramGenerator {
    var random: SplitMix64
    var code = CodeBuilder()
    var height = 0
    var labels = 0

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func below(_ bound: Int) -> Int { Int(random.next() % UInt64(bound)) }
    mutating func label() -> String { labels += 1; return "L\(labels)" }

    /// A value for PUSH: mostly small (fusable), sometimes near 2^256 (a constant, not fused).
    mutating func immediate() -> UInt256 {
        switch below(8) {
        case 0: return UInt256.max &- UInt256(UInt64(below(5)))
        case 1: return UInt256(1) << UInt256(UInt64(200 + below(50)))
        case 2: return UInt256(UInt64(below(300)))
        default: return UInt256(UInt64(below(12)))
        }
    }

    static let withImmediate: [Opcode] = [.add, .sub, .mul, .wadd, .wsub, .wmul, .lt, .gt, .eq, .and, .or, .shl, .shr,
                                          .div, .mod, .xor, .byte]
    static let swappedImmediate: [Opcode] = [.sub, .wsub, .add, .lt]

    /// A statement that leaves the height unchanged (needs height ≥ 2).
    mutating func balanced(depth: Int) {
        switch below(depth > 0 ? 9 : 6) {
        case 0, 1: code = code.push(immediate()).op(Self.withImmediate[below(Self.withImmediate.count)])
        case 2: code = code.push(immediate()).op(.swap1, Self.swappedImmediate[below(Self.swappedImmediate.count)])
        case 3: code = code.op(.dup2, Self.withImmediate[below(Self.withImmediate.count)])
        case 4: code = code.op(Opcode.swap(1 + below(height - 1)))
        case 5:
            if below(2) == 0 { code = code.op(.dup1).push(UInt256(UInt64(below(8)))).op(.sstore) }
            else { code = code.op(.dup1).push(0).op(.mstore).push(UInt256(UInt64(below(4)))).push(32).push(0).op(.log1) }
        case 6: condition(depth: depth)
        case 7: loop(depth: depth)
        default: jumpTable(depth: depth)
        }
    }

    mutating func body(depth: Int, count: Int) {
        for _ in 0..<count { balanced(depth: depth - 1) }
    }

    /// A condition fused or not with the RJUMPI that skips a balanced body.
    mutating func condition(depth: Int) {
        let skip = label()
        switch below(6) {
        case 0: code = code.op(.dup1)
        case 1: code = code.op(.dup1, .iszero)
        case 2: code = code.op(.dup2, .dup2, .lt)
        case 3: code = code.op(.dup2, .dup2, .gt)
        case 4: code = code.op(.dup2, .dup2, .eq)
        default: code = code.op(.dup1).push(immediate()).op(.gt)
        }
        code = code.jumpIf(to: skip)
        body(depth: depth, count: 1 + below(3))
        code = code.label(skip)
    }

    /// A counted loop around a balanced body acting under the counter.
    mutating func loop(depth: Int) {
        let start = label()
        let count = UInt256(UInt64(1 + below(8)))
        if below(2) == 0 {
            code = code.push(count).label(start).op(.swap1)
            height += 1
            body(depth: depth, count: 1 + below(3))
            height -= 1
            code = code.op(.swap1).push(1).op(.swap1, below(2) == 0 ? .wsub : .sub, .dup1).jumpIf(to: start).op(.pop)
        } else {
            code = code.push(0).label(start).op(.swap1)
            height += 1
            body(depth: depth, count: 1 + below(3))
            height -= 1
            code = code.op(.swap1).push(1).op(.add, .dup1).push(count).op(.gt).jumpIf(to: start).op(.pop)
        }
    }

    /// RJUMPV on the top item's low two bits: three cases and the fall-through, each a body.
    mutating func jumpTable(depth: Int) {
        let cases = [label(), label(), label()]
        let end = label()
        code = code.op(.dup1).push(3).op(.and).jumpTable(cases[0], cases[1], cases[2])
        body(depth: depth, count: 1)
        code = code.jump(to: end)
        for (index, name) in cases.enumerated() {
            code = code.label(name)
            body(depth: depth, count: 1)
            if index < cases.count - 1 { code = code.jump(to: end) }
        }
        code = code.label(end)
    }

    /// A runtime container: the statements in function 0, or in function 1 (2 inputs → 1
    /// output) called from function 0, so function entries and returns are renumbered too.
    mutating func container() throws -> [UInt8] {
        let inputs = CodeBuilder().push(0).op(.calldataload).push(32).op(.calldataload)
        let ending = CodeBuilder().push(0).op(.mstore).push(32).push(0).op(.ret)
        let inFunction = below(3) == 0
        height = 2
        code = inFunction ? CodeBuilder() : inputs
        for _ in 0..<(1 + below(12)) { balanced(depth: 2) }
        guard inFunction else {
            return try Container(runtimeFunctions: [Function(code: try code.then(ending).assembled())]).encoded()
        }
        let function = code.op(.pop, .retf)
        return try Container(runtimeFunctions: [Function(code: try inputs.callFunction(1).then(ending).assembled()),
                                                Function(inputs: 2, outputs: 1, code: try function.assembled())]).encoded()
    }
}

private let contract = Fixture.contract

private func run(_ bytes: [UInt8], fusing: Bool, input: [UInt8], gas: Int64,
                 observer: (any StepObserver)? = nil) throws -> (ExecutionResult, TestHost) {
    let host = TestHost(cache: ProgramCache(fusing: fusing, stepwise: observer != nil))
    try host.installCode(bytes, at: contract)
    return (VM.call(Message(caller: Fixture.sender, recipient: contract, input: input, gas: gas), host: host,
                    observer: observer), host)
}

/// Counts the steps a traced run reports and checks what each says.
private final class StepCounter: StepObserver {
    var steps = 0
    var sawInternalOpcode = false
    var lastGas = Int64.max
    var gasGrew = false

    func step(at index: Int, opcode: Opcode, gasLeft: Int64, stackDepth: Int, callDepth: Int) {
        steps += 1
        if opcode.definition.flags.contains(.internalOnly) { sawInternalOpcode = true }
        if gasLeft > lastGas { gasGrew = true }
        lastGas = gasLeft
    }
}

@Test func fusedAndPlainProgramsAgree() throws {
    var (successes, failures) = (0, 0)
    var fusedShorter = 0
    for seed in 0..<1_500 as Range<UInt64> {
        var generator = ProgramGenerator(seed: seed)
        let bytes = try generator.container()
        let container = try Container.decodeExactly(bytes)
        let plain = try Verifier.runtimeProgram(of: container, fusing: false)
        let fused = try Verifier.runtimeProgram(of: container)
        if fused.instructions.count < plain.instructions.count { fusedShorter += 1 }

        let input = UInt256(generator.random.next() % 20).bigEndianBytes + UInt256(generator.random.next() % 20).bigEndianBytes
        let gas = Int64(2_000 + generator.random.next() % 200_000)
        let (withFusion, fusedHost) = try run(bytes, fusing: true, input: input, gas: gas)
        let (withoutFusion, plainHost) = try run(bytes, fusing: false, input: input, gas: gas)
        #expect(withFusion == withoutFusion, "seed \(seed)")
        // Traced (decoded stepwise, every instruction observed): the same result, gas included.
        let counter = StepCounter()
        let (traced, tracedHost) = try run(bytes, fusing: false, input: input, gas: gas, observer: counter)
        #expect(traced == withoutFusion && tracedHost.logs == plainHost.logs, "seed \(seed)")
        #expect(!counter.sawInternalOpcode && !counter.gasGrew, "seed \(seed)")
        #expect(counter.steps > 0 || traced.outcome == .failure(.outOfGas), "seed \(seed): \(traced.outcome)")
        #expect(fusedHost.logs == plainHost.logs, "seed \(seed)")
        for slot in 0..<8 as Range<UInt64> {
            #expect(fusedHost.storage(of: contract, at: UInt256(slot)) == plainHost.storage(of: contract, at: UInt256(slot)),
                    "seed \(seed)")
        }
        switch withFusion.outcome {
        case .success: successes += 1
        case .failure(.arithmeticOverflow), .failure(.divisionByZero), .failure(.outOfGas): failures += 1
        default: break
        }
    }
    // The programs exercise fusion and reach successes and failures alike.
    #expect(fusedShorter > 1_000)
    #expect(successes > 100 && failures > 100, "\(successes) successes, \(failures) failures")
}

@Test func arithmeticLoopDispatchesSevenTimesPerIteration() throws {
    // The benchmark's loop: acc = acc × 3 + 7 while the counter runs down.
    let loop = CodeBuilder().push(1).push(10).label("loop").op(.swap1).push(3).op(.wmul).push(7).op(.wadd, .swap1)
        .push(1).op(.swap1, .wsub, .dup1).jumpIf(to: "loop").op(.pop).returnTop()
    let container = Container(runtimeFunctions: [Function(code: try loop.assembled())])
    let plain = try Verifier.runtimeProgram(of: container, fusing: false)
    let fused = try Verifier.runtimeProgram(of: container)
    func iteration(_ program: Program) -> [Opcode] {
        let start = program.instructions.firstIndex { $0.opcode == .rjumpi || $0.opcode == .dup1Rjumpi }!
        let target = Int(program.instructions[start].argument)
        return program.instructions[target...start].map(\.opcode)
    }
    #expect(iteration(plain).count == 12)
    #expect(iteration(fused) == [.beginBlock, .swap1, .pushWmul, .pushWadd, .swap1, .pushSwap1Wsub, .dup1Rjumpi])
    let (withFusion, _) = try run(try container.encoded(), fusing: true, input: [], gas: 100_000)
    let (withoutFusion, _) = try run(try container.encoded(), fusing: false, input: [], gas: 100_000)
    #expect(withFusion == withoutFusion && withFusion.succeeded)
}

@Test func fusedFormsKeepTheirPartsFailures() throws {
    // PUSH 1 SWAP1 SUB on zero underflows; PUSH 0 ADD… on 2^256−1 + 1 overflows.
    let underflow = CodeBuilder().push(0).push(1).op(.swap1, .sub).returnTop()
    let overflow = CodeBuilder().push(UInt256.max).push(1).op(.add).returnTop()
    for code in [underflow, overflow] {
        let bytes = try Container(runtimeFunctions: [Function(code: try code.assembled())]).encoded()
        let (fused, _) = try run(bytes, fusing: true, input: [], gas: 10_000)
        let (plain, _) = try run(bytes, fusing: false, input: [], gas: 10_000)
        #expect(fused.outcome == .failure(.arithmeticOverflow) && fused == plain)
    }
}
