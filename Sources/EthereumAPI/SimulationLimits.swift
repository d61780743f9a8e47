// Bounds on eth_call and eth_estimateGas, which anyone who reaches the RPC port may send for free
// (Docs/rpc.md §Limits): a gas cap, a time limit that really stops the VM, and a lane that lets
// only a few simulations run at once so that they cannot starve block production.
import Execution
import Foundation
import RPCServer
import Synchronization

public struct SimulationLimits: Sendable {
    /// The most gas one simulation may use, whatever the call object asks (geth's RPCGasCap).
    public var gasCap: UInt64
    /// How long one eth_call or one whole eth_estimateGas search may run before the VM is stopped.
    public var timeLimit: Duration
    /// Simulations running at once; the rest wait in line.
    public var concurrency: Int
    /// Simulations waiting for a place; one more gets -32005 "too many simulations".
    public var queueLength: Int

    public init(gasCap: UInt64 = 50_000_000, timeLimit: Duration = .seconds(5),
                concurrency: Int = max(1, ProcessInfo.processInfo.activeProcessorCount - 1), queueLength: Int = 64) {
        self.gasCap = gasCap
        self.timeLimit = timeLimit
        self.concurrency = max(1, concurrency)
        self.queueLength = max(0, queueLength)
    }
}

/// At most `limits.concurrency` simulations at once, the next `limits.queueLength` waiting in order.
final class SimulationLane: Sendable {
    private struct State {
        var running = 0
        var waiting: [CheckedContinuation<Void, Never>] = []
    }

    let limits: SimulationLimits
    private let state = Mutex(State())

    init(limits: SimulationLimits) { self.limits = limits }

    static let busy = RPCError(code: RPCError.limitExceededCode,
                               message: "too many eth_call/eth_estimateGas in flight; try again later")

    /// Runs `body` when a place is free, with a stop condition that is met when the time limit
    /// has passed since it started.
    func run<T: Sendable>(_ body: (StopCondition) async throws -> T) async throws -> T {
        try await enter()
        defer { leave() }
        let deadline = ContinuousClock.now.advanced(by: limits.timeLimit)
        return try await body(StopCondition { ContinuousClock.now >= deadline })
    }

    private func enter() async throws {
        enum Admission { case now, wait, refused }
        let admission: Admission = state.withLock { state in
            if state.running < limits.concurrency { state.running += 1; return .now }
            return state.waiting.count < limits.queueLength ? .wait : .refused
        }
        switch admission {
        case .now: return
        case .refused: throw Self.busy
        case .wait:
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let admitted: Bool = state.withLock { state in
                    // A place may have come free between the two locks.
                    if state.running < limits.concurrency { state.running += 1; return true }
                    state.waiting.append(continuation)
                    return false
                }
                if admitted { continuation.resume() }
            }
        }
    }

    /// Hands the place to the first waiter, if any (it inherits the count), else frees it.
    private func leave() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { state in
            if state.waiting.isEmpty { state.running -= 1; return nil }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }

    /// The message of a simulation stopped by its time limit (geth's words).
    var timeoutMessage: String {
        let milliseconds = limits.timeLimit.components.seconds * 1000 + limits.timeLimit.components.attoseconds / 1_000_000_000_000_000
        let shown = milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
        return "execution aborted (timeout = \(shown))"
    }
}
