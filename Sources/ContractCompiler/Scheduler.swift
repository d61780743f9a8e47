// From the intermediate form to bytecode (Docs/contract-dsl.md §Pipeline): removes code that
// cannot run, places each local (stack or memory), turns local accesses into DUP/SWAP or
// MLOAD/MSTORE, and assembles through the opcode table with labels and a source map.
import Bytecode
import ContractDSL
import LedgerPrimitives

/// A run of bytecode written at one place of the contract's source.
public struct SourceMapEntry: Sendable, Equatable, Codable {
    /// "init" or "runtime".
    public var section: String
    /// Byte offset in the section's function 0.
    public var offset: Int
    public var file: String
    public var line: Int
}

struct ScheduledCode {
    var code: [UInt8]
    var sourceMap: [(offset: Int, location: SourceLocation)]
}

enum SchedulingError: Error {
    /// A compiler bug: the generated code broke one of the scheduler's invariants.
    case internalInconsistency(String)
    case assembly(AssemblyError)
}

struct Scheduler {
    /// DUPn and SWAPn reach 16 items.
    static let stackReach = 16
    /// Memory 0–63 is scratch for hashing map keys; locals placed in memory follow.
    static let memoryLocalsStart = 64

    /// Schedules a section's function 0; its heap pointer word is at `heapPointer` (where its
    /// helper functions must find it too).
    static func schedule(_ program: IRProgram) throws(SchedulingError) -> (code: ScheduledCode, heapPointer: Int) {
        let live = removeDeadCode(program.instructions)
        // Temporaries (stack items that are not locals) never depend on where locals live.
        let temporaries = try maximumTemporaries(live, initialHeight: 0)
        let stackCapacity = max(0, stackReach - temporaries)
        var memorySlot: [LocalID: Int] = [:]
        for (id, local) in program.locals.enumerated() where local.position >= stackCapacity {
            memorySlot[id] = memorySlot.count
        }
        let freeMemory = memoryLocalsStart + 32 * memorySlot.count
        let heapPointer = freeMemory + (program.fixedAreaSize + 31) / 32 * 32
        let code = try emit(live, locals: program.locals, memorySlot: memorySlot, freeMemory: freeMemory, heapPointer: heapPointer,
                            initialHeight: 0)
        return (code, heapPointer)
    }

    /// Schedules a helper function: no locals, `program.inputs` items on the stack at entry.
    static func scheduleHelper(_ program: IRProgram, heapPointer: Int) throws(SchedulingError) -> ScheduledCode {
        let live = removeDeadCode(program.instructions)
        _ = try maximumTemporaries(live, initialHeight: program.inputs)
        return try emit(live, locals: [], memorySlot: [:], freeMemory: heapPointer, heapPointer: heapPointer, initialHeight: program.inputs)
    }

    /// Drops instructions after a terminator up to the next label something still jumps to,
    /// and jumps to the very next instruction, until nothing changes.
    static func removeDeadCode(_ instructions: [IRInstruction]) -> [IRInstruction] {
        var code = instructions
        while true {
            var targets = Set<Int>()
            for instruction in code {
                if case .jump(let label) = instruction { targets.insert(label) }
                if case .jumpIf(let label) = instruction { targets.insert(label) }
            }
            var kept: [IRInstruction] = []
            var reachable = true
            for instruction in code {
                if case .label(let label) = instruction {
                    if !targets.contains(label) && !reachable { continue }
                    if targets.contains(label) { reachable = true }
                    // An unused label is dropped; it would split a gas block for nothing.
                    if !targets.contains(label) { continue }
                }
                guard reachable else { continue }
                if case .label(let label) = instruction, case .jump(label)? = kept.last {
                    kept.removeLast()
                }
                kept.append(instruction)
                if instruction.isTerminator { reachable = false }
            }
            if kept == code { return code }
            code = kept
        }
    }

    private static func effect(of instruction: IRInstruction) -> (pops: Int, pushes: Int) {
        switch instruction {
        case .op(let opcode): return (opcode.traits.inputs, opcode.traits.outputs)
        case .push, .pushFreeMemory, .pushHeap, .getLocal: return (0, 1)
        case .callFunction(_, let inputs, let outputs): return (inputs, outputs)
        case .jumpIf, .setLocal, .bindLocal: return (1, 0)
        case .label, .jump, .dropLocal, .source: return (0, 0)
        }
    }

    /// The most temporaries ever on the stack above the locals.
    private static func maximumTemporaries(_ code: [IRInstruction], initialHeight: Int) throws(SchedulingError) -> Int {
        var height = initialHeight, maximum = initialHeight, reachable = true
        var atLabel: [Int: Int] = [:]
        for instruction in code {
            if case .label(let label) = instruction {
                if let recorded = atLabel[label] {
                    if reachable && recorded != height { throw .internalInconsistency("temporaries differ at label \(label)") }
                    height = recorded
                }
                reachable = true
            }
            let (pops, pushes) = effect(of: instruction)
            height -= pops
            if height < 0 { throw .internalInconsistency("stack underflow in generated code") }
            height += pushes
            maximum = max(maximum, height)
            if case .jump(let label) = instruction { atLabel[label] = height }
            if case .jumpIf(let label) = instruction { atLabel[label] = height }
            if instruction.isTerminator { reachable = false }
        }
        return maximum
    }

    private static func emit(_ code: [IRInstruction], locals: [LocalInfo], memorySlot: [LocalID: Int],
                             freeMemory: Int, heapPointer: Int, initialHeight: Int) throws(SchedulingError) -> ScheduledCode {
        var builder = CodeBuilder()
        var height = initialHeight
        var atLabel: [Int: Int] = [:]
        var sources: [(label: String, location: SourceLocation)] = []
        func address(_ id: LocalID) -> UInt256 { UInt256(UInt64(memoryLocalsStart + 32 * memorySlot[id]!)) }
        func depth(of id: LocalID) throws(SchedulingError) -> Int {
            let depth = height - locals[id].position
            guard depth >= 1, depth <= stackReach else { throw .internalInconsistency("local \(locals[id].name) out of reach (\(depth))") }
            return depth
        }
        for instruction in code {
            switch instruction {
            case .op(let opcode):
                builder.append(opcode)
            case .push(let value):
                builder.appendPush(value)
            case .pushFreeMemory(let offset):
                builder.appendPush(UInt256(UInt64(freeMemory + offset)))
            case .pushHeap(let offset):
                builder.appendPush(UInt256(UInt64(heapPointer + offset)))
            case .callFunction(let index, _, _):
                builder.append(.callf, immediate: index)
            case .label(let label):
                if let recorded = atLabel[label] { height = recorded }
                builder.appendLabel("L\(label)")
            case .jump(let label):
                builder.appendJump(.rjump, to: "L\(label)")
            case .jumpIf(let label):
                builder.appendJump(.rjumpi, to: "L\(label)")
            case .getLocal(let id):
                if memorySlot[id] != nil {
                    builder.appendPush(address(id))
                    builder.append(.mload)
                } else {
                    builder.append(Opcode(rawValue: Opcode.dup1.rawValue + UInt8(try depth(of: id) - 1))!)
                }
            case .setLocal(let id):
                if memorySlot[id] != nil {
                    builder.appendPush(address(id))
                    builder.append(.mstore)
                } else {
                    // The value is on top: swap it into the local's place, drop the old value.
                    let distance = try depth(of: id) - 1
                    guard distance >= 1 else { throw .internalInconsistency("assigning a local that is the top") }
                    builder.append(Opcode(rawValue: Opcode.swap1.rawValue + UInt8(distance - 1))!)
                    builder.append(.pop)
                }
            case .bindLocal(let id):
                if memorySlot[id] != nil {
                    builder.appendPush(address(id))
                    builder.append(.mstore)
                } else if locals[id].position != height - 1 {
                    throw .internalInconsistency("local \(locals[id].name) bound at height \(height), position \(locals[id].position)")
                }
            case .dropLocal(let id):
                if memorySlot[id] == nil {
                    guard locals[id].position == height - 1 else { throw .internalInconsistency("local \(locals[id].name) is not on top at its scope's end") }
                    builder.append(.pop)
                }
            case .source(let location):
                let label = "S\(sources.count)"
                sources.append((label, location))
                builder.appendLabel(label)
            }
            // Heights count real stack items: memory-homed locals leave none.
            switch instruction {
            case .bindLocal(let id) where memorySlot[id] == nil: break
            case .dropLocal(let id) where memorySlot[id] != nil: break
            case .dropLocal: height -= 1
            default:
                let (pops, pushes) = effect(of: instruction)
                height += pushes - pops
            }
            if case .jump(let label) = instruction { atLabel[label] = height }
            if case .jumpIf(let label) = instruction { atLabel[label] = height }
        }
        do {
            let (bytes, labels) = try builder.assembledWithLabels()
            var map: [(Int, SourceLocation)] = []
            for (label, location) in sources {
                guard let offset = labels[label] else { continue }
                if let last = map.last, last.0 == offset { map.removeLast() }
                if let last = map.last, last.1 == location { continue }
                map.append((offset, location))
            }
            return ScheduledCode(code: bytes, sourceMap: map)
        } catch {
            throw .assembly(error)
        }
    }
}
