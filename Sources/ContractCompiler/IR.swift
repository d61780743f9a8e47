// The intermediate form between the checked tree and bytecode (Docs/contract-dsl.md §Pipeline):
// a list of stack-machine instructions in which locals are still names. The scheduler decides
// where each local lives (on the stack, reached with DUP/SWAP, or in memory), removes code that
// cannot run, and emits through the one opcode table.
import Bytecode
import ContractDSL
import LedgerPrimitives

enum IRInstruction: Equatable {
    case op(Opcode)
    case push(UInt256)
    /// The free memory area (after the memory-homed locals) plus an offset; its start is known
    /// only once the scheduler has placed the locals.
    case pushFreeMemory(Int)
    /// The heap's pointer word plus an offset (ADR 0006): the word holds the address where the
    /// next byte string goes; the heap starts right after it, past the free area.
    case pushHeap(Int)
    /// CALLF of one of the section's helper functions (storage reads and writes of byte strings).
    case callFunction(index: Int, inputs: Int, outputs: Int)
    case label(Int)
    case jump(Int)
    case jumpIf(Int)
    case getLocal(LocalID)
    /// Pops the top into a local.
    case setLocal(LocalID)
    /// The top of the stack becomes a new local.
    case bindLocal(LocalID)
    /// The local's scope ends.
    case dropLocal(LocalID)
    /// The code that follows was written at this place of the contract's source.
    case source(SourceLocation)

    /// Whether control never falls through to the next instruction.
    var isTerminator: Bool {
        switch self {
        case .jump: return true
        case .op(let opcode): return opcode.traits.flags.contains(.terminator)
        default: return false
        }
    }
}

/// The data section shared by the init and runtime code: revert messages, encoded once each.
struct DataSection {
    private(set) var bytes: [UInt8] = []
    private var offsets: [[UInt8]: Int] = [:]

    /// Where `blob` starts in the section, adding it the first time.
    mutating func offset(of blob: [UInt8]) -> Int {
        if let offset = offsets[blob] { return offset }
        let offset = bytes.count
        bytes += blob
        offsets[blob] = offset
        return offset
    }
}

/// One section's code (init or runtime function 0) before scheduling.
struct IRProgram {
    var instructions: [IRInstruction] = []
    var locals: [LocalInfo] = []
    /// Bytes of the free area the code uses at fixed addresses (payloads of word values); the
    /// heap's pointer word follows them.
    var fixedAreaSize = 0
    /// Stack items a helper function takes and leaves (0 for function 0).
    var inputs = 0
    var outputs = 0
}
