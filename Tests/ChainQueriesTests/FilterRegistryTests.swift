// Installed filters: cursors per poll, giving back unreported blocks, expiry and the filter cap.
import ChainQueries
import Testing

@Suite struct FilterRegistryTests {
    let start = ContinuousClock.now

    @Test func cursorsAdvancePerPoll() throws {
        var registry = FilterRegistry()
        try registry.install(.blocks, id: "0x1", head: 10, now: start)
        var claims: [ClosedRange<UInt64>?] = []
        for head: UInt64 in [10, 13, 13, 20] { claims.append(try registry.claim("0x1", head: head, now: start)?.blocks) }
        #expect(claims == [nil, 11...13, nil, 14...20])
        // A poll that reported only through 16 gives the rest back.
        registry.giveBack("0x1", claimedThrough: 20, reportedThrough: 16)
        let again = try registry.claim("0x1", head: 20, now: start)?.blocks
        #expect(again == 17...20)
        #expect(throws: FilterRegistry.Failure.notFound) { _ = try registry.claim("0x2", head: 20, now: start) }
        let removed = [registry.uninstall("0x1"), registry.uninstall("0x1")]
        #expect(removed == [true, false])
    }

    @Test func idleFiltersExpire() throws {
        var registry = FilterRegistry(idleTimeout: .seconds(300))
        try registry.install(.blocks, id: "0xa", head: 0, now: start)
        try registry.install(.blocks, id: "0xb", head: 0, now: start)
        _ = try registry.use("0xa", now: start + .seconds(200))
        let expired = registry.expire(now: start + .seconds(301))
        #expect(expired == ["0xb"])
        #expect(throws: FilterRegistry.Failure.notFound) { _ = try registry.use("0xb", now: start + .seconds(301)) }
        _ = try registry.use("0xa", now: start + .seconds(450))  // polled at 200, so still alive at 450
        #expect(throws: FilterRegistry.Failure.notFound) { _ = try registry.use("0xa", now: start + .seconds(751)) }
        #expect(registry.count == 0)
    }

    @Test func filterCap() throws {
        var registry = FilterRegistry(maxFilters: 2)
        try registry.install(.blocks, id: "0x1", head: 0, now: start)
        try registry.install(.blocks, id: "0x2", head: 0, now: start)
        #expect(throws: FilterRegistry.Failure.tooManyFilters(limit: 2)) { try registry.install(.blocks, id: "0x3", head: 0, now: start) }
    }
}

/// Every install, poll and commit asks for an idle scan; scans run at most once per interval so
/// that a full registry does not cost a scan of every filter per call.
@Test func idleScansRunAtMostOncePerInterval() throws {
    var registry = FilterRegistry(idleTimeout: .seconds(10))
    let start = ContinuousClock.now
    func at(_ milliseconds: Int64) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }
    try registry.install(.blocks, id: "a", head: 0, now: at(0))
    try registry.install(.blocks, id: "b", head: 0, now: at(5_000))
    #expect(registry.expire(now: at(10_600)) == ["a"])
    #expect(registry.expire(now: at(14_900)).isEmpty)                  // b has been idle 9.9 s
    #expect(registry.expire(now: at(15_500)).isEmpty, "a scan ran 0.6 s ago")
    #expect(registry.expire(now: at(16_000)) == ["b"])
    #expect(registry.count == 0)
}
