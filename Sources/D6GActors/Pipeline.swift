// `d6g-mlfo pipeline`: a network-service description in, a MAS pipeline descriptor out — which
// agents run which function at which site, on which local port, talking to which others. The
// placement is computed (capacity, anti-affinity of replicas, affinity to the upstream function),
// not copied from the input.
import Foundation
import LedgerPrimitives

/// What the operator describes: sites with their capacity, and a chain of functions.
public struct ServiceDescription: Codable, Equatable, Sendable {
    public struct Site: Codable, Equatable, Sendable {
        public var name: String
        /// Agents the site can run.
        public var capacity: Int

        public init(name: String, capacity: Int) {
            self.name = name
            self.capacity = capacity
        }
    }

    public struct Function: Codable, Equatable, Sendable {
        public var name: String
        /// The image file its agents run (wrapped per agent by the SECaaS).
        public var image: String
        public var replicas: Int

        public init(name: String, image: String, replicas: Int) {
            self.name = name
            self.image = image
            self.replicas = replicas
        }
    }

    public var name: String
    public var sites: [Site]
    /// In chain order: every agent of function k talks to every agent of function k + 1.
    public var functions: [Function]
    /// The first local UDP port; agents get consecutive ones.
    public var basePort: Int

    public init(name: String, sites: [Site], functions: [Function], basePort: Int) {
        self.name = name
        self.sites = sites
        self.functions = functions
        self.basePort = basePort
    }
}

/// What the MLFO makes of it, and what every other step reads.
public struct PipelineDescriptor: Codable, Equatable, Sendable {
    public struct Agent: Codable, Equatable, Sendable {
        public var agentId: String
        public var function: String
        public var site: String
        public var image: String
        public var port: Int
    }

    public var pipeline: String
    public var agents: [Agent]
    /// Pairs of agent ids that exchange traffic (both ways).
    public var links: [[String]]

    /// The group of the pipeline's keys: its id as a number.
    public var group: UInt256 { UInt256(identifier(pipeline)) }

    public func agent(_ id: String) -> Agent? { agents.first { $0.agentId == id } }

    /// The agents `id` talks to.
    public func peers(of id: String) -> [Agent] {
        links.compactMap { link -> String? in
            guard link.count == 2 else { return nil }
            return link[0] == id ? link[1] : link[1] == id ? link[0] : nil
        }.compactMap(agent)
    }
}

public enum Placement {
    /// Places every replica of every function: on a site with room, preferring one that runs no
    /// replica of the same function yet (a site's loss takes one replica, not all), then one that
    /// runs most agents of the function before it (less traffic between sites), then the one
    /// with most room left, then by name.
    public static func place(_ service: ServiceDescription) throws(ActorError) -> PipelineDescriptor {
        guard !service.name.isEmpty else { throw ActorError("the service has no name") }
        guard !service.sites.isEmpty else { throw ActorError("the service names no site") }
        // Bounds that keep every sum below far below Int's range (a pipeline is tens of agents).
        for site in service.sites where !(0...10_000).contains(site.capacity) {
            throw ActorError("site \(site.name) has a capacity of \(site.capacity): give 0 to 10,000")
        }
        for function in service.functions where !(1...10_000).contains(function.replicas) {
            throw ActorError("function \(function.name) needs 1 to 10,000 replicas, not \(function.replicas)")
        }
        guard service.sites.count <= 1_000, service.functions.count <= 1_000 else { throw ActorError("at most 1,000 sites and functions") }
        guard (1...65_535).contains(service.basePort) else { throw ActorError("basePort \(service.basePort) is not a port") }
        let needed = service.functions.reduce(0) { $0 + $1.replicas }
        let room = service.sites.reduce(0) { $0 + $1.capacity }
        guard needed <= room else { throw ActorError("\(needed) agents do not fit in the sites' capacity of \(room)") }
        guard service.basePort > 0, service.basePort + needed <= 65_535 else { throw ActorError("basePort leaves no room for \(needed) ports") }

        var free = Dictionary(uniqueKeysWithValues: service.sites.map { ($0.name, $0.capacity) })
        var agents: [PipelineDescriptor.Agent] = []
        var previous: [PipelineDescriptor.Agent] = []
        var links: [[String]] = []
        for function in service.functions {
            var placed: [PipelineDescriptor.Agent] = []
            for replica in 0..<function.replicas {
                let choice = service.sites.map(\.name).filter { (free[$0] ?? 0) > 0 }.min { a, b in
                    let key = { (site: String) -> (Int, Int, Int, String) in
                        (placed.contains { $0.site == site } ? 1 : 0, -previous.filter { $0.site == site }.count, -(free[site] ?? 0), site)
                    }
                    return key(a) < key(b)
                }
                guard let site = choice else { throw ActorError("no room left for \(function.name)") }
                free[site, default: 0] -= 1
                let agent = PipelineDescriptor.Agent(agentId: "\(function.name)-\(replica + 1)", function: function.name, site: site,
                                                     image: function.image, port: service.basePort + agents.count)
                agents.append(agent)
                placed.append(agent)
            }
            for upstream in previous { for downstream in placed { links.append([upstream.agentId, downstream.agentId]) } }
            previous = placed
        }
        return PipelineDescriptor(pipeline: service.name, agents: agents, links: links)
    }
}

/// `d6g-mlfo configured`'s message to the SECaaS (a file in its inbox, the local stand-in for a
/// message between the two services): these agents are deployed and registered.
public struct ConfiguredNotice: Codable, Equatable, Sendable {
    public var pipeline: String
    public var agents: [String]

    public init(pipeline: String, agents: [String]) {
        self.pipeline = pipeline
        self.agents = agents
    }

    /// The agent ids of every notice in `inbox`.
    public static func configuredAgents(in inbox: String) -> Set<Hash32> {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: inbox)) ?? []
        var agents: Set<Hash32> = []
        for file in files where file.hasSuffix(".json") {
            guard let notice = try? readJSONFile(ConfiguredNotice.self, from: inbox + "/" + file) else { continue }
            agents.formUnion(notice.agents.map(identifier))
        }
        return agents
    }
}
