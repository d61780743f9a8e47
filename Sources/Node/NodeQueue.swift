// Where the node's confined work runs (DESIGN.md §7: one serial executor) and the monotonic time
// its delays count in. A running node uses a dispatch queue and the machine's uptime; the
// deterministic simulation of whole nodes (NodeSimulation) puts the same code on a seeded event
// queue in simulated time, so a failing seed replays the real driver, execution and storage.
import Dispatch

public protocol NodeQueue: Sendable {
    /// Runs `body` after everything queued before it, never concurrently with other work here.
    func async(_ body: @escaping @Sendable () -> Void)
    /// Runs `body` on this queue once `milliseconds` have passed.
    func asyncAfter(milliseconds: UInt64, _ body: @escaping @Sendable () -> Void)
    /// Monotonic milliseconds (never moves back; unrelated to the wall clock).
    var uptimeMilliseconds: UInt64 { get }
}

/// A serial dispatch queue and the machine's uptime: what a running node uses.
public struct DispatchNodeQueue: NodeQueue {
    private let queue: DispatchQueue

    public init(label: String = "d6g.node.core") {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    public func async(_ body: @escaping @Sendable () -> Void) { queue.async(execute: body) }

    public func asyncAfter(milliseconds: UInt64, _ body: @escaping @Sendable () -> Void) {
        // At most an hour per arming (the DispatchTime arithmetic stays far from overflow).
        let hour: UInt64 = 3_600_000
        guard milliseconds <= hour else {
            return queue.asyncAfter(deadline: .now() + .milliseconds(Int(hour))) {
                self.asyncAfter(milliseconds: milliseconds - hour, body)
            }
        }
        queue.asyncAfter(deadline: .now() + .milliseconds(Int(milliseconds)), execute: body)
    }

    public var uptimeMilliseconds: UInt64 { DispatchTime.now().uptimeNanoseconds / 1_000_000 }
}
