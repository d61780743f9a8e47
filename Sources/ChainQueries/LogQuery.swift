// eth_getLogs as a pure scan over an abstract chain: a filter plus a block range or one block
// hash, run against a `ChainLogSource` the node implements. Headers are read in chunks and only
// blocks whose bloom may match have their receipts read. Limits on the range and the result
// count keep one query from holding the node's read path for long.
import LedgerPrimitives
import LedgerTypes

/// One end of a block range as the client named it; `latest` is resolved against the head when
/// the query runs (`pending`, `safe` and `finalized` are the latest block on this chain).
public enum BlockBound: Sendable, Hashable {
    case earliest
    case latest
    case number(UInt64)

    public func resolved(head: UInt64) -> UInt64 {
        switch self {
        case .earliest: return 0
        case .latest: return head
        case .number(let number): return number
        }
    }
}

/// Which blocks a query scans.
public enum LogQueryScope: Sendable, Hashable {
    case range(from: BlockBound, to: BlockBound)
    case blockHash(Hash32)
}

public struct LogQuery: Sendable, Hashable {
    public var filter: LogFilter
    public var scope: LogQueryScope

    public init(filter: LogFilter, scope: LogQueryScope = .range(from: .latest, to: .latest)) {
        self.filter = filter
        self.scope = scope
    }
}

public struct LogQueryLimits: Sendable, Hashable {
    /// Most blocks one query may span (to − from + 1).
    public var maxBlockRange: UInt64
    /// Most logs one query may return.
    public var maxResults: Int

    public init(maxBlockRange: UInt64 = 10_000, maxResults: Int = 10_000) {
        self.maxBlockRange = maxBlockRange
        self.maxResults = maxResults
    }
}

public enum LogQueryError: Error, Sendable, Hashable, CustomStringConvertible {
    /// fromBlock is after toBlock.
    case invalidRange(from: UInt64, to: UInt64)
    case rangeTooLarge(blocks: UInt64, limit: UInt64)
    case tooManyResults(limit: Int)
    /// No committed block has this hash.
    case unknownBlock(Hash32)

    public var description: String {
        switch self {
        case .invalidRange: return "invalid block range params"
        case .rangeTooLarge(_, let limit): return "query exceeds max block range \(limit)"
        case .tooManyResults(let limit): return "query returned more than \(limit) results"
        case .unknownBlock: return "unknown block"
        }
    }
}

/// What the log queries read from the node. Calls may hop to the node's read queue; errors
/// they throw are passed through to the caller unchanged.
public protocol ChainLogSource: Sendable {
    /// The number of the latest committed block.
    func headNumber() async throws -> UInt64
    /// The header of committed block `number`, or nil above the head.
    func header(number: UInt64) async throws -> BlockHeader?
    /// The headers of committed blocks `range`, in order (those above the head left out). The
    /// default asks `header(number:)` block by block; a node overrides it to read them in one go.
    func headers(in range: ClosedRange<UInt64>) async throws -> [BlockHeader]
    /// The number of the committed block with this hash, or nil.
    func blockNumber(hash: Hash32) async throws -> UInt64?
    /// The receipts and transaction hashes of committed block `number`, or nil above the head.
    func blockReceipts(number: UInt64) async throws -> BlockReceipts?
}

extension ChainLogSource {
    public func headers(in range: ClosedRange<UInt64>) async throws -> [BlockHeader] {
        var headers: [BlockHeader] = []
        for number in range {
            guard let header = try await header(number: number) else { break }
            headers.append(header)
        }
        return headers
    }
}

/// Runs log queries against a source.
public struct LogScanner: Sendable {
    /// Headers read per call to the source.
    public static let headerChunk: UInt64 = 1_024

    public let source: any ChainLogSource
    public let limits: LogQueryLimits

    public init(source: any ChainLogSource, limits: LogQueryLimits = LogQueryLimits()) {
        self.source = source
        self.limits = limits
    }

    /// The logs of `query`, in chain order. A range is clipped to the head (a range starting
    /// above the head is empty); the range limit is checked before anything is read.
    public func logs(_ query: LogQuery) async throws -> [MatchedLog] {
        switch query.scope {
        case .blockHash(let hash):
            guard let number = try await source.blockNumber(hash: hash),
                  let block = try await source.blockReceipts(number: number) else { throw LogQueryError.unknownBlock(hash) }
            let logs = query.filter.mayMatch(block.header.logsBloom) ? query.filter.logs(in: block) : []
            guard logs.count <= limits.maxResults else { throw LogQueryError.tooManyResults(limit: limits.maxResults) }
            return logs
        case .range(let fromBound, let toBound):
            let head = try await source.headNumber()
            let from = fromBound.resolved(head: head), to = toBound.resolved(head: head)
            guard from <= to else { throw LogQueryError.invalidRange(from: from, to: to) }
            guard from <= head else { return [] }
            // The limit applies to blocks that exist: "from 0 to 0xffffffff" on a short chain is fine.
            let last = min(to, head)
            guard last - from < limits.maxBlockRange else {
                throw LogQueryError.rangeTooLarge(blocks: last - from + 1, limit: limits.maxBlockRange)
            }
            return try await scan(query.filter, blocks: from...last, stopBeforeOverflow: false).logs
        }
    }

    /// Scans `blocks` in order. With `stopBeforeOverflow` false, more than `maxResults` logs is an
    /// error; with it true the scan stops before the block that would overflow and reports the
    /// last block it took whole (a lone block bigger than the limit is still taken, so a poll
    /// always makes progress). `scannedThrough` is nil when not even the first block was read.
    public func scan(_ filter: LogFilter, blocks: ClosedRange<UInt64>, stopBeforeOverflow: Bool) async throws
        -> (logs: [MatchedLog], scannedThrough: UInt64?) {
        var logs: [MatchedLog] = []
        var scannedThrough: UInt64?
        var start = blocks.lowerBound
        while start <= blocks.upperBound {
            let end = start + min(Self.headerChunk - 1, blocks.upperBound - start)
            let headers = try await source.headers(in: start...end)
            for header in headers {
                if filter.mayMatch(header.logsBloom), let block = try await source.blockReceipts(number: header.number) {
                    let found = filter.logs(in: block)
                    if logs.count + found.count > limits.maxResults {
                        guard stopBeforeOverflow else { throw LogQueryError.tooManyResults(limit: limits.maxResults) }
                        if !logs.isEmpty || scannedThrough != nil { return (logs, scannedThrough) }
                    }
                    logs.append(contentsOf: found)
                }
                scannedThrough = header.number
            }
            // Fewer headers than asked: the head moved back (never on this chain) or the range ended.
            guard headers.count == Int(end - start + 1), end < blocks.upperBound else { break }
            start = end + 1
        }
        return (logs, scannedThrough)
    }
}
