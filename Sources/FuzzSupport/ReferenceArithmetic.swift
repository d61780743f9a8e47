// Word arithmetic for the reference interpreter, written the slow, plain way (bit by bit, byte
// by byte) so that multiplication, division, modular arithmetic, exponentiation and the byte and
// sign operations share no algorithm with LedgerPrimitives' fast UInt256 routines, which the real
// VM uses: a bug in either shows up as a divergence. Addition, subtraction and comparison are
// UInt256's own — simple enough to trust, and checked against BigInt in LedgerPrimitivesTests.
import LedgerPrimitives

enum ReferenceArithmetic {
    /// Bit `index` (0 = least significant).
    static func bit(_ value: UInt256, _ index: Int) -> Bool {
        (value[limb: index / 64] >> UInt64(index % 64)) & 1 == 1
    }

    static func isNegative(_ value: UInt256) -> Bool { bit(value, 255) }
    static func negate(_ value: UInt256) -> UInt256 { UInt256.zero &- value }
    static func magnitude(_ value: UInt256) -> UInt256 { isNegative(value) ? negate(value) : value }

    /// Schoolbook binary long division; `divisor` must be nonzero.
    static func divide(_ dividend: UInt256, _ divisor: UInt256) -> (quotient: UInt256, remainder: UInt256) {
        var quotient = UInt256.zero, remainder = UInt256.zero
        for index in stride(from: 255, through: 0, by: -1) {
            // remainder·2 + bit may need 257 bits; the lost top bit means "certainly ≥ divisor".
            let carried = isNegative(remainder)
            remainder = remainder &+ remainder &+ (bit(dividend, index) ? 1 : 0)
            quotient = quotient &+ quotient
            if carried || remainder >= divisor {
                remainder = remainder &- divisor
                quotient = quotient &+ 1
            }
        }
        return (quotient, remainder)
    }

    /// Signed division truncating toward zero; the caller rules out b = 0 and MIN ÷ −1.
    static func signedDivide(_ a: UInt256, _ b: UInt256) -> UInt256 {
        let quotient = divide(magnitude(a), magnitude(b)).quotient
        return isNegative(a) != isNegative(b) ? negate(quotient) : quotient
    }

    /// Signed remainder with the sign of a; b ≠ 0.
    static func signedModulo(_ a: UInt256, _ b: UInt256) -> UInt256 {
        let remainder = divide(magnitude(a), magnitude(b)).remainder
        return isNegative(a) ? negate(remainder) : remainder
    }

    /// (x + y) mod n for x, y < n.
    static func addReduced(_ x: UInt256, _ y: UInt256, _ n: UInt256) -> UInt256 {
        let (sum, overflow) = x.addingReportingOverflow(y)
        return overflow || sum >= n ? sum &- n : sum
    }

    static func addModulo(_ a: UInt256, _ b: UInt256, _ n: UInt256) -> UInt256 {
        addReduced(divide(a, n).remainder, divide(b, n).remainder, n)
    }

    /// Double-and-add over b's bits, every step reduced mod n.
    static func multiplyModulo(_ a: UInt256, _ b: UInt256, _ n: UInt256) -> UInt256 {
        let x = divide(a, n).remainder
        var result = UInt256.zero
        for index in stride(from: 255, through: 0, by: -1) {
            result = addReduced(result, result, n)
            if bit(b, index) { result = addReduced(result, x, n) }
        }
        return result
    }

    /// base ^ exponent by square-and-multiply from the top bit; with `checked`, nil when any
    /// step overflows (every intermediate is ≤ the final power, so that is exactly overflow).
    static func power(_ base: UInt256, _ exponent: UInt256, checked: Bool) -> UInt256? {
        func times(_ x: UInt256, _ y: UInt256) -> UInt256? {
            let (product, overflow) = multiply(x, y)
            return checked && overflow ? nil : product
        }
        var result = UInt256.one
        for index in stride(from: 255, through: 0, by: -1) {
            guard let square = times(result, result) else { return nil }
            result = square
            guard bit(exponent, index) else { continue }
            guard let product = times(result, base) else { return nil }
            result = product
        }
        return result
    }

    /// a × b mod 2^256 by double-and-add over b's bits, and whether the full product needed more
    /// than 256 bits.
    static func multiply(_ a: UInt256, _ b: UInt256) -> (partialValue: UInt256, overflow: Bool) {
        var product = UInt256.zero
        var overflow = false
        for index in stride(from: 255, through: 0, by: -1) {
            // Doubling loses the top bit; adding may carry out.
            if isNegative(product) { overflow = true }
            product = product &+ product
            guard bit(b, index) else { continue }
            let (sum, carried) = product.addingReportingOverflow(a)
            if carried { overflow = true }
            product = sum
        }
        return (product, overflow)
    }

    /// Bytes of the exponent without leading zeros (EXP's dynamic gas).
    static func byteLength(_ value: UInt256) -> Int {
        let bytes = value.bigEndianBytes
        return 32 - (bytes.firstIndex { $0 != 0 } ?? 32)
    }

    // MARK: Bits and bytes

    /// 256 bits, index 0 the least significant.
    static func bits(_ value: UInt256) -> [Bool] { (0..<256).map { bit(value, $0) } }

    static func word(fromBits bits: [Bool]) -> UInt256 {
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in 0..<256 where bits[index] { bytes[31 - index / 8] |= UInt8(1) << UInt8(index % 8) }
        return word(fromBytes: bytes)
    }

    /// Up to 32 big-endian bytes as a word.
    static func word(fromBytes bytes: [UInt8]) -> UInt256 { UInt256(bigEndianBytes: bytes) ?? .zero }

    /// `value` shifted by `amount` bits (left if `left`), vacated bits set to `fill`.
    static func shift(_ value: UInt256, by amount: UInt256, left: Bool, fill: Bool = false) -> UInt256 {
        let source = bits(value)
        let count = amount < UInt256(256) ? Int(amount.limb0) : 256
        let result = (0..<256).map { index -> Bool in
            let from = left ? index - count : index + count
            return from >= 0 && from < 256 ? source[from] : fill
        }
        return word(fromBits: result)
    }

    static func arithmeticShiftRight(_ value: UInt256, by amount: UInt256) -> UInt256 {
        shift(value, by: amount, left: false, fill: isNegative(value))
    }

    /// Byte `index` of `value`, 0 the most significant; 0 when index ≥ 32.
    static func byte(_ index: UInt256, of value: UInt256) -> UInt256 {
        index < UInt256(32) ? UInt256(UInt64(value.bigEndianBytes[Int(index.limb0)])) : .zero
    }

    /// Every byte above byte `index` (0 = lowest) becomes 0xff or 0x00 after that byte's top bit.
    static func signExtend(_ value: UInt256, fromByte index: UInt256) -> UInt256 {
        guard index < UInt256(31) else { return value }
        var bytes = value.bigEndianBytes
        let signPosition = 31 - Int(index.limb0)
        let fill: UInt8 = bytes[signPosition] >= 0x80 ? 0xff : 0x00
        for position in 0..<signPosition { bytes[position] = fill }
        return word(fromBytes: bytes)
    }

    static func signedLess(_ a: UInt256, _ b: UInt256) -> Bool {
        isNegative(a) != isNegative(b) ? isNegative(a) : a < b
    }
}
