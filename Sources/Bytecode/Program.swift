// The decoded form of a verified section: what the interpreter runs. Decoding happens once per
// code hash (ProgramCache); it turns byte offsets into instruction indices, immediates into
// arguments, and inserts a BEGINBLOCK that charges each basic block's gas (Docs/vm.md §Decoding).
import LedgerPrimitives
import Synchronization

/// One decoded instruction: 8 bytes, so the instruction stream is a flat array.
public struct Instruction: Sendable, Equatable {
    public let opcode: Opcode
    /// Instruction index for jumps, constant-pool index, inline value, function index, gas of a
    /// block, or data offset, depending on `opcode`.
    public let argument: Int32

    @inlinable
    public init(_ opcode: Opcode, _ argument: Int32 = 0) {
        self.opcode = opcode
        self.argument = argument
    }
}

public struct FunctionEntry: Sendable, Equatable {
    /// Index of the function's first instruction.
    public let entry: Int32
    public let inputs: Int
    public let outputs: Int
    /// The most items the function adds above its inputs; CALLF checks it against the stack
    /// room left, the one stack check that remains at run time.
    public let maxStackIncrease: Int
}

/// A verified, decoded section with the container's data and flags. Immutable; its tables live
/// once, in raw buffers the interpreter reads without checks (the arrays below are copies made
/// on demand, for tests and tools).
public final class Program: @unchecked Sendable {
    public let instructionCount: Int
    public let constantCount: Int
    public let jumpTableCount: Int
    public let functions: [FunctionEntry]
    public let data: [UInt8]
    public let flags: Container.Flags
    /// keccak-256 of the encoded container this section came from.
    public let codeHash: Hash32
    /// Bytes of code and data in the section: what loading it costs gas for (Docs/vm.md §Gas).
    public let codeSize: Int
    /// For a program decoded stepwise (traces), the opcode the code holds at each instruction
    /// index (a decoded PUSH is its PUSHn); empty otherwise.
    public let sourceOpcodes: [Opcode]

    package let instructionPointer: UnsafeMutablePointer<Instruction>
    package let constantPointer: UnsafeMutablePointer<UInt256>
    package let jumpTablePointer: UnsafeMutablePointer<Int32>

    init(instructions: [Instruction], constants: [UInt256], jumpTables: [Int32], functions: [FunctionEntry],
         data: [UInt8], flags: Container.Flags, codeHash: Hash32, codeSize: Int, sourceOpcodes: [Opcode] = []) {
        self.sourceOpcodes = sourceOpcodes
        instructionCount = instructions.count
        constantCount = constants.count
        jumpTableCount = jumpTables.count
        self.functions = functions
        self.data = data
        self.flags = flags
        self.codeHash = codeHash
        self.codeSize = codeSize
        instructionPointer = .allocate(capacity: max(1, instructions.count))
        instructionPointer.initialize(from: instructions, count: instructions.count)
        constantPointer = .allocate(capacity: max(1, constants.count))
        constantPointer.initialize(from: constants, count: constants.count)
        jumpTablePointer = .allocate(capacity: max(1, jumpTables.count))
        jumpTablePointer.initialize(from: jumpTables, count: jumpTables.count)
    }

    deinit {
        instructionPointer.deallocate()
        constantPointer.deallocate()
        jumpTablePointer.deallocate()
    }

    public var instructions: [Instruction] { Array(UnsafeBufferPointer(start: instructionPointer, count: instructionCount)) }
    public var constants: [UInt256] { Array(UnsafeBufferPointer(start: constantPointer, count: constantCount)) }
    /// RJUMPV tables: at a table's index, its entry count, then that many instruction indices.
    public var jumpTables: [Int32] { Array(UnsafeBufferPointer(start: jumpTablePointer, count: jumpTableCount)) }

    /// Memory the program holds, roughly: what `ProgramCache` counts against its budget.
    public var footprint: Int {
        256 + instructionCount * MemoryLayout<Instruction>.stride + constantCount * MemoryLayout<UInt256>.stride
            + jumpTableCount * 4 + functions.count * MemoryLayout<FunctionEntry>.stride + data.count
    }

    public var isReentrant: Bool { flags.contains(.reentrant) }
}

/// Verified programs by code hash, so each stored contract is verified and decoded once. Safe
/// to share between threads. Bounded by the memory its programs hold (`footprint`): when over
/// budget it drops the least recently used ones. What is cached never changes a result, only
/// how long loading takes, and gas never depends on it (Docs/vm.md §Gas: code loading).
public final class ProgramCache: Sendable {
    private struct Entry {
        var program: Program
        var lastUse: UInt64

        /// Marks the entry used at `time` and gives its program.
        mutating func use(at time: UInt64) -> Program {
            lastUse = time
            return program
        }
    }

    private struct State {
        var entries: [Hash32: Entry] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())
    /// The most bytes of programs kept.
    public let byteBudget: Int
    /// Whether programs are decoded with superinstructions (Docs/vm.md §Fusion); off only to
    /// compare against the plain decoding.
    public let fusing: Bool
    /// Whether every instruction is a block of its own (traces; Verifier.runtimeProgram).
    public let stepwise: Bool

    public static let defaultByteBudget = 64 * 1024 * 1024

    public init(byteBudget: Int = ProgramCache.defaultByteBudget, fusing: Bool = true, stepwise: Bool = false) {
        self.byteBudget = byteBudget
        self.fusing = fusing
        self.stepwise = stepwise
    }

    /// The program of a stored runtime container, verified on first sight.
    public func program(forRuntimeContainer bytes: [UInt8]) throws(LoadError) -> Program {
        try program(forRuntimeContainer: bytes, codeHash: Keccak256.hash(bytes))
    }

    /// The program cached for `codeHash`, if any: an account's code hash finds its program
    /// without reading or hashing the code again.
    public func cachedProgram(forCodeHash codeHash: Hash32) -> Program? {
        // Every contract call asks this: one hash lookup, the entry updated in place.
        state.withLock { state in
            state.clock &+= 1
            return state.entries[codeHash]?.use(at: state.clock)
        }
    }

    /// Like `program(forRuntimeContainer:)`, trusting `codeHash` to be the keccak-256 of `bytes`
    /// (the state stores code by its hash, so a caller reading it by hash need not hash it again).
    public func program(forRuntimeContainer bytes: [UInt8], codeHash hash: Hash32) throws(LoadError) -> Program {
        if let cached = cachedProgram(forCodeHash: hash) { return cached }
        let container: Container
        do { container = try Container.decodeExactly(bytes) } catch { throw .decoding(error) }
        guard container.initFunctions.isEmpty else { throw .notRuntime }
        let program: Program
        do { program = try Verifier.runtimeProgram(of: container, codeHash: hash, fusing: fusing, stepwise: stepwise) } catch { throw .verification(error) }
        remember(program)
        return program
    }

    /// Adds a program verified elsewhere (a deployment's runtime), under its code hash, and drops
    /// the least recently used programs while the cache is over budget (down to 7/8 of it, so
    /// that a stream of new programs does not scan on every insert).
    public func remember(_ program: Program) {
        state.withLock { state in
            state.clock &+= 1
            if let previous = state.entries.updateValue(Entry(program: program, lastUse: state.clock), forKey: program.codeHash) {
                state.bytes -= previous.program.footprint
            }
            state.bytes += program.footprint
            guard state.bytes > byteBudget else { return }
            let target = byteBudget - byteBudget / 8
            for (hash, entry) in state.entries.sorted(by: { $0.value.lastUse < $1.value.lastUse }) {
                guard state.bytes > target, hash != program.codeHash else { continue }
                state.entries[hash] = nil
                state.bytes -= entry.program.footprint
            }
        }
    }

    public var count: Int { state.withLock { $0.entries.count } }
    /// Bytes held by the cached programs (by `Program.footprint`).
    public var bytes: Int { state.withLock { $0.bytes } }

    public enum LoadError: Error, Equatable, Sendable, CustomStringConvertible {
        case decoding(Container.DecodingError)
        case verification(VerificationError)
        case notRuntime
        public var description: String {
            switch self {
            case .decoding(let error): return "stored code does not decode: \(error)"
            case .verification(let error): return "stored code does not verify: \(error)"
            case .notRuntime: return "stored code still has an init section"
            }
        }
    }
}
