// A node's configuration file (Docs/operator-guide.md §Configuration): every `d6g-node run`/`dev`
// flag as a TOML key, read strictly — an unknown key or a value of the wrong kind names its
// place and stops the node, since a typo would otherwise be ignored silently. Flags given on the
// command line win over the file; the file wins over the defaults.

/// What the file sets; nil where it says nothing.
public struct ConfigFile: Sendable, Equatable {
    public var datadir: String?
    public var validatorKey: String?
    public var rpcAddress: String?
    public var rpcPort: Int?
    public var rpcGasCap: UInt64?
    public var rpcCallTimeout: Double?
    public var rpcSimulations: Int?
    public var backupDirectory: String?
    public var rpcDebug: Bool?
    public var verbose: Bool?
    public var logFormat: String?
    public var metricsAddress: String?
    public var metricsPort: Int?
    public var consensusTimeoutCapMs: Int?
    public var nodeKey: String?
    public var p2pAddress: String?
    public var p2pPort: Int?
    public var peers: [String]?
    public var allowedNodes: [String]?
    public var banSeconds: Int64?
    public var framesPerSecond: Int?
    public var maximumConnections: Int?

    public init() {}

    /// Every key the file may hold, by table, with what it is (the error lists them).
    public static let keys: [String: [String]] = [
        "": ["datadir", "validator-key"],
        "rpc": ["addr", "port", "gas-cap", "call-timeout", "simulations", "backup-dir", "debug"],
        "log": ["verbose", "format"],
        "metrics": ["addr", "port"],
        "consensus": ["timeout-cap-ms"],
        "p2p": ["node-key", "addr", "port", "peers", "allow", "ban-seconds", "frames-per-second", "max-connections"],
    ]

    public init(toml text: String) throws(ConfigFileError) {
        let root: [String: TOMLValue]
        do { root = try TOML.parse(text) } catch { throw ConfigFileError(key: "line \(error.line)", problem: error.reason) }
        let top = Table(values: root, path: "")
        try top.rejectUnknown(Self.keys[""]! + ["rpc", "log", "metrics", "consensus", "p2p"])
        datadir = try top.string("datadir")
        validatorKey = try top.string("validator-key")
        if let rpc = try top.table("rpc") {
            try rpc.rejectUnknown(Self.keys["rpc"]!)
            rpcAddress = try rpc.string("addr")
            rpcPort = try rpc.integer("port", in: 0...65_535).map(Int.init)
            rpcGasCap = try rpc.integer("gas-cap", in: 21_000...Int64.max).map(UInt64.init)
            rpcCallTimeout = try rpc.number("call-timeout", in: 0.001...3_600)
            rpcSimulations = try rpc.integer("simulations", in: 1...1_024).map(Int.init)
            backupDirectory = try rpc.string("backup-dir")
            rpcDebug = try rpc.bool("debug")
        }
        if let log = try top.table("log") {
            try log.rejectUnknown(Self.keys["log"]!)
            verbose = try log.bool("verbose")
            logFormat = try log.string("format")
            if let format = logFormat, !["human", "json"].contains(format) {
                throw ConfigFileError(key: "log.format", problem: "must be \"human\" or \"json\", not \"\(format)\"")
            }
        }
        if let metrics = try top.table("metrics") {
            try metrics.rejectUnknown(Self.keys["metrics"]!)
            metricsAddress = try metrics.string("addr")
            metricsPort = try metrics.integer("port", in: 0...65_535).map(Int.init)
        }
        if let consensus = try top.table("consensus") {
            try consensus.rejectUnknown(Self.keys["consensus"]!)
            consensusTimeoutCapMs = try consensus.integer("timeout-cap-ms", in: 1_000...3_600_000).map(Int.init)
        }
        if let p2p = try top.table("p2p") {
            try p2p.rejectUnknown(Self.keys["p2p"]!)
            nodeKey = try p2p.string("node-key")
            p2pAddress = try p2p.string("addr")
            p2pPort = try p2p.integer("port", in: 0...65_535).map(Int.init)
            peers = try p2p.strings("peers")
            allowedNodes = try p2p.strings("allow")
            banSeconds = try p2p.integer("ban-seconds", in: 1...604_800)
            framesPerSecond = try p2p.integer("frames-per-second", in: 100...1_000_000).map(Int.init)
            maximumConnections = try p2p.integer("max-connections", in: 8...4_096).map(Int.init)
        }
    }
}

public struct ConfigFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `rpc.port`, or `line 7` for a syntax error.
    public let key: String
    public let problem: String

    public var description: String { "\(key): \(problem)" }
}

/// One table of the file, with typed reads that name the key at fault.
private struct Table {
    let values: [String: TOMLValue]
    let path: String

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func rejectUnknown(_ known: [String]) throws(ConfigFileError) {
        for key in values.keys.sorted() where !known.contains(key) {
            throw ConfigFileError(key: name(key), problem: "unknown key (known here: \(known.joined(separator: ", ")))")
        }
    }

    func wrongKind(_ key: String, _ wanted: String, _ value: TOMLValue) -> ConfigFileError {
        ConfigFileError(key: name(key), problem: "must be \(wanted), not \(value.kind)")
    }

    func table(_ key: String) throws(ConfigFileError) -> Table? {
        guard let value = values[key] else { return nil }
        guard case .table(let inner) = value else { throw wrongKind(key, "a table", value) }
        return Table(values: inner, path: name(key))
    }

    func string(_ key: String) throws(ConfigFileError) -> String? {
        guard let value = values[key] else { return nil }
        guard case .string(let text) = value else { throw wrongKind(key, "a string", value) }
        guard !text.isEmpty else { throw ConfigFileError(key: name(key), problem: "must not be empty") }
        return text
    }

    func strings(_ key: String) throws(ConfigFileError) -> [String]? {
        guard let value = values[key] else { return nil }
        guard case .array(let items) = value else { throw wrongKind(key, "an array of strings", value) }
        var strings: [String] = []
        for item in items {
            guard case .string(let text) = item, !text.isEmpty else { throw wrongKind(key, "an array of strings", item) }
            strings.append(text)
        }
        return strings
    }

    func bool(_ key: String) throws(ConfigFileError) -> Bool? {
        guard let value = values[key] else { return nil }
        guard case .bool(let flag) = value else { throw wrongKind(key, "true or false", value) }
        return flag
    }

    func integer(_ key: String, in range: ClosedRange<Int64>) throws(ConfigFileError) -> Int64? {
        guard let value = values[key] else { return nil }
        guard case .integer(let number) = value else { throw wrongKind(key, "an integer", value) }
        guard range.contains(number) else {
            throw ConfigFileError(key: name(key), problem: "\(number) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(ConfigFileError) -> Double? {
        guard let value = values[key] else { return nil }
        let number: Double
        switch value {
        case .integer(let integer): number = Double(integer)
        case .float(let float): number = float
        default: throw wrongKind(key, "a number", value)
        }
        guard range.contains(number) else {
            throw ConfigFileError(key: name(key), problem: "\(number) is outside \(range.lowerBound)…\(range.upperBound)")
        }
        return number
    }
}
