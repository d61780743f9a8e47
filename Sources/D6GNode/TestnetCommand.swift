// `d6g-node testnet`: writes what a local network of N validators needs — fresh consensus and
// node keys (files of mode 0600), a genesis naming them, and one configuration file per node
// with its data directory, ports and peers — so that `scripts/testnet.sh` (`make testnet`) can
// start them. The funded accounts are the devnet's public development keys: a testnet on one
// machine, for testing, never for value.
import ArgumentParser
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import Node

struct TestnetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "testnet",
        abstract: "Write keys, genesis and configuration files for a local network of validators.",
        discussion: "Then: d6g-node init --genesis DIR/genesis.json --datadir DIR/nodeK/data; d6g-node run --config DIR/nodeK.toml (scripts/testnet.sh does both).")

    @Option(help: "How many validators (1 to 64).")
    var validators = 4

    @Option(help: "How many followers (nodes without a validator key that keep the chain; 0 to 16).")
    var followers = 1

    @Option(help: "Directory to write into (must not exist yet).")
    var out: String

    @Option(name: .customLong("rpc-base-port"), help: "Node K serves JSON-RPC on this port + K.")
    var rpcBasePort = 8_545

    @Option(name: .customLong("p2p-base-port"), help: "Node K listens for peers on this port + K.")
    var p2pBasePort = 30_303

    @Option(name: .customLong("chain-id"), help: "The network's chain id.")
    var chainId: UInt64 = 1_338

    @Option(name: .customLong("empty-block-period-ms"), help: "An empty block at most this often when idle.")
    var emptyBlockPeriodMs: UInt64 = 1_000

    @Option(name: .customLong("min-block-interval-ms"), help: "The least time between two blocks (config.d6g.minBlockIntervalMs).")
    var minBlockIntervalMs: UInt64 = 250

    func validate() throws {
        guard (1...64).contains(validators) else { throw ValidationError("--validators must be between 1 and 64") }
        guard (0...16).contains(followers) else { throw ValidationError("--followers must be between 0 and 16") }
        guard (1...65_535 - 80).contains(rpcBasePort), (1...65_535 - 80).contains(p2pBasePort) else {
            throw ValidationError("base ports must leave room for 80 nodes below 65536")
        }
        guard !FileManager.default.fileExists(atPath: out) else {
            throw ValidationError("\(out) exists; choose a new directory (keys are never overwritten)")
        }
        guard emptyBlockPeriodMs >= 250 else { throw ValidationError("--empty-block-period-ms must be at least 250") }
        guard (10...emptyBlockPeriodMs).contains(minBlockIntervalMs) else {
            throw ValidationError("--min-block-interval-ms must be between 10 and --empty-block-period-ms")
        }
    }

    func run() throws {
        let root = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let nodes = (0..<validators).map { _ in (validator: PrivateKey.generate(), node: PrivateKey.generate()) }
        let members = nodes.map { DevNetwork.Member(consensusKey: $0.validator.publicKey, nodeKey: $0.node.publicKey, power: 1) }
        let genesisJSON = DevNetwork.genesisJSON(validators: members, funding: nodes.map(\.validator.address), chainId: chainId,
                                                 emptyBlockPeriodMs: emptyBlockPeriodMs, minBlockIntervalMs: minBlockIntervalMs)
        _ = try Genesis(json: genesisJSON) // the file the nodes will read parses
        try Data(genesisJSON.utf8).write(to: root.appendingPathComponent("genesis.json"))

        let followerKeys = (0..<followers).map { _ in PrivateKey.generate() }
        let allowed = followerKeys.map { "\"\(Hex.encode($0.publicKey.compressedBytes))\"" }
        let validatorPeers = nodes.indices.map { "\"127.0.0.1:\(p2pBasePort + $0)\"" }
        for index in 0..<(validators + followers) {
            let isValidator = index < validators
            let directory = root.appendingPathComponent("node\(index)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let nodeKey = isValidator ? nodes[index].node : followerKeys[index - validators]
            try writeSecret(nodeKey.bytes.hexString + "\n", to: directory.appendingPathComponent("node.key").path)
            var config = """
                # node \(index) of the local testnet written by `d6g-node testnet` (Docs/operator-guide.md §A local testnet)
                datadir = "\(directory.appendingPathComponent("data").path)"

                """
            if isValidator {
                try writeSecret(nodes[index].validator.bytes.hexString + "\n",
                                to: directory.appendingPathComponent("validator.key").path)
                config += "validator-key = \"\(directory.appendingPathComponent("validator.key").path)\"\n"
            }
            // Validators dial each other (a full mesh); followers dial every validator.
            let peers = validatorPeers.enumerated().filter { $0.offset != index }.map(\.element)
            config += """

                [rpc]
                port = \(rpcBasePort + index)

                [p2p]
                node-key = "\(directory.appendingPathComponent("node.key").path)"
                port = \(p2pBasePort + index)
                peers = [\(peers.joined(separator: ", "))]
                allow = [\(isValidator ? allowed.joined(separator: ", ") : "")]

                """
            try Data(config.utf8).write(to: root.appendingPathComponent("node\(index).toml"))
            let role = isValidator ? "validator \(nodes[index].validator.address.checksummed)" : "follower"
            print("node\(index): \(role), RPC http://127.0.0.1:\(rpcBasePort + index), P2P 127.0.0.1:\(p2pBasePort + index)")
        }
        print("wrote \(out)/genesis.json (chain id \(chainId)) and node0…node\(validators + followers - 1) with their keys and configuration files")
    }
}
