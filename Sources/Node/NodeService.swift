// Starting and stopping a whole node: lock the data directory (and the validator key file), open
// RocksDB, open the chain, start block production, the JSON-RPC server and the metrics endpoint;
// on SIGINT/SIGTERM (swift-service-lifecycle's graceful shutdown) stop the servers, let the
// height in flight finish, and close the database.
import EthereumAPI
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import P2P
import RPCServer
import ServiceLifecycle
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
    /// Where Prometheus scrapes the metrics (`GET /metrics`); nil serves none.
    public var metrics: (host: String, port: Int)?
    /// Serve debug_traceTransaction.
    public var debugRPC = false
    /// Talk to other nodes (Docs/p2p.md); nil runs alone (a single validator, or a dev node).
    public var p2p: P2PSettings?
    /// The longest a consensus step waits: timeouts grow each round until a round fits or this.
    public var timeoutCapMs = NodeLaunch.defaultTimeoutCapMs
    /// A minute: long enough for a round over slow links between sites, short enough that a
    /// network recovering from a long outage starts a fresh round within a minute.
    public static let defaultTimeoutCapMs = 60_000

    public init(dataDirectory: DataDirectory, validatorKey: PrivateKey?, validatorKeyFile: String?,
                rpc: RPCServerConfiguration, simulations: SimulationLimits = SimulationLimits(), log: NodeLog = NodeLog(),
                backupDirectory: String? = nil, metrics: (host: String, port: Int)? = nil) {
        self.metrics = metrics
        self.dataDirectory = dataDirectory
        self.validatorKey = validatorKey
        self.validatorKeyFile = validatorKeyFile
        self.rpc = rpc
        self.simulations = simulations
        self.log = log
        self.backupDirectory = backupDirectory
    }
}

/// How a node joins the others.
public struct P2PSettings: Sendable {
    /// This node's P2P identity (its public key must be a validator's `nodeKey` in genesis, or
    /// in the others' `allowedKeys`).
    public var nodeKey: PrivateKey
    public var host: String
    public var port: Int
    /// Addresses (host:port) dialled and kept connected.
    public var peers: [String]
    /// Node keys allowed besides the validators' (followers, tools), compressed hex.
    public var allowedKeys: [[UInt8]]
    /// How long a key that broke the rules (an undecodable or unauthentic frame) is refused.
    public var banSeconds: Int64
    /// Frames a peer may send per second before its session is closed.
    public var framesPerSecond: Int
    /// Connections at once, inbound and outbound.
    public var maximumConnections: Int

    public init(nodeKey: PrivateKey, host: String, port: Int, peers: [String], allowedKeys: [[UInt8]] = [],
                banSeconds: Int64 = PeerTransportConfiguration.defaultBanSeconds,
                framesPerSecond: Int = PeerTransportConfiguration.defaultFramesPerSecond,
                maximumConnections: Int = PeerTransportConfiguration.defaultMaximumConnections) {
        self.nodeKey = nodeKey
        self.host = host
        self.port = port
        self.peers = peers
        self.allowedKeys = allowedKeys
        self.banSeconds = banSeconds
        self.framesPerSecond = framesPerSecond
        self.maximumConnections = maximumConnections
    }
}

/// A started node: stop it with `shutdown()`.
public final class RunningNode: Sendable {
    public let node: LedgerNode
    public let server: RPCHTTPServer
    /// The metrics endpoint, when one was asked for.
    public let metricsServer: MetricsHTTPServer?
    /// The P2P transport, when the node talks to others.
    public let transport: PeerTransport?
    private let store: RocksDBStore
    private let locks: [FileLock]
    private let log: NodeLog

    init(node: LedgerNode, server: RPCHTTPServer, metricsServer: MetricsHTTPServer?, transport: PeerTransport?,
         store: RocksDBStore, locks: [FileLock], log: NodeLog) {
        self.node = node
        self.transport = transport
        self.server = server
        self.metricsServer = metricsServer
        self.store = store
        self.locks = locks
        self.log = log
    }

    /// Stops the RPC server, then block production (a height in flight completes or never
    /// starts), then closes the database. The locks go with this object.
    public func shutdown() async {
        log(.info, "shutting down")
        try? await server.shutdown()
        try? await metricsServer?.shutdown()
        await transport?.stop()
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
        // Before anything makes a metric: handles made earlier would stay no-ops.
        let registry = launch.metrics.map { _ in MetricsBackend.prometheus() }
        var locks = [try directory.lock()]
        if let keyFile = launch.validatorKeyFile {
            locks.append(try FileLock(path: keyFile, create: false, purpose: "the validator key \(keyFile)"))
        }
        let genesis = try directory.storedGenesis()
        let store = try directory.openStore()
        let gossip = launch.p2p.map { _ in Gossip(genesis: genesis, log: log) }
        let node: LedgerNode
        do {
            var configuration = NodeConfiguration(genesis: genesis, validatorKey: launch.validatorKey,
                                                  simulations: launch.simulations)
            configuration.consensusTimeouts.cap = launch.timeoutCapMs
            node = try LedgerNode(configuration: configuration,
                                  store: ChainStore(storage: store),
                                  consensusLog: FileConsensusLog(path: directory.consensusLog),
                                  network: gossip ?? NoPeers(), log: log)
        } catch {
            store.close()
            throw .node(error)
        }
        let head = node.status.head
        log(.info, "opened the chain", ["datadir": directory.path, "chainId": genesis.chainId, "head": head.number,
                                        "hash": node.status.headHash, "validator": node.validatorAddress.map { "\($0)" } ?? "none"])
        var transport: PeerTransport?
        if let p2p = launch.p2p, let gossip {
            // The node keys of the validator set (as the chain holds it now, and of the set voted
            // in for the height after), and the ones configured.
            let configured = Set(p2p.allowedKeys)
            let peers = PeerTransport(
                configuration: PeerTransportConfiguration(nodeKey: p2p.nodeKey, chainId: genesis.chainId, host: p2p.host,
                                                          port: p2p.port, peers: p2p.peers, framesPerSecond: p2p.framesPerSecond,
                                                          banSeconds: p2p.banSeconds, maximumConnections: p2p.maximumConnections),
                allows: { [weak node] key in
                    let bytes = key.compressedBytes
                    return configured.contains(bytes) || node?.validatorNodeKeys.contains(bytes) == true
                }, delegate: gossip)
            gossip.attach(node: node, transport: peers)
            // A validator voted out loses its sessions when the change takes effect.
            node.observeCommits { _ in peers.dropPeersNoLongerAllowed() }
            transport = peers
        }
        var methods = node.ethereumAPI(clientVersion: NodeVersion.clientVersion, debug: launch.debugRPC).methods()
        methods.registerD6G(node: node, transport: transport, clientVersion: NodeVersion.clientVersion)
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
        var metricsServer: MetricsHTTPServer?
        if let registry, let endpoint = launch.metrics {
            do {
                metricsServer = try await MetricsHTTPServer.start(host: endpoint.host, port: endpoint.port) { registry.emitToBuffer() }
            } catch {
                try? await server.shutdown()
                await node.stop()
                store.close()
                throw .rpc("metrics on \(endpoint.host):\(endpoint.port): \(error)")
            }
            let size = NodeMetrics().databaseSize
            size.record((try? store.approximateSize) ?? 0)
            node.observeCommits { _ in size.record((try? store.approximateSize) ?? 0) }
        }
        if let p2p = launch.p2p, let peers = transport {
            do {
                let port = try await peers.start()
                log(.info, "P2P listening", ["address": "\(p2p.host):\(port)", "nodeKey": PeerID(p2p.nodeKey.publicKey).description,
                                             "peers": p2p.peers.joined(separator: ",")])
            } catch {
                try? await server.shutdown()
                try? await metricsServer?.shutdown()
                await node.stop()
                store.close()
                throw .rpc("P2P on \(p2p.host):\(p2p.port): \(error)")
            }
        }
        node.start()
        log(.info, "JSON-RPC listening", ["address": "http://\(launch.rpc.host):\(server.port)"])
        if let metricsServer, let endpoint = launch.metrics {
            log(.info, "metrics listening", ["address": "http://\(endpoint.host):\(metricsServer.port)/metrics"])
        }
        return RunningNode(node: node, server: server, metricsServer: metricsServer, transport: transport, store: store,
                           locks: locks, log: log)
    }
}

/// A node under swift-service-lifecycle: it starts, serves until the group shuts down gracefully
/// (SIGTERM or SIGINT), then stops in order — the RPC and metrics servers, the height in
/// flight, the database.
struct NodeLifecycleService: Service {
    let launch: NodeLaunch

    func run() async throws {
        let running = try await NodeService.start(launch)
        // Returns when a graceful shutdown begins; throws only if the task is cancelled, and the
        // node is stopped in order either way.
        try? await gracefulShutdown()
        await running.shutdown()
    }
}

extension NodeService {
    /// Starts a node and runs it until SIGTERM or SIGINT, then shuts it down in order.
    public static func run(_ launch: NodeLaunch) async throws(NodeStartError) {
        let service = ServiceGroupConfiguration.ServiceConfiguration(
            service: NodeLifecycleService(launch: launch), successTerminationBehavior: .gracefullyShutdownGroup,
            serviceName: "d6g-node")
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: [service], gracefulShutdownSignals: [.sigterm, .sigint], logger: launch.log.logger))
        do { try await group.run() } catch let error as NodeStartError {
            throw error
        } catch {
            throw .io("\(error)")
        }
    }
}
