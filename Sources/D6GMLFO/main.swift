// d6g-mlfo: the orchestrator's program (Docs/operator-guide.md §The D6G programs). It deploys the
// two contracts, registers and funds agents from their own signed requests, revokes them, and
// shows the registry.
import ArgumentParser
import D6GActors
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

struct Common: ParsableArguments {
    @Option(help: "The MLFO's data directory (its sealed account key).")
    var dir: String = "mlfo"
    @Option(help: "A file holding the 32-byte store key in hex (else $D6G_MLFO_STORE_KEY).")
    var storeKeyFile: String?
    @Option(help: "A node's JSON-RPC URL; repeat for failover.")
    var rpc: [String] = ["http://127.0.0.1:8545"]

    func storeKey() throws -> StoreKey { try StoreKey.resolve(file: storeKeyFile, environmentVariable: "D6G_MLFO_STORE_KEY") }

    func actor() throws -> ChainActor {
        let client = try LedgerClient(endpoints: rpc)
        return ChainActor(client: client, key: try AccountFile.read(in: dir, key: try storeKey())) { say(logLine("mlfo", $0)) }
    }
}

@main
struct MLFOCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-mlfo",
        abstract: "The MLFO: deploys the D6G contracts, registers, funds and revokes agents.",
        subcommands: [Init.self, DeployContracts.self, Register.self, Revoke.self, Status.self])
}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the MLFO's account, sealed in --dir; prints its address.")
    @OptionGroup var common: Common
    @Option(help: "Seal this hex key file instead of a fresh key (a funded account, e.g. a dev key).")
    var importKey: String?

    func run() throws {
        print(try AccountFile.create(in: common.dir, importing: importKey, key: try common.storeKey()))
    }
}

struct DeployContracts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-contracts",
        abstract: "Deploy AttestationRegistry and KeyExchange; write the deployment file the other programs read.")
    @OptionGroup var common: Common
    @Option(help: "The SECaaS's account (`d6g-secaas init` prints it).")
    var secaas: String
    @Option(help: "Where to write the deployment file.")
    var out: String = "deployment.json"
    @Option(help: "The shortest deadline, in blocks, a round may set: at least f + 2 for the network.")
    var minDeadlineBlocks: UInt64 = 3
    @Option(help: "Consecutive misses that make an agent UNREACHABLE.")
    var maxMisses: UInt64 = 3
    @Option(help: "Blocks after its last attestation during which an agent stays eligible.")
    var maxAgeBlocks: UInt64 = 1_000
    @Option(help: "Wei sent to the SECaaS's account for its transactions.")
    var secaasFunding: String = "100000000000000000000"

    func run() async throws {
        let actor = try common.actor()
        guard let secaasAddress = try? Address(hex: secaas) else { throw ValidationError("--secaas is not an address") }
        guard let funding = UInt256(decimalString: secaasFunding) else { throw ValidationError("--secaas-funding is wei in decimal") }
        let file = try await MLFOActions.deployContracts(actor, secaas: secaasAddress, minDeadlineBlocks: minDeadlineBlocks,
                                                         maxMisses: maxMisses, maxAgeBlocks: maxAgeBlocks)
        if funding > .zero { try await actor.send(TransactionRequest(to: secaasAddress, value: funding), "funding the SECaaS") }
        try writeJSONFile(file, to: out)
        actor.log("deployment written to \(out)")
    }
}

struct Register: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register and fund an agent from its request (`d6g-agent init` writes it); write its provisioning bundle.")
    @OptionGroup var common: Common
    @Option(help: "The agent's registration request.")
    var request: String
    @Option(help: "The pipeline the agent belongs to.")
    var pipeline: String = "pipeline-1"
    @Option(help: "The deployment file.")
    var deployment: String = "deployment.json"
    @Option(help: "Wei sent to the agent's account for its transactions.")
    var funding: String = "10000000000000000000"
    @Option(help: "Where to write the agent's provisioning bundle.")
    var out: String

    func run() async throws {
        let actor = try common.actor()
        guard let wei = UInt256(decimalString: funding) else { throw ValidationError("--funding is wei in decimal") }
        let bundle = try await MLFOActions.register(actor, request: try readJSONFile(RegistrationRequest.self, from: request),
                                                    pipeline: pipeline, deployment: try readJSONFile(DeploymentFile.self, from: deployment),
                                                    funding: wei)
        try writeJSONFile(bundle, to: out)
    }
}

struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke an agent for good, with a reason.")
    @OptionGroup var common: Common
    @Option(help: "The deployment file.")
    var deployment: String = "deployment.json"
    @Argument(help: "The agent's account.")
    var agent: String
    @Argument(help: "Why (recorded in the AgentRevoked event).")
    var reason: String = "revoked by the operator"

    func run() async throws {
        let actor = try common.actor()
        guard let address = try? Address(hex: agent) else { throw ValidationError("not an address: \(agent)") }
        let registry = AttestationRegistryContract(address: try readJSONFile(DeploymentFile.self, from: deployment).deployment().registry)
        try await actor.send(registry.revokeAgent(address, reason: reason), "revokeAgent")
        actor.log("\(address) revoked: \(reason)")
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every agent's status, eligibility and misses, and the running round.")
    @Option(help: "A node's JSON-RPC URL; repeat for failover.")
    var rpc: [String] = ["http://127.0.0.1:8545"]
    @Option(help: "The deployment file.")
    var deployment: String = "deployment.json"

    func run() async throws {
        let client = try LedgerClient(endpoints: rpc)
        for line in try await MLFOActions.status(client: client, deployment: try readJSONFile(DeploymentFile.self, from: deployment)) {
            print(line)
        }
    }
}
