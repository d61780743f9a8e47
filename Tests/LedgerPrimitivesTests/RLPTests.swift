// RLP strictness and typed reads beyond the shared vectors.
import LedgerPrimitives
import Testing
import TestSupport

struct RLPTests {
    @Test func rejectsEachNonCanonicalFormWithItsReason() throws {
        #expect(throws: RLPError.emptyInput) { try RLP.decode([]) }
        #expect(throws: RLPError.singleByteNotCanonical(0x05)) { try RLP.decode([0x81, 0x05]) }
        #expect(throws: RLPError.longFormForShortPayload) { try RLP.decode([0xb8, 0x01, 0xff]) }
        #expect(throws: RLPError.lengthWithLeadingZero) { try RLP.decode([0xb9, 0x00, 0x40] + [UInt8](repeating: 1, count: 64)) }
        #expect(throws: RLPError.trailingBytes(count: 1)) { try RLP.decode([0x80, 0x80]) }
        #expect(throws: RLPError.truncated(needed: 3, available: 2)) { try RLP.decode([0x83, 0x61, 0x62]) }
        #expect(throws: RLPError.truncated(needed: 5, available: 3)) { try RLP.decode([0xc5, 0x01, 0x02, 0x03]) }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        var item = RLP.Item.list([])
        for _ in 0..<(RLP.maximumNesting + 10) { item = .list([item]) }
        let bytes = RLP.encode(item)
        #expect(throws: RLPError.nestingTooDeep(limit: RLP.maximumNesting)) { try RLP.decode(bytes) }
    }

    @Test func integersAreCanonical() throws {
        #expect(try RLP.Item.bytes([]).uint64() == 0)
        #expect(try RLP.Item.bytes([0x04, 0x00]).uint64() == 1024)
        #expect(throws: RLPError.integerWithLeadingZero) { try RLP.Item.bytes([0x00, 0x01]).uint64() }
        #expect(throws: RLPError.integerWithLeadingZero) { try RLP.Item.bytes([0x00]).uint64() }
        #expect(throws: RLPError.integerTooLarge(maxBytes: 8)) { try RLP.Item.bytes([UInt8](repeating: 1, count: 9)).uint64() }
        for value: UInt64 in [0, 1, 127, 128, 255, 256, 1 << 32, .max] {
            #expect(try RLP.decode(RLP.encode(.uint64(value))).uint64() == value)
        }
    }

    @Test func typedReadsCheckShape() throws {
        let item = RLP.Item.list([.bytes([1]), .bytes([2])])
        #expect(throws: RLPError.expectedBytes) { try item.bytes() }
        #expect(throws: RLPError.expectedList) { try RLP.Item.bytes([1]).list() }
        #expect(throws: RLPError.wrongListLength(expected: 3, actual: 2)) { try item.list(count: 3) }
        #expect(throws: RLPError.wrongByteCount(expected: 20, actual: 1)) { try RLP.Item.bytes([1]).address() }
    }

    @Test func randomTreesRoundTrip() throws {
        var generator = SplitMix64(seed: 0xD6)
        for _ in 0..<500 {
            let item = randomItem(depth: 0, using: &generator)
            let encoded = RLP.encode(item)
            #expect(encoded.count == RLP.encodedLength(of: item))
            #expect(try RLP.decode(encoded) == item)
        }
    }

    private func randomItem(depth: Int, using generator: inout SplitMix64) -> RLP.Item {
        if depth < 4 && generator.next() % 3 == 0 {
            let count = Int(generator.next() % 6)
            return .list((0..<count).map { _ in randomItem(depth: depth + 1, using: &generator) })
        }
        // Lengths around the 1-byte, 55/56 and 255/256 boundaries.
        let lengths = [0, 1, 1, 2, 55, 56, 57, 255, 256, 1030]
        let length = lengths[Int(generator.next() % UInt64(lengths.count))]
        return .bytes((0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
    }
}
