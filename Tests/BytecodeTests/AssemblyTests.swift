// The assembler and disassembler, both driven by the opcode table: hand-written text assembles
// to the expected bytes, and any container survives disassemble → assemble unchanged.
import LedgerPrimitives
import Bytecode
import Testing
import TestSupport

private let counter = """
; count down from 3
.flags reentrant
.init
  STOP
.runtime
.function 0 0
  PUSH 3
loop:
  PUSH1 0x01
  SWAP1
  WSUB
  DUP1
  RJUMPI loop
  POP
  PUSH 40
  PUSH 2
  CALLF 1
  RJUMPV a b
a:
  STOP
b: DATALOADN 0
  STOP
.function 2 1
  ADD
  RETF
.data 0x000102
.data 0x03
"""

@Test func assemblesLabelsSectionsAndData() throws {
    let container = try Assembler.assemble(counter)
    #expect(container.flags == .reentrant)
    #expect(container.initFunctions == [Function(code: [0x00])])
    #expect(container.runtimeFunctions.count == 2)
    #expect(container.runtimeFunctions[1] == Function(inputs: 2, outputs: 1, code: [Opcode.add.rawValue, Opcode.retf.rawValue]))
    #expect(container.data == [0, 1, 2, 3])
    let code = container.runtimeFunctions[0].code
    // PUSH1 3 | loop(2): PUSH1 1, SWAP1, WSUB, DUP1, RJUMPI -8
    #expect(Array(code[0..<12]) == [0x60, 3, 0x60, 1, 0x90, 0x0e, 0x80, 0xe1, 0xff, 0xf8, 0x50, 0x60])
}

@Test func assemblyErrorsNameTheLine() {
    #expect(throws: AssemblyError.syntax(line: 2, message: "unknown instruction FROB")) { try Assembler.assemble("STOP\nFROB\n") }
    #expect(throws: AssemblyError.undefinedLabel("nowhere")) { try Assembler.assemble("RJUMP nowhere\n") }
    #expect(throws: AssemblyError.duplicateLabel("x")) { try Assembler.assemble("x:\nx:\nSTOP\n") }
    #expect(throws: AssemblyError.syntax(line: 1, message: "0x1234 does not fit 1 bytes")) { try Assembler.assemble("PUSH1 0x1234") }
}

@Test func disassemblyRoundTripsHandWrittenCode() throws {
    let container = try Assembler.assemble(counter)
    let text = Disassembler.text(of: container)
    #expect(try Assembler.assemble(text) == container)
    #expect(text.contains("RJUMPI L2"))
}

@Test func disassemblyRoundTripsRandomContainers() throws {
    var generator = SplitMix64(seed: 0xD15A)
    for _ in 0..<2_000 {
        let count = Int(generator.next() % 3) + 1
        let functions = (0..<count).map { _ in
            Function(inputs: UInt8(generator.next() % 3), outputs: UInt8(generator.next() % 3),
                     code: (0..<Int(generator.next() % 30)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        }
        let container = Container(flags: generator.next() % 2 == 0 ? [] : .reentrant, runtimeFunctions: functions,
                                  data: (0..<Int(generator.next() % 5)).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
        let text = Disassembler.text(of: container)
        #expect(try Assembler.assemble(text) == container, "\(text)")
    }
}
