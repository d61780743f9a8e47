// d6g-agent: a software agent's program (Docs/operator-guide.md §The D6G programs). It makes its
// own account and encryption keys, asks to be registered, and then takes part in attestation:
// answering its challenges from its wrapped image and challenging the next agent as the RoT.
import ArgumentParser
import D6GActors
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

struct Common: ParsableArguments {
    @Option(help: "The agent's data directory (its sealed keys).")
    var dir: String
    @Option(help: "A file holding the 32-byte store key in hex (else $D6G_AGENT_STORE_KEY).")
    var storeKeyFile: String?

    func storeKey() throws -> StoreKey { try StoreKey.resolve(file: storeKeyFile, environmentVariable: "D6G_AGENT_STORE_KEY") }
    var keysPath: String { dir + "/keys.sealed" }
}

@main
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-agent",
        abstract: "A D6G agent: makes its keys, asks for registration, takes part in attestation.",
        subcommands: [Init.self, Run.self, Status.self])
}

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make the agent's account and encryption keys (sealed in --dir) and its registration request for the MLFO.")
    @OptionGroup var common: Common
    @Option(help: "The agent's id, unique in the deployment.")
    var agentId: String
    @Option(help: "The deployment file (the request is signed for its registry and chain).")
    var deployment: String = "deployment.json"

    func run() throws {
        try makeKeys(common: common, agentId: agentId, deployment: deployment)
    }
}

/// Makes and seals the agent's keys and writes its registration request to DIR/request.json.
func makeKeys(common: Common, agentId: String, deployment: String) throws {
    try FileManager.default.createDirectory(atPath: common.dir, withIntermediateDirectories: true)
    guard !FileManager.default.fileExists(atPath: common.keysPath) else { throw ValidationError("\(common.keysPath) exists already") }
    let keys = AgentKeys.generate(agentId: agentId)
    let target = try readJSONFile(DeploymentFile.self, from: deployment).deployment()
    let account = try keys.accountKey
    let encryption = try keys.encryptionKey
    let signature = try target.encryptionKeySignature(agentKey: account, encryptionKey: encryption.publicKey)
    try keys.write(to: common.keysPath, key: try common.storeKey())
    let request = RegistrationRequest(agentId: agentId, account: account.address, encryptionKey: encryption.publicKey,
                                      signature: signature, deployment: target)
    try writeJSONFile(request, to: common.dir + "/request.json")
    say(logLine("agent \(agentId)", "account \(account.address); registration request written to \(common.dir)/request.json"))
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Take part in attestation, key epochs and pipeline traffic until stopped.",
        discussion: """
            Without keys in --dir it makes them first (as `init`, with --agent-id and --deployment) and waits until \
            the MLFO has written its provisioning bundle.
            """)
    @OptionGroup var common: Common
    @Option(help: "The agent's id (only to make its keys on first start).")
    var agentId: String?
    @Option(help: "The deployment file (only to make its keys on first start).")
    var deployment: String = "deployment.json"
    @Option(help: "The provisioning bundle the MLFO wrote (default: DIR/bundle.json).")
    var bundle: String?
    @Option(help: "The wrapped image this agent runs (measured at each challenge).")
    var image: String
    @Option(help: "The pipeline descriptor (`d6g-mlfo pipeline`): with it, the agent takes group keys and talks to its peers.")
    var descriptor: String?
    @Option(help: "A node's JSON-RPC URL; repeat to ask several nodes.")
    var rpc: [String] = ["http://127.0.0.1:8545"]
    @Option(help: "Seconds at most between looks at the chain (each block the node announces over WebSocket prompts one).")
    var interval: Double = 1
    @Option(help: "Seconds between two frames (each to the next peer in turn).")
    var trafficInterval: Double = 0.5
    @Option(help: "Append the program's events to this file as JSON lines (for timelines and benchmarks).")
    var events: String?

    func validate() throws {
        guard interval.isFinite, interval > 0, trafficInterval.isFinite, trafficInterval >= 0.01 else {
            throw ValidationError("--interval and --traffic-interval are positive numbers of seconds")
        }
    }

    func run() async throws {
        let storeKey = try common.storeKey()
        if !FileManager.default.fileExists(atPath: common.keysPath) {
            guard let agentId else { throw ValidationError("no keys in \(common.dir): give --agent-id (and --deployment) to make them") }
            try makeKeys(common: common, agentId: agentId, deployment: deployment)
        }
        let keys = try AgentKeys.read(from: common.keysPath, key: storeKey)
        let name = keys.agentId
        let log: @Sendable (String) -> Void = { say(logLine("agent \(name)", $0)) }
        let bundlePath = bundle ?? common.dir + "/bundle.json"
        if !FileManager.default.fileExists(atPath: bundlePath) {
            log("waiting for the MLFO to register this agent (its bundle at \(bundlePath))")
            while !FileManager.default.fileExists(atPath: bundlePath) { try await Task.sleep(nanoseconds: 300_000_000) }
        }
        let provisioning = try readJSONFile(ProvisioningBundle.self, from: bundlePath)
        // Agents start at different nodes (then fail over in turn), so that no one node serves them all.
        let offset = rpc.isEmpty ? 0 : Int(name.utf8.reduce(0) { $0 &+ UInt32($1) } % UInt32(rpc.count))
        let endpoints = Array(rpc[offset...] + rpc[..<offset])
        let actor = ChainActor(client: try LedgerClient(endpoints: endpoints), key: try keys.accountKey, log: log)
        let service = AgentService(actor: actor, deployment: try provisioning.deployment.deployment(),
                                   deployedAtBlock: provisioning.deployment.deployedAtBlock,
                                   encryptionKeys: try keys.allEncryptionKeys, imagePath: image)
        let eventLog = try EventLog(path: events, role: name)
        await service.record(to: eventLog)
        try await service.keepKeyFile(at: common.keysPath, storeKey: storeKey, keys: keys)
        var traffic: AgentTraffic?
        if let descriptor {
            let pipeline = try readJSONFile(PipelineDescriptor.self, from: descriptor)
            guard let me = pipeline.agent(name) else { throw ValidationError("\(name) is not in the pipeline \(pipeline.pipeline)") }
            traffic = try AgentTraffic(group: pipeline.group, me: actor.address, port: me.port,
                                       peerPorts: pipeline.peers(of: name).map(\.port))
            log("in pipeline \(pipeline.pipeline) at \(me.site), UDP port \(me.port), peers \(pipeline.peers(of: name).map(\.agentId))")
        }
        log("running as \(actor.address), measuring \(image)")
        if let traffic {
            await service.join(traffic)
            // Receives for as long as the process runs.
            Thread.detachNewThread { traffic.receiveLoop(while: { true }) }
            Task {
                var sent = 0
                var lastReport = Date()
                while !Task.isCancelled {
                    sent += 1
                    traffic.sendToNextPeer(Array("\(name) frame \(sent)".utf8))
                    if Date().timeIntervalSince(lastReport) >= 2 {
                        let counts = traffic.takeCounts()
                        eventLog.record("traffic", ["agent": actor.address.description, "agent_id": name,
                                                          "epoch": traffic.epoch ?? 0, "accepted": counts.accepted,
                                                          "dropped": counts.dropped])
                        lastReport = Date()
                    }
                    try? await Task.sleep(nanoseconds: UInt64(trafficInterval * 1_000_000_000))
                }
            }
        }
        // Attestation and group keys in loops of their own: an answer never waits for a key
        // rotation's receipt, and a failure of one does not hold up the other.
        let heads = HeadWatcher(endpoints: endpoints, log: log)
        async let attesting: Void = keepLooking(every: interval, heads: heads, log: log) { try await service.tick() }
        async let keying: Void = keepLooking(every: interval, heads: heads, log: log) { try await service.keyTick() }
        try await attesting
        try await keying
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "This agent's status, eligibility and misses on chain.")
    @OptionGroup var common: Common
    @Option(help: "The provisioning bundle the MLFO wrote.")
    var bundle: String
    @Option(help: "A node's JSON-RPC URL; repeat to ask several nodes.")
    var rpc: [String] = ["http://127.0.0.1:8545"]

    func run() async throws {
        let provisioning = try readJSONFile(ProvisioningBundle.self, from: bundle)
        let client = try LedgerClient(endpoints: rpc)
        guard let account = try? Address(hex: provisioning.account) else { throw ValidationError("the bundle's account is not an address") }
        let registry = AttestationRegistryContract(address: try provisioning.deployment.deployment().registry)
        let status = try await registry.status(of: account, on: client)
        let eligible = try await registry.isEligible(account, on: client)
        let misses = try await registry.misses(of: account, on: client)
        print("\(provisioning.agentId) \(account): \(status), \(eligible ? "eligible" : "not eligible"), \(misses) misses")
    }
}
