// The node's log, through swift-log (Docs/operator-guide.md §Logs): one line per event on
// standard error, in one of two formats — `human` (`time LEVEL message key=value…`) for people
// and `json` (one object per line: `time`, `level`, `message`, then the event's fields by name,
// every value a string) for log collectors. Field names are stable: they are part of the
// interface operators build alerts on.
import Foundation
import LedgerJSON
import Logging

public enum LogFormat: String, Sendable, CaseIterable {
    case human, json
}

public struct NodeLog: Sendable {
    public enum Level: String, Sendable, Comparable {
        case debug, info, warning, error

        private var rank: Int {
            switch self {
            case .debug: 0
            case .info: 1
            case .warning: 2
            case .error: 3
            }
        }

        public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }

        var swiftLogLevel: Logger.Level {
            switch self {
            case .debug: .debug
            case .info: .info
            case .warning: .warning
            case .error: .error
            }
        }
    }

    public let minimumLevel: Level
    /// The swift-log logger every line goes through (also handed to swift-service-lifecycle).
    public let logger: Logger

    public init(minimumLevel: Level = .info, format: LogFormat = .human,
                sink: @escaping @Sendable (String) -> Void = NodeLog.standardError) {
        self.minimumLevel = minimumLevel
        var logger = Logger(label: "d6g-node") { _ in LineLogHandler(format: format, sink: sink) }
        logger.logLevel = minimumLevel.swiftLogLevel
        self.logger = logger
    }

    /// Drops every line (tests).
    public static let silent = NodeLog(minimumLevel: .error) { _ in }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    public func callAsFunction(_ level: Level, _ message: String, _ fields: KeyValuePairs<String, Any> = [:]) {
        guard level >= minimumLevel else { return }
        var metadata = Logger.Metadata()
        for (key, value) in fields { metadata[key] = .string("\(value)") }
        logger.log(level: level.swiftLogLevel, "\(message)", metadata: metadata)
    }
}

/// Writes each event as one line in `format`. Fields come in key order, so a line's shape does
/// not depend on how the event was built.
struct LineLogHandler: LogHandler {
    let format: LogFormat
    let sink: @Sendable (String) -> Void
    var metadata = Logger.Metadata()
    var logLevel = Logger.Level.info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        let time = Self.timestamp()
        let level = Self.name(of: event.level)
        switch format {
        case .human:
            var line = "\(time) \(level.uppercased()) \(event.message)"
            for key in fields.keys.sorted() { line += " \(key)=\(fields[key]!)" }
            sink(line)
        case .json:
            var object: JSONObject = ["time": .string(time), "level": .string(level), "message": .string(event.message.description)]
            for key in fields.keys.sorted() where object[key] == nil { object[key] = .string("\(fields[key]!)") }
            sink(String(decoding: JSONWriter.encode(.object(object)), as: UTF8.self))
        }
    }

    static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace, .debug: "debug"
        case .info, .notice: "info"
        case .warning: "warning"
        case .error, .critical: "error"
        }
    }

    static func timestamp() -> String {
        let now = SystemClock().nowMilliseconds()
        let seconds = time_t(now / 1000)
        var parts = tm()
        var copy = seconds
        gmtime_r(&copy, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now % 1000))
    }
}
