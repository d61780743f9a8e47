// RLP against ethereum-tests/RLPTests: every valid encoding round-trips, every invalid one is rejected.
import BigInt
import Foundation
import LedgerPrimitives
import Testing
import TestSupport

/// Turns a fixture's `in` value (string, integer, "#bigint", nested list) into an RLP item.
func rlpItem(fromFixture value: Any) throws -> RLP.Item {
    switch value {
    case let list as [Any]:
        return .list(try list.map(rlpItem(fromFixture:)))
    case let text as String where text.hasPrefix("#"):
        let number = try #require(BigUInt(String(text.dropFirst()), radix: 10))
        return .bytes(Array(number.serialize()))
    case let text as String:
        return .bytes(Array(text.utf8))
    case let number as NSNumber:
        return .uint64(number.uint64Value)
    default:
        throw TestData.LookupError.notFound("unsupported fixture value \(value)")
    }
}

struct RLPVectorTests {
    static func cases(_ file: String) throws -> [(name: String, input: Any, output: String)] {
        let fixtures = try #require(try TestData.json("ethereum-tests/RLPTests/\(file)") as? [String: [String: Any]])
        return fixtures.keys.sorted().map { name in (name, fixtures[name]!["in"]!, fixtures[name]!["out"] as! String) }
    }

    @Test func validEncodingsMatchAndDecodeBack() throws {
        let cases = try Self.cases("rlptest.json")
        #expect(cases.count == 28)
        for testCase in cases {
            let item = try rlpItem(fromFixture: testCase.input)
            let expected = try [UInt8](hex: testCase.output)
            #expect(RLP.encode(item) == expected, "encoding of \(testCase.name)")
            #expect(RLP.encodedLength(of: item) == expected.count, "length of \(testCase.name)")
            #expect(try RLP.decode(expected) == item, "decoding of \(testCase.name)")
        }
    }

    @Test func invalidEncodingsAreRejected() throws {
        let cases = try Self.cases("invalidRLPTest.json")
        #expect(cases.count == 26)
        for testCase in cases {
            // Two fixtures omit the 0x prefix; the hex decoder takes both forms.
            let bytes = try [UInt8](hex: testCase.output)
            #expect(throws: RLPError.self, "\(testCase.name) must be rejected") { try RLP.decode(bytes) }
        }
    }

    @Test func randomExampleDecodesAndReencodes() throws {
        let cases = try Self.cases("RandomRLPTests/example.json")
        #expect(cases.count == 1) // the whole of RandomRLPTests in the shared copy
        for testCase in cases {
            #expect(testCase.input as? String == "VALID")
            let bytes = try [UInt8](hex: testCase.output)
            #expect(RLP.encode(try RLP.decode(bytes)) == bytes, "\(testCase.name)")
        }
    }
}
