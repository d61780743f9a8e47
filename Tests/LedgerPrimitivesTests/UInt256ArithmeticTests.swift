// UInt256 arithmetic against BigUInt: add, subtract, multiply (wrapping, reporting,
// full width), division and remainder, addmod, mulmod, power, and order.
import BigInt
import LedgerPrimitives
import Testing

@Suite("UInt256 arithmetic")
struct UInt256ArithmeticTests {
    typealias R = UInt256Reference

    @Test("addition wraps and reports the carry")
    func addition() {
        var operands = UInt256Operands(seed: 10)
        for (a, b) in operands.pairs(4000) {
            let exact = R.big(a) + R.big(b)
            let (sum, overflow) = a.addingReportingOverflow(b)
            #expect(sum == R.wrapped(exact), "\(a) + \(b)")
            #expect(overflow == (exact >= R.modulus), "\(a) + \(b)")
            #expect(a &+ b == sum)
            var c = a
            c &+= b
            #expect(c == sum)
        }
    }

    @Test("subtraction wraps and reports the borrow")
    func subtraction() {
        var operands = UInt256Operands(seed: 11)
        for (a, b) in operands.pairs(4000) {
            let (difference, overflow) = a.subtractingReportingOverflow(b)
            let expected = (R.big(a) + R.modulus - R.big(b)) % R.modulus
            #expect(difference == R.word(expected), "\(a) - \(b)")
            #expect(overflow == (R.big(a) < R.big(b)), "\(a) - \(b)")
            #expect(a &- b == difference)
        }
    }

    @Test("multiplication wraps, reports overflow and gives the full product")
    func multiplication() {
        var operands = UInt256Operands(seed: 12)
        for (a, b) in operands.pairs(4000) {
            let exact = R.big(a) * R.big(b)
            #expect(a &* b == R.wrapped(exact), "\(a) * \(b)")
            let (product, overflow) = a.multipliedReportingOverflow(by: b)
            #expect(product == R.wrapped(exact))
            #expect(overflow == (exact >= R.modulus), "\(a) * \(b)")
            let (high, low) = a.multipliedFullWidth(by: b)
            #expect(R.big(high) == exact >> 256)
            #expect(low == R.wrapped(exact))
            let factor = b.limb0
            let (smallHigh, smallLow) = a.multipliedFullWidth(by: factor)
            let smallExact = R.big(a) * BigUInt(factor)
            #expect(BigUInt(smallHigh) == smallExact >> 256)
            #expect(smallLow == R.wrapped(smallExact))
        }
    }

    @Test("squaring matches the reference")
    func squaring() {
        var operands = UInt256Operands(seed: 19)
        for _ in 0..<4000 {
            let a = operands.next()
            #expect(a.squaredWrapping() == R.wrapped(R.big(a) * R.big(a)), "\(a)²")
        }
    }

    @Test("division and remainder match, a zero divisor gives zero")
    func division() {
        var operands = UInt256Operands(seed: 13)
        for (a, b) in operands.pairs(6000) {
            let (quotient, remainder) = a.quotientAndRemainder(dividingBy: b)
            if b.isZero {
                #expect(quotient == .zero && remainder == .zero)
            } else {
                let (q, r) = R.big(a).quotientAndRemainder(dividingBy: R.big(b))
                #expect(quotient == R.word(q), "\(a) / \(b)")
                #expect(remainder == R.word(r), "\(a) % \(b)")
            }
            #expect(a / b == quotient)
            #expect(a % b == remainder)
            #expect(a.dividedOrZero(by: b) == quotient)
            #expect(a.remainderOrZero(dividingBy: b) == remainder)
        }
    }

    @Test("division hits the rare add-back step of Knuth's algorithm D")
    func divisionAddBack() throws {
        // Inputs found by searching for cases whose first quotient estimate is one too
        // high even after the two-limb correction; the results still come from BigUInt.
        let cases: [(String, String)] = [
            ("8000000000000000ffffffffffffffff000000000000000000000000ffffffff",
             "fffffffffffffffffffffffffffffffefffffffffffffffe"),
            ("fffffffffffffffe80000000000000000eb14983aa9dfa6b0000000000000002",
             "2000000000000000100000000000000027fffffffffffffff"),
            ("8000000000000000fffffffffffffffeffffffffffffffff0000000000000001",
             "fffffffffffffffffffffffffffffffe0000000000000002"),
            ("fffffffffffffffe0000000100000000fffffffffffffffffffffffffffffffe",
             "ffffffffffffffff0000000100000000ffffffffffffffff"),
        ]
        for (dividendHex, divisorHex) in cases {
            let a = R.word(try #require(BigUInt(dividendHex, radix: 16)))
            let b = R.word(try #require(BigUInt(divisorHex, radix: 16)))
            let (q, r) = R.big(a).quotientAndRemainder(dividingBy: R.big(b))
            #expect(a.quotientAndRemainder(dividingBy: b) == (R.word(q), R.word(r)))
        }
    }

    @Test("division by a 64-bit divisor")
    func divisionBySmall() {
        var operands = UInt256Operands(seed: 14)
        for (a, b) in operands.pairs(4000) {
            let divisor = b.limb0 | (b.limb1 & 1) // sometimes zero, mostly not
            let (quotient, remainder) = a.quotientAndRemainder(dividingBy: divisor)
            if divisor == 0 {
                #expect(quotient == .zero && remainder == 0)
            } else {
                let (q, r) = R.big(a).quotientAndRemainder(dividingBy: BigUInt(divisor))
                #expect(quotient == R.word(q), "\(a) / \(divisor)")
                #expect(BigUInt(remainder) == r)
            }
        }
    }

    @Test("addmod keeps the 257th bit, a zero modulus gives zero")
    func addmod() {
        var operands = UInt256Operands(seed: 15)
        for (a, b) in operands.pairs(4000) {
            let modulus = operands.next()
            let result = a.addmod(b, modulus)
            if modulus.isZero {
                #expect(result == .zero)
            } else {
                #expect(result == R.word((R.big(a) + R.big(b)) % R.big(modulus)), "addmod(\(a), \(b), \(modulus))")
            }
        }
    }

    @Test("mulmod reduces the full 512-bit product, a zero modulus gives zero")
    func mulmod() {
        var operands = UInt256Operands(seed: 16)
        for (a, b) in operands.pairs(4000) {
            let modulus = operands.next()
            let result = a.mulmod(b, modulus)
            if modulus.isZero {
                #expect(result == .zero)
            } else {
                #expect(result == R.word((R.big(a) * R.big(b)) % R.big(modulus)), "mulmod(\(a), \(b), \(modulus))")
            }
        }
    }

    @Test("power wraps modulo 2^256 for small and full-width exponents")
    func power() {
        var operands = UInt256Operands(seed: 17)
        for (index, (base, exponentOperand)) in operands.pairs(1500).enumerated() {
            // Alternate full-width exponents with small ones, where the result often
            // has not yet wrapped to zero.
            let exponent = index % 2 == 0 ? exponentOperand : UInt256(operands.small(300))
            let expected = R.big(base).power(R.big(exponent), modulus: R.modulus)
            #expect(base.power(exponent) == R.word(expected), "\(base) ** \(exponent)")
        }
    }

    @Test("unsigned order matches the reference")
    func order() {
        var operands = UInt256Operands(seed: 18)
        for (a, b) in operands.pairs(4000) {
            #expect((a < b) == (R.big(a) < R.big(b)))
            #expect((a == b) == (R.big(a) == R.big(b)))
            #expect((a <= b) == (R.big(a) <= R.big(b)))
            #expect(a == a && !(a < a))
        }
    }
}
