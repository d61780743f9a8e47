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
        subcommands: [Init.self, Pipeline.self, DeployContracts.self, DeployAgents.self, Register.self, Configured.self, Serve.self,
                      Revoke.self, Status.self])
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
        abstract: "Register and fund agents from their requests (`d6g-agent init` or `run` writes them); write their provisioning bundles.",
        discussion: """
            One agent: --request FILE --out FILE [--pipeline NAME]. A whole pipeline: --descriptor FILE --sites DIR, \
            which waits for each agent's DIR/<site>/<agent>/request.json and writes bundle.json beside it.
            """)
    @OptionGroup var common: Common
    @Option(help: "One agent's registration request.")
    var request: String?
    @Option(help: "Where to write that agent's provisioning bundle.")
    var out: String?
    @Option(help: "The pipeline of that agent.")
    var pipeline: String = "pipeline-1"
    @Option(help: "A pipeline descriptor: register every agent of it.")
    var descriptor: String?
    @Option(help: "The sites folder of `deploy-agents`.")
    var sites: String = "sites"
    @Option(help: "The deployment file.")
    var deployment: String = "deployment.json"
    @Option(help: "Wei sent to each agent's account for its transactions.")
    var funding: String = "10000000000000000000"
    @Option(help: "Seconds to wait for the agents' requests.")
    var wait: Double = 60

    func run() async throws {
        let actor = try common.actor()
        guard let wei = UInt256(decimalString: funding) else { throw ValidationError("--funding is wei in decimal") }
        let file = try readJSONFile(DeploymentFile.self, from: deployment)
        var work: [(request: String, out: String, pipeline: String, agentId: String?)] = []
        switch (request, out, descriptor) {
        case (let request?, let out?, nil):
            work = [(request, out, pipeline, nil)]
        case (nil, nil, let descriptor?):
            let pipeline = try readJSONFile(PipelineDescriptor.self, from: descriptor)
            work = pipeline.agents.map { agent in
                let folder = "\(sites)/\(agent.site)/\(agent.agentId)"
                return (folder + "/request.json", folder + "/bundle.json", pipeline.pipeline, agent.agentId)
            }
        default:
            throw ValidationError("give --request and --out, or --descriptor")
        }
        for item in work {
            let deadline = Date().addingTimeInterval(wait)
            while !FileManager.default.fileExists(atPath: item.request) {
                guard Date() < deadline else { throw ActorError("no request at \(item.request) after \(wait) s: is the agent running?") }
                try await Task.sleep(nanoseconds: 200_000_000)
            }
            let request = try readJSONFile(RegistrationRequest.self, from: item.request)
            if let expected = item.agentId, request.agentId != expected {
                throw ActorError("\(item.request) asks to register \(request.agentId), but the pipeline places \(expected) there")
            }
            let bundle = try await MLFOActions.register(actor, request: request, pipeline: item.pipeline, deployment: file, funding: wei)
            try writeJSONFile(bundle, to: item.out)
        }
    }
}

struct Pipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Place a network service's functions on sites: a service description in, a MAS pipeline descriptor out.")
    @Option(help: "The network-service description (JSON: name, sites with capacity, functions with image and replicas, basePort).")
    var service: String
    @Option(help: "Where to write the pipeline descriptor.")
    var out: String = "pipeline.json"

    func run() throws {
        let descriptor = try Placement.place(try readJSONFile(ServiceDescription.self, from: service))
        try writeJSONFile(descriptor, to: out)
        say("pipeline \(descriptor.pipeline): \(descriptor.agents.count) agents, \(descriptor.links.count) links, written to \(out)")
        for agent in descriptor.agents {
            say("  \(agent.agentId.padding(toLength: 14, withPad: " ", startingAt: 0)) \(agent.site.padding(toLength: 10, withPad: " ", startingAt: 0)) "
                + "udp \(agent.port)  peers \(descriptor.peers(of: agent.agentId).map(\.agentId).joined(separator: ", "))")
        }
    }
}

struct DeployAgents: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy-agents",
        abstract: "Place each agent's wrapped image in its site folder and start its process (the local stand-in for the infrastructure).",
        discussion: """
            Each agent runs `d6g-agent run` in SITES/<site>/<agent>/ (its log in agent.log, its events in events.jsonl), \
            makes its keys there and waits for its bundle (`d6g-mlfo register --descriptor`). The agents' store key \
            comes from this command's environment ($D6G_AGENT_STORE_KEY). Process ids go to SITES/agents.pids.
            """)
    @Option(help: "The pipeline descriptor.")
    var descriptor: String = "pipeline.json"
    @Option(help: "The folder of wrapped images, one <agent>.wrapped each (`d6g-secaas wrap --out`).")
    var images: String = "wrapped"
    @Option(help: "The sites folder.")
    var sites: String = "sites"
    @Option(help: "The deployment file.")
    var deployment: String = "deployment.json"
    @Option(help: "A node's JSON-RPC URL for the agents; repeat to give them several.")
    var rpc: [String] = ["http://127.0.0.1:8545"]

    func run() throws {
        let pipeline = try readJSONFile(PipelineDescriptor.self, from: descriptor)
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let agentProgram = here.appendingPathComponent("d6g-agent").path
        guard FileManager.default.isExecutableFile(atPath: agentProgram) else { throw ActorError("no d6g-agent beside d6g-mlfo (\(agentProgram))") }
        let absolute = { (path: String) in URL(fileURLWithPath: path).standardizedFileURL.path }
        var pids: [String] = []
        for agent in pipeline.agents {
            let folder = absolute("\(sites)/\(agent.site)/\(agent.agentId)")
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let image = folder + "/image.wrapped"
            guard let wrapped = FileManager.default.contents(atPath: "\(images)/\(agent.agentId).wrapped") else {
                throw ActorError("no wrapped image \(images)/\(agent.agentId).wrapped: run `d6g-secaas wrap` for it first")
            }
            try writeAtomically([UInt8](wrapped), to: image)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: agentProgram)
            process.arguments = ["run", "--dir", folder, "--agent-id", agent.agentId, "--deployment", absolute(deployment),
                                 "--image", image, "--descriptor", absolute(descriptor), "--events", folder + "/events.jsonl"]
                + rpc.flatMap { ["--rpc", $0] }
            FileManager.default.createFile(atPath: folder + "/agent.log", contents: nil)
            let log = FileHandle(forWritingAtPath: folder + "/agent.log")
            process.standardOutput = log
            process.standardError = log
            process.standardInput = FileHandle.nullDevice
            try process.run()
            pids.append("\(process.processIdentifier) \(agent.agentId)")
            say(logLine("mlfo", "\(agent.agentId) started at \(agent.site) (pid \(process.processIdentifier)), image in \(image)"))
        }
        try writeAtomically(Array((pids.joined(separator: "\n") + "\n").utf8), to: "\(sites)/agents.pids")
    }
}

struct Configured: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Tell the SECaaS that a pipeline's agents are deployed and registered: it starts their initial attestation.")
    @Option(help: "The pipeline descriptor.")
    var descriptor: String = "pipeline.json"
    @Option(help: "The SECaaS's inbox folder (`d6g-secaas serve --inbox`).")
    var secaasInbox: String = "secaas/inbox"

    func run() throws {
        let pipeline = try readJSONFile(PipelineDescriptor.self, from: descriptor)
        try FileManager.default.createDirectory(atPath: secaasInbox, withIntermediateDirectories: true)
        try writeJSONFile(ConfiguredNotice(pipeline: pipeline.pipeline, agents: pipeline.agents.map(\.agentId)),
                          to: "\(secaasInbox)/\(pipeline.pipeline).json")
        say(logLine("mlfo", "SECaaS told: \(pipeline.agents.count) agents of \(pipeline.pipeline) are configured"))
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a pipeline's key epochs: at once when a member is revoked, misses or loses eligibility, on joins, and periodically.")
    @OptionGroup var common: Common
    @Option(help: "The deployment file.")
    var deployment: String = "deployment.json"
    @Option(help: "The pipeline whose group keys to publish.")
    var pipeline: String = "pipeline-1"
    @Option(help: "Seconds at most between two epochs.")
    var epochMaxAge: Double = 60
    @Option(help: "Seconds between reads of every member's eligibility when none was revoked or missed (joins wait this long at most).")
    var scanInterval: Double = 5
    @Option(help: "Seconds at most between looks at the chain (each block the node announces over WebSocket prompts one).")
    var interval: Double = 1
    @Option(help: "Append the program's events to this file as JSON lines.")
    var events: String?

    func run() async throws {
        let actor = try common.actor()
        let file = try readJSONFile(DeploymentFile.self, from: deployment)
        let service = MLFOService(actor: actor, deployment: try file.deployment(), deployedAtBlock: file.deployedAtBlock,
                                  pipeline: pipeline, epochMaxAge: epochMaxAge)
        service.events = try EventLog(path: events, role: "mlfo")
        service.scanInterval = scanInterval
        actor.log("serving the keys of \(pipeline) (group \(UInt256(identifier(pipeline)))) as \(actor.address)")
        try await keepLooking(every: interval, heads: HeadWatcher(endpoints: common.rpc, log: actor.log), log: actor.log) { try await service.tick() }
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
