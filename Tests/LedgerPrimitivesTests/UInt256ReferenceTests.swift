// The reference side of the UInt256 tests: a seeded operand generator and exact
// conversions to attaswift/BigInt, which every operation is checked against.
import BigInt
import LedgerPrimitives
import Testing
import TestSupport

enum UInt256Reference {
    static let modulus = BigUInt(1) << 256
    static let signedModulus = BigInt(modulus)

    /// The exact value of a UInt256, built from its limbs only.
    static func big(_ value: UInt256) -> BigUInt {
        BigUInt(words: [UInt(value.limb0), UInt(value.limb1), UInt(value.limb2), UInt(value.limb3)])
    }

    /// A BigUInt below 2^256 as a UInt256, built from its words only.
    static func word(_ value: BigUInt) -> UInt256 {
        precondition(value < modulus)
        let words = Array(value.words) + [0, 0, 0, 0]
        return UInt256(limb0: UInt64(words[0]), limb1: UInt64(words[1]),
                       limb2: UInt64(words[2]), limb3: UInt64(words[3]))
    }

    /// Any BigUInt reduced modulo 2^256.
    static func wrapped(_ value: BigUInt) -> UInt256 { word(value % modulus) }

    /// The two's-complement reading of a UInt256.
    static func signed(_ value: UInt256) -> BigInt {
        let unsigned = BigInt(big(value))
        return value.limb3 >> 63 == 1 ? unsigned - signedModulus : unsigned
    }

    /// Any BigInt reduced modulo 2^256 into two's complement.
    static func fromSigned(_ value: BigInt) -> UInt256 {
        let reduced = ((value % signedModulus) + signedModulus) % signedModulus
        return word(BigUInt(reduced))
    }

    /// Values at the edges: 0, 1, 2^64 ± 1, 2^128, 2^255 (signed MIN), -1, and neighbours.
    static let boundaries: [UInt256] = {
        let one = BigUInt(1)
        let values: [BigUInt] = [
            0, 1, 2, 3, 10,
            (one << 63) - 1, one << 63,
            (one << 64) - 1, one << 64, (one << 64) + 1,
            (one << 127), (one << 128) - 1, one << 128, (one << 128) + 1,
            (one << 192) - 1, one << 192,
            (one << 255) - 1, one << 255, (one << 255) + 1,
            modulus - 2, modulus - 1,
        ]
        return values.map(word)
    }()
}

/// UInt256Operands that reach every path: edge values, full-width random values, and values
/// whose limbs are drawn from edge limbs (0, 1, 2^63, 2^64 - 1, ...), cut to a random
/// length. The edge limbs make rare paths such as division's add-back step common.
struct UInt256Operands {
    var generator: SplitMix64
    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    private static let edgeLimbs: [UInt64] = [
        0, 1, 2, .max, .max - 1, 1 << 63, (1 << 63) - 1, 1 << 32, (1 << 32) - 1,
    ]

    mutating func limb() -> UInt64 {
        generator.next() % 10 < 7 ? Self.edgeLimbs[Int(generator.next() % UInt64(Self.edgeLimbs.count))]
                                  : generator.next()
    }

    mutating func next() -> UInt256 {
        switch generator.next() % 8 {
        case 0:
            return UInt256Reference.boundaries[Int(generator.next() % UInt64(UInt256Reference.boundaries.count))]
        case 1, 2:
            return UInt256(limb0: generator.next(), limb1: generator.next(),
                           limb2: generator.next(), limb3: generator.next())
        default:
            let value = UInt256(limb0: limb(), limb1: limb(), limb2: limb(), limb3: limb())
            // Cut to a random number of limbs so small divisors and dividends are common.
            let keep = Int(generator.next() % 4) + 1
            return UInt256Reference.wrapped(UInt256Reference.big(value) % (BigUInt(1) << (64 * keep)))
        }
    }

    /// A small number in 0...bound.
    mutating func small(_ bound: UInt64) -> UInt64 { generator.next() % (bound + 1) }

    /// `count` operand pairs, starting with every pair of boundary values.
    mutating func pairs(_ count: Int) -> [(UInt256, UInt256)] {
        var result: [(UInt256, UInt256)] = []
        for a in UInt256Reference.boundaries { for b in UInt256Reference.boundaries { result.append((a, b)) } }
        while result.count < count { result.append((next(), next())) }
        return result
    }
}

@Suite("UInt256 reference")
struct UInt256ReferenceTests {
    @Test("the reference conversions are exact inverses")
    func referenceRoundTrip() {
        var operands = UInt256Operands(seed: 1)
        for _ in 0..<1000 {
            let value = operands.next()
            #expect(UInt256Reference.word(UInt256Reference.big(value)) == value)
            #expect(UInt256Reference.fromSigned(UInt256Reference.signed(value)) == value)
        }
    }

    @Test("the generator covers every limb count and both signs")
    func generatorCoverage() {
        var operands = UInt256Operands(seed: 2)
        var limbCounts = Set<Int>()
        var negatives = 0
        for _ in 0..<1000 {
            let value = operands.next()
            limbCounts.insert((UInt256Reference.big(value).bitWidth + 63) / 64)
            if value.isNegative { negatives += 1 }
        }
        #expect(limbCounts == [0, 1, 2, 3, 4])
        #expect(negatives > 100)
    }
}
