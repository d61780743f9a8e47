// Random byte strings from the shared seeded generator, so a failing seed replays exactly.
import TestSupport

extension SplitMix64 {
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}
