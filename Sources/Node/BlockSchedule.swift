// When the proposer answers the core's request for a block (DESIGN.md §7; the driver starts
// every height at once): as soon as transactions wait, but no sooner than `minBlockIntervalMs`
// after the previous block; with nothing to do, an empty block at most every
// `emptyBlockPeriodMs`. A pure rule over times in milliseconds, so it is tested with a fake clock.
import Foundation
import Synchronization

/// Milliseconds since the Unix epoch.
public protocol NodeClock: Sendable {
    func nowMilliseconds() -> UInt64
}

/// Time that moves only when told: tests, and `d6g-bench gen-chain`, which stamps its blocks a
/// second apart.
public final class ManualClock: NodeClock {
    private let now: Mutex<UInt64>

    public init(_ start: UInt64 = 1_800_000_000_000) { now = Mutex(start) }

    public func nowMilliseconds() -> UInt64 { now.withLock { $0 } }

    public func advance(by milliseconds: UInt64) { now.withLock { $0 += milliseconds } }
}

/// The machine's wall clock.
public struct SystemClock: NodeClock {
    public init() {}

    public func nowMilliseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000 + UInt64(time.tv_nsec) / 1_000_000
    }
}

public struct BlockSchedule: Sendable, Hashable {
    public enum Decision: Sendable, Hashable {
        case produceNow
        /// Look again at this time (ms), or sooner if transactions arrive.
        case wait(untilMilliseconds: UInt64)
    }

    public var minBlockIntervalMs: UInt64
    public var emptyBlockPeriodMs: UInt64

    public init(minBlockIntervalMs: UInt64, emptyBlockPeriodMs: UInt64) {
        self.minBlockIntervalMs = minBlockIntervalMs
        self.emptyBlockPeriodMs = max(emptyBlockPeriodMs, minBlockIntervalMs)
    }

    /// `lastBlockMs` is the previous block's `timestampMs`.
    public func decide(nowMilliseconds now: UInt64, lastBlockMs: UInt64, hasPendingTransactions: Bool) -> Decision {
        let due = lastBlockMs &+ (hasPendingTransactions ? minBlockIntervalMs : emptyBlockPeriodMs)
        return now >= due ? .produceNow : .wait(untilMilliseconds: due)
    }

    /// The timestamp of a block built at `now` on a parent stamped `parentMs`: the clock, but
    /// always later than the parent (ADR 0002), even if the clock stepped back.
    public static func timestamp(nowMilliseconds now: UInt64, parentMs: UInt64) -> UInt64 {
        max(now, parentMs == .max ? .max : parentMs + 1)
    }
}
