// d6g-secaas: the agent-hardening service's program (Docs/operator-guide.md §The D6G programs).
// It wraps agent images with a per-agent secret, keeps them sealed in its repository, and runs
// the attestation rounds.
import ArgumentParser
import D6GActors
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

struct Common: ParsableArguments {
    @Option(help: "The SECaaS's data directory (account, sealed plans, image repository).")
    var dir: String = "secaas"
    @Option(help: "A file holding the 32-byte store key in hex (else $D6G_SECAAS_STORE_KEY).")
    var storeKeyFile: String?

    func storeKey() throws -> StoreKey { try StoreKey.resolve(file: storeKeyFile, environmentVariable: "D6G_SECAAS_STORE_KEY") }
    func repository() throws -> ImageRepository { try ImageRepository(directory: dir + "/images", key: try storeKey()) }
}

@main
struct SecaasCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-secaas",
        abstract: "The SECaaS: wraps agent images and runs the attestation rounds.",
        subcommands: [Init.self, Wrap.self, Serve.self])
}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the SECaaS's account, sealed in --dir; prints its address.")
    @OptionGroup var common: Common
    @Option(help: "Seal this hex key file instead of a fresh key.")
    var importKey: String?

    func run() throws {
        print(try AccountFile.create(in: common.dir, importing: importKey, key: try common.storeKey()))
    }
}

struct Wrap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wrap an agent's image with a fresh per-agent secret: keep it sealed in the repository, write the copy to deploy.")
    @OptionGroup var common: Common
    @Option(help: "The agent's id (as in its registration request).")
    var agentId: String
    @Option(help: "The agent's image.")
    var image: String
    @Option(help: "Where to write the wrapped image for the agent's site.")
    var out: String

    func run() throws {
        guard let original = FileManager.default.contents(atPath: image) else { throw ValidationError("cannot read \(image)") }
        let wrapped = try ImageWrapping.wrap([UInt8](original))
        try common.repository().store(wrapped, agentId: identifier(agentId))
        try writeAtomically(wrapped, to: out)
        print(logLine("secaas", "\(agentId): wrapped image (\(wrapped.count) bytes) kept sealed and written to \(out)"))
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the attestation: initial attestations, rounds ahead, fallbacks, declines and misses, until stopped.")
    @OptionGroup var common: Common
    @Option(help: "A node's JSON-RPC URL; repeat for failover.")
    var rpc: [String] = ["http://127.0.0.1:8545"]
    @Option(help: "The deployment file.")
    var deployment: String = "deployment.json"
    @Option(help: "Each step's deadline in blocks (at least the registry's minimum).")
    var deadlineBlocks: UInt64 = 10
    @Option(help: "Rounds begun and not over, the running one included.")
    var roundsAhead: Int = 2
    @Option(help: "Seconds at least between two rounds begun.")
    var roundInterval: Double = 5
    @Option(help: "Seconds at most between looks at the chain (each block the node announces over WebSocket prompts one).")
    var interval: Double = 1
    @Option(help: "The inbox of the MLFO's `configured` notices (default: DIR/inbox); only agents named there are attested.")
    var inbox: String?
    @Option(help: "Append the program's events to this file as JSON lines (for timelines and benchmarks).")
    var events: String?

    func run() async throws {
        let file = try readJSONFile(DeploymentFile.self, from: deployment)
        let key = try common.storeKey()
        let log: @Sendable (String) -> Void = { say(logLine("secaas", $0)) }
        let actor = ChainActor(client: try LedgerClient(endpoints: rpc), key: try AccountFile.read(in: common.dir, key: key), log: log)
        var settings = SecaasService.Settings()
        settings.deadlineBlocks = deadlineBlocks
        settings.roundsAhead = roundsAhead
        settings.roundInterval = roundInterval
        settings.inbox = inbox ?? common.dir + "/inbox"
        let service = try SecaasService(actor: actor, deployment: try file.deployment(), deployedAtBlock: file.deployedAtBlock,
                                        repository: try common.repository(), statePath: common.dir + "/state.sealed", storeKey: key,
                                        settings: settings)
        service.events = try EventLog(path: events, role: "secaas")
        log("serving registry \(file.registry) as \(actor.address)")
        try await keepLooking(every: interval, heads: HeadWatcher(endpoints: rpc, log: log), log: log) { try await service.tickAfterReconciling() }
    }
}
