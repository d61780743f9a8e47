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

/// A verified, decoded section with the container's data and flags. Immutable; the raw copies
/// of its tables (for the interpreter's unchecked loads) live as long as it does.
public final class Program: @unchecked Sendable {
    public let instructions: [Instruction]
    /// Values of PUSH immediates too large for an inline argument.
    public let constants: [UInt256]
    /// RJUMPV tables: at a table's index, its entry count, then that many instruction indices.
    public let jumpTables: [Int32]
    public let functions: [FunctionEntry]
    public let data: [UInt8]
    public let flags: Container.Flags
    /// keccak-256 of the encoded container this section came from.
    public let codeHash: Hash32

    package let instructionPointer: UnsafeMutablePointer<Instruction>
    package let constantPointer: UnsafeMutablePointer<UInt256>
    package let jumpTablePointer: UnsafeMutablePointer<Int32>

    init(instructions: [Instruction], constants: [UInt256], jumpTables: [Int32], functions: [FunctionEntry],
         data: [UInt8], flags: Container.Flags, codeHash: Hash32) {
        self.instructions = instructions
        self.constants = constants
        self.jumpTables = jumpTables
        self.functions = functions
        self.data = data
        self.flags = flags
        self.codeHash = codeHash
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

    public var isReentrant: Bool { flags.contains(.reentrant) }
}

/// Verified programs by code hash, so each stored contract is verified and decoded once.
/// Safe to share between threads; when full it starts over (what is cached never changes a
/// result, only how long loading takes).
public final class ProgramCache: Sendable {
    private let programs = Mutex<[Hash32: Program]>([:])
    public let capacity: Int
    /// Whether programs are decoded with superinstructions (Docs/vm.md §Fusion); off only to
    /// compare against the plain decoding.
    public let fusing: Bool

    public init(capacity: Int = 4096, fusing: Bool = true) {
        self.capacity = capacity
        self.fusing = fusing
    }

    /// The program of a stored runtime container, verified on first sight.
    public func program(forRuntimeContainer bytes: [UInt8]) throws(LoadError) -> Program {
        try program(forRuntimeContainer: bytes, codeHash: Keccak256.hash(bytes))
    }

    /// The program cached for `codeHash`, if any: an account's code hash finds its program
    /// without reading or hashing the code again.
    public func cachedProgram(forCodeHash codeHash: Hash32) -> Program? {
        programs.withLock { $0[codeHash] }
    }

    /// Like `program(forRuntimeContainer:)`, trusting `codeHash` to be the keccak-256 of `bytes`
    /// (the state stores code by its hash, so a caller reading it by hash need not hash it again).
    public func program(forRuntimeContainer bytes: [UInt8], codeHash hash: Hash32) throws(LoadError) -> Program {
        if let cached = programs.withLock({ $0[hash] }) { return cached }
        let container: Container
        do { container = try Container.decodeExactly(bytes) } catch { throw .decoding(error) }
        guard container.initFunctions.isEmpty else { throw .notRuntime }
        let program: Program
        do { program = try Verifier.runtimeProgram(of: container, codeHash: hash, fusing: fusing) } catch { throw .verification(error) }
        remember(program)
        return program
    }

    /// Adds a program verified elsewhere (a deployment's runtime), under its code hash.
    public func remember(_ program: Program) {
        programs.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[program.codeHash] = program
        }
    }

    public var count: Int { programs.withLock { $0.count } }

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
