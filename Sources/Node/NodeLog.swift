// The node's log lines: one line per event on standard error, `time level message key=value…`,
// so operators can read them and tools can grep them. swift-log can replace the sink later.
import Foundation

public struct NodeLog: Sendable {
    public enum Level: String, Sendable, Comparable {
        case debug, info, warning, error

        private var rank: Int { [.debug: 0, .info: 1, .warning: 2, .error: 3][self]! }
        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }
    }

    public let minimumLevel: Level
    private let sink: @Sendable (String) -> Void

    public init(minimumLevel: Level = .info, sink: @escaping @Sendable (String) -> Void = NodeLog.standardError) {
        self.minimumLevel = minimumLevel
        self.sink = sink
    }

    /// Drops every line (tests).
    public static let silent = NodeLog(minimumLevel: .error) { _ in }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public func callAsFunction(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        guard level >= minimumLevel else { return }
        var line = "\(Self.timestamp()) \(level.rawValue.uppercased()) \(message)"
        for (key, value) in fields { line += " \(key)=\(value)" }
        sink(line)
    }

    private static func timestamp() -> String {
        let now = SystemClock().nowMilliseconds()
        let seconds = time_t(now / 1000)
        var parts = tm()
        var copy = seconds
        gmtime_r(&copy, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now % 1000))
    }
}
