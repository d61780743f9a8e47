// Text assembly in and out, driven by the opcode table (Docs/vm.md §Assembly).
//
//   ; comment              .flags reentrant       .init / .runtime      .function INPUTS OUTPUTS
//   .data 0x0102…          .byte 0xNN…            name:                 MNEMONIC [operands]
//
// PUSH n picks the shortest PUSHk; PUSHk n keeps k bytes. RJUMP/RJUMPI take a label (or a raw
// signed offset like +3 or -5), RJUMPV a list of labels, CALLF and DATALOADN a number.
import LedgerPrimitives

public enum Assembler {
    public static func assemble(_ text: String) throws(AssemblyError) -> Container {
        var flags = Container.Flags()
        var sections: [[(inputs: UInt8, outputs: UInt8, code: CodeBuilder)]] = [[], []]
        var current = 1
        var data: [UInt8] = []
        func builder() -> Int {
            if sections[current].isEmpty { sections[current].append((0, 0, CodeBuilder())) }
            return sections[current].count - 1
        }
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = index + 1
            func fail(_ message: String) -> AssemblyError { .syntax(line: line, message: message) }
            var words = rawLine.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first!
                .split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
            guard !words.isEmpty else { continue }
            if words[0].hasSuffix(":") {
                let function = builder()
                sections[current][function].code.appendLabel(String(words.removeFirst().dropLast()))
                if words.isEmpty { continue }
            }
            let head = words[0], operands = Array(words.dropFirst())
            switch head {
            case ".flags":
                for name in operands {
                    guard name == "reentrant" else { throw fail("unknown flag \(name)") }
                    flags.insert(.reentrant)
                }
            case ".init": current = 0
            case ".runtime": current = 1
            case ".function":
                guard operands.count == 2, let inputs = UInt8(operands[0]), let outputs = UInt8(operands[1]) else {
                    throw fail(".function takes INPUTS OUTPUTS")
                }
                sections[current].append((inputs, outputs, CodeBuilder()))
            case ".data", ".byte":
                var bytes: [UInt8] = []
                for operand in operands {
                    do { bytes += try Hex.decode(operand) } catch { throw fail("bad hex \(operand)") }
                }
                if head == ".data" { data += bytes } else { sections[current][builder()].code.append(rawBytes: bytes) }
            default:
                let function = builder()
                try assembleInstruction(head.uppercased(), operands, into: &sections[current][function].code, fail: fail)
            }
        }
        func functions(_ section: [(inputs: UInt8, outputs: UInt8, code: CodeBuilder)]) throws(AssemblyError) -> [Function] {
            var out: [Function] = []
            for entry in section { out.append(Function(inputs: entry.inputs, outputs: entry.outputs, code: try entry.code.assembled())) }
            return out
        }
        return Container(flags: flags, initFunctions: try functions(sections[0]), runtimeFunctions: try functions(sections[1]), data: data)
    }

    private static func assembleInstruction(_ mnemonic: String, _ operands: [String], into code: inout CodeBuilder,
                                            fail: (String) -> AssemblyError) throws(AssemblyError) {
        func number(_ text: String) throws(AssemblyError) -> UInt256 {
            let value = text.hasPrefix("0x") ? UInt256(hexString: text) : UInt256(decimalString: text)
            guard let value else { throw fail("bad number \(text)") }
            return value
        }
        func expect(_ count: Int) throws(AssemblyError) {
            guard operands.count == count else { throw fail("\(mnemonic) takes \(count) operand\(count == 1 ? "" : "s")") }
        }
        if mnemonic == "PUSH" {
            try expect(1)
            code.appendPush(try number(operands[0]))
            return
        }
        guard let opcode = Opcode.byName[mnemonic] else { throw fail("unknown instruction \(mnemonic)") }
        switch opcode {
        case .push1, .push2, .push3, .push4, .push5, .push6, .push7, .push8, .push9, .push10, .push11,
             .push12, .push13, .push14, .push15, .push16, .push17, .push18, .push19, .push20, .push21,
             .push22, .push23, .push24, .push25, .push26, .push27, .push28, .push29, .push30, .push31, .push32:
            try expect(1)
            let size = opcode.definition.immediateSize
            let value = try number(operands[0])
            guard value.significantByteCount <= size else { throw fail("\(operands[0]) does not fit \(size) bytes") }
            code.appendPush(value, size: size)
        case .rjump, .rjumpi:
            try expect(1)
            if let offset = Int(operands[0]), operands[0].hasPrefix("+") || operands[0].hasPrefix("-") {
                code.append(opcode, immediate: offset)
            } else {
                code.appendJump(opcode, to: operands[0])
            }
        case .rjumpv:
            guard !operands.isEmpty else { throw fail("RJUMPV needs at least one label") }
            code.appendJumpTable(operands)
        case .callf, .dataloadn:
            try expect(1)
            guard let value = Int(operands[0]), (0...0xFFFF).contains(value) else { throw fail("\(mnemonic) takes a number 0...65535") }
            code.append(opcode, immediate: value)
        default:
            try expect(0)
            code.append(opcode)
        }
    }
}

public enum Disassembler {
    /// Text that `Assembler.assemble` turns back into the same container. Jump targets become
    /// labels `L<offset>`; bytes that are not a whole instruction become `.byte`.
    public static func text(of container: Container) -> String {
        var lines: [String] = []
        if container.flags.contains(.reentrant) { lines.append(".flags reentrant") }
        for (name, functions) in [(".init", container.initFunctions), (".runtime", container.runtimeFunctions)] where !functions.isEmpty {
            lines.append(name)
            for function in functions {
                lines.append(".function \(function.inputs) \(function.outputs)")
                lines += text(of: function.code)
            }
        }
        if !container.data.isEmpty { lines.append(".data \(Hex.encode(container.data))") }
        return lines.joined(separator: "\n") + "\n"
    }

    static func text(of code: [UInt8]) -> [String] { listing(of: code).map(\.text) }

    /// One function's code as lines of text, each with the byte offset of the instruction it
    /// shows or precedes (a label line), for listings beside a source map.
    public static func listing(of code: [UInt8]) -> [(offset: Int, text: String)] {
        // First pass: instruction starts, so only jumps onto them become labels.
        var starts = Set<Int>()
        var offset = 0
        while offset < code.count {
            starts.insert(offset)
            guard let opcode = Opcode(rawValue: code[offset]), !opcode.definition.flags.contains(.internalOnly),
                  let length = immediateLength(of: opcode, in: code, at: offset), offset + 1 + length <= code.count else { break }
            offset += 1 + length
        }
        var labels = Set<Int>()
        var body: [(offset: Int, text: String)] = []
        offset = 0
        while offset < code.count {
            guard let opcode = Opcode(rawValue: code[offset]), !opcode.definition.flags.contains(.internalOnly),
                  let length = immediateLength(of: opcode, in: code, at: offset), offset + 1 + length <= code.count else {
                body.append((offset, "  .byte \(Hex.encode(Array(code[offset...])))"))
                break
            }
            let next = offset + 1 + length
            var text = "  " + opcode.definition.name
            func target(_ at: Int) -> String {
                let destination = next + readInt16(code, at: at)
                if starts.contains(destination) {
                    labels.insert(destination)
                    return "L\(destination)"
                }
                let relative = readInt16(code, at: at)
                return relative >= 0 ? "+\(relative)" : "\(relative)"
            }
            switch opcode {
            case .rjump, .rjumpi: text += " " + target(offset + 1)
            case .rjumpv:
                let targets = (0...Int(code[offset + 1])).map { target(offset + 2 + 2 * $0) }
                if targets.allSatisfy({ $0.hasPrefix("L") }) {
                    text += " " + targets.joined(separator: " ")
                } else {
                    text = "  .byte \(Hex.encode(Array(code[offset..<next])))"
                }
            case .callf, .dataloadn: text += " \(readUInt16(code, at: offset + 1))"
            default:
                if length > 0 { text += " " + Hex.encode(Array(code[(offset + 1)..<next])) }
            }
            body.append((offset, text))
            offset = next
        }
        var lines: [(offset: Int, text: String)] = []
        for (offset, text) in body {
            if labels.contains(offset) { lines.append((offset, "L\(offset):")) }
            lines.append((offset, text))
        }
        return lines
    }
}
