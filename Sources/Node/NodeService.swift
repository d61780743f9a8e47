// Starting and stopping a whole node: lock the data directory (and the validator key file), open
// RocksDB, open the chain, start block production and the JSON-RPC server; on SIGINT/SIGTERM
// stop the server, let the height in flight finish, and close the database.
import Dispatch
import EthereumAPI
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import RPCServer
import StorageRocksDB

public enum NodeVersion {
    public static let version = "0.1.0"

    /// web3_clientVersion: name/version/platform/toolchain, as geth's.
    public static var clientVersion: String {
        #if arch(x86_64)
        let architecture = "x86_64"
        #elseif arch(arm64)
        let architecture = "arm64"
        #else
        let architecture = "unknown"
        #endif
        #if os(Linux)
        let system = "linux"
        #else
        let system = "darwin"
        #endif
        return "d6g-ledger/v\(version)/\(system)-\(architecture)/swift6"
    }
}

/// Everything `d6g-node run` and `dev` decide before starting.
public struct NodeLaunch: Sendable {
    public var dataDirectory: DataDirectory
    public var validatorKey: PrivateKey?
    /// The file the key came from, locked while the node runs (nil for the built-in dev key).
    public var validatorKeyFile: String?
    public var rpc: RPCServerConfiguration
    /// Gas cap, time limit and concurrency of eth_call and eth_estimateGas.
    public var simulations: SimulationLimits
    public var log: NodeLog
    /// Where `admin_backup` writes live backups; nil leaves the method out.
    public var backupDirectory: String?

    public init(dataDirectory: DataDirectory, validatorKey: PrivateKey?, validatorKeyFile: String?,
                rpc: RPCServerConfiguration, simulations: SimulationLimits = SimulationLimits(), log: NodeLog = NodeLog(),
                backupDirectory: String? = nil) {
        self.dataDirectory = dataDirectory
        self.validatorKey = validatorKey
        self.validatorKeyFile = validatorKeyFile
        self.rpc = rpc
        self.simulations = simulations
        self.log = log
        self.backupDirectory = backupDirectory
    }
}

/// A started node: stop it with `shutdown()`.
public final class RunningNode: Sendable {
    public let node: LedgerNode
    public let server: RPCHTTPServer
    private let store: RocksDBStore
    private let locks: [FileLock]
    private let log: NodeLog

    init(node: LedgerNode, server: RPCHTTPServer, store: RocksDBStore, locks: [FileLock], log: NodeLog) {
        self.node = node
        self.server = server
        self.store = store
        self.locks = locks
        self.log = log
    }

    /// Stops the RPC server, then block production (a height in flight completes or never
    /// starts), then closes the database. The locks go with this object.
    public func shutdown() async {
        log(.info, "shutting down")
        try? await server.shutdown()
        await node.stop()
        store.close()
        log(.info, "stopped")
    }
}

public enum NodeService {
    /// Starts a node on an initialised data directory.
    public static func start(_ launch: NodeLaunch) async throws(NodeStartError) -> RunningNode {
        let directory = launch.dataDirectory
        let log = launch.log
        var locks = [try directory.lock()]
        if let keyFile = launch.validatorKeyFile {
            locks.append(try FileLock(path: keyFile, create: false, purpose: "the validator key \(keyFile)"))
        }
        let genesis = try directory.storedGenesis()
        let store = try directory.openStore()
        let node: LedgerNode
        do {
            node = try LedgerNode(configuration: NodeConfiguration(genesis: genesis, validatorKey: launch.validatorKey,
                                                                   simulations: launch.simulations),
                                  store: ChainStore(storage: store),
                                  consensusLog: FileConsensusLog(path: directory.consensusLog), log: log)
        } catch {
            store.close()
            throw .node(error)
        }
        let head = node.status.head
        log(.info, "opened the chain", ["datadir": directory.path, "chainId": genesis.chainId, "head": head.number,
                                        "hash": node.status.headHash, "validator": node.validatorAddress.map { "\($0)" } ?? "none"])
        var methods = node.ethereumAPI(clientVersion: NodeVersion.clientVersion).methods()
        if let backups = launch.backupDirectory {
            methods.registerBackup(of: directory, store: store, node: node, into: backups, log: log)
        }
        let server: RPCHTTPServer
        do {
            server = try await RPCHTTPServer.start(configuration: launch.rpc,
                                                   handler: methods,
                                                   isReady: { node.status.halted == nil })
        } catch {
            await node.stop()
            store.close()
            throw .rpc("\(launch.rpc.host):\(launch.rpc.port): \(error)")
        }
        node.start()
        log(.info, "JSON-RPC listening", ["address": "http://\(launch.rpc.host):\(server.port)"])
        return RunningNode(node: node, server: server, store: store, locks: locks, log: log)
    }

    /// Waits for SIGINT or SIGTERM and returns the signal's number.
    public static func waitForTerminationSignal() async -> Int32 {
        await withCheckedContinuation { continuation in
            SignalWaiter.shared.wait { continuation.resume(returning: $0) }
        }
    }
}

/// Turns SIGINT/SIGTERM into one callback (dispatch sources, so no work runs in a signal handler).
private final class SignalWaiter: @unchecked Sendable {
    static let shared = SignalWaiter()
    private let queue = DispatchQueue(label: "d6g.node.signals")
    private var sources: [any DispatchSourceSignal] = []
    private var callback: (@Sendable (Int32) -> Void)?

    func wait(_ body: @escaping @Sendable (Int32) -> Void) {
        queue.sync {
            callback = body
            guard sources.isEmpty else { return }
            for number in [SIGINT, SIGTERM] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { [self] in
                    let pending = callback
                    callback = nil
                    pending?(number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
