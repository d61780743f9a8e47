// Builds one function's bytecode from opcodes, immediates and labels, resolving labels to
// RJUMP/RJUMPI/RJUMPV offsets. The text assembler, the tests' bytecode language and the
// contract compiler's back end all emit code through it.
import LedgerPrimitives

public enum AssemblyError: Error, Equatable, Sendable, CustomStringConvertible {
    case undefinedLabel(String)
    case duplicateLabel(String)
    case jumpTooFar(label: String, distance: Int)
    case emptyJumpTable
    case jumpTableTooLong(Int)
    /// A line of assembly text that does not parse; `line` counts from 1.
    case syntax(line: Int, message: String)

    public var description: String {
        switch self {
        case .undefinedLabel(let label): return "label \(label) is used but never defined"
        case .duplicateLabel(let label): return "label \(label) is defined twice"
        case .jumpTooFar(let label, let distance): return "jump to \(label) spans \(distance) bytes, beyond a 16-bit offset"
        case .emptyJumpTable: return "RJUMPV needs at least one target"
        case .jumpTableTooLong(let count): return "RJUMPV with \(count) targets; at most 256"
        case .syntax(let line, let message): return "line \(line): \(message)"
        }
    }
}

public struct CodeBuilder: Sendable {
    enum Piece: Sendable {
        case bytes([UInt8])
        case label(String)
        /// RJUMP or RJUMPI to a label.
        case jump(Opcode, String)
        case jumpTable([String])
    }

    var pieces: [Piece] = []

    public init() {}

    // MARK: Mutating form (for generators)

    public mutating func append(_ opcode: Opcode) { pieces.append(.bytes([opcode.rawValue])) }

    /// Raw bytes, valid or not (tests of the verifier, `.byte` in assembly).
    public mutating func append(rawBytes bytes: [UInt8]) { pieces.append(.bytes(bytes)) }

    /// The shortest push of `value`: PUSH0 for zero, else PUSHn with n its significant bytes.
    public mutating func appendPush(_ value: UInt256) {
        let size = value.significantByteCount
        if size == 0 { append(.push0) } else { appendPush(value, size: size) }
    }

    /// PUSHn with exactly `size` bytes (the value's low bytes).
    public mutating func appendPush(_ value: UInt256, size: Int) {
        pieces.append(.bytes([Opcode.push(size: size).rawValue] + value.bigEndianBytes.suffix(size)))
    }

    public mutating func appendLabel(_ name: String) { pieces.append(.label(name)) }

    public mutating func appendJump(_ opcode: Opcode, to label: String) {
        precondition(opcode == .rjump || opcode == .rjumpi, "appendJump takes RJUMP or RJUMPI")
        pieces.append(.jump(opcode, label))
    }

    public mutating func appendJumpTable(_ labels: [String]) { pieces.append(.jumpTable(labels)) }

    /// An opcode with a 16-bit immediate (CALLF, DATALOADN) or a raw relative jump offset.
    public mutating func append(_ opcode: Opcode, immediate: Int) {
        pieces.append(.bytes([opcode.rawValue, UInt8(truncatingIfNeeded: immediate >> 8), UInt8(truncatingIfNeeded: immediate)]))
    }

    // MARK: Fluent form (for tests and hand-written programs)

    public func op(_ opcodes: Opcode...) -> CodeBuilder { var copy = self; opcodes.forEach { copy.append($0) }; return copy }
    public func push(_ value: UInt256) -> CodeBuilder { var copy = self; copy.appendPush(value); return copy }
    public func push(_ address: Address) -> CodeBuilder { var copy = self; copy.appendPush(UInt256(address), size: 20); return copy }
    public func label(_ name: String) -> CodeBuilder { var copy = self; copy.appendLabel(name); return copy }
    public func jump(to label: String) -> CodeBuilder { var copy = self; copy.appendJump(.rjump, to: label); return copy }
    public func jumpIf(to label: String) -> CodeBuilder { var copy = self; copy.appendJump(.rjumpi, to: label); return copy }
    public func jumpTable(_ labels: String...) -> CodeBuilder { var copy = self; copy.appendJumpTable(labels); return copy }
    public func callFunction(_ index: Int) -> CodeBuilder { var copy = self; copy.append(.callf, immediate: index); return copy }
    public func dataLoad(at offset: Int) -> CodeBuilder { var copy = self; copy.append(.dataloadn, immediate: offset); return copy }
    public func raw(_ bytes: UInt8...) -> CodeBuilder { var copy = self; copy.append(rawBytes: bytes); return copy }
    public func then(_ other: CodeBuilder) -> CodeBuilder { var copy = self; copy.pieces += other.pieces; return copy }

    /// Stores the top of the stack at memory 0 and returns those 32 bytes.
    public func returnTop() -> CodeBuilder { push(0).op(.mstore).push(32).push(0).op(.ret) }

    // MARK: Output

    public func assembled() throws(AssemblyError) -> [UInt8] {
        try assembledWithLabels().code
    }

    /// The code and where each label landed (a compiler's source map is labels placed in code).
    public func assembledWithLabels() throws(AssemblyError) -> (code: [UInt8], labels: [String: Int]) {
        // Every piece has a fixed size, so one pass finds the labels and a second emits.
        var labels: [String: Int] = [:]
        var offset = 0
        for piece in pieces {
            switch piece {
            case .bytes(let bytes): offset += bytes.count
            case .label(let name):
                guard labels[name] == nil else { throw .duplicateLabel(name) }
                labels[name] = offset
            case .jump: offset += 3
            case .jumpTable(let targets):
                guard !targets.isEmpty else { throw .emptyJumpTable }
                guard targets.count <= 256 else { throw .jumpTableTooLong(targets.count) }
                offset += 2 + 2 * targets.count
            }
        }
        func relative(_ label: String, from next: Int) throws(AssemblyError) -> [UInt8] {
            guard let target = labels[label] else { throw .undefinedLabel(label) }
            let distance = target - next
            guard distance >= Int(Int16.min), distance <= Int(Int16.max) else { throw .jumpTooFar(label: label, distance: distance) }
            let bits = UInt16(bitPattern: Int16(distance))
            return [UInt8(bits >> 8), UInt8(truncatingIfNeeded: bits)]
        }
        var out: [UInt8] = []
        for piece in pieces {
            switch piece {
            case .bytes(let bytes): out += bytes
            case .label: break
            case .jump(let opcode, let label): out += [opcode.rawValue] + (try relative(label, from: out.count + 3))
            case .jumpTable(let targets):
                let next = out.count + 2 + 2 * targets.count
                out += [Opcode.rjumpv.rawValue, UInt8(targets.count - 1)]
                for target in targets { out += try relative(target, from: next) }
            }
        }
        return (out, labels)
    }
}
