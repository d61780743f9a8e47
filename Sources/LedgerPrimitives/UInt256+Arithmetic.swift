// UInt256 arithmetic: wrapping and overflow-reporting add, subtract and multiply,
// full-width products, division (Knuth's algorithm D on stack limbs), modular
// add/multiply with wide intermediates, and exponentiation.

// MARK: - Addition and subtraction

extension UInt256 {
    /// A flag as 0 or 1 without a branch (`flag ? 1 : 0` can compile to a jump).
    @inlinable @inline(__always)
    internal static func bit(_ flag: Bool) -> UInt64 {
        UInt64(unsafeBitCast(flag, to: UInt8.self))
    }

    /// `a + b + carry` and the carry out, written so the compiler emits an add-with-carry
    /// chain: both partial carries become integers joined by `|` (a `||` would branch).
    @inlinable @inline(__always)
    internal static func addCarrying(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (sum: UInt64, carry: UInt64) {
        let (partial, carry1) = a.addingReportingOverflow(b)
        let (sum, carry2) = partial.addingReportingOverflow(carry)
        return (sum, bit(carry1) | bit(carry2))
    }

    /// `a - b - borrow` and the borrow out, the subtract-with-borrow counterpart.
    @inlinable @inline(__always)
    internal static func subtractBorrowing(_ a: UInt64, _ b: UInt64, _ borrow: UInt64)
        -> (difference: UInt64, borrow: UInt64) {
        let (partial, borrow1) = a.subtractingReportingOverflow(b)
        let (difference, borrow2) = partial.subtractingReportingOverflow(borrow)
        return (difference, bit(borrow1) | bit(borrow2))
    }

    /// The sum modulo 2^256 and whether it carried out of bit 255.
    @inlinable @inline(__always)
    public func addingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (s0, c0) = limb0.addingReportingOverflow(other.limb0)
        let (s1, c1) = Self.addCarrying(limb1, other.limb1, Self.bit(c0))
        let (s2, c2) = Self.addCarrying(limb2, other.limb2, c1)
        let (s3, c3) = Self.addCarrying(limb3, other.limb3, c2)
        return (UInt256(limb0: s0, limb1: s1, limb2: s2, limb3: s3), c3 != 0)
    }

    /// The difference modulo 2^256 and whether it borrowed (that is, `other > self`).
    @inlinable @inline(__always)
    public func subtractingReportingOverflow(_ other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        let (d0, b0) = limb0.subtractingReportingOverflow(other.limb0)
        let (d1, b1) = Self.subtractBorrowing(limb1, other.limb1, Self.bit(b0))
        let (d2, b2) = Self.subtractBorrowing(limb2, other.limb2, b1)
        let (d3, b3) = Self.subtractBorrowing(limb3, other.limb3, b2)
        return (UInt256(limb0: d0, limb1: d1, limb2: d2, limb3: d3), b3 != 0)
    }

    @inlinable @inline(__always)
    public static func &+ (lhs: UInt256, rhs: UInt256) -> UInt256 {
        lhs.addingReportingOverflow(rhs).partialValue
    }

    @inlinable @inline(__always)
    public static func &- (lhs: UInt256, rhs: UInt256) -> UInt256 {
        lhs.subtractingReportingOverflow(rhs).partialValue
    }

    @inlinable @inline(__always)
    public static func &+= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs &+ rhs }
    @inlinable @inline(__always)
    public static func &-= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs &- rhs }
}

// MARK: - Multiplication

extension UInt256 {
    /// `a * b + addend + carry` as a 128-bit pair; it cannot overflow 128 bits.
    @inlinable @inline(__always)
    internal static func multiplyAdd(_ a: UInt64, _ b: UInt64, _ addend: UInt64, _ carry: UInt64)
        -> (high: UInt64, low: UInt64) {
        let (high, low) = a.multipliedFullWidth(by: b)
        let (low1, c1) = low.addingReportingOverflow(addend)
        let (low2, c2) = low1.addingReportingOverflow(carry)
        return (high &+ bit(c1) &+ bit(c2), low2)
    }

    /// The product modulo 2^256: ten limb products, the ones that only reach the top
    /// limb as plain wrapping multiplies.
    @inlinable @inline(__always)
    public static func &* (lhs: UInt256, rhs: UInt256) -> UInt256 {
        let a0 = lhs.limb0, a1 = lhs.limb1, a2 = lhs.limb2, a3 = lhs.limb3
        let b0 = rhs.limb0, b1 = rhs.limb1, b2 = rhs.limb2, b3 = rhs.limb3
        var carry: UInt64
        var r0: UInt64, r1: UInt64, r2: UInt64, r3: UInt64
        (carry, r0) = a0.multipliedFullWidth(by: b0)
        (carry, r1) = multiplyAdd(a0, b1, 0, carry)
        (carry, r2) = multiplyAdd(a0, b2, 0, carry)
        r3 = a0 &* b3 &+ carry
        (carry, r1) = multiplyAdd(a1, b0, r1, 0)
        (carry, r2) = multiplyAdd(a1, b1, r2, carry)
        r3 = r3 &+ a1 &* b2 &+ carry
        (carry, r2) = multiplyAdd(a2, b0, r2, 0)
        r3 = r3 &+ a2 &* b1 &+ carry
        r3 = r3 &+ a3 &* b0
        return UInt256(limb0: r0, limb1: r1, limb2: r2, limb3: r3)
    }

    @inlinable @inline(__always)
    public static func &*= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs &* rhs }

    /// `self &* self` with six limb products instead of ten: each cross product
    /// a_i·a_j (i ≠ j) is computed once and doubled.
    @inlinable @inline(__always)
    public func squaredWrapping() -> UInt256 {
        // Cross products a0a1·B + a0a2·B² + (a0a3 + a1a2)·B³, modulo B⁴.
        var carry: UInt64
        var x1: UInt64, x2: UInt64
        (carry, x1) = limb0.multipliedFullWidth(by: limb1)
        (carry, x2) = Self.multiplyAdd(limb0, limb2, 0, carry)
        var x3 = carry &+ limb0 &* limb3 &+ limb1 &* limb2
        // Double them.
        x3 = Self.funnelLeft(x3, x2, 1)
        x2 = Self.funnelLeft(x2, x1, 1)
        x1 = x1 &<< 1
        // Add the squares a0² + a1²·B².
        let (square0High, square0Low) = limb0.multipliedFullWidth(by: limb0)
        let (square1High, square1Low) = limb1.multipliedFullWidth(by: limb1)
        let (r1, c1) = x1.addingReportingOverflow(square0High)
        let (r2, c2) = Self.addCarrying(x2, square1Low, Self.bit(c1))
        let r3 = x3 &+ square1High &+ c2
        return UInt256(limb0: square0Low, limb1: r1, limb2: r2, limb3: r3)
    }

    /// The full 512-bit product as high and low halves.
    @inlinable
    public func multipliedFullWidth(by other: UInt256) -> (high: UInt256, low: UInt256) {
        let a0 = limb0, a1 = limb1, a2 = limb2, a3 = limb3
        let b0 = other.limb0, b1 = other.limb1, b2 = other.limb2, b3 = other.limb3
        var carry: UInt64
        var r0: UInt64, r1: UInt64, r2: UInt64, r3: UInt64, r4: UInt64, r5: UInt64, r6: UInt64, r7: UInt64
        (carry, r0) = a0.multipliedFullWidth(by: b0)
        (carry, r1) = Self.multiplyAdd(a0, b1, 0, carry)
        (carry, r2) = Self.multiplyAdd(a0, b2, 0, carry)
        (r4, r3) = Self.multiplyAdd(a0, b3, 0, carry)

        (carry, r1) = Self.multiplyAdd(a1, b0, r1, 0)
        (carry, r2) = Self.multiplyAdd(a1, b1, r2, carry)
        (carry, r3) = Self.multiplyAdd(a1, b2, r3, carry)
        (r5, r4) = Self.multiplyAdd(a1, b3, r4, carry)

        (carry, r2) = Self.multiplyAdd(a2, b0, r2, 0)
        (carry, r3) = Self.multiplyAdd(a2, b1, r3, carry)
        (carry, r4) = Self.multiplyAdd(a2, b2, r4, carry)
        (r6, r5) = Self.multiplyAdd(a2, b3, r5, carry)

        (carry, r3) = Self.multiplyAdd(a3, b0, r3, 0)
        (carry, r4) = Self.multiplyAdd(a3, b1, r4, carry)
        (carry, r5) = Self.multiplyAdd(a3, b2, r5, carry)
        (r7, r6) = Self.multiplyAdd(a3, b3, r6, carry)
        return (UInt256(limb0: r4, limb1: r5, limb2: r6, limb3: r7),
                UInt256(limb0: r0, limb1: r1, limb2: r2, limb3: r3))
    }

    /// The product modulo 2^256 and whether the true product needs more than 256 bits.
    @inlinable
    public func multipliedReportingOverflow(by other: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        // Factors of a and b limbs have a product below 2^(64(a+b)) and, when both are
        // non-zero, at least 2^(64(a+b-2)): only a + b = 5 needs the full product.
        let limbCount = significantLimbCount + other.significantLimbCount
        if limbCount <= 4 { return (self &* other, false) }
        if limbCount >= 6 { return (self &* other, true) }
        let (high, low) = multipliedFullWidth(by: other)
        return (low, !high.isZero)
    }

    /// The product by a 64-bit factor as a 64-bit high part and a 256-bit low part.
    @inlinable
    public func multipliedFullWidth(by factor: UInt64) -> (high: UInt64, low: UInt256) {
        var carry: UInt64
        var r0: UInt64, r1: UInt64, r2: UInt64, r3: UInt64
        (carry, r0) = limb0.multipliedFullWidth(by: factor)
        (carry, r1) = Self.multiplyAdd(limb1, factor, 0, carry)
        (carry, r2) = Self.multiplyAdd(limb2, factor, 0, carry)
        (carry, r3) = Self.multiplyAdd(limb3, factor, 0, carry)
        return (carry, UInt256(limb0: r0, limb1: r1, limb2: r2, limb3: r3))
    }
}

// MARK: - Division

extension UInt256 {
    /// Quotient and remainder; a zero divisor gives (0, 0), the EVM's DIV and MOD results.
    @inlinable
    public func quotientAndRemainder(dividingBy divisor: UInt256) -> (quotient: UInt256, remainder: UInt256) {
        if (divisor.limb1 | divisor.limb2 | divisor.limb3) == 0 {
            if (limb1 | limb2 | limb3) == 0 {
                // Both fit in 64 bits: one machine division.
                guard divisor.limb0 != 0 else { return (.zero, .zero) }
                let (q, r) = limb0.quotientAndRemainder(dividingBy: divisor.limb0)
                return (UInt256(q), UInt256(r))
            }
            let (q, r) = quotientAndRemainder(dividingBy: divisor.limb0)
            return (q, UInt256(r))
        }
        if self < divisor { return (.zero, self) }
        return Self.divideWide(self, by: divisor)
    }

    /// Quotient and remainder by a 64-bit divisor; a zero divisor gives (0, 0).
    @inlinable
    public func quotientAndRemainder(dividingBy divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        guard divisor != 0 else { return (.zero, 0) }
        return Self.divideNarrow(self, by: divisor)
    }

    /// 256/64 division: normalise the divisor, then four 2-by-1 steps with its reciprocal.
    @usableFromInline
    internal static func divideNarrow(_ dividend: UInt256, by divisor: UInt64) -> (quotient: UInt256, remainder: UInt64) {
        let shift = UInt64(divisor.leadingZeroBitCount)
        let d = divisor &<< shift
        let reciprocal = Self.reciprocal(of: d)
        // Each step divides (remainder < d, next limb), so every quotient limb fits.
        var r = funnelLeft(0, dividend.limb3, shift)
        let q3: UInt64, q2: UInt64, q1: UInt64, q0: UInt64
        (q3, r) = divide(r, funnelLeft(dividend.limb3, dividend.limb2, shift), by: d, reciprocal: reciprocal)
        (q2, r) = divide(r, funnelLeft(dividend.limb2, dividend.limb1, shift), by: d, reciprocal: reciprocal)
        (q1, r) = divide(r, funnelLeft(dividend.limb1, dividend.limb0, shift), by: d, reciprocal: reciprocal)
        (q0, r) = divide(r, dividend.limb0 &<< shift, by: d, reciprocal: reciprocal)
        return (UInt256(limb0: q0, limb1: q1, limb2: q2, limb3: q3), r &>> shift)
    }

    /// The reciprocal floor((2^128 - 1) / d) - 2^64 of a normalised divisor (top bit set),
    /// which turns each later 128/64 division into two multiplications (Möller and
    /// Granlund, "Improved division by invariant integers", 2011). One hardware-width
    /// division here replaces one per quotient limb: Swift's `dividingFullWidth` is a
    /// call into the 128-bit runtime division on x86-64, not a single instruction.
    @usableFromInline
    internal static func reciprocal(of d: UInt64) -> UInt64 {
        // 2^128 - 1 - 2^64·d = (2^64 - 1 - d)·2^64 + (2^64 - 1), and 2^64 - 1 - d < d.
        d.dividingFullWidth((~d, .max)).quotient
    }

    /// Divides `high:low` by a normalised `d` with its `reciprocal`, given `high < d`
    /// (Möller and Granlund, algorithm 4).
    @inlinable @inline(__always)
    internal static func divide(_ high: UInt64, _ low: UInt64, by d: UInt64, reciprocal: UInt64)
        -> (quotient: UInt64, remainder: UInt64) {
        let (productHigh, productLow) = reciprocal.multipliedFullWidth(by: high)
        let (estimateLow, carry) = productLow.addingReportingOverflow(low)
        var quotient = productHigh &+ high &+ 1 &+ bit(carry)
        var remainder = low &- quotient &* d
        // The estimate is at most one too high or (rarely) one too low.
        if remainder > estimateLow {
            quotient &-= 1
            remainder &+= d
        }
        if remainder >= d {
            quotient &+= 1
            remainder &-= d
        }
        return (quotient, remainder)
    }

    /// `self / divisor`, or 0 when the divisor is zero (the EVM convention).
    @inlinable
    public func dividedOrZero(by divisor: UInt256) -> UInt256 {
        quotientAndRemainder(dividingBy: divisor).quotient
    }

    /// `self % divisor`, or 0 when the divisor is zero (the EVM convention).
    @inlinable
    public func remainderOrZero(dividingBy divisor: UInt256) -> UInt256 {
        quotientAndRemainder(dividingBy: divisor).remainder
    }

    /// Division that never traps: a zero divisor gives 0, as `dividedOrZero(by:)`.
    /// UInt256 holds untrusted VM operands, so `/` is total like every operator on it.
    @inlinable @inline(__always)
    public static func / (lhs: UInt256, rhs: UInt256) -> UInt256 {
        lhs.dividedOrZero(by: rhs)
    }

    /// Remainder that never traps: a zero divisor gives 0, as `remainderOrZero(dividingBy:)`.
    @inlinable @inline(__always)
    public static func % (lhs: UInt256, rhs: UInt256) -> UInt256 {
        lhs.remainderOrZero(dividingBy: rhs)
    }

    @inlinable @inline(__always)
    public static func /= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs / rhs }
    @inlinable @inline(__always)
    public static func %= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs % rhs }

    /// Division where the divisor needs at least two limbs and `dividend >= divisor`.
    @usableFromInline
    internal static func divideWide(_ dividend: UInt256, by divisor: UInt256) -> (quotient: UInt256, remainder: UInt256) {
        var u = (dividend.limb0, dividend.limb1, dividend.limb2, dividend.limb3)
        var v = (divisor.limb0, divisor.limb1, divisor.limb2, divisor.limb3)
        var q: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var r: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let dividendCount = dividend.significantLimbCount
        let divisorCount = divisor.significantLimbCount
        withLimbs(&u) { u in
            withLimbs(&v) { v in
                withLimbs(&q) { q in
                    withLimbs(&r) { r in
                        divideLimbs(u, count: dividendCount, by: v, count: divisorCount, quotient: q, remainder: r)
                    }
                }
            }
        }
        return (UInt256(limb0: q.0, limb1: q.1, limb2: q.2, limb3: q.3),
                UInt256(limb0: r.0, limb1: r.1, limb2: r.2, limb3: r.3))
    }

    /// Remainder of a dividend of up to eight limbs (given as a tuple, least significant
    /// first) by a non-zero divisor; used by `mulmod` and `addmod`.
    @usableFromInline
    internal static func remainder(
        of dividend: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64),
        dividendCount: Int, by divisor: UInt256
    ) -> UInt256 {
        var u = dividend
        var v = (divisor.limb0, divisor.limb1, divisor.limb2, divisor.limb3)
        var r: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var count = dividendCount
        withLimbs(&u) { u in
            while count > 0 && u[count - 1] == 0 { count -= 1 }
        }
        let divisorCount = divisor.significantLimbCount
        if count < divisorCount {
            // Dividend below the divisor: it is its own remainder (and fits in four limbs).
            return UInt256(limb0: u.0, limb1: u.1, limb2: u.2, limb3: u.3)
        }
        withLimbs(&u) { u in
            withLimbs(&v) { v in
                withLimbs(&r) { r in
                    divideLimbs(u, count: count, by: v, count: divisorCount, quotient: nil, remainder: r)
                }
            }
        }
        return UInt256(limb0: r.0, limb1: r.1, limb2: r.2, limb3: r.3)
    }

    /// Gives `body` a pointer to the limbs of a homogeneous UInt64 tuple on the stack.
    @inlinable @inline(__always)
    internal static func withLimbs<Tuple, Result>(
        _ tuple: inout Tuple, _ body: (UnsafeMutablePointer<UInt64>) -> Result
    ) -> Result {
        withUnsafeMutableBytes(of: &tuple) { bytes in
            body(bytes.baseAddress!.assumingMemoryBound(to: UInt64.self))
        }
    }

    /// Knuth's algorithm D (TAOCP vol. 2, §4.3.1) in base 2^64.
    ///
    /// `dividend` has `dividendCount` limbs (at most 8, at least `divisorCount`);
    /// `divisor` has `divisorCount` limbs (1...4) with a non-zero top limb. Writes
    /// `dividendCount - divisorCount + 1` quotient limbs (if `quotient` is given) and
    /// `divisorCount` remainder limbs.
    @usableFromInline
    internal static func divideLimbs(
        _ dividend: UnsafePointer<UInt64>, count dividendCount: Int,
        by divisor: UnsafePointer<UInt64>, count divisorCount: Int,
        quotient: UnsafeMutablePointer<UInt64>?, remainder: UnsafeMutablePointer<UInt64>
    ) {
        let n = divisorCount
        if n == 1 {
            // Normalise the single divisor limb; the dividend's extra top limb starts the remainder.
            let shift = UInt64(divisor[0].leadingZeroBitCount)
            let d = divisor[0] &<< shift
            let reciprocal = Self.reciprocal(of: d)
            var r = funnelLeft(0, dividend[dividendCount - 1], shift)
            var i = dividendCount - 1
            while i >= 0 {
                let next = funnelLeft(dividend[i], i > 0 ? dividend[i - 1] : 0, shift)
                let (qi, ri) = divide(r, next, by: d, reciprocal: reciprocal)
                quotient?[i] = qi
                r = ri
                i -= 1
            }
            remainder[0] = r &>> shift
            return
        }

        // D1: normalise so the divisor's top bit is set; the dividend gains a limb.
        let shift = UInt64(divisor[n - 1].leadingZeroBitCount)
        var vStorage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var uStorage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0)
        withLimbs(&vStorage) { vn in
            withLimbs(&uStorage) { un in
                var i = n - 1
                while i > 0 {
                    vn[i] = funnelLeft(divisor[i], divisor[i - 1], shift)
                    i -= 1
                }
                vn[0] = divisor[0] &<< shift
                un[dividendCount] = funnelLeft(0, dividend[dividendCount - 1], shift)
                i = dividendCount - 1
                while i > 0 {
                    un[i] = funnelLeft(dividend[i], dividend[i - 1], shift)
                    i -= 1
                }
                un[0] = dividend[0] &<< shift

                let vTop = vn[n - 1]
                let vNext = vn[n - 2]
                let vTopReciprocal = reciprocal(of: vTop)
                var j = dividendCount - n
                while j >= 0 {
                    // D3: estimate the quotient limb from the top two dividend limbs, then
                    // correct it with the next divisor limb (at most two steps too high).
                    let uTop = un[j + n], uMid = un[j + n - 1], uLow = un[j + n - 2]
                    var qHat: UInt64
                    var rHat: UInt64
                    var rHatOverflow = false
                    if uTop >= vTop {
                        // Only equality is possible; the estimate saturates at base - 1.
                        qHat = .max
                        (rHat, rHatOverflow) = uMid.addingReportingOverflow(vTop)
                    } else {
                        (qHat, rHat) = divide(uTop, uMid, by: vTop, reciprocal: vTopReciprocal)
                    }
                    while !rHatOverflow {
                        let (productHigh, productLow) = qHat.multipliedFullWidth(by: vNext)
                        guard productHigh > rHat || (productHigh == rHat && productLow > uLow) else { break }
                        qHat &-= 1
                        (rHat, rHatOverflow) = rHat.addingReportingOverflow(vTop)
                    }

                    // D4: subtract qHat × divisor from the current dividend window.
                    var carry: UInt64 = 0
                    var borrow: UInt64 = 0
                    for k in 0..<n {
                        let (high, low) = multiplyAdd(qHat, vn[k], 0, carry)
                        carry = high
                        let (d1, b1) = un[k + j].subtractingReportingOverflow(low)
                        let (d2, b2) = d1.subtractingReportingOverflow(borrow)
                        un[k + j] = d2
                        borrow = bit(b1) | bit(b2)
                    }
                    let (top1, topBorrow1) = un[j + n].subtractingReportingOverflow(carry)
                    let (top2, topBorrow2) = top1.subtractingReportingOverflow(borrow)
                    un[j + n] = top2

                    // D5/D6: rarely the estimate was still one too high; add the divisor back.
                    if topBorrow1 || topBorrow2 {
                        qHat &-= 1
                        var addCarry: UInt64 = 0
                        for k in 0..<n {
                            let (s1, c1) = un[k + j].addingReportingOverflow(vn[k])
                            let (s2, c2) = s1.addingReportingOverflow(addCarry)
                            un[k + j] = s2
                            addCarry = bit(c1) | bit(c2)
                        }
                        un[j + n] &+= addCarry
                    }
                    quotient?[j] = qHat
                    j -= 1
                }

                // D8: undo the normalisation on the remainder.
                for k in 0..<n {
                    remainder[k] = funnelRight(un[k + 1], un[k], shift)
                }
            }
        }
    }
}

// MARK: - Modular arithmetic and exponentiation

extension UInt256 {
    /// `(self + other) mod modulus` computed without losing the 257th bit; a zero
    /// modulus gives 0 (the EVM's ADDMOD).
    @inlinable
    public func addmod(_ other: UInt256, _ modulus: UInt256) -> UInt256 {
        if modulus.isZero { return .zero }
        let (sum, carry) = addingReportingOverflow(other)
        if !carry { return sum.remainderOrZero(dividingBy: modulus) }
        return Self.remainder(of: (sum.limb0, sum.limb1, sum.limb2, sum.limb3, 1, 0, 0, 0),
                              dividendCount: 5, by: modulus)
    }

    /// `(self × other) mod modulus` over the full 512-bit product; a zero modulus
    /// gives 0 (the EVM's MULMOD).
    @inlinable
    public func mulmod(_ other: UInt256, _ modulus: UInt256) -> UInt256 {
        if modulus.isZero { return .zero }
        let (high, low) = multipliedFullWidth(by: other)
        if high.isZero { return low.remainderOrZero(dividingBy: modulus) }
        return Self.remainder(of: (low.limb0, low.limb1, low.limb2, low.limb3,
                                   high.limb0, high.limb1, high.limb2, high.limb3),
                              dividendCount: 8, by: modulus)
    }

    /// `self` raised to `exponent` modulo 2^256, by square-and-multiply over the
    /// exponent's bits from the least significant end (0^0 is 1, as in the EVM).
    @inlinable
    public func power(_ exponent: UInt256) -> UInt256 {
        var result = UInt256.one
        var base = self
        let limbCount = exponent.significantLimbCount
        var limbIndex = 0
        while limbIndex < limbCount {
            var bits = exponent[limb: limbIndex]
            // The top limb stops at its highest set bit; lower limbs run all 64 bits.
            let steps = limbIndex == limbCount - 1 ? 64 - bits.leadingZeroBitCount : 64
            var step = 0
            while step < steps {
                if bits & 1 != 0 { result = result &* base }
                bits &>>= 1
                step += 1
                // The last squaring would be unused.
                if step < steps || limbIndex < limbCount - 1 { base = base.squaredWrapping() }
            }
            limbIndex += 1
        }
        return result
    }
}
