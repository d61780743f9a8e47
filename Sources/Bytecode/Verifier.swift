// The verifier: runs once per container at deployment and rejects anything it cannot prove
// safe (Docs/vm.md §Verifier, after EOF's EIP-3670/4200/4750/5450). What it proves — every
// opcode known, every jump onto an instruction of the same function, one stack height per
// instruction on every path, no underflow, no overflow within a function, no fall-through past
// the end — is what lets the interpreter run without per-instruction stack or bounds checks.
import LedgerPrimitives

public struct VerificationError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Section: String, Sendable { case initCode = "init", runtime }

    public enum Reason: Equatable, Sendable {
        case unknownOpcode(UInt8)
        case truncatedImmediate
        case jumpOutOfBounds(target: Int)
        case jumpIntoImmediate(target: Int)
        case stackHeightMismatch(expected: Int, found: Int)
        case stackUnderflow(needed: Int, available: Int)
        case stackOverflow(height: Int)
        case codeTooLarge(size: Int, limit: Int)
        case missingTerminator
        case emptyFunction
        case unreachableCode
        case invalidFunctionIndex(Int)
        case entryFunctionSignature(inputs: Int, outputs: Int)
        case returnFromEntryFunction
        case returnHeightMismatch(declared: Int, found: Int)
        case dataOffsetOutOfBounds(offset: Int, dataSize: Int)
        case noInitSection
    }

    public let section: Section
    /// Index of the function in its section.
    public let function: Int
    /// Byte offset in the function's code.
    public let offset: Int
    public let reason: Reason

    public init(_ reason: Reason, section: Section, function: Int = 0, offset: Int = 0) {
        (self.reason, self.section, self.function, self.offset) = (reason, section, function, offset)
    }

    public var description: String {
        let place = "\(section.rawValue) function \(function) at byte \(offset)"
        switch reason {
        case .unknownOpcode(let byte): return "\(place): unknown opcode 0x\(String(byte, radix: 16))"
        case .truncatedImmediate: return "\(place): immediate runs past the end of the code"
        case .jumpOutOfBounds(let target): return "\(place): jump to \(target) lies outside the function"
        case .jumpIntoImmediate(let target): return "\(place): jump to \(target) lands inside an immediate"
        case .stackHeightMismatch(let expected, let found): return "\(place): paths join with stack heights \(expected) and \(found)"
        case .stackUnderflow(let needed, let available): return "\(place): needs \(needed) stack items, only \(available) on some path"
        case .stackOverflow(let height): return "\(place): stack would reach \(height) items (limit \(Limits.stackSize))"
        case .codeTooLarge(let size, let limit): return "\(section.rawValue) section is \(size) bytes, limit \(limit)"
        case .missingTerminator: return "\(place): execution can run past the end of the function"
        case .emptyFunction: return "\(place): function has no code"
        case .unreachableCode: return "\(place): unreachable code"
        case .invalidFunctionIndex(let index): return "\(place): CALLF to function \(index), which does not exist"
        case .entryFunctionSignature(let inputs, let outputs): return "\(place): function 0 must take and return nothing, declares \(inputs) → \(outputs)"
        case .returnFromEntryFunction: return "\(place): RETF in function 0"
        case .returnHeightMismatch(let declared, let found): return "\(place): RETF with \(found) items, function declares \(declared) outputs"
        case .dataOffsetOutOfBounds(let offset, let dataSize): return "\(place): DATALOADN at \(offset) reads past the \(dataSize)-byte data section"
        case .noInitSection: return "deployment container has no init section"
        }
    }
}

public enum Verifier {
    /// Verifies a deploy container's two sections and returns the decoded init section. The
    /// runtime's DATALOADN offsets are checked later, on the runtime container the init code
    /// produces: its output extends the data section. `fusing: false` decodes without
    /// superinstructions (Docs/vm.md §Fusion), for differential tests and measurements;
    /// `stepwise: true` (no fusion either) puts a BEGINBLOCK before every instruction, for traces
    /// (Docs/vm.md §Tracing): the added ones charge nothing, so gas is charged exactly as it is
    /// without them, and the program records each instruction's source opcode.
    public static func deployment(of container: Container, fusing: Bool = true,
                                  stepwise: Bool = false) throws(VerificationError) -> Program {
        guard !container.initFunctions.isEmpty else { throw VerificationError(.noInitSection, section: .initCode) }
        let hash = containerHash(container)
        let initProgram = try decode(container.initFunctions, section: .initCode, container: container, codeHash: hash,
                                     fusing: fusing, stepwise: stepwise)
        _ = try decode(container.runtimeFunctions, section: .runtime, container: container, codeHash: hash,
                       dataSize: Int(UInt16.max) + 32, fusing: false)
        return initProgram
    }

    /// Verifies and decodes the runtime section (what calls run).
    public static func runtimeProgram(of container: Container, codeHash: Hash32? = nil,
                                      fusing: Bool = true, stepwise: Bool = false) throws(VerificationError) -> Program {
        try decode(container.runtimeFunctions, section: .runtime, container: container,
                   codeHash: codeHash ?? containerHash(container), fusing: fusing, stepwise: stepwise)
    }

    private static func containerHash(_ container: Container) -> Hash32 {
        // A container that does not encode has oversized parts, which `decode` rejects anyway.
        Keccak256.hash((try? container.encoded()) ?? [])
    }

    static func decode(_ functions: [Function], section: VerificationError.Section, container: Container,
                       codeHash: Hash32, dataSize: Int? = nil, fusing: Bool,
                       stepwise: Bool = false) throws(VerificationError) -> Program {
        let codeSize = functions.reduce(0) { $0 + $1.code.count }
        let (size, limit) = section == .runtime ? (codeSize + container.data.count, Limits.runtimeSize)
                                                : (codeSize, Limits.initSize)
        guard size <= limit else { throw VerificationError(.codeTooLarge(size: size, limit: limit), section: section) }
        var analyses: [FunctionAnalysis] = []
        for index in functions.indices {
            analyses.append(try FunctionAnalysis(functions: functions, index: index, dataSize: dataSize ?? container.data.count,
                                                 section: section))
        }
        var emitter = Emitter(stepwise: stepwise)
        var entries: [FunctionEntry] = []
        for (index, analysis) in analyses.enumerated() {
            entries.append(FunctionEntry(entry: Int32(emitter.instructions.count), inputs: Int(functions[index].inputs),
                                         outputs: Int(functions[index].outputs),
                                         maxStackIncrease: analysis.maxHeight - Int(functions[index].inputs)))
            emitter.emit(analysis, code: functions[index].code)
        }
        var instructions = emitter.instructions
        var jumpTables = emitter.jumpTables
        if fusing && !stepwise { instructions = Fusion.fuse(instructions, jumpTables: &jumpTables, functions: &entries) }
        return Program(instructions: instructions, constants: emitter.constants, jumpTables: jumpTables,
                       functions: entries, data: container.data, flags: container.flags, codeHash: codeHash,
                       codeSize: section == .runtime ? codeSize + container.data.count : codeSize,
                       sourceOpcodes: emitter.sourceOpcodes)
    }
}

/// The immediate length of the instruction at `offset`, nil if it runs past the end.
func immediateLength(of opcode: Opcode, in code: [UInt8], at offset: Int,
                     traits: [OpcodeTraits] = Opcode.traitsTable) -> Int? {
    if opcode == .rjumpv {
        guard offset + 1 < code.count else { return nil }
        return 1 + 2 * (Int(code[offset + 1]) + 1)
    }
    return traits[Int(opcode.rawValue)].immediateSize
}

@inline(__always)
func readInt16(_ code: [UInt8], at offset: Int) -> Int {
    Int(Int16(bitPattern: UInt16(code[offset]) << 8 | UInt16(code[offset + 1])))
}

@inline(__always)
func readUInt16(_ code: [UInt8], at offset: Int) -> Int {
    Int(code[offset]) << 8 | Int(code[offset + 1])
}

/// What the verifier learns about one function: where instructions start, their stack
/// heights, jump targets, and where basic blocks begin. Tables are arrays by byte offset, not
/// dictionaries, and nothing is allocated per instruction: this runs over every byte of every
/// contract a node loads (code loading is priced by it, Docs/vm.md §Gas).
struct FunctionAnalysis {
    /// Offsets of instruction starts, in order.
    var starts: [Int] = []
    var opcodes: [Opcode] = []
    /// The targets of each jump instruction, by its offset.
    var jumpTargets: [Int: [Int]] = [:]
    /// Whether a basic block begins at each byte offset.
    var isBlockStart: [Bool]
    var maxHeight = 0

    init(functions: [Function], index: Int, dataSize: Int, section: VerificationError.Section) throws(VerificationError) {
        let function = functions[index]
        let code = function.code
        func fail(_ reason: VerificationError.Reason, at offset: Int) -> VerificationError {
            VerificationError(reason, section: section, function: index, offset: offset)
        }
        // Read once: each access to the global goes through its lazy-initialisation check.
        let table = Opcode.traitsTable
        isBlockStart = [Bool](repeating: false, count: max(code.count, 1))
        isBlockStart[0] = true
        if index == 0 && (function.inputs != 0 || function.outputs != 0) {
            throw fail(.entryFunctionSignature(inputs: Int(function.inputs), outputs: Int(function.outputs)), at: 0)
        }
        guard !code.isEmpty else { throw fail(.emptyFunction, at: 0) }

        // Pass 1: instruction boundaries and immediates. `positionOf` maps an instruction's
        // offset to its index in `starts` (-1 inside immediates).
        var positionOf = [Int](repeating: -1, count: code.count)
        var offset = 0
        while offset < code.count {
            let byte = code[offset]
            guard let opcode = Opcode(rawValue: byte), !table[Int(byte)].flags.contains(.internalOnly) else {
                throw fail(.unknownOpcode(byte), at: offset)
            }
            guard let length = immediateLength(of: opcode, in: code, at: offset, traits: table), offset + 1 + length <= code.count else {
                throw fail(.truncatedImmediate, at: offset)
            }
            positionOf[offset] = starts.count
            starts.append(offset)
            opcodes.append(opcode)
            offset += 1 + length
        }

        // Pass 2: jump targets, function indices, data offsets; where blocks begin.
        for (position, offset) in starts.enumerated() {
            let opcode = opcodes[position]
            let next = position + 1 < starts.count ? starts[position + 1] : code.count
            switch opcode {
            case .rjump, .rjumpi, .rjumpv:
                let targets = opcode == .rjumpv
                    ? (0..<(Int(code[offset + 1]) + 1)).map { next + readInt16(code, at: offset + 2 + 2 * $0) }
                    : [next + readInt16(code, at: offset + 1)]
                for target in targets {
                    guard target >= 0, target < code.count else { throw fail(.jumpOutOfBounds(target: target), at: offset) }
                    guard positionOf[target] >= 0 else { throw fail(.jumpIntoImmediate(target: target), at: offset) }
                    isBlockStart[target] = true
                }
                jumpTargets[offset] = targets
            case .callf:
                let callee = readUInt16(code, at: offset + 1)
                guard callee < functions.count else { throw fail(.invalidFunctionIndex(callee), at: offset) }
            case .retf:
                guard index != 0 else { throw fail(.returnFromEntryFunction, at: offset) }
            case .dataloadn:
                let dataOffset = readUInt16(code, at: offset + 1)
                guard dataOffset + 32 <= dataSize else { throw fail(.dataOffsetOutOfBounds(offset: dataOffset, dataSize: dataSize), at: offset) }
            default: break
            }
            let flags = table[Int(opcode.rawValue)].flags
            if (flags.contains(.jump) || flags.contains(.endsBlock) || flags.contains(.terminator)) && next < code.count {
                isBlockStart[next] = true
            }
        }

        // Pass 3: one stack height per instruction, over every path (a worklist over the
        // control-flow graph; backward jumps are joins like any other).
        var heights = [Int](repeating: -1, count: starts.count)
        heights[0] = Int(function.inputs)
        maxHeight = heights[0]
        var worklist = [0]
        func reach(_ successor: Int, at height: Int) throws(VerificationError) {
            if heights[successor] < 0 {
                heights[successor] = height
                worklist.append(successor)
            } else if heights[successor] != height {
                throw fail(.stackHeightMismatch(expected: heights[successor], found: height), at: starts[successor])
            }
        }
        while let position = worklist.popLast() {
            let offset = starts[position]
            let opcode = opcodes[position]
            let height = heights[position]
            let traits = table[Int(opcode.rawValue)]
            var (inputs, outputs) = (traits.inputs, traits.outputs)
            if opcode == .callf {
                let callee = functions[readUInt16(code, at: offset + 1)]
                (inputs, outputs) = (Int(callee.inputs), Int(callee.outputs))
            }
            guard height >= inputs else { throw fail(.stackUnderflow(needed: inputs, available: height), at: offset) }
            let after = height - inputs + outputs
            guard after <= Limits.stackSize else { throw fail(.stackOverflow(height: after), at: offset) }
            maxHeight = max(maxHeight, after)
            if opcode == .retf && height != Int(function.outputs) {
                throw fail(.returnHeightMismatch(declared: Int(function.outputs), found: height), at: offset)
            }
            if traits.flags.contains(.jump), let targets = jumpTargets[offset] {
                // Every target was checked to be an instruction start in pass 2.
                for target in targets { try reach(positionOf[target], at: after) }
            }
            if !traits.flags.contains(.terminator) {
                guard position + 1 < starts.count else { throw fail(.missingTerminator, at: offset) }
                try reach(position + 1, at: after)
            }
        }
        if let unreachable = heights.firstIndex(of: -1) { throw fail(.unreachableCode, at: starts[unreachable]) }
    }
}

/// Writes the decoded instruction stream of verified functions.
struct Emitter {
    /// A charge-free BEGINBLOCK before every instruction that does not start a block (traces).
    let stepwise: Bool
    var instructions: [Instruction] = []
    /// With `stepwise`, the source opcode at each instruction index (`.beginBlock` at headers).
    var sourceOpcodes: [Opcode] = []
    var constants: [UInt256] = []
    var jumpTables: [Int32] = []

    mutating func emit(_ analysis: FunctionAnalysis, code: [UInt8]) {
        // The decoded index of the BEGINBLOCK at each byte offset where a block starts.
        var indexOfBlock = [Int32](repeating: -1, count: code.count)
        var fixups: [(instruction: Int, targets: [Int], table: Int?)] = []
        var blockHeader = -1
        let traits = Opcode.traitsTable
        for (position, offset) in analysis.starts.enumerated() {
            let opcode = analysis.opcodes[position]
            if analysis.isBlockStart[offset] {
                blockHeader = instructions.count
                indexOfBlock[offset] = Int32(blockHeader)
                instructions.append(Instruction(.beginBlock, 0))
            } else if stepwise {
                // A stop for the step observer; the block's header still charges its gas.
                instructions.append(Instruction(.beginBlock, 0))
            }
            if stepwise {
                sourceOpcodes += [Opcode](repeating: .beginBlock, count: instructions.count - sourceOpcodes.count)
                sourceOpcodes.append(opcode)
            }
            let gas = instructions[blockHeader].argument + Int32(traits[Int(opcode.rawValue)].gas)
            instructions[blockHeader] = Instruction(.beginBlock, gas)
            switch opcode {
            case .push0:
                instructions.append(Instruction(.pushInline, 0))
            case .push1, .push2, .push3, .push4, .push5, .push6, .push7, .push8, .push9, .push10, .push11,
                 .push12, .push13, .push14, .push15, .push16, .push17, .push18, .push19, .push20, .push21,
                 .push22, .push23, .push24, .push25, .push26, .push27, .push28, .push29, .push30, .push31, .push32:
                let size = traits[Int(opcode.rawValue)].immediateSize
                let value = UInt256(bigEndianBytes: code[(offset + 1)...(offset + size)])!
                if let small = value.exactUInt64, small <= UInt64(Int32.max) {
                    instructions.append(Instruction(.pushInline, Int32(small)))
                } else {
                    constants.append(value)
                    instructions.append(Instruction(.pushConstant, Int32(constants.count - 1)))
                }
            case .rjump, .rjumpi:
                fixups.append((instructions.count, analysis.jumpTargets[offset]!, nil))
                instructions.append(Instruction(opcode, 0))
            case .rjumpv:
                let targets = analysis.jumpTargets[offset]!
                let table = jumpTables.count
                jumpTables.append(Int32(targets.count))
                jumpTables += [Int32](repeating: 0, count: targets.count)
                fixups.append((instructions.count, targets, table))
                instructions.append(Instruction(.rjumpv, Int32(table)))
            case .callf, .dataloadn:
                instructions.append(Instruction(opcode, Int32(readUInt16(code, at: offset + 1))))
            default:
                instructions.append(Instruction(opcode, 0))
            }
        }
        for fixup in fixups {
            if let table = fixup.table {
                for (slot, target) in fixup.targets.enumerated() { jumpTables[table + 1 + slot] = indexOfBlock[target] }
            } else {
                instructions[fixup.instruction] = Instruction(instructions[fixup.instruction].opcode, indexOfBlock[fixup.targets[0]])
            }
        }
    }
}
