// UInt256 conversions: big-endian bytes (32-byte, minimal, raw buffers), hex and
// decimal text, machine integers and literals, checked against BigUInt and by round trips.
import BigInt
import LedgerPrimitives
import Testing

@Suite("UInt256 conversions")
struct UInt256ConversionTests {
    typealias R = UInt256Reference

    /// BigUInt's big-endian bytes, left-padded to `width`.
    static func referenceBytes(_ value: UInt256, width: Int = 32) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = R.big(value)
        while !rest.isZero {
            bytes.insert(UInt8(rest & 0xff), at: 0)
            rest >>= 8
        }
        return [UInt8](repeating: 0, count: Swift.max(0, width - bytes.count)) + bytes
    }

    @Test("32-byte and minimal big-endian bytes, and back")
    func bytes() throws {
        var operands = UInt256Operands(seed: 40)
        for _ in 0..<3000 {
            let value = operands.next()
            let word = value.bigEndianBytes
            #expect(word == Self.referenceBytes(value))
            let minimal = value.minimalBigEndianBytes
            #expect(minimal == Self.referenceBytes(value, width: 0), "\(value)")
            #expect(minimal.first != 0)
            #expect(try #require(UInt256(bigEndianBytes: word)) == value)
            #expect(try #require(UInt256(bigEndianBytes: minimal)) == value)
            #expect(try #require(UInt256(bigEndianBytes: word[3...])) == R.wrapped(R.big(value) % (BigUInt(1) << 232)))
        }
    }

    @Test("byte input: empty is zero, short is zero-extended, over 32 bytes is rejected")
    func byteInputLengths() {
        #expect(UInt256(bigEndianBytes: [UInt8]()) == .zero)
        #expect(UInt256(bigEndianBytes: [0x01, 0x02]) == UInt256(0x0102))
        #expect(UInt256(bigEndianBytes: [UInt8](repeating: 0xff, count: 32)) == .max)
        #expect(UInt256(bigEndianBytes: [UInt8](repeating: 0, count: 33)) == nil)
    }

    @Test("raw buffer load, store and write")
    func rawBuffers() {
        var operands = UInt256Operands(seed: 41)
        var buffer = [UInt8](repeating: 0xaa, count: 40)
        for _ in 0..<1000 {
            let value = operands.next()
            let offset = Int(operands.small(7)) // unaligned on purpose
            buffer.withUnsafeMutableBytes { raw in
                value.storeBigEndian(to: raw.baseAddress! + offset)
                #expect(UInt256(loadingBigEndianFrom: UnsafeRawPointer(raw.baseAddress! + offset)) == value)
            }
            #expect(Array(buffer[offset..<(offset + 32)]) == Self.referenceBytes(value))
            var target = [UInt8](repeating: 0, count: 32)
            target.withUnsafeMutableBytes { value.write(bigEndianInto: $0) }
            #expect(target == Self.referenceBytes(value))
        }
    }

    @Test("hex text: minimal 0x form out, prefixed or bare, either case in")
    func hexText() throws {
        var operands = UInt256Operands(seed: 42)
        for _ in 0..<3000 {
            let value = operands.next()
            let hex = value.hexString
            #expect(hex == "0x" + String(R.big(value), radix: 16), "\(value)")
            #expect(try #require(UInt256(hexString: hex)) == value)
            let bare = String(hex.dropFirst(2))
            #expect(try #require(UInt256(hexString: bare.uppercased())) == value)
            #expect(try #require(UInt256(hexString: "0X000" + bare)) == value)
        }
        #expect(UInt256.zero.hexString == "0x0")
        #expect(UInt256(hexString: "0x" + String(repeating: "0", count: 70) + "1") == .one)
    }

    @Test("hex text rejects empty, non-hex and over-long input")
    func hexRejections() {
        for bad in ["", "0x", "0X", "x1", "0x1g", "-1", " 1", "0x 1", "0x1_0", "00x1",
                    "0x1" + String(repeating: "0", count: 64)] {
            #expect(UInt256(hexString: bad) == nil, "\(bad)")
        }
        #expect(UInt256(hexString: String(repeating: "f", count: 64)) == .max)
    }

    @Test("decimal text round trips and matches the reference")
    func decimalText() throws {
        var operands = UInt256Operands(seed: 43)
        for _ in 0..<3000 {
            let value = operands.next()
            let text = value.description
            #expect(text == String(R.big(value)), "\(R.big(value))")
            #expect(try #require(UInt256(decimalString: text)) == value)
            #expect(try #require(UInt256(text)) == value)
            #expect(try #require(UInt256(decimalString: "000" + text)) == value)
        }
    }

    @Test("decimal text rejects empty, signs, other characters and values over 2^256 - 1")
    func decimalRejections() {
        let max = String(R.modulus - 1)
        #expect(UInt256(decimalString: max) == .max)
        for bad in ["", "+1", "-1", "1.0", "1e3", " 1", "0x10", "1_000", String(R.modulus),
                    String(R.modulus * 10), max + "0"] {
            #expect(UInt256(decimalString: bad) == nil, "\(bad)")
        }
    }

    @Test("machine integers: exact and truncating, both ways")
    func machineIntegers() {
        var operands = UInt256Operands(seed: 44)
        for _ in 0..<2000 {
            let value = operands.next()
            let big = R.big(value)
            #expect(UInt64(exactly: value) == (big <= BigUInt(UInt64.max) ? UInt64(big) : nil))
            #expect(UInt64(truncatingIfNeeded: value) == UInt64(big % (BigUInt(1) << 64)))
            #expect(Int(exactly: value) == (big <= BigUInt(Int.max) ? Int(big) : nil))
            #expect(UInt256(exactly: big) == value)
            #expect(UInt256(exactly: BigInt(big)) == value)
            #expect(UInt256(truncatingIfNeeded: BigInt(big) - R.signedModulus) == value)
            #expect(UInt256(truncatingIfNeeded: big + R.modulus * 5) == value)
            let small = value.limb0
            #expect(UInt256(small) == R.word(BigUInt(small)))
            #expect(UInt256(exactly: small) == UInt256(small))
        }
        #expect(UInt256(exactly: -1) == nil)
        #expect(UInt256(exactly: R.modulus) == nil)
        #expect(UInt256(truncatingIfNeeded: -1) == .max)
        #expect(UInt256(truncatingIfNeeded: Int8(-2)) == R.fromSigned(-2))
        #expect(UInt256(truncatingIfNeeded: UInt8(200)) == UInt256(200))
    }

    @Test("integer literals of any width up to 2^256 - 1")
    func literals() {
        let max: UInt256 = 0xffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff_ffff
        #expect(max == R.word(R.modulus - 1))
        let mixed: UInt256 = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_0011_2233_4455_6677_8899_aabb_ccdd_eeff
        #expect(mixed.bigEndianBytes == [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
                                         0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x10,
                                         0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                         0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff])
        let seven: UInt256 = 7
        #expect(seven == R.word(7))
        let zero: UInt256 = 0
        #expect(zero.isZero && UInt256.zero.isZero && UInt256.one == R.word(1) && UInt256.max == max)
    }

    @Test("hashing agrees with equality")
    func hashing() {
        var operands = UInt256Operands(seed: 45)
        var set = Set<UInt256>()
        var reference = Set<BigUInt>()
        for _ in 0..<2000 {
            let value = operands.next()
            set.insert(value)
            reference.insert(R.big(value))
        }
        #expect(set.count == reference.count)
        #expect(Set(set.map(R.big)) == reference)
    }
}
