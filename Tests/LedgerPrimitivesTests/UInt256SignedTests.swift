// UInt256's two's-complement helpers against BigInt: negation, signed order,
// sdiv and smod (with the EVM's edge cases), arithmetic shift and sign extension.
import BigInt
import LedgerPrimitives
import Testing

@Suite("UInt256 signed")
struct UInt256SignedTests {
    typealias R = UInt256Reference
    static let minusOne = R.fromSigned(-1)
    static let signedMin = R.fromSigned(-(BigInt(1) << 255))

    @Test("sign, negation and magnitude")
    func negation() {
        var operands = UInt256Operands(seed: 30)
        for _ in 0..<3000 {
            let value = operands.next()
            let signed = R.signed(value)
            #expect(value.isNegative == (signed < 0))
            #expect(value.negated() == R.fromSigned(-signed), "-\(value)")
            #expect(value.signedMagnitude == R.wrapped(signed.magnitude))
        }
        #expect(Self.signedMin.negated() == Self.signedMin)
        #expect(UInt256.signedMin == Self.signedMin)
        #expect(UInt256.signedMax == R.fromSigned((BigInt(1) << 255) - 1))
    }

    @Test("signed less-than")
    func signedOrder() {
        var operands = UInt256Operands(seed: 31)
        for (a, b) in operands.pairs(4000) {
            #expect(a.signedLessThan(b) == (R.signed(a) < R.signed(b)), "\(R.signed(a)) < \(R.signed(b))")
        }
    }

    @Test("sdiv truncates toward zero; zero divisor gives 0; MIN / -1 gives MIN")
    func signedDivision() {
        var operands = UInt256Operands(seed: 32)
        var pairs = operands.pairs(5000)
        pairs.append((Self.signedMin, Self.minusOne))
        for (a, b) in pairs {
            let expected: UInt256 = b.isZero ? .zero : R.fromSigned(R.signed(a) / R.signed(b))
            #expect(a.sdiv(b) == expected, "sdiv(\(R.signed(a)), \(R.signed(b)))")
        }
        #expect(Self.signedMin.sdiv(Self.minusOne) == Self.signedMin)
    }

    @Test("smod takes the dividend's sign; zero divisor gives 0")
    func signedRemainder() {
        var operands = UInt256Operands(seed: 33)
        var pairs = operands.pairs(5000)
        pairs.append((Self.signedMin, Self.minusOne))
        for (a, b) in pairs {
            let expected: UInt256 = b.isZero ? .zero : R.fromSigned(R.signed(a) % R.signed(b))
            #expect(a.smod(b) == expected, "smod(\(R.signed(a)), \(R.signed(b)))")
        }
        #expect(Self.signedMin.smod(Self.minusOne) == .zero)
    }

    @Test("sar rounds toward negative infinity for every count")
    func arithmeticShift() {
        var operands = UInt256Operands(seed: 34)
        for _ in 0..<60 {
            let value = operands.next()
            let signed = R.signed(value)
            for count in 0...300 {
                // floor(signed / 2^count), written without BigInt's own shift of negatives.
                let divisor = BigInt(1) << count
                let floored = signed >= 0 ? signed / divisor : -((-signed + divisor - 1) / divisor)
                let expected = R.fromSigned(floored)
                #expect(value.sar(UInt64(count)) == expected, "sar(\(signed), \(count))")
                #expect(value.sar(UInt256(UInt64(count))) == expected)
            }
            let hugeExpected = value.isNegative ? Self.minusOne : .zero
            #expect(value.sar(UInt256(limb0: 0, limb1: 0, limb2: 1, limb3: 0)) == hugeExpected)
            #expect(value.sar(UInt64.max) == hugeExpected)
        }
    }

    @Test("signExtend copies bit 8b+7 upward; b >= 31 leaves the value")
    func signExtension() {
        var operands = UInt256Operands(seed: 35)
        for _ in 0..<300 {
            let value = operands.next()
            for byteIndex in -1..<34 {
                let expected: UInt256
                if byteIndex < 0 || byteIndex >= 31 {
                    expected = value
                } else {
                    let width = 8 * (byteIndex + 1)
                    let low = R.big(value) % (BigUInt(1) << width)
                    let signedLow = low >= BigUInt(1) << (width - 1)
                        ? BigInt(low) - (BigInt(1) << width) : BigInt(low)
                    expected = R.fromSigned(signedLow)
                }
                #expect(value.signExtend(fromByte: byteIndex) == expected, "signExtend(\(byteIndex), \(value))")
                if byteIndex >= 0 {
                    #expect(value.signExtend(fromByte: UInt256(UInt64(byteIndex))) == expected)
                }
            }
            #expect(value.signExtend(fromByte: UInt256.max) == value)
        }
    }
}
