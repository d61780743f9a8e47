// debug_traceTransaction: the committed transaction re-executed on its block's parent state, after
// the transactions before it, with the VM recording every instruction (op, gas left, call depth,
// stack depth) — for contract authors finding where gas goes or why a call reverted (Docs/rpc.md
// §Tracing). geth's struct-logger shape, with our VM's instructions.
import ChainQueries
import Execution
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import RPCServer

extension EthereumAPI {
    /// Steps one trace may hold (each is ~100 bytes of JSON); past it the trace is cut short and
    /// says so (`truncated`).
    public static let maxTraceSteps = 100_000

    func traceTransaction(_ params: RPCParams) async throws -> JSONValue {
        let hash = try params.required(0, as: Hash32.self)
        if let options = try params.optional(1, as: JSONObject.self), let tracer = options["tracer"], !tracer.isNull {
            throw RPCError.invalidArgument(1, "only the default struct logger is supported (leave out \"tracer\")")
        }
        let executor = self.executor
        let feeRecipient = facts.feeRecipient
        let (trace, executed) = try await simulationLane.run { _ in
            try await chain.read { view throws -> (ExecutionTrace, ExecutedTransaction) in
                guard let location = try view.transactionLocation(hash: hash),
                      let header = try view.header(number: location.blockNumber), location.blockNumber > 0,
                      let parent = try view.header(number: location.blockNumber - 1),
                      let body = try view.body(number: location.blockNumber),
                      location.index < body.transactions.count else {
                    throw RPCError(code: RPCError.serverErrorCode, message: "transaction \(hash) not found")
                }
                let trace = ExecutionTrace(limit: Self.maxTraceSteps)
                let builder = BlockBuilder(executor: executor, context: BlockContext(header: header, feeRecipient: feeRecipient),
                                           state: try view.state(at: parent))
                for earlier in body.transactions[..<location.index] {
                    if let rejection = try builder.include(earlier) { throw Self.replayFailed(hash, rejection) }
                }
                if let rejection = try builder.include(body.transactions[location.index], tracingInto: trace) {
                    throw Self.replayFailed(hash, rejection)
                }
                guard let executed = builder.executed.last else { throw Self.replayFailed(hash, nil) }
                return (trace, executed)
            }
        }
        var result: JSONObject = [
            "gas": .quantity(executed.gasUsed),
            "failed": .bool(!executed.receipt.succeeded),
            "returnValue": .data(executed.returnData),
            "structLogs": .array(trace.steps.map(Self.stepJSON)),
        ]
        if trace.truncated { result["truncated"] = .bool(true) }
        return .object(result)
    }

    static func stepJSON(_ step: TraceStep) -> JSONValue {
        .object([
            "pc": .number(String(step.pc)),
            "op": .string(step.op),
            "gas": .number(String(step.gas)),
            "gasCost": .number(String(step.gasCost)),
            "depth": .number(String(step.depth)),
            "stackDepth": .number(String(step.stackDepth)),
        ])
    }

    /// A committed block that does not replay is a fault of this node's data, not of the request.
    private static func replayFailed(_ hash: Hash32, _ rejection: TransactionRejection?) -> RPCError {
        RPCError.internalError("replaying the block of \(hash) failed: \(rejection.map { "\($0)" } ?? "no result")")
    }
}
