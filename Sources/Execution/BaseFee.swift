// The base fee of the next block. Fixed at genesis's value unless the genesis sets
// `baseFeeFloats`, in which case it follows EIP-1559: a target of half the gas limit, moving by at
// most 1/8 per block (DESIGN.md §2).
import LedgerPrimitives
import LedgerTypes

public enum BaseFee {
    public static let elasticityMultiplier: UInt64 = 2
    public static let changeDenominator: UInt64 = 8

    /// The base fee of the child of `parent`.
    public static func next(after parent: BlockHeader, floats: Bool) -> UInt256 {
        let base = parent.baseFeePerGas
        guard floats else { return base }
        let target = parent.gasLimit / elasticityMultiplier
        guard target > 0, parent.gasUsed != target else { return base }
        if parent.gasUsed > target {
            let delta = scaled(base, by: parent.gasUsed - target, over: target)
            let (sum, overflow) = base.addingReportingOverflow(delta.isZero ? .one : delta)
            return overflow ? .max : sum
        }
        let delta = scaled(base, by: target - parent.gasUsed, over: target)
        return delta < base ? base &- delta : .zero
    }

    /// base × difference / target / 8, without overflow.
    private static func scaled(_ base: UInt256, by difference: UInt64, over target: UInt64) -> UInt256 {
        let (high, low) = base.multipliedFullWidth(by: difference)
        if high != 0 {
            // Only for base fees near 2^256: divide first, losing a little precision, not the result.
            return base.quotientAndRemainder(dividingBy: target).quotient
                .multipliedReportingOverflow(by: UInt256(difference)).partialValue
                .quotientAndRemainder(dividingBy: changeDenominator).quotient
        }
        return low.quotientAndRemainder(dividingBy: target).quotient
            .quotientAndRemainder(dividingBy: changeDenominator).quotient
    }
}
