// Replays one simulator seed with a full event trace: D6G_SIM_REPRODUCE=<seed> [D6G_SIM_CRASHES=1]
// [D6G_SIM_TRACE=1] swift test --filter reproduceSeed. Without the variable the test does nothing.

import ConsensusSimulation
import Foundation
import Testing

@Test func reproduceSeed() {
    let environment = ProcessInfo.processInfo.environment
    guard let seed = environment["D6G_SIM_REPRODUCE"].flatMap(UInt64.init) else { return }
    var simulation = Simulation(.random(seed: seed, crashes: environment["D6G_SIM_CRASHES"] != nil))
    if environment["D6G_SIM_TRACE"] != nil { simulation.trace = { print($0) } }
    let outcome = simulation.run()
    print(outcome.report)
    for line in outcome.nodeStates { print(line) }
    #expect(outcome.violations.isEmpty && outcome.isLive)
}
