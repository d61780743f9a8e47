// UInt256 bit operations against BigUInt: and/or/xor/not, shifts by every count
// (including 256 and beyond), bit counts and byte extraction.
import BigInt
import LedgerPrimitives
import Testing

@Suite("UInt256 bits")
struct UInt256BitTests {
    typealias R = UInt256Reference

    @Test("and, or, xor and not")
    func bitwise() {
        var operands = UInt256Operands(seed: 20)
        for (a, b) in operands.pairs(3000) {
            #expect(a & b == R.word(R.big(a) & R.big(b)))
            #expect(a | b == R.word(R.big(a) | R.big(b)))
            #expect(a ^ b == R.word(R.big(a) ^ R.big(b)))
            #expect(~a == R.word(R.modulus - 1 - R.big(a)))
        }
    }

    @Test("shifts by every count from 0 to 300, and by huge counts")
    func shifts() {
        var operands = UInt256Operands(seed: 21)
        for _ in 0..<60 {
            let value = operands.next()
            for count in 0...300 {
                let left = R.wrapped(R.big(value) << count)
                let right = R.word(R.big(value) >> count)
                #expect(value << count == left, "\(value) << \(count)")
                #expect(value >> count == right, "\(value) >> \(count)")
                #expect(value << UInt256(UInt64(count)) == left)
                #expect(value >> UInt256(UInt64(count)) == right)
                #expect(value.shiftedLeft(by: UInt64(count)) == left)
                #expect(value.shiftedRight(by: UInt64(count)) == right)
                // A negative count shifts the other way, as Swift's integer shifts do.
                #expect(value << -count == right)
                #expect(value >> -count == left)
            }
            let huge = UInt256(limb0: 3, limb1: 1, limb2: 0, limb3: 0) // 2^64 + 3
            #expect(value << huge == .zero)
            #expect(value >> huge == .zero)
            #expect(value << Int.max == .zero && value >> Int.min == .zero)
        }
    }

    @Test("leading, trailing and set bit counts, significant bits and bytes")
    func bitCounts() {
        var operands = UInt256Operands(seed: 22)
        for _ in 0..<3000 {
            let value = operands.next()
            let binary = String(R.big(value), radix: 2)
            let bits = value.isZero ? 0 : binary.count
            #expect(value.significantBitCount == bits, "\(value)")
            #expect(value.leadingZeroBitCount == 256 - bits)
            #expect(value.significantByteCount == (bits + 7) / 8)
            let trailing = value.isZero ? 256 : binary.reversed().prefix { $0 == "0" }.count
            #expect(value.trailingZeroBitCount == trailing, "\(value)")
            #expect(value.nonzeroBitCount == (value.isZero ? 0 : binary.filter { $0 == "1" }.count))
        }
    }

    @Test("byte(i) counts from the most significant end, out of range gives 0")
    func byteExtraction() {
        var operands = UInt256Operands(seed: 23)
        for _ in 0..<500 {
            let value = operands.next()
            for index in -2..<40 {
                let expected: UInt8 = (0..<32).contains(index)
                    ? UInt8(R.big(value) >> (8 * (31 - index)) & 0xff) : 0
                #expect(value.byte(index) == expected, "\(value) byte \(index)")
                if index >= 0 {
                    #expect(value.byte(UInt256(UInt64(index))) == expected)
                }
            }
            #expect(value.byte(UInt256(limb0: 0, limb1: 1, limb2: 0, limb3: 0)) == 0)
        }
    }

    @Test("limb subscript reads limbs least significant first")
    func limbSubscript() {
        let value = UInt256(limb0: 10, limb1: 11, limb2: 12, limb3: 13)
        #expect((0..<4).map { value[limb: $0] } == [10, 11, 12, 13])
        #expect(value[limb: 4] == 0 && value[limb: -1] == 0)
    }
}
