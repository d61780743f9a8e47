// `d6g-node dev | init | run`: each builds a launch description from its flags and calls the
// Node library (swift-argument-parser's habit: `run()` holds no node logic).
import ArgumentParser
import ConfigFile
import EthereumAPI
import Foundation
import LedgerCrypto
import LedgerPrimitives
import Node
import RPCServer

/// The flags `run` and `dev` share, each also a key of the configuration file (`--config`):
/// a flag given here wins over the file, the file over the default (Docs/operator-guide.md
/// §Configuration).
struct RPCOptions: ParsableArguments {
    @Option(help: "Configuration file (TOML) with any of these settings; flags win over it.")
    var config: String?

    @Option(name: .customLong("rpc-addr"), help: "Interface for JSON-RPC (loopback unless you mean otherwise). [default: 127.0.0.1]")
    var rpcAddress: String?

    @Option(name: .customLong("rpc-port"), help: "TCP port for JSON-RPC (0 picks a free one). [default: 8545]")
    var rpcPort: Int?

    @Option(name: .customLong("rpc-gas-cap"), help: "Most gas one eth_call or eth_estimateGas may use. [default: 50000000]")
    var rpcGasCap: UInt64?

    @Option(name: .customLong("rpc-call-timeout"), help: "Seconds one eth_call or eth_estimateGas may run before the VM is stopped. [default: 5]")
    var rpcCallTimeout: Double?

    @Option(name: .customLong("rpc-simulations"), help: "eth_call/eth_estimateGas running at once (default: cores - 1).")
    var rpcSimulations: Int?

    @Flag(help: "Log debug lines too.")
    var verbose = false

    @Option(name: .customLong("log-format"), help: "Log lines as `human` text or `json` objects, one per line. [default: human]")
    var logFormat: LogFormat?

    @Option(name: .customLong("metrics-addr"), help: "Interface for the Prometheus metrics endpoint. [default: 127.0.0.1]")
    var metricsAddress: String?

    @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics at http://ADDR:PORT/metrics (0 picks a free port; none: off).")
    var metricsPort: Int?

    @Option(name: .customLong("timeout-cap-ms"),
            help: "Longest a consensus step waits, in ms: timeouts grow each round up to it. [default: 60000]")
    var timeoutCapMs: Int?

    @Flag(name: .customLong("rpc-debug"), help: "Serve debug_traceTransaction (replays blocks: keep the RPC port private).")
    var rpcDebug = false

    @Option(name: .customLong("backup-dir"),
            help: "Enables admin_backup: live backups go into new directories here (only with a loopback --rpc-addr).")
    var backupDirectory: String?

    func validate() throws {
        if let rpcPort { guard (0...65_535).contains(rpcPort) else { throw ValidationError("--rpc-port must be between 0 and 65535") } }
        if let metricsPort {
            guard (0...65_535).contains(metricsPort) else { throw ValidationError("--metrics-port must be between 0 and 65535") }
        }
        if let rpcGasCap { guard rpcGasCap >= 21_000 else { throw ValidationError("--rpc-gas-cap must be at least 21000") } }
        if let rpcCallTimeout {
            guard rpcCallTimeout > 0, rpcCallTimeout <= 3_600 else { throw ValidationError("--rpc-call-timeout must be between 0 and 3600 seconds") }
        }
        if let timeoutCapMs {
            guard (1_000...3_600_000).contains(timeoutCapMs) else {
                throw ValidationError("--timeout-cap-ms must be between 1000 and 3600000")
            }
        }
        guard (rpcSimulations ?? 1) >= 1 else { throw ValidationError("--rpc-simulations must be at least 1") }
    }

    /// The configuration file, read (empty without `--config`).
    func file() throws -> ConfigFile {
        guard let config else { return ConfigFile() }
        guard let data = FileManager.default.contents(atPath: config), let text = String(data: data, encoding: .utf8) else {
            throw CommandFailure("cannot read the configuration file \(config)")
        }
        do { return try ConfigFile(toml: text) } catch { throw CommandFailure("configuration file \(config): \(error)") }
    }

    /// Flags over the file over the defaults.
    func settings(_ file: ConfigFile) throws -> NodeSettings {
        let address = rpcAddress ?? file.rpcAddress ?? "127.0.0.1"
        var limits = SimulationLimits(gasCap: rpcGasCap ?? file.rpcGasCap ?? 50_000_000,
                                      timeLimit: .milliseconds(Int64((rpcCallTimeout ?? file.rpcCallTimeout ?? 5) * 1_000)))
        if let concurrency = rpcSimulations ?? file.rpcSimulations { limits.concurrency = concurrency }
        let backups = backupDirectory ?? file.backupDirectory
        // Anyone who reaches the port could fill the disk with backups.
        if backups != nil, !["127.0.0.1", "::1", "localhost"].contains(address) {
            throw CommandFailure("a backup directory enables admin_backup, which is only served on a loopback RPC address (not \(address))")
        }
        let metricsPort = self.metricsPort ?? file.metricsPort
        let metrics = metricsPort.map { (host: metricsAddress ?? file.metricsAddress ?? "127.0.0.1", port: $0) }
        return NodeSettings(debugRPC: rpcDebug || file.rpcDebug == true,
                            rpc: RPCServerConfiguration(host: address, port: rpcPort ?? file.rpcPort ?? 8545, eventLoopThreads: 2),
                            metrics: metrics,
                            simulations: limits,
                            log: NodeLog(minimumLevel: verbose || file.verbose == true ? .debug : .info,
                                         format: logFormat ?? file.logFormat.flatMap(LogFormat.init(rawValue:)) ?? .human),
                            backupDirectory: backups,
                            timeoutCapMs: timeoutCapMs ?? file.consensusTimeoutCapMs ?? NodeLaunch.defaultTimeoutCapMs)
    }
}

/// What `run` and `dev` start a node with, resolved.
struct NodeSettings {
    var debugRPC = false
    var rpc: RPCServerConfiguration
    var metrics: (host: String, port: Int)?
    var simulations: SimulationLimits
    var log: NodeLog
    var backupDirectory: String?
    var timeoutCapMs: Int

    func launch(_ directory: DataDirectory, key: PrivateKey?, keyFile: String?) -> NodeLaunch {
        var launch = NodeLaunch(dataDirectory: directory, validatorKey: key, validatorKeyFile: keyFile, rpc: rpc,
                                simulations: simulations, log: log, backupDirectory: backupDirectory, metrics: metrics)
        launch.debugRPC = debugRPC
        launch.timeoutCapMs = timeoutCapMs
        return launch
    }
}

/// A private key in hex from a file.
func readKey(_ path: String, what: String) throws -> PrivateKey {
    guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
        throw CommandFailure("cannot read the \(what) file \(path)")
    }
    do {
        return try PrivateKey(bytes: try Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)))
    } catch {
        throw CommandFailure("\(path) does not hold a secp256k1 private key in hex: \(error)")
    }
}

/// A failure while running a command: printed as `Error: …` without the usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a started node until SIGINT/SIGTERM, then shuts it down cleanly.
func serve(_ launch: NodeLaunch) async throws {
    do { try await NodeService.run(launch) } catch { throw CommandFailure(error.description) }
}

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Run a one-validator development chain (Genesis/devnet.json, well-known keys).",
        discussion: "DEVELOPMENT ONLY: every key it prints is public knowledge.")

    @Option(help: "Data directory. [default: .d6g/dev]")
    var datadir: String?

    @Flag(help: "Delete the data directory first and start a fresh chain.")
    var reset = false

    @OptionGroup var rpc: RPCOptions

    func run() async throws {
        let file = try rpc.file()
        let settings = try rpc.settings(file)
        if reset, datadir == nil, file.datadir != nil {
            throw CommandFailure("--reset deletes the data directory: name it with --datadir, not only in the configuration file")
        }
        let directory = DataDirectory(path: datadir ?? file.datadir ?? ".d6g/dev")
        do {
            if reset { try directory.remove() }
            if !directory.isInitialized {
                let lock = try directory.lock()
                try directory.initialize(genesisJSON: Array(DevNetwork.genesisJSON.utf8), source: "devnet.json (built in)")
                _ = lock
            }
        } catch { throw CommandFailure(error.description) }
        var banner = "d6g-node dev — DEVELOPMENT ONLY: these keys are public knowledge, never use them for anything of value.\n"
        banner += "chain id \(DevNetwork.genesis().chainId), data in \(directory.path)\n"
        banner += "funded accounts (1,000,000 ether each):\n"
        for key in DevNetwork.accountKeys {
            banner += "  \(key.address.checksummed)  private key \(key.bytes.hexString)\n"
        }
        banner += "validator \(DevNetwork.validatorKey.address.checksummed)\n"
        // Unbuffered, so the banner comes before the log lines even in a pipe.
        FileHandle.standardOutput.write(Data(banner.utf8))
        try await serve(settings.launch(directory, key: DevNetwork.validatorKey, keyFile: nil))
    }
}

struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a data directory holding block 0 of a genesis file.")

    @Option(help: "Genesis file (geth-shaped JSON with config.d6g; see Genesis/README.md).")
    var genesis: String

    @Option(help: "Data directory to create.")
    var datadir: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: genesis) else {
            throw CommandFailure("cannot read the genesis file \(genesis)")
        }
        let directory = DataDirectory(path: datadir)
        do {
            let lock = try directory.lock()
            let (parsed, head) = try directory.initialize(genesisJSON: [UInt8](data), source: genesis)
            _ = lock
            print("initialised \(directory.path): chain id \(parsed.chainId), block 0 \(head.hash)")
        } catch { throw CommandFailure(error.description) }
    }
}

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a node on an initialised data directory.")

    @Option(help: "Data directory made by `d6g-node init` (or `datadir` in the configuration file).")
    var datadir: String?

    @Option(name: .customLong("validator-key"),
            help: "File holding the validator's consensus private key (hex), as `d6g-node keygen --out` writes it.")
    var validatorKey: String?

    @Option(name: .customLong("node-key"),
            help: "File holding this node's P2P private key (hex); its public key is the validator's nodeKey in genesis. Enables P2P.")
    var nodeKey: String?

    @Option(name: .customLong("p2p-addr"), help: "Interface for P2P connections. [default: 127.0.0.1]")
    var p2pAddress: String?

    @Option(name: .customLong("p2p-port"), help: "TCP port for P2P connections (0 picks a free one). [default: 30303]")
    var p2pPort: Int?

    @Option(name: .customLong("peer"), help: "A peer to dial and keep connected, host:port (repeat for each).")
    var peers: [String] = []

    @Option(name: .customLong("allow-node"), help: "A node key (compressed hex) allowed to connect besides the validators' (repeat for each).")
    var allowedNodes: [String] = []

    @OptionGroup var rpc: RPCOptions

    func validate() throws {
        if let p2pPort { guard (0...65_535).contains(p2pPort) else { throw ValidationError("--p2p-port must be between 0 and 65535") } }
    }

    /// The P2P settings, if a node key is given (flags over the file).
    func p2p(_ file: ConfigFile) throws -> P2PSettings? {
        guard let keyFile = nodeKey ?? file.nodeKey else { return nil }
        var allowed: [[UInt8]] = []
        for text in allowedNodes + (file.allowedNodes ?? []) {
            guard let bytes = try? Hex.decode(text), bytes.count == 33, (try? PublicKey(bytes: bytes)) != nil else {
                throw CommandFailure("allowed node key \(text) is not a compressed secp256k1 public key in hex")
            }
            allowed.append(bytes)
        }
        var settings = P2PSettings(nodeKey: try readKey(keyFile, what: "node key"), host: p2pAddress ?? file.p2pAddress ?? "127.0.0.1",
                                   port: p2pPort ?? file.p2pPort ?? 30_303, peers: peers.isEmpty ? file.peers ?? [] : peers,
                                   allowedKeys: allowed)
        if let seconds = file.banSeconds { settings.banSeconds = seconds }
        if let frames = file.framesPerSecond { settings.framesPerSecond = frames }
        if let connections = file.maximumConnections { settings.maximumConnections = connections }
        return settings
    }

    func run() async throws {
        let file = try rpc.file()
        let settings = try rpc.settings(file)
        guard let datadir = datadir ?? file.datadir else {
            throw CommandFailure("no data directory: give --datadir, or datadir in the configuration file")
        }
        let validatorKey = self.validatorKey ?? file.validatorKey
        let directory = DataDirectory(path: datadir)
        guard directory.isInitialized else {
            throw CommandFailure("\(directory.path) holds no chain; run `d6g-node init --genesis FILE --datadir \(datadir)` first")
        }
        let key = try validatorKey.map { try readKey($0, what: "validator key") }
        var launch = settings.launch(directory, key: key, keyFile: validatorKey)
        launch.p2p = try p2p(file)
        try await serve(launch)
    }
}

struct BackupCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up a stopped node's data directory (chain database checkpoint, consensus log, genesis).",
        discussion: "For a running node, start it with --backup-dir and call admin_backup (Docs/operator-guide.md §Backups).")

    @Option(help: "Data directory of the stopped node.")
    var datadir: String

    @Option(help: "New directory to write the backup into.")
    var out: String

    func run() throws {
        do {
            let manifest = try NodeBackup.backUpStopped(DataDirectory(path: datadir), to: out)
            print("backed up \(datadir) to \(out): chain id \(manifest.chainId), head \(manifest.headNumber) \(manifest.headHash)")
        } catch { throw CommandFailure(error.description) }
    }
}

struct RestoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new data directory and check it.",
        discussion: "Run the restored node only where the original no longer runs: two validators with one key sign twice.")

    @Option(help: "The backup directory (`d6g-node backup --out`, or an admin_backup path).")
    var from: String

    @Option(help: "New or empty data directory to restore into.")
    var datadir: String

    func run() throws {
        do {
            let manifest = try NodeBackup.restore(from: from, to: DataDirectory(path: datadir))
            print("restored \(from) into \(datadir): chain id \(manifest.chainId), head \(manifest.headNumber) \(manifest.headHash), taken \(manifest.createdAt)")
        } catch { throw CommandFailure(error.description) }
    }
}

extension LogFormat: ExpressibleByArgument {}
