// UInt256: the 256-bit unsigned word of the VM, balances and storage slots.
// Storage, constants, comparison, bit operations, shifts and bit counts live here;
// arithmetic, signed helpers, bytes and text are in the UInt256+*.swift files.
//
// Why not FixedWidthInteger / BinaryInteger: those protocols require the trapping
// `+ - * /` operators (a crash on untrusted input if anyone reaches for them), bring
// heterogeneous generic shifts and `Strideable`, and route many default
// implementations through generic `words` loops that are slower than the hand-written
// limb code here. The VM wants total, branch-light operations, so UInt256 offers the
// wrapping operators (`&+ &- &*`), `...ReportingOverflow` methods, and `/` `%` that
// follow the EVM convention (division by zero gives 0) — every operator is total.

// Machine words (`BinaryInteger.words`, `StaticBigInt` digits) are taken as whole limbs.
#if !_pointerBitWidth(_64)
#error("UInt256 assumes a 64-bit platform")
#endif

/// A fixed-width unsigned 256-bit integer in four 64-bit limbs, least significant first.
///
/// All operators are total: arithmetic wraps modulo 2^256 (`&+`, `&-`, `&*`, `power`),
/// `/` and `%` return 0 for a zero divisor, and shifts by 256 or more give 0.
/// Use the `...ReportingOverflow` methods where overflow must be detected.
@frozen
public struct UInt256: Sendable, Hashable {
    /// Bits 0–63 (least significant limb).
    public var limb0: UInt64
    /// Bits 64–127.
    public var limb1: UInt64
    /// Bits 128–191.
    public var limb2: UInt64
    /// Bits 192–255 (most significant limb; its top bit is the two's-complement sign).
    public var limb3: UInt64

    /// Builds a value from its limbs, least significant first.
    @inlinable @inline(__always)
    public init(limb0: UInt64, limb1: UInt64, limb2: UInt64, limb3: UInt64) {
        self.limb0 = limb0
        self.limb1 = limb1
        self.limb2 = limb2
        self.limb3 = limb3
    }

    /// Zero-extends a 64-bit value.
    @inlinable @inline(__always)
    public init(_ value: UInt64) {
        self.init(limb0: value, limb1: 0, limb2: 0, limb3: 0)
    }

    @inlinable @inline(__always)
    public init() {
        self.init(limb0: 0, limb1: 0, limb2: 0, limb3: 0)
    }

    public static let bitWidth = 256
    public static let zero = UInt256()
    public static let one = UInt256(1)
    public static let max = UInt256(limb0: .max, limb1: .max, limb2: .max, limb3: .max)

    @inlinable @inline(__always)
    public var isZero: Bool { (limb0 | limb1 | limb2 | limb3) == 0 }

    /// The limb at `index` (0 is least significant); indices outside 0..<4 give 0.
    @inlinable @inline(__always)
    public subscript(limb index: Int) -> UInt64 {
        switch index {
        case 0: return limb0
        case 1: return limb1
        case 2: return limb2
        case 3: return limb3
        default: return 0
        }
    }

    /// How many limbs are needed to hold the value (0 for zero).
    @inlinable @inline(__always)
    internal var significantLimbCount: Int {
        if limb3 != 0 { return 4 }
        if limb2 != 0 { return 3 }
        if limb1 != 0 { return 2 }
        return limb0 != 0 ? 1 : 0
    }
}

// MARK: - Equality and order

extension UInt256: Comparable {
    @inlinable @inline(__always)
    public static func == (lhs: UInt256, rhs: UInt256) -> Bool {
        ((lhs.limb0 ^ rhs.limb0) | (lhs.limb1 ^ rhs.limb1) | (lhs.limb2 ^ rhs.limb2) | (lhs.limb3 ^ rhs.limb3)) == 0
    }

    /// Unsigned order: the borrow out of `lhs - rhs`, with no data-dependent branch.
    @inlinable @inline(__always)
    public static func < (lhs: UInt256, rhs: UInt256) -> Bool {
        lhs.subtractingReportingOverflow(rhs).overflow
    }
}

// MARK: - Bit operations

extension UInt256 {
    @inlinable @inline(__always)
    public static prefix func ~ (value: UInt256) -> UInt256 {
        UInt256(limb0: ~value.limb0, limb1: ~value.limb1, limb2: ~value.limb2, limb3: ~value.limb3)
    }

    @inlinable @inline(__always)
    public static func & (lhs: UInt256, rhs: UInt256) -> UInt256 {
        UInt256(limb0: lhs.limb0 & rhs.limb0, limb1: lhs.limb1 & rhs.limb1,
                limb2: lhs.limb2 & rhs.limb2, limb3: lhs.limb3 & rhs.limb3)
    }

    @inlinable @inline(__always)
    public static func | (lhs: UInt256, rhs: UInt256) -> UInt256 {
        UInt256(limb0: lhs.limb0 | rhs.limb0, limb1: lhs.limb1 | rhs.limb1,
                limb2: lhs.limb2 | rhs.limb2, limb3: lhs.limb3 | rhs.limb3)
    }

    @inlinable @inline(__always)
    public static func ^ (lhs: UInt256, rhs: UInt256) -> UInt256 {
        UInt256(limb0: lhs.limb0 ^ rhs.limb0, limb1: lhs.limb1 ^ rhs.limb1,
                limb2: lhs.limb2 ^ rhs.limb2, limb3: lhs.limb3 ^ rhs.limb3)
    }

    @inlinable @inline(__always)
    public static func &= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs & rhs }
    @inlinable @inline(__always)
    public static func |= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs | rhs }
    @inlinable @inline(__always)
    public static func ^= (lhs: inout UInt256, rhs: UInt256) { lhs = lhs ^ rhs }

    /// Number of zero bits above the highest set bit (256 for zero).
    @inlinable
    public var leadingZeroBitCount: Int {
        if limb3 != 0 { return limb3.leadingZeroBitCount }
        if limb2 != 0 { return 64 + limb2.leadingZeroBitCount }
        if limb1 != 0 { return 128 + limb1.leadingZeroBitCount }
        return 192 + limb0.leadingZeroBitCount
    }

    /// Number of zero bits below the lowest set bit (256 for zero).
    @inlinable
    public var trailingZeroBitCount: Int {
        if limb0 != 0 { return limb0.trailingZeroBitCount }
        if limb1 != 0 { return 64 + limb1.trailingZeroBitCount }
        if limb2 != 0 { return 128 + limb2.trailingZeroBitCount }
        return 192 + limb3.trailingZeroBitCount
    }

    /// Number of set bits.
    @inlinable
    public var nonzeroBitCount: Int {
        limb0.nonzeroBitCount + limb1.nonzeroBitCount + limb2.nonzeroBitCount + limb3.nonzeroBitCount
    }

    /// Bits needed to write the value: 0 for zero, 256 when the top bit is set.
    @inlinable
    public var significantBitCount: Int { 256 - leadingZeroBitCount }

    /// Bytes needed to write the value big-endian without leading zeros (0 for zero);
    /// this is the length the EXP gas rule and RLP's minimal encoding use.
    @inlinable
    public var significantByteCount: Int { (significantBitCount + 7) >> 3 }

    /// The byte at `index` counted from the most significant end (0 is the top byte),
    /// as the EVM's BYTE instruction; indices outside 0..<32 give 0.
    @inlinable
    public func byte(_ index: Int) -> UInt8 {
        guard index >= 0 && index < 32 else { return 0 }
        let fromLow = 31 - index
        return UInt8(truncatingIfNeeded: self[limb: fromLow >> 3] >> UInt64((fromLow & 7) << 3))
    }

    /// `byte(_:)` with a 256-bit index, as the VM pops it; huge indices give 0.
    @inlinable
    public func byte(_ index: UInt256) -> UInt8 {
        guard index.limb1 | index.limb2 | index.limb3 == 0, index.limb0 < 32 else { return 0 }
        return byte(Int(index.limb0))
    }
}

// MARK: - Shifts

extension UInt256 {
    /// `high:low` shifted left by `shift` (0..<64), keeping the high word: the bits that
    /// move from `low` into `high`. Branch-free, and correct for `shift == 0`.
    @inlinable @inline(__always)
    internal static func funnelLeft(_ high: UInt64, _ low: UInt64, _ shift: UInt64) -> UInt64 {
        (high &<< shift) | ((low &>> 1) &>> (63 &- shift))
    }

    /// `high:low` shifted right by `shift` (0..<64), keeping the low word.
    @inlinable @inline(__always)
    internal static func funnelRight(_ high: UInt64, _ low: UInt64, _ shift: UInt64) -> UInt64 {
        (low &>> shift) | ((high &<< 1) &<< (63 &- shift))
    }

    /// Logical left shift by `count` bits; 256 or more gives 0.
    @inlinable
    public func shiftedLeft(by count: UInt64) -> UInt256 {
        if count >= 256 { return .zero }
        let bits = count & 63
        switch count >> 6 {
        case 0:
            return UInt256(limb0: limb0 &<< bits,
                           limb1: Self.funnelLeft(limb1, limb0, bits),
                           limb2: Self.funnelLeft(limb2, limb1, bits),
                           limb3: Self.funnelLeft(limb3, limb2, bits))
        case 1:
            return UInt256(limb0: 0,
                           limb1: limb0 &<< bits,
                           limb2: Self.funnelLeft(limb1, limb0, bits),
                           limb3: Self.funnelLeft(limb2, limb1, bits))
        case 2:
            return UInt256(limb0: 0, limb1: 0,
                           limb2: limb0 &<< bits,
                           limb3: Self.funnelLeft(limb1, limb0, bits))
        default:
            return UInt256(limb0: 0, limb1: 0, limb2: 0, limb3: limb0 &<< bits)
        }
    }

    /// Logical right shift by `count` bits; 256 or more gives 0.
    @inlinable
    public func shiftedRight(by count: UInt64) -> UInt256 {
        if count >= 256 { return .zero }
        let bits = count & 63
        switch count >> 6 {
        case 0:
            return UInt256(limb0: Self.funnelRight(limb1, limb0, bits),
                           limb1: Self.funnelRight(limb2, limb1, bits),
                           limb2: Self.funnelRight(limb3, limb2, bits),
                           limb3: limb3 &>> bits)
        case 1:
            return UInt256(limb0: Self.funnelRight(limb2, limb1, bits),
                           limb1: Self.funnelRight(limb3, limb2, bits),
                           limb2: limb3 &>> bits,
                           limb3: 0)
        case 2:
            return UInt256(limb0: Self.funnelRight(limb3, limb2, bits),
                           limb1: limb3 &>> bits,
                           limb2: 0, limb3: 0)
        default:
            return UInt256(limb0: limb3 &>> bits, limb1: 0, limb2: 0, limb3: 0)
        }
    }

    /// Clamps a 256-bit shift count: anything that does not fit in 64 bits shifts everything out.
    @inlinable @inline(__always)
    internal static func shiftCount(_ count: UInt256) -> UInt64 {
        (count.limb1 | count.limb2 | count.limb3) == 0 ? count.limb0 : 256
    }

    /// Left shift; a negative count shifts right, as Swift's integer shifts do.
    @inlinable @inline(__always)
    public static func << (lhs: UInt256, rhs: Int) -> UInt256 {
        rhs >= 0 ? lhs.shiftedLeft(by: UInt64(rhs)) : lhs.shiftedRight(by: UInt64(rhs.magnitude))
    }

    /// Right shift; a negative count shifts left, as Swift's integer shifts do.
    @inlinable @inline(__always)
    public static func >> (lhs: UInt256, rhs: Int) -> UInt256 {
        rhs >= 0 ? lhs.shiftedRight(by: UInt64(rhs)) : lhs.shiftedLeft(by: UInt64(rhs.magnitude))
    }

    /// Left shift by a 256-bit count (the VM's SHL); 256 or more gives 0.
    @inlinable @inline(__always)
    public static func << (lhs: UInt256, rhs: UInt256) -> UInt256 {
        lhs.shiftedLeft(by: shiftCount(rhs))
    }

    /// Logical right shift by a 256-bit count (the VM's SHR); 256 or more gives 0.
    @inlinable @inline(__always)
    public static func >> (lhs: UInt256, rhs: UInt256) -> UInt256 {
        lhs.shiftedRight(by: shiftCount(rhs))
    }

    @inlinable @inline(__always)
    public static func <<= (lhs: inout UInt256, rhs: Int) { lhs = lhs << rhs }
    @inlinable @inline(__always)
    public static func >>= (lhs: inout UInt256, rhs: Int) { lhs = lhs >> rhs }
}

// MARK: - Conversions to and from machine integers

extension UInt256 {
    /// The value of any integer, or nil if it is negative or needs more than 256 bits.
    @inlinable
    public init?<Source: BinaryInteger>(exactly source: Source) {
        guard source.signum() >= 0 else { return nil }
        if Source.isSigned ? source.bitWidth > 257 : source.bitWidth > 256 {
            // Wide types: accept only if the bits above 256 are all zero.
            guard source >> 256 == 0 else { return nil }
        }
        self.init(truncatingIfNeeded: source)
    }

    /// The low 256 bits of any integer, negative values in two's complement.
    @inlinable
    public init<Source: BinaryInteger>(truncatingIfNeeded source: Source) {
        // `words` is least significant first and sign-extends only as far as the type's
        // width, so the limbs it does not reach take the sign.
        let fill: UInt64 = source.signum() < 0 ? .max : 0
        var limbs = (fill, fill, fill, fill)
        for (index, word) in source.words.prefix(4).enumerated() {
            let value = UInt64(truncatingIfNeeded: word)
            switch index {
            case 0: limbs.0 = value
            case 1: limbs.1 = value
            case 2: limbs.2 = value
            default: limbs.3 = value
            }
        }
        self.init(limb0: limbs.0, limb1: limbs.1, limb2: limbs.2, limb3: limbs.3)
    }

    /// The value as a UInt64, or nil if it does not fit.
    @inlinable @inline(__always)
    public var exactUInt64: UInt64? {
        (limb1 | limb2 | limb3) == 0 ? limb0 : nil
    }

    /// The value as an Int, or nil if it does not fit (useful for memory offsets and lengths).
    @inlinable @inline(__always)
    public var exactInt: Int? {
        guard (limb1 | limb2 | limb3) == 0, limb0 <= UInt64(Int.max) else { return nil }
        return Int(limb0)
    }
}

extension UInt64 {
    /// The value of a UInt256, or nil if it needs more than 64 bits.
    @inlinable @inline(__always)
    public init?(exactly value: UInt256) {
        guard let exact = value.exactUInt64 else { return nil }
        self = exact
    }

    /// The low 64 bits of a UInt256.
    @inlinable @inline(__always)
    public init(truncatingIfNeeded value: UInt256) {
        self = value.limb0
    }
}

extension Int {
    /// The value of a UInt256, or nil if it exceeds `Int.max`.
    @inlinable @inline(__always)
    public init?(exactly value: UInt256) {
        guard let exact = value.exactInt else { return nil }
        self = exact
    }
}

// MARK: - Literals

extension UInt256: ExpressibleByIntegerLiteral {
    /// Any non-negative literal below 2^256, e.g. `0xffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_0`.
    /// An out-of-range literal is a programming error and traps (literals never come from input).
    @inlinable
    public init(integerLiteral value: StaticBigInt) {
        precondition(value.signum() >= 0 && value.bitWidth <= 257,
                     "integer literal does not fit in UInt256")
        self.init(limb0: UInt64(truncatingIfNeeded: value[0]), limb1: UInt64(truncatingIfNeeded: value[1]),
                  limb2: UInt64(truncatingIfNeeded: value[2]), limb3: UInt64(truncatingIfNeeded: value[3]))
    }
}
