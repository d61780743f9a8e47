// Block timing with a fake clock: transactions start a height no sooner than the minimum
// interval after the last block; an idle chain makes an empty block every empty-block period.
import Node
import Testing

@Suite struct BlockScheduleTests {
    let schedule = BlockSchedule(minBlockIntervalMs: 250, emptyBlockPeriodMs: 5_000)

    @Test(arguments: [
        // (now, last block, pending, expected)
        (1_000, 1_000, true, BlockSchedule.Decision.wait(untilMilliseconds: 1_250)),
        (1_249, 1_000, true, .wait(untilMilliseconds: 1_250)),
        (1_250, 1_000, true, .produceNow),
        (9_000, 1_000, true, .produceNow),
        (1_250, 1_000, false, .wait(untilMilliseconds: 6_000)),
        (5_999, 1_000, false, .wait(untilMilliseconds: 6_000)),
        (6_000, 1_000, false, .produceNow),
    ] as [(UInt64, UInt64, Bool, BlockSchedule.Decision)])
    func decides(now: UInt64, last: UInt64, pending: Bool, expected: BlockSchedule.Decision) {
        #expect(schedule.decide(nowMilliseconds: now, lastBlockMs: last, hasPendingTransactions: pending) == expected)
    }

    @Test func theEmptyPeriodIsNeverShorterThanTheMinimumInterval() {
        let odd = BlockSchedule(minBlockIntervalMs: 500, emptyBlockPeriodMs: 100)
        #expect(odd.decide(nowMilliseconds: 400, lastBlockMs: 0, hasPendingTransactions: false) == .wait(untilMilliseconds: 500))
    }

    @Test func timestampsAlwaysIncrease() {
        #expect(BlockSchedule.timestamp(nowMilliseconds: 2_000, parentMs: 1_000) == 2_000)
        // A clock that stepped back still yields a later block.
        #expect(BlockSchedule.timestamp(nowMilliseconds: 900, parentMs: 1_000) == 1_001)
    }

    @Test func aFakeClockDrivesTheScheduleAcrossBlocks() {
        let clock = FakeClock(10_000)
        var lastBlock: UInt64 = 10_000
        var produced: [UInt64] = []
        // Transactions keep arriving: a block every 250 ms, on the dot, for 1.3 s of fake time.
        for _ in 0..<130 {
            clock.advance(by: 10)
            if schedule.decide(nowMilliseconds: clock.nowMilliseconds(), lastBlockMs: lastBlock,
                               hasPendingTransactions: true) == .produceNow {
                lastBlock = BlockSchedule.timestamp(nowMilliseconds: clock.nowMilliseconds(), parentMs: lastBlock)
                produced.append(lastBlock)
            }
        }
        #expect(produced == [10_250, 10_500, 10_750, 11_000, 11_250])
    }
}
