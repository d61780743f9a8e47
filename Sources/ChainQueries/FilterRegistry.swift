// The installed filters of eth_newFilter / eth_newBlockFilter: their criteria and a cursor per
// filter (the last block whose changes were handed out), and the time each was last used so
// idle ones expire as in geth (5 minutes). Pure state: the caller passes the time and the ids,
// and serializes access (SubscriptionHub keeps it under a lock).
import LedgerPrimitives

public struct FilterRegistry: Sendable {
    public enum Kind: Sendable, Hashable {
        /// Logs matching `filter`; `from`/`to` bound eth_getFilterLogs and the blocks whose logs
        /// eth_getFilterChanges reports.
        case logs(LogFilter, from: BlockBound, to: BlockBound)
        /// Hashes of new blocks.
        case blocks
    }

    public struct Entry: Sendable, Hashable {
        public var kind: Kind
        /// Changes are reported for blocks after this one.
        public var cursor: UInt64
        public var lastUsed: ContinuousClock.Instant
    }

    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        case notFound
        case tooManyFilters(limit: Int)

        public var description: String {
            switch self {
            case .notFound: return "filter not found"
            case .tooManyFilters(let limit): return "too many filters installed (limit \(limit))"
            }
        }
    }

    public var idleTimeout: Duration
    public var maxFilters: Int
    public private(set) var entries: [String: Entry] = [:]
    /// No scan for idle filters before this: every install, poll and commit asks for one, and a
    /// scan visits every filter, so scans run at most once per `scanInterval` (a filter may
    /// outlive its timeout by that much). Without it, installing the 10,000th filter cost a
    /// scan of the 9,999 before it.
    private var nextScan: ContinuousClock.Instant?
    public static let scanInterval = Duration.seconds(1)

    public init(idleTimeout: Duration = .seconds(300), maxFilters: Int = 10_000) {
        self.idleTimeout = idleTimeout
        self.maxFilters = maxFilters
    }

    public var count: Int { entries.count }

    /// Installs a filter whose changes start after block `head`.
    public mutating func install(_ kind: Kind, id: String, head: UInt64, now: ContinuousClock.Instant) throws(Failure) {
        expire(now: now)
        guard entries.count < maxFilters else { throw .tooManyFilters(limit: maxFilters) }
        entries[id] = Entry(kind: kind, cursor: head, lastUsed: now)
    }

    @discardableResult
    public mutating func uninstall(_ id: String) -> Bool { entries.removeValue(forKey: id) != nil }

    /// Removes filters unused for longer than `idleTimeout`; returns their ids.
    @discardableResult
    public mutating func expire(now: ContinuousClock.Instant) -> [String] {
        if let nextScan, now < nextScan { return [] }
        nextScan = now + Self.scanInterval
        let idle = entries.compactMap { now - $0.value.lastUsed > idleTimeout ? $0.key : nil }
        for id in idle { entries.removeValue(forKey: id) }
        return idle
    }

    /// The filter, marked as used now.
    public mutating func use(_ id: String, now: ContinuousClock.Instant) throws(Failure) -> Entry {
        expire(now: now)
        guard var entry = entries[id] else { throw .notFound }
        entry.lastUsed = now
        entries[id] = entry
        return entry
    }

    /// Claims the blocks after the cursor up to `head` for one poll: the cursor moves to `head`
    /// at once, so concurrent polls of one filter get disjoint blocks. nil when there is nothing new.
    public mutating func claim(_ id: String, head: UInt64, now: ContinuousClock.Instant) throws(Failure)
        -> (kind: Kind, blocks: ClosedRange<UInt64>)? {
        let entry = try use(id, now: now)
        guard entry.cursor < head else { return nil }
        entries[id]?.cursor = head
        return (entry.kind, (entry.cursor + 1)...head)
    }

    /// Gives back the end of a claimed range that a poll did not report (it stopped at the
    /// result limit): the next poll starts after `reportedThrough`.
    public mutating func giveBack(_ id: String, claimedThrough: UInt64, reportedThrough: UInt64) {
        guard let entry = entries[id], entry.cursor == claimedThrough, reportedThrough < claimedThrough else { return }
        entries[id]?.cursor = reportedThrough
    }
}
