// Two's-complement views of UInt256 for the VM's signed instructions: sign tests,
// negation, signed order, division, remainder, arithmetic shift and sign extension,
// with the EVM's results for the edge cases (zero divisors, MIN / -1).

extension UInt256 {
    /// The smallest signed value, -2^255 (only the top bit set).
    public static let signedMin = UInt256(limb0: 0, limb1: 0, limb2: 0, limb3: 1 << 63)
    /// The largest signed value, 2^255 - 1.
    public static let signedMax = UInt256(limb0: .max, limb1: .max, limb2: .max, limb3: .max >> 1)

    /// Whether the value is negative when read as two's complement (bit 255 set).
    @inlinable @inline(__always)
    public var isNegative: Bool { limb3 >> 63 != 0 }

    /// The two's-complement negation, `0 &- self` (MIN stays MIN).
    @inlinable @inline(__always)
    public func negated() -> UInt256 { UInt256.zero &- self }

    /// The absolute value read as two's complement, as an unsigned number (|MIN| is 2^255).
    @inlinable @inline(__always)
    public var signedMagnitude: UInt256 { isNegative ? negated() : self }

    /// Signed order (the VM's SLT): flipping both sign bits maps signed order onto unsigned.
    @inlinable @inline(__always)
    public func signedLessThan(_ other: UInt256) -> Bool {
        let flip = UInt256(limb0: 0, limb1: 0, limb2: 0, limb3: 1 << 63)
        return (self ^ flip) < (other ^ flip)
    }

    /// Signed division truncating toward zero (the EVM's SDIV): a zero divisor gives 0,
    /// and MIN / -1 gives MIN (the true result 2^255 wraps).
    @inlinable
    public func sdiv(_ divisor: UInt256) -> UInt256 {
        let quotient = signedMagnitude.dividedOrZero(by: divisor.signedMagnitude)
        return isNegative != divisor.isNegative ? quotient.negated() : quotient
    }

    /// Signed remainder whose sign follows the dividend (the EVM's SMOD): a zero divisor gives 0.
    @inlinable
    public func smod(_ divisor: UInt256) -> UInt256 {
        let remainder = signedMagnitude.remainderOrZero(dividingBy: divisor.signedMagnitude)
        return isNegative ? remainder.negated() : remainder
    }

    /// Arithmetic right shift (the EVM's SAR): copies of the sign bit come in from the
    /// top; shifting by 256 or more gives 0 or -1 by the sign.
    @inlinable
    public func sar(_ count: UInt64) -> UInt256 {
        isNegative ? ~((~self).shiftedRight(by: count)) : shiftedRight(by: count)
    }

    /// `sar(_:)` with a 256-bit count, as the VM pops it.
    @inlinable @inline(__always)
    public func sar(_ count: UInt256) -> UInt256 {
        sar(Self.shiftCount(count))
    }

    /// Sign-extends from the byte at `byteIndex`, counted from the least significant end
    /// (the EVM's SIGNEXTEND): bit `8 × byteIndex + 7` is copied into every higher bit.
    /// Indices of 31 or more leave the value unchanged; negative ones are treated as 31+.
    @inlinable
    public func signExtend(fromByte byteIndex: Int) -> UInt256 {
        guard byteIndex >= 0 && byteIndex < 31 else { return self }
        // Move the sign bit to bit 255, then shift back arithmetically.
        let distance = UInt64(248 - 8 * byteIndex)
        return shiftedLeft(by: distance).sar(distance)
    }

    /// `signExtend(fromByte:)` with a 256-bit index, as the VM pops it.
    @inlinable
    public func signExtend(fromByte byteIndex: UInt256) -> UInt256 {
        guard let index = byteIndex.exactInt else { return self }
        return signExtend(fromByte: index)
    }
}
