// The verifier's catalogue: each invalid program is rejected with its reason and place; valid
// programs decode with gas charged per basic block.
import LedgerPrimitives
import Bytecode
import Testing
import TestSupport

private func verify(_ functions: [Function], data: [UInt8] = []) throws(VerificationError) -> Program {
    try Verifier.runtimeProgram(of: Container(runtimeFunctions: functions, data: data))
}

private func reason(_ code: [UInt8], inputs: UInt8 = 0, outputs: UInt8 = 0, extra: [Function] = [],
                    data: [UInt8] = []) -> VerificationError.Reason? {
    let functions = extra.isEmpty ? [Function(inputs: inputs, outputs: outputs, code: code)]
                                  : [Function(code: code)] + extra
    do { _ = try verify(functions, data: data); return nil } catch { return error.reason }
}

private func op(_ opcode: Opcode) -> UInt8 { opcode.rawValue }

@Test func acceptsAStraightLineProgram() throws {
    let program = try verify([Function(code: [op(.push1), 2, op(.push1), 3, op(.add), op(.pop), op(.stop)])])
    #expect(program.instructions.first == Instruction(.beginBlock, 3 + 3 + 3 + 2 + 0))
}

@Test func rejectsUnknownOpcodes() {
    #expect(reason([0x0c + 0x40, op(.stop)]) == .unknownOpcode(0x4c))
    #expect(reason([op(.beginBlock), op(.stop)]) == .unknownOpcode(0xb0))
}

@Test func rejectsTruncatedImmediates() {
    #expect(reason([op(.push2), 1]) == .truncatedImmediate)
    #expect(reason([op(.rjump), 0]) == .truncatedImmediate)
    #expect(reason([op(.rjumpv)]) == .truncatedImmediate)
}

@Test func rejectsJumpsOutsideCodeOrIntoImmediates() {
    #expect(reason([op(.rjump), 0x00, 0x05, op(.stop)]) == .jumpOutOfBounds(target: 8))
    #expect(reason([op(.rjump), 0xff, 0xf0, op(.stop)]) == .jumpOutOfBounds(target: -13))
    // Jump to offset 4: the immediate of PUSH1 at 3.
    #expect(reason([op(.rjump), 0x00, 0x01, op(.push1), 0x00, op(.stop)]) == .jumpIntoImmediate(target: 4))
}

@Test func rejectsInconsistentStackHeightsAtJoins() {
    // PUSH0 PUSH0 RJUMPI +1 PUSH0 STOP: the join at STOP sees height 1 and 2.
    #expect(reason([op(.push0), op(.push0), op(.rjumpi), 0, 1, op(.push0), op(.stop)]) == .stackHeightMismatch(expected: 1, found: 2))
    // A loop that grows the stack each time round.
    #expect(reason([op(.push0), op(.rjump), 0xff, 0xfc]) == .stackHeightMismatch(expected: 0, found: 1))
}

@Test func rejectsPossibleUnderflowAndOverflow() {
    #expect(reason([op(.push0), op(.add), op(.stop)]) == .stackUnderflow(needed: 2, available: 1))
    #expect(reason([op(.pop), op(.stop)]) == .stackUnderflow(needed: 1, available: 0))
    let pushes = [UInt8](repeating: op(.push0), count: 1025) + [op(.stop)]
    #expect(reason(pushes) == .stackOverflow(height: 1025))
}

@Test func rejectsFallingOffTheEnd() {
    #expect(reason([op(.push0), op(.pop)]) == .missingTerminator)
    #expect(reason([]) == .emptyFunction)
}

@Test func rejectsUnreachableCode() {
    #expect(reason([op(.stop), op(.push0), op(.stop)]) == .unreachableCode)
}

@Test func checksFunctionsAndTheirDeclaredEffects() {
    #expect(reason([op(.callf), 0, 5, op(.stop)]) == .invalidFunctionIndex(5))
    #expect(reason([op(.retf)]) == .returnFromEntryFunction)
    #expect(reason([op(.stop)], inputs: 1) == .entryFunctionSignature(inputs: 1, outputs: 0))
    let adder = Function(inputs: 2, outputs: 1, code: [op(.add), op(.add), op(.retf)])
    #expect(reason([op(.push0), op(.push0), op(.callf), 0, 1, op(.pop), op(.stop)], extra: [adder])
            == .stackUnderflow(needed: 2, available: 1))
    let wrongReturn = Function(inputs: 2, outputs: 1, code: [op(.retf)])
    #expect(reason([op(.push0), op(.push0), op(.callf), 0, 1, op(.pop), op(.stop)], extra: [wrongReturn])
            == .returnHeightMismatch(declared: 1, found: 2))
    let good = Function(inputs: 2, outputs: 1, code: [op(.add), op(.retf)])
    #expect(reason([op(.push0), op(.push0), op(.callf), 0, 1, op(.pop), op(.stop)], extra: [good]) == nil)
}

@Test func checksDataOffsets() {
    #expect(reason([op(.dataloadn), 0, 1, op(.stop)], data: [UInt8](repeating: 0, count: 32)) == .dataOffsetOutOfBounds(offset: 1, dataSize: 32))
    #expect(reason([op(.dataloadn), 0, 0, op(.stop)], data: [UInt8](repeating: 0, count: 32)) == nil)
}

@Test func rejectsOversizedCode() {
    let code = [UInt8](repeating: op(.push0), count: 1000) + [UInt8](repeating: op(.pop), count: 1000) + [op(.stop)]
    let functions = [Function](repeating: Function(code: code), count: 13)
    do {
        _ = try verify(functions)
        Issue.record("a 26 KB runtime was accepted")
    } catch {
        #expect(error.reason == .codeTooLarge(size: 13 * 2001, limit: Limits.runtimeSize))
    }
}

@Test func deploymentNeedsAnInitSection() {
    #expect(throws: VerificationError.self) { try Verifier.deployment(of: Container(runtimeFunctions: [Function(code: [0])])) }
}

@Test func jumpTablesAndLoopsVerify() throws {
    // PUSH1 1 RJUMPV [+0, +1] STOP STOP  — both targets are STOPs; fall-through too.
    _ = try verify([Function(code: [op(.push1), 1, op(.rjumpv), 1, 0, 0, 0, 1, op(.stop), op(.stop)])])
    // A counting loop: PUSH1 3; L: PUSH1 1 SWAP1 WSUB DUP1 RJUMPI L; POP STOP
    _ = try verify([Function(code: [op(.push1), 3, op(.push1), 1, op(.swap1), op(.wsub), op(.dup1), op(.rjumpi), 0xff, 0xf8, op(.pop), op(.stop)])])
}

/// Random bytes never crash the verifier: each is accepted or rejected with a reason.
@Test func randomBytesAreAcceptedOrRejected() {
    var generator = SplitMix64(seed: 0xF022)
    var accepted = 0
    for _ in 0..<20_000 {
        let length = Int(generator.next() % 24) + 1
        let code = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        if (try? verify([Function(code: code)])) != nil { accepted += 1 }
    }
    #expect(accepted < 20_000)
}
