// swift-tools-version:6.0
// d6g-ledger: a permissioned blockchain node for the DESIRE6G multi-agent system.
// Targets are layered as in Docs/layout.md: pure core <- adapters <- composition.
import PackageDescription

let package = Package(
    name: "d6g-ledger",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "d6g-node", targets: ["D6GNode"]),
        .executable(name: "d6g-bench", targets: ["D6GBench"]),
        .library(name: "LedgerPrimitives", targets: ["LedgerPrimitives"]),
        .library(name: "LedgerCrypto", targets: ["LedgerCrypto"]),
        .library(name: "LedgerTypes", targets: ["LedgerTypes"]),
        .library(name: "StateTrie", targets: ["StateTrie"]),
        .library(name: "ConsensusCore", targets: ["ConsensusCore"]),
        .library(name: "ConsensusSimulation", targets: ["ConsensusSimulation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/attaswift/BigInt", from: "6.0.1"),
    ],
    targets: [
        // System libraries: each is imported only by its wrapper target.
        .systemLibrary(name: "CSecp256k1", pkgConfig: "libsecp256k1",
                       providers: [.apt(["libsecp256k1-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CRocksDB", pkgConfig: "rocksdb",
                       providers: [.apt(["librocksdb-dev"])]),

        // Pure core.
        .target(name: "LedgerPrimitives"),
        .target(name: "LedgerCrypto", dependencies: ["LedgerPrimitives", "CSecp256k1", "COpenSSL"]),
        .target(name: "LedgerTypes", dependencies: ["LedgerPrimitives", "LedgerCrypto"]),
        .target(name: "StateTrie", dependencies: ["LedgerPrimitives", "LedgerCrypto"]),
        .target(name: "ConsensusCore", dependencies: ["LedgerPrimitives"]),
        // Deterministic multi-node simulator of ConsensusCore, shared by its tests and d6g-bench.
        .target(name: "ConsensusSimulation", dependencies: ["ConsensusCore"]),
        .target(name: "StorageAPI", dependencies: ["LedgerPrimitives"]),

        // Adapters.
        .target(name: "StorageRocksDB", dependencies: ["StorageAPI", "CRocksDB"]),

        // Executables (composition).
        .executableTarget(name: "D6GNode", dependencies: [
            "LedgerPrimitives", "LedgerCrypto",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "D6GBench", dependencies: [
            "LedgerPrimitives", "LedgerCrypto", "LedgerTypes", "StateTrie", "ConsensusCore",
            "ConsensusSimulation", "StorageRocksDB",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Tests mirror Sources/.
        .target(name: "TestSupport", dependencies: ["LedgerPrimitives"], path: "Tests/TestSupport"),
        .testTarget(name: "LedgerPrimitivesTests", dependencies: [
            "LedgerPrimitives", "TestSupport", .product(name: "BigInt", package: "BigInt"),
        ]),
        .testTarget(name: "LedgerCryptoTests", dependencies: ["LedgerCrypto", "TestSupport"]),
        .testTarget(name: "LedgerTypesTests", dependencies: ["LedgerTypes", "TestSupport"]),
        .testTarget(name: "StateTrieTests", dependencies: ["StateTrie", "TestSupport"]),
        .testTarget(name: "ConsensusCoreTests", dependencies: ["ConsensusCore", "ConsensusSimulation", "TestSupport"]),
        .testTarget(name: "StorageAPITests", dependencies: ["StorageAPI", "LedgerPrimitives"]),
        .testTarget(name: "StorageRocksDBTests", dependencies: ["StorageRocksDB", "StorageAPI", "LedgerPrimitives"]),
    ],
    swiftLanguageModes: [.v6]
)
