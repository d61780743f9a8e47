// Built-in codecs: round trips, key order, and typed errors on bytes no value encodes to.
import LedgerPrimitives
import StorageAPI
import Testing

struct CodecTests {
    @Test func integersEncodeBigEndianSoByteOrderIsNumericOrder() throws {
        let codec = UInt64Codec()
        let numbers: [UInt64] = [0, 1, 255, 256, 65_535, 1 << 40, .max - 1, .max]
        for number in numbers { #expect(try codec.decode(codec.encode(number)) == number) }
        let encoded = numbers.map(codec.encode)
        #expect(encoded == encoded.sorted { $0.lexicographicallyPrecedes($1) })
        #expect(codec.encode(258) == [0, 0, 0, 0, 0, 0, 1, 2])
    }

    @Test func wrongLengthsAreCodecErrors() {
        #expect(throws: CodecError.wrongLength(expected: 8, actual: 3)) { try UInt64Codec().decode([1, 2, 3]) }
        #expect(throws: CodecError.wrongLength(expected: 32, actual: 31)) { try Hash32Codec().decode(Array(repeating: 0, count: 31)) }
        #expect(throws: CodecError.wrongLength(expected: 20, actual: 0)) { try AddressCodec().decode([]) }
    }

    @Test func stringsRejectInvalidUTF8() throws {
        #expect(try StringCodec().decode(StringCodec().encode("héllo")) == "héllo")
        #expect(throws: CodecError.malformed("not UTF-8")) { try StringCodec().decode([0xff, 0xfe]) }
    }

    @Test func pairsSplitAtTheFirstComponentsWidth() throws {
        let codec = PairCodec(AddressCodec(), Hash32Codec())
        let address = try Address(hex: "0x00000000000000000000000000000000000000aa")
        let slot = Keccak256.hash([1])
        let encoded = codec.encode((address, slot))
        #expect(encoded.count == 52)
        let decoded = try codec.decode(encoded)
        #expect(decoded.0 == address && decoded.1 == slot)
        #expect(throws: CodecError.tooShort(minimum: 20, actual: 19)) { try codec.decode(Array(repeating: 0, count: 19)) }
        #expect(throws: CodecError.wrongLength(expected: 32, actual: 1)) { try codec.decode(Array(repeating: 0, count: 21)) }
    }

    @Test func closureCodecsCarryTheirOwnErrors() throws {
        let flag = ClosureCodec<Bool>(encode: { [$0 ? 1 : 0] }, decode: { bytes throws(CodecError) in
            guard bytes.count == 1, bytes[0] <= 1 else { throw .malformed("flag must be 0 or 1") }
            return bytes[0] == 1
        })
        #expect(try flag.decode(flag.encode(true)) == true)
        #expect(throws: CodecError.malformed("flag must be 0 or 1")) { try flag.decode([2]) }
    }
}

struct KeyRangeTests {
    static let numbers = Table("numbers", key: UInt64Codec(), value: BytesCodec(), access: .scans)
    static let slots = Table("slots", key: PairCodec(AddressCodec(), Hash32Codec()), value: BytesCodec())

    @Test func halfOpenAndClosedRanges() {
        let halfOpen = Self.numbers.range(from: 5, to: 9)
        #expect(halfOpen.contains(encoded: UInt64Codec().encode(5)))
        #expect(!halfOpen.contains(encoded: UInt64Codec().encode(9)))
        let closed = Self.numbers.range(from: 5, through: 9)
        #expect(closed.contains(encoded: UInt64Codec().encode(9)))
        #expect(!closed.contains(encoded: UInt64Codec().encode(10)))
        #expect(KeyRange<UInt64>.all.contains(encoded: []))
    }

    @Test func prefixRangeEndsAtTheNextPrefix() throws {
        let all0xff = try Address(hex: "0xffffffffffffffffffffffffffffffffffffffff")
        let open = Self.slots.range(whereFirstIs: all0xff)
        #expect(open.upperBound == nil, "no key follows an all-0xff prefix: the range is open above")

        let address = try Address(hex: "0x00000000000000000000000000000000000001ff")
        let range = Self.slots.range(whereFirstIs: address)
        #expect(range.upperBound == Array(repeating: 0, count: 18) + [2], "0x…01ff + 1 is 0x…02; the trailing 0xff is dropped")
        let inside = PairCodec(AddressCodec(), Hash32Codec()).encode((address, Hash32(bytes: Array(repeating: 0xff, count: 32))!))
        #expect(range.contains(encoded: inside))
        #expect(!range.contains(encoded: range.upperBound!))
    }
}
