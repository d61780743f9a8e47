// The simulator's draws on top of LedgerPrimitives' seeded SplitMix64: the same seed gives the
// same run on every machine.
import LedgerPrimitives

extension SplitMix64 {
    /// A uniform integer in `range` (modulo bias is irrelevant for simulation).
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound) &+ 1
        guard span != 0 else { return Int(truncatingIfNeeded: next()) }
        return range.lowerBound + Int(next() % span)
    }

    /// True with probability `perMille` / 1000.
    public mutating func chance(perMille: Int) -> Bool { int(in: 0...999) < perMille }

    /// A new, independent generator derived from this one.
    public mutating func split() -> SplitMix64 { SplitMix64(seed: next()) }
}
