// Sources/D6GActors/Pipeline.swift: where the MLFO places agents, and what it refuses.
import D6GActors
import Testing

private func service(sites: [(String, Int)], functions: [(String, Int)], basePort: Int = 40_000) -> ServiceDescription {
    ServiceDescription(name: "video", sites: sites.map { .init(name: $0.0, capacity: $0.1) },
                       functions: functions.map { .init(name: $0.0, image: "\($0.0).img", replicas: $0.1) }, basePort: basePort)
}

@Test func replicasSpreadOverSitesAndFollowTheirUpstream() throws {
    let placed = try Placement.place(service(sites: [("a", 3), ("b", 3), ("c", 2)], functions: [("ingest", 3), ("detect", 3), ("report", 2)]))
    #expect(placed.agents.count == 8)
    // No site runs two replicas of one function while another site has room.
    for function in ["ingest", "detect", "report"] {
        let sites = placed.agents.filter { $0.function == function }.map(\.site)
        #expect(Set(sites).count == sites.count, "\(function): \(sites)")
    }
    // Every site within its capacity; ports consecutive from the base.
    for (site, capacity) in [("a", 3), ("b", 3), ("c", 2)] { #expect(placed.agents.filter { $0.site == site }.count <= capacity) }
    #expect(placed.agents.map(\.port) == Array(40_000..<40_008))
    // Each agent talks to every agent of the next function, both ways.
    #expect(placed.links.count == 3 * 3 + 3 * 2)
    #expect(Set(placed.peers(of: "detect-1").map(\.function)) == ["ingest", "report"])
    #expect(placed.peers(of: "ingest-2").allSatisfy { $0.function == "detect" })
}

@Test func aFunctionGoesWhereItsUpstreamRuns() throws {
    // One replica upstream at the roomier site b… then the downstream one joins it there.
    let placed = try Placement.place(service(sites: [("a", 2), ("b", 5)], functions: [("ingest", 1), ("detect", 1)]))
    #expect(placed.agent("ingest-1")?.site == "b")
    #expect(placed.agent("detect-1")?.site == "b")
    // Anti-affinity wins over affinity: a second replica goes to the other site.
    let spread = try Placement.place(service(sites: [("a", 2), ("b", 5)], functions: [("ingest", 1), ("detect", 2)]))
    #expect(Set(spread.agents.filter { $0.function == "detect" }.map(\.site)) == ["a", "b"])
}

@Test func impossibleServicesAreRefusedWithTheReason() {
    #expect(throws: ActorError("5 agents do not fit in the sites' capacity of 4")) {
        try Placement.place(service(sites: [("a", 2), ("b", 2)], functions: [("x", 5)]))
    }
    #expect(throws: ActorError("function x needs 1 to 10,000 replicas, not 0")) {
        try Placement.place(service(sites: [("a", 2)], functions: [("x", 0)]))
    }
    #expect(throws: ActorError("site a has a capacity of -1: give 0 to 10,000")) {
        try Placement.place(service(sites: [("a", -1)], functions: [("x", 1)]))
    }
    #expect(throws: ActorError("the service names no site")) { try Placement.place(service(sites: [], functions: [("x", 1)])) }
    #expect(throws: ActorError("basePort leaves no room for 2 ports")) {
        try Placement.place(service(sites: [("a", 2)], functions: [("x", 2)], basePort: 65_534))
    }
    // Values that would overflow a sum are refused, not trapped on.
    #expect(throws: ActorError("site a has a capacity of \(Int.max): give 0 to 10,000")) {
        try Placement.place(service(sites: [("a", Int.max), ("b", Int.max)], functions: [("x", 1)]))
    }
    #expect(throws: ActorError("basePort \(Int.max) is not a port")) {
        try Placement.place(service(sites: [("a", 2)], functions: [("x", 1)], basePort: Int.max))
    }
}
