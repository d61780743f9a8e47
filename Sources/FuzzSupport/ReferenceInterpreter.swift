// A slow, obviously-correct interpreter of the VM for differential testing: it reads the raw
// container bytes one instruction at a time (no decoder, no fusion), keeps a bounds-checked
// `[UInt256]` stack and a `[UInt8]` memory, and follows Docs/vm.md line by line, so that any
// difference from the real VM points at a bug in one of the two.
import Bytecode
import LedgerPrimitives
import VM

/// Something the reference could not do because the code broke a rule the verifier promises
/// (stack underflow, a jump off the code, …): a divergence in itself.
public struct ReferenceFault: Error, CustomStringConvertible {
    public let description: String
}

/// How a frame stops early: a VM failure (Docs/vm.md §Calls) or a reference fault.
enum Halt: Error {
    case failure(Failure)
    case fault(String)
}

/// A runtime container as the reference reads it: its own header parser and, per function, its
/// own basic blocks (with their base gas) and maximum stack height.
struct ReferenceContainer {
    struct Function {
        let inputs: Int
        let outputs: Int
        let code: [UInt8]
        /// Block start offset → the sum of the base gas of the block's instructions.
        var blockCost: [Int: Int64] = [:]
        /// The highest stack height the function reaches, its inputs included (for CALLF's check).
        var maxHeight = 0
    }

    let reentrant: Bool
    var functions: [Function]
    let data: [UInt8]

    /// The fields of an encoded container (Docs/vm.md §Container), read without the real decoder.
    struct Layout {
        var flags: UInt8
        var initFunctions: [(inputs: Int, outputs: Int, code: [UInt8])]
        var runtimeFunctions: [(inputs: Int, outputs: Int, code: [UInt8])]
        var data: [UInt8]
        /// Bytes after the container (a deploy payload's constructor arguments).
        var trailing: [UInt8]

        init?(_ bytes: [UInt8]) {
            func uint16(_ at: Int) -> Int? { at + 1 < bytes.count ? Int(bytes[at]) << 8 | Int(bytes[at + 1]) : nil }
            guard bytes.count >= 8, bytes[0] == 0xD6, bytes[1] == 0x47, bytes[2] == 1,
                  let initCount = uint16(4), let runtimeCount = uint16(6), runtimeCount > 0 else { return nil }
            flags = bytes[3]
            var headers: [(inputs: Int, outputs: Int, size: Int)] = []
            for index in 0..<(initCount + runtimeCount) {
                let at = 8 + 4 * index
                guard at + 3 < bytes.count, let size = uint16(at + 2) else { return nil }
                headers.append((Int(bytes[at]), Int(bytes[at + 1]), size))
            }
            guard let dataSize = uint16(8 + 4 * headers.count) else { return nil }
            var position = 8 + 4 * headers.count + 2
            var functions: [(inputs: Int, outputs: Int, code: [UInt8])] = []
            for header in headers {
                guard position + header.size <= bytes.count else { return nil }
                functions.append((header.inputs, header.outputs, Array(bytes[position..<position + header.size])))
                position += header.size
            }
            guard position + dataSize <= bytes.count else { return nil }
            initFunctions = Array(functions[..<initCount])
            runtimeFunctions = Array(functions[initCount...])
            data = Array(bytes[position..<position + dataSize])
            trailing = Array(bytes[(position + dataSize)...])
        }

        /// The encoding, as the container format lays it out.
        var encoded: [UInt8] {
            func uint16(_ value: Int) -> [UInt8] { [UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value)] }
            let all = initFunctions + runtimeFunctions
            var out: [UInt8] = [0xD6, 0x47, 1, flags] + uint16(initFunctions.count) + uint16(runtimeFunctions.count)
            for function in all { out += [UInt8(function.inputs), UInt8(function.outputs)] + uint16(function.code.count) }
            out += uint16(data.count)
            for function in all { out += function.code }
            return out + data
        }
    }

    /// A stored runtime container; nil when the bytes are not exactly one.
    init?(_ bytes: [UInt8]) {
        guard let layout = Layout(bytes), layout.initFunctions.isEmpty, layout.trailing.isEmpty else { return nil }
        self.init(layout.runtimeFunctions, flags: layout.flags, data: layout.data)
    }

    /// One section's functions with the container's flags and data.
    init(_ section: [(inputs: Int, outputs: Int, code: [UInt8])], flags: UInt8, data: [UInt8]) {
        reentrant = flags & 1 == 1
        self.data = data
        functions = section.map { Function(inputs: $0.inputs, outputs: $0.outputs, code: $0.code) }
        for index in functions.indices {
            functions[index].blockCost = Self.blockCosts(functions[index].code)
        }
        for index in functions.indices {
            functions[index].maxHeight = maxHeight(of: index)
        }
    }

    /// The opcode table's base gas and stack effect by byte, read once (`Opcode.definition`
    /// builds its strings on every call).
    static let table: [(gas: Int64, inputs: Int, outputs: Int, immediate: Int)] = (0..<256).map { byte in
        guard let info = Opcode(rawValue: UInt8(byte))?.definition else { return (0, 0, 0, 0) }
        return (Int64(info.gas), info.inputs, info.outputs, info.immediateSize)
    }

    /// Opcodes after which a new basic block begins (Docs/vm.md §Decoding): jumps, terminators,
    /// and the instructions that need exact gas at their position.
    static let blockEnders: Set<Opcode> = [.rjump, .rjumpi, .rjumpv, .stop, .ret, .revert, .invalid, .retf,
                                           .gas, .call, .staticcall, .callf]
    static let terminators: Set<Opcode> = [.rjump, .stop, .ret, .revert, .invalid, .retf]

    /// The instructions of `code`: offset, opcode, offset of the next one.
    static func instructions(_ code: [UInt8]) -> [(offset: Int, opcode: Opcode, next: Int)] {
        var result: [(Int, Opcode, Int)] = []
        var offset = 0
        while offset < code.count, let opcode = Opcode(rawValue: code[offset]) {
            let next = offset + 1 + immediateSize(opcode, code, offset)
            result.append((offset, opcode, next))
            offset = next
        }
        return result
    }

    static func immediateSize(_ opcode: Opcode, _ code: [UInt8], _ offset: Int) -> Int {
        guard opcode == .rjumpv else { return table[Int(opcode.rawValue)].immediate }
        return offset + 1 < code.count ? 1 + 2 * (Int(code[offset + 1]) + 1) : 1
    }

    /// Where the jump at `offset` may go (RJUMP, RJUMPI, RJUMPV); empty for other opcodes.
    static func jumpTargets(_ opcode: Opcode, _ code: [UInt8], _ offset: Int, next: Int) -> [Int] {
        func relative(_ at: Int) -> Int {
            at + 1 < code.count ? next + Int(Int16(bitPattern: UInt16(code[at]) << 8 | UInt16(code[at + 1]))) : -1
        }
        switch opcode {
        case .rjump, .rjumpi: return [relative(offset + 1)]
        case .rjumpv:
            // A table cut off by the end of the code is a broken verifier promise: a fault later,
            // never a trap here.
            guard offset + 1 < code.count else { return [-1] }
            return (0...Int(code[offset + 1])).map { relative(offset + 2 + 2 * $0) }
        default: return []
        }
    }

    static func blockCosts(_ code: [UInt8]) -> [Int: Int64] {
        let list = instructions(code)
        var starts: Set<Int> = [0]
        for (offset, opcode, next) in list {
            starts.formUnion(jumpTargets(opcode, code, offset, next: next))
            if blockEnders.contains(opcode) { starts.insert(next) }
        }
        var costs: [Int: Int64] = [:]
        var current = 0
        for (offset, opcode, _) in list {
            if starts.contains(offset) { current = offset }
            costs[current, default: 0] += table[Int(opcode.rawValue)].gas
        }
        return costs
    }

    /// A walk over every path from the entry, recording the highest stack height after any instruction.
    func maxHeight(of index: Int) -> Int {
        let function = functions[index]
        var heights: [Int: Int] = [0: function.inputs]
        var pending = [0]
        var highest = function.inputs
        while let offset = pending.popLast() {
            guard offset >= 0, offset < function.code.count, let opcode = Opcode(rawValue: function.code[offset]),
                  let height = heights[offset] else { continue }
            let next = offset + 1 + Self.immediateSize(opcode, function.code, offset)
            var (inputs, outputs) = (Self.table[Int(opcode.rawValue)].inputs, Self.table[Int(opcode.rawValue)].outputs)
            if opcode == .callf, next <= function.code.count {
                let callee = Int(function.code[offset + 1]) << 8 | Int(function.code[offset + 2])
                if callee < functions.count { (inputs, outputs) = (functions[callee].inputs, functions[callee].outputs) }
            }
            let after = height - inputs + outputs
            highest = max(highest, after)
            var successors = Self.jumpTargets(opcode, function.code, offset, next: next)
            if !Self.terminators.contains(opcode) { successors.append(next) }
            for successor in successors where heights[successor] == nil {
                heights[successor] = after
                pending.append(successor)
            }
        }
        return highest
    }
}

/// The reference VM: a world, the block, and the contracts on the call stack.
public final class ReferenceInterpreter {
    public var world: ReferenceWorld
    public let block: BlockContext
    var active: [Address] = []
    /// The last opcode the outermost frame ran (where a run stopped), for statistics.
    public internal(set) var lastOutermostOpcode: Opcode?
    private var parsed: [Address: ReferenceContainer] = [:]
    /// What the transaction has touched (Docs/vm.md §Gas): set up afresh by each outermost call
    /// or deployment, never undone by a revert.
    var warmAccounts: Set<Address> = []
    var warmSlots: Set<[UInt8]> = []
    var loadedCode: Set<Address> = []
    var logCount = 0
    var logBytes = 0

    /// Starts a transaction's access record: its origin, caller and target are warm.
    private func beginTransaction(_ message: Message) {
        warmAccounts = [message.origin, message.caller, message.recipient]
        warmSlots = []
        loadedCode = []
        logCount = 0
        logBytes = 0
    }

    /// The cold surcharge for touching `address`, the first time only.
    func accountSurcharge(_ address: Address) -> Int64 {
        warmAccounts.insert(address).inserted ? Gas.coldAccountSurcharge : 0
    }

    /// The cold surcharge for touching slot `key` of `address`, the first time only.
    func slotSurcharge(_ address: Address, _ key: UInt256) -> Int64 {
        warmSlots.insert(address.bytes + key.bigEndianBytes).inserted ? Gas.coldSlotSurcharge : 0
    }

    public init(world: ReferenceWorld, block: BlockContext) {
        self.world = world
        self.block = block
    }

    /// One message, as `VM.call` runs it: depth limit, re-entrancy rule, value transfer, code.
    public func call(_ message: Message, depth: Int = 0) throws(ReferenceFault) -> ExecutionResult {
        if depth == 0 { beginTransaction(message) }
        guard depth < Limits.callDepth else { return ExecutionResult(outcome: .failure(.callDepthExceeded), gasLeft: message.gas) }
        let container = try container(at: message.recipient)
        if let container, !container.reentrant, active.contains(message.recipient) {
            return ExecutionResult(outcome: .failure(.reentrancyRefused), gasLeft: message.gas)
        }
        let snapshot = world
        if !message.value.isZero && !world.transfer(message.value, from: message.caller, to: message.recipient) {
            world = snapshot
            return ExecutionResult(outcome: .failure(.insufficientBalance), gasLeft: message.gas)
        }
        guard let container else { return ExecutionResult(outcome: .success, gasLeft: message.gas) }
        // The first run of this code in the transaction pays per word of its code and data.
        var message = message
        if loadedCode.insert(message.recipient).inserted {
            let size = container.functions.reduce(container.data.count) { $0 + $1.code.count }
            message.gas -= Gas.codeLoadPerWord * Int64((size + 31) / 32)
            if message.gas < 0 {
                world = snapshot
                return ExecutionResult(outcome: .failure(.outOfGas), gasLeft: 0)
            }
        }
        active.append(message.recipient)
        var frame = ReferenceFrame(container: container, message: message, depth: depth)
        let result = try frame.run(in: self)
        active.removeLast()
        if result.outcome != .success { world = snapshot }
        return result
    }

    /// What a deployment gave: as `DeploymentResult`, without the decoded program.
    public struct Deployment: Equatable {
        public var outcome: Outcome
        public var gasLeft: Int64
        public var output: [UInt8]
        public var runtimeCode: [UInt8]?
    }

    /// `VM.deploy`: the value moves, init function 0 runs with the constructor arguments as call
    /// data, its output is appended to the data section, and the runtime container costs
    /// `Gas.codeDepositPerByte` per byte. The payload is assumed verified (the harness checks).
    public func deploy(payload: [UInt8], message: Message) throws(ReferenceFault) -> Deployment {
        func failed(_ failure: Failure) -> Deployment {
            Deployment(outcome: .failure(failure), gasLeft: 0, output: [], runtimeCode: nil)
        }
        guard let layout = ReferenceContainer.Layout(payload), !layout.initFunctions.isEmpty else {
            throw ReferenceFault(description: "payload does not parse")
        }
        beginTransaction(message)
        let snapshot = world
        if !message.value.isZero && !world.transfer(message.value, from: message.caller, to: message.recipient) {
            world = snapshot
            return Deployment(outcome: .failure(.insufficientBalance), gasLeft: message.gas, output: [], runtimeCode: nil)
        }
        var initMessage = message
        initMessage.input = layout.trailing
        let initCode = ReferenceContainer(layout.initFunctions, flags: layout.flags, data: layout.data)
        active = [message.recipient]
        var frame = ReferenceFrame(container: initCode, message: initMessage, depth: 0)
        let result = try frame.run(in: self)
        active = []
        guard result.outcome == .success else {
            world = snapshot
            return Deployment(outcome: result.outcome, gasLeft: result.gasLeft, output: result.output, runtimeCode: nil)
        }
        var runtime = layout
        runtime.initFunctions = []
        runtime.data += result.output
        runtime.trailing = []
        let size = runtime.runtimeFunctions.reduce(runtime.data.count) { $0 + $1.code.count }
        if runtime.data.count > 0xFFFF {
            world = snapshot
            return failed(.malformedContainer(.sectionTooLarge("data", size: runtime.data.count)))
        }
        if size > Limits.runtimeSize {
            world = snapshot
            return failed(.rejectedCode(VerificationError(.codeTooLarge(size: size, limit: Limits.runtimeSize), section: .runtime)))
        }
        let bytes = runtime.encoded
        let deposit = Int64(bytes.count) * Gas.codeDepositPerByte
        guard result.gasLeft >= deposit else {
            world = snapshot
            return failed(.outOfGas)
        }
        return Deployment(outcome: .success, gasLeft: result.gasLeft - deposit, output: [], runtimeCode: bytes)
    }

    private func container(at address: Address) throws(ReferenceFault) -> ReferenceContainer? {
        if let known = parsed[address] { return known }
        guard let bytes = world.code[address] else { return nil }
        guard let container = ReferenceContainer(bytes) else { throw ReferenceFault(description: "code at \(address) does not parse") }
        parsed[address] = container
        return container
    }
}

/// One call frame of the reference: stack, memory, gas, and where it is in which function.
struct ReferenceFrame {
    let container: ReferenceContainer
    let message: Message
    let depth: Int
    var stack: [UInt256] = []
    var memory: [UInt8] = []
    var gas: Int64
    var returnData: [UInt8] = []
    var function = 0
    var pc = 0
    var returnStack: [(function: Int, pc: Int)] = []

    init(container: ReferenceContainer, message: Message, depth: Int) {
        (self.container, self.message, self.depth, self.gas) = (container, message, depth, message.gas)
    }

    /// Failures that take all the frame's gas (Docs/vm.md §Calls, failure table).
    static func consumesAllGas(_ failure: Failure) -> Bool {
        switch failure {
        case .arithmeticOverflow, .divisionByZero, .callDepthExceeded, .reentrancyRefused, .insufficientBalance: return false
        default: return true
        }
    }

    mutating func run(in vm: ReferenceInterpreter) throws(ReferenceFault) -> ExecutionResult {
        do {
            while true {
                if let result = try step(vm) { return result }
            }
        } catch Halt.failure(let failure) {
            return ExecutionResult(outcome: .failure(failure), gasLeft: Self.consumesAllGas(failure) ? 0 : max(gas, 0))
        } catch Halt.fault(let text) {
            throw ReferenceFault(description: "function \(function) byte \(pc): \(text)")
        } catch let fault as ReferenceFault {
            throw fault
        } catch {
            throw ReferenceFault(description: "unexpected error \(error)")
        }
    }

    // MARK: Stack, gas, memory

    mutating func pop() throws -> UInt256 {
        guard let top = stack.popLast() else { throw Halt.fault("stack underflow") }
        return top
    }

    mutating func push(_ value: UInt256) throws {
        guard stack.count < Limits.stackSize else { throw Halt.fault("stack overflow past \(Limits.stackSize)") }
        stack.append(value)
    }

    mutating func push(_ condition: Bool) throws { try push(condition ? UInt256.one : .zero) }

    mutating func push(_ bytes: [UInt8]) throws { try push(ReferenceArithmetic.word(fromBytes: bytes)) }

    mutating func charge(_ amount: Int64) throws {
        gas -= amount
        if gas < 0 { throw Halt.failure(.outOfGas) }
    }

    static func memoryCost(words: Int64) -> Int64 {
        Gas.memoryPerWord * words + words * words / Gas.memoryQuadraticDivisor
    }

    static func words(_ bytes: Int) -> Int64 { Int64((bytes + 31) / 32) }

    /// Makes memory[offset, offset + length) addressable, charging growth; returns the offset.
    /// A zero length touches nothing; offsets or lengths ≥ 2^32 are out of gas.
    mutating func touch(_ offset: UInt256, _ length: UInt256) throws -> Int {
        if length.isZero { return 0 }
        let limit = UInt256(Gas.maxMemoryAddress)
        guard offset < limit, length < limit else { throw Halt.failure(.outOfGas) }
        let end = Int(offset.limb0) + Int(length.limb0)
        if end > memory.count {
            let newWords = Self.words(end)
            try charge(Self.memoryCost(words: newWords) - Self.memoryCost(words: Int64(memory.count / 32)))
            memory += [UInt8](repeating: 0, count: Int(newWords) * 32 - memory.count)
        }
        return Int(offset.limb0)
    }

    /// `length` bytes of memory at `offset`, after `touch` made them addressable.
    func memoryBytes(_ offset: Int, _ length: UInt256) -> [UInt8] {
        length.isZero ? [] : Array(memory[offset..<offset + Int(length.limb0)])
    }

    /// `count` bytes of `source` from `start`, zero past its end.
    static func slice(_ source: [UInt8], from start: UInt256, count: Int) -> [UInt8] {
        (0..<count).map { index in
            let (position, overflow) = start.addingReportingOverflow(UInt256(UInt64(index)))
            return !overflow && position < UInt256(UInt64(source.count)) ? source[Int(position.limb0)] : 0
        }
    }

    mutating func writeMemory(_ bytes: [UInt8], at offset: Int) {
        memory.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    }

    // MARK: Code

    var code: [UInt8] { container.functions[function].code }

    func immediate(_ at: Int, _ count: Int) throws -> [UInt8] {
        guard at + count <= code.count else { throw Halt.fault("immediate runs past the end") }
        return Array(code[at..<at + count])
    }

    func uint16(_ at: Int) throws -> Int {
        let bytes = try immediate(at, 2)
        return Int(bytes[0]) << 8 | Int(bytes[1])
    }

    func int16(_ at: Int) throws -> Int { Int(Int16(bitPattern: UInt16(try uint16(at)))) }

    mutating func jump(to target: Int) throws {
        guard target >= 0, target < code.count else { throw Halt.fault("jump to \(target) off the code") }
        pc = target
    }
}
