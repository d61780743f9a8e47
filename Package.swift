// swift-tools-version:6.0
// d6g-ledger: a permissioned blockchain node for the DESIRE6G multi-agent system.
// Targets are layered as in Docs/layout.md: pure core <- adapters <- composition.
// One entry per line, so that parallel work merges without conflicts.
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let bigInt = Target.Dependency.product(name: "BigInt", package: "BigInt")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioWebSocket = Target.Dependency.product(name: "NIOWebSocket", package: "swift-nio")
let nioEmbedded = Target.Dependency.product(name: "NIOEmbedded", package: "swift-nio")
let nioConcurrencyHelpers = Target.Dependency.product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let coreMetrics = Target.Dependency.product(name: "CoreMetrics", package: "swift-metrics")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let serviceLifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")

// Everything d6g-bench measures.
let benchmarked: [Target.Dependency] = [
    "LedgerPrimitives",
    "LedgerCrypto",
    "LedgerTypes",
    "StateTrie",
    "ConsensusCore",
    "ConsensusSimulation",
    "StorageRocksDB",
    "Execution",
    "Mempool",
    "Bytecode",
    "VM",
    "RPCServer",
    "EthereumAPI",
    "LedgerClient",
    "LedgerJSON",
]

let package = Package(
    name: "d6g-ledger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "d6g-node", targets: ["D6GNode"]),
        .executable(name: "d6g-bench", targets: ["D6GBench"]),
        .executable(name: "d6g-fuzz", targets: ["D6GFuzz"]),
        .executable(name: "d6g-contract", targets: ["D6GContract"]),
        .executable(name: "d6g-adversary", targets: ["D6GAdversary"]),
        .executable(name: "d6g-mlfo", targets: ["D6GMLFO"]),
        .executable(name: "d6g-secaas", targets: ["D6GSecaas"]),
        .executable(name: "d6g-agent", targets: ["D6GAgent"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // System libraries: each is imported only by its wrapper target.
        .systemLibrary(name: "CSecp256k1", pkgConfig: "libsecp256k1", providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb", providers: [.apt(["librocksdb-dev"])]),

        // Pure core.
        .target(name: "LedgerPrimitives"),
        .target(name: "LedgerCrypto", dependencies: ["LedgerPrimitives", "CSecp256k1", "COpenSSL"]),
        .target(name: "LedgerTypes", dependencies: ["LedgerPrimitives", "LedgerCrypto"]),
        .target(name: "StateTrie", dependencies: ["LedgerPrimitives", "LedgerCrypto"]),
        .target(name: "ConsensusCore", dependencies: ["LedgerPrimitives"]),
        .target(name: "StorageAPI", dependencies: ["LedgerPrimitives"]),
        .target(name: "Mempool", dependencies: ["LedgerPrimitives", "LedgerTypes"]),
        .target(name: "ChainQueries", dependencies: ["LedgerPrimitives", "LedgerTypes"]),
        // The one JSON: value, parser, writer and Ethereum's hex encodings, for the RPC server,
        // the client and the genesis reader.
        .target(name: "LedgerJSON", dependencies: ["LedgerPrimitives"]),
        // The node's TOML configuration file, read strictly (Docs/adr/0008).
        .target(name: "ConfigFile"),

        // Deterministic multi-node simulator of ConsensusCore, shared by its tests and d6g-bench.
        .target(name: "ConsensusSimulation", dependencies: ["ConsensusCore", "LedgerPrimitives"]),

        .target(name: "Bytecode", dependencies: ["LedgerPrimitives"]),
        .target(name: "VM", dependencies: ["Bytecode", "LedgerPrimitives", "LedgerCrypto"]),
        // Differential fuzzing of the VM: a reference interpreter and a program generator.
        .target(name: "FuzzSupport", dependencies: ["Bytecode", "VM", "LedgerPrimitives"]),
        // The contract DSL (declarations only) and its compiler (pure), Docs/contract-dsl.md.
        .target(name: "ContractDSL", dependencies: ["LedgerPrimitives"]),
        .target(name: "ContractCompiler", dependencies: ["ContractDSL", "Bytecode", "LedgerPrimitives"]),
        // Off-chain tests of compiled contracts: deploy and call in an in-memory world.
        .target(name: "ContractTesting", dependencies: ["ContractCompiler", "ContractDSL", "VM", "Bytecode", "LedgerPrimitives"]),
        // The contracts in Contracts/, written in the DSL.
        .target(name: "Contracts", dependencies: ["ContractDSL"], path: "Contracts", exclude: ["SimpleStore.asm", "SimpleStore.abi.json", "Permissions.abi.json"]),
        .target(name: "ContractExecution", dependencies: ["Execution", "VM", "Bytecode", "LedgerPrimitives", "LedgerTypes"]),

        .target(name: "Execution", dependencies: ["LedgerPrimitives", "LedgerCrypto", "LedgerTypes", "LedgerJSON", "StateTrie"]),

        // Adapters.
        .target(name: "StorageRocksDB", dependencies: ["StorageAPI", "CRocksDB"]),
        // Node-to-node transport: handshake, encrypted frames, connections over SwiftNIO (Docs/p2p.md).
        .target(name: "P2P", dependencies: ["LedgerPrimitives", "LedgerCrypto", nioCore, nioPosix]),
        .target(name: "RPCServer", dependencies: ["LedgerPrimitives", "LedgerJSON", nioCore, nioPosix, nioHTTP1, nioWebSocket, nioConcurrencyHelpers, metrics]),
        // Every eth_/net_/web3_ method, their shapes, filters and subscriptions, over the ChainReading seam.
        .target(name: "EthereumAPI", dependencies: ["RPCServer", "LedgerJSON", "ChainQueries", "Execution", "Mempool", "LedgerTypes", "LedgerPrimitives", nioConcurrencyHelpers]),

        // Composition.
        .target(name: "LedgerClient", dependencies: ["LedgerPrimitives", "LedgerCrypto", "LedgerTypes", "LedgerJSON", "ContractCompiler", "ContractDSL", "D6GProtocol"]),
        // The node's library: chain store, block production, RPC methods, lifecycle.
        .target(name: "Node", dependencies: ["LedgerPrimitives", "LedgerCrypto", "LedgerTypes", "StateTrie", "Execution", "Mempool", "StorageAPI", "StorageRocksDB", "ConsensusCore", "RPCServer", "EthereumAPI", "LedgerJSON", "ChainQueries", "ContractExecution", "P2P", logging, metrics, prometheus, serviceLifecycle]),

        // The D6G protocol's off-chain pieces (PROTOCOL.md, Docs/protocol.md): contexts, commitments,
        // sealed challenges and group keys, the traffic key schedule and frames.
        .target(name: "D6GProtocol", dependencies: ["LedgerCrypto", "LedgerPrimitives"]),
        // The MLFO, SECaaS and agent logic the three programs run (DESIGN.md §3 "Actors").
        .target(name: "D6GActors", dependencies: ["D6GProtocol", "LedgerClient", "ContractCompiler", "ContractDSL", "Contracts", "LedgerCrypto", "LedgerPrimitives"]),

        // Deterministic simulation of whole nodes (Docs/testing.md): the real driver, execution and
        // storage on a seeded event queue with a simulated network and clock.
        .target(name: "NodeSimulation", dependencies: ["Node", "ConsensusSimulation", "ConsensusCore", "Execution", "LedgerCrypto", "LedgerPrimitives", "LedgerTypes", "StorageAPI"]),

        // Fuzz targets of the decoders and the JSON-RPC path (Docs/fuzzing.md), shared by d6g-fuzz and the corpus replay tests.
        .target(name: "FuzzTargets", dependencies: ["FuzzSupport", "LedgerPrimitives", "LedgerTypes", "LedgerJSON", "Bytecode", "RPCServer", "EthereumAPI", "Node", "StorageAPI"]),

        // Executables (composition).
        .executableTarget(name: "D6GNode", dependencies: ["Node", "EthereumAPI", "ConfigFile", "RPCServer", "Bytecode", "LedgerPrimitives", "LedgerCrypto", argumentParser]),
        .executableTarget(name: "D6GContract", dependencies: ["ContractCompiler", "ContractDSL", "Contracts", "Bytecode", "LedgerClient", "LedgerCrypto", "LedgerPrimitives", argumentParser]),
        // A hostile peer for the end-to-end fault scenarios (tests/e2e); a test tool the node never links.
        .executableTarget(name: "D6GMLFO", dependencies: ["D6GActors", "D6GProtocol", "LedgerClient", "LedgerCrypto", "LedgerPrimitives", argumentParser]),
        .executableTarget(name: "D6GSecaas", dependencies: ["D6GActors", "D6GProtocol", "LedgerClient", "LedgerCrypto", "LedgerPrimitives", argumentParser]),
        .executableTarget(name: "D6GAgent", dependencies: ["D6GActors", "D6GProtocol", "LedgerClient", "LedgerCrypto", "LedgerPrimitives", argumentParser]),
        .executableTarget(name: "D6GAdversary", dependencies: ["Node", "P2P", "ConsensusCore", "Execution", "LedgerCrypto", "LedgerPrimitives", argumentParser]),
        .executableTarget(name: "D6GFuzz", dependencies: ["FuzzTargets", "FuzzSupport", "ContractTesting", "Bytecode", "LedgerPrimitives"]),
        .executableTarget(name: "D6GBench", dependencies: benchmarked + ["Node", "ContractExecution", "ContractCompiler", "ContractDSL", "Contracts", "ContractTesting", "D6GProtocol", argumentParser, nioCore, nioPosix, nioHTTP1]),

        // Tests mirror Sources/.
        .target(name: "TestSupport", dependencies: ["LedgerPrimitives"], path: "Tests/TestSupport"),
        .target(name: "ExecutionTestSupport", dependencies: ["Execution", "StateTrie", "LedgerCrypto", "LedgerTypes", "LedgerPrimitives", "TestSupport"], path: "Tests/ExecutionTestSupport"),
        .testTarget(name: "LedgerPrimitivesTests", dependencies: ["LedgerPrimitives", "TestSupport", bigInt]),
        .testTarget(name: "LedgerCryptoTests", dependencies: ["LedgerCrypto", "TestSupport"]),
        .testTarget(name: "LedgerTypesTests", dependencies: ["LedgerTypes", "TestSupport"]),
        .testTarget(name: "StateTrieTests", dependencies: ["StateTrie", "LedgerPrimitives", "TestSupport"]),
        .testTarget(name: "ExecutionTests", dependencies: ["Execution", "ExecutionTestSupport", "LedgerTypes", "LedgerCrypto", "StateTrie", "TestSupport"]),
        .testTarget(name: "ConsensusCoreTests", dependencies: ["ConsensusCore", "ConsensusSimulation", "LedgerPrimitives", "TestSupport"]),
        .testTarget(name: "StorageAPITests", dependencies: ["StorageAPI", "LedgerPrimitives"]),
        .testTarget(name: "D6GActorsTests", dependencies: ["D6GActors", "D6GProtocol", "LedgerCrypto", "LedgerPrimitives"]),
        .testTarget(name: "LedgerClientTests", dependencies: ["LedgerClient", "LedgerJSON", "LedgerTypes", "LedgerCrypto", "LedgerPrimitives", "Contracts", "ContractCompiler", "ContractDSL", "ContractTesting", "D6GProtocol"], exclude: ["Fixtures"]),
        .testTarget(name: "StorageRocksDBTests", dependencies: ["StorageRocksDB", "StorageAPI", "LedgerPrimitives"]),
        .testTarget(name: "MempoolTests", dependencies: ["Mempool", "LedgerCrypto", "TestSupport"]),
        .testTarget(name: "BytecodeTests", dependencies: ["Bytecode", "LedgerPrimitives", "TestSupport"]),
        .testTarget(name: "ContractExecutionTests", dependencies: ["ContractExecution", "ExecutionTestSupport", "Execution", "VM", "Bytecode", "LedgerPrimitives", "LedgerTypes", "LedgerCrypto", "StateTrie", "TestSupport"]),
        .testTarget(name: "VMTests", dependencies: ["VM", "Bytecode", "LedgerPrimitives", "LedgerCrypto", "TestSupport", bigInt]),
        .testTarget(name: "ConfigFileTests", dependencies: ["ConfigFile"]),
        .testTarget(name: "LedgerJSONTests", dependencies: ["LedgerJSON", "LedgerPrimitives", "TestSupport"]),
        .target(name: "RPCTestSupport", dependencies: ["RPCServer", "LedgerJSON", nioCore, nioPosix, nioConcurrencyHelpers], path: "Tests/RPCTestSupport"),
        .testTarget(name: "RPCServerTests", dependencies: ["RPCServer", "RPCTestSupport", "LedgerJSON", "LedgerPrimitives", "TestSupport", nioCore, nioPosix, nioHTTP1, nioWebSocket, nioEmbedded]),
        .testTarget(name: "EthereumAPITests", dependencies: ["EthereumAPI", "RPCServer", "RPCTestSupport", "ChainQueries", "LedgerJSON", "LedgerTypes", "LedgerPrimitives", "TestSupport", nioConcurrencyHelpers]),
        .testTarget(name: "ChainQueriesTests", dependencies: ["ChainQueries", "LedgerTypes", "LedgerPrimitives", "TestSupport"]),
        .testTarget(name: "FuzzTargetsTests", dependencies: ["FuzzTargets", "LedgerJSON", "LedgerPrimitives", "TestSupport"]),
        .testTarget(name: "ContractCompilerTests", dependencies: ["ContractCompiler", "Execution", "ContractDSL", "ContractTesting", "Contracts", "D6GProtocol", "VM", "Bytecode", "LedgerPrimitives", "LedgerCrypto", "TestSupport"]),
        .testTarget(name: "P2PTests", dependencies: ["P2P", "LedgerCrypto", "LedgerPrimitives", nioCore, nioPosix]),
        .testTarget(name: "D6GProtocolTests", dependencies: ["D6GProtocol", "LedgerCrypto", "LedgerPrimitives"]),
        .testTarget(name: "NodeSimulationTests", dependencies: ["NodeSimulation", "LedgerPrimitives"]),
        .testTarget(name: "NodeTests", dependencies: ["Node", "EthereumAPI", "StateTrie", "LedgerJSON", "Bytecode", "Execution", "LedgerTypes", "LedgerCrypto", "LedgerPrimitives", "StorageAPI", "Mempool", "RPCServer", "ConsensusCore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
