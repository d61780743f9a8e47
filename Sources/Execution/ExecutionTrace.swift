// A per-instruction trace of one transaction's contract code, for debug_traceTransaction
// (Docs/rpc.md §Tracing): which instruction ran, with how much gas left, at which call depth and
// stack depth. The runtime fills it (the VM's step observer); the executor never reads it.
import LedgerPrimitives

/// One instruction about to run.
public struct TraceStep: Sendable, Equatable {
    /// The instruction's index in the decoded program (jump targets count the same way).
    public var pc: Int
    /// Its mnemonic.
    public var op: String
    /// Gas left before it runs. The VM charges a basic block's base costs at the block's first
    /// instruction (Docs/vm.md §Gas), so within a block `gas` drops only by dynamic costs.
    public var gas: Int64
    /// Its base cost from the opcode table; dynamic costs (memory, storage, calls) come on top.
    public var gasCost: Int64
    /// 1 for the transaction's own call or creation, one more per nested call (as geth counts).
    public var depth: Int
    /// Items on the frame's stack before it runs.
    public var stackDepth: Int

    public init(pc: Int, op: String, gas: Int64, gasCost: Int64, depth: Int, stackDepth: Int) {
        self.pc = pc
        self.op = op
        self.gas = gas
        self.gasCost = gasCost
        self.depth = depth
        self.stackDepth = stackDepth
    }
}

/// The steps of one execution, at most `limit` of them.
public final class ExecutionTrace: @unchecked Sendable {
    // `@unchecked`: one trace is filled by one execution on one thread, and read after it.
    public let limit: Int
    public private(set) var steps: [TraceStep] = []
    /// Steps past `limit` were dropped.
    public private(set) var truncated = false

    public init(limit: Int) { self.limit = limit }

    public func record(_ step: TraceStep) {
        guard steps.count < limit else {
            truncated = true
            return
        }
        steps.append(step)
    }
}
