// Block tags and EIP-1898 selectors read from JSON-RPC params, with geth's rules.
import EthereumAPI
import LedgerJSON
import LedgerPrimitives
import RPCServer
import Testing

@Suite("Block selection")
struct BlockSelectionTests {
    @Test("block tags: names and quantities")
    func blockTags() throws {
        let cases: [(JSONValue, BlockTag)] = [
            ("latest", .latest), ("earliest", .earliest), ("pending", .pending), ("safe", .safe),
            ("finalized", .finalized), ("0x0", .number(0)), ("0x1b4", .number(436)),
        ]
        for (value, tag) in cases {
            #expect(try BlockTag(rpcParam: value) == tag)
            #expect(tag.jsonValue == value)
        }
        for bad: JSONValue in ["Latest", "", "0x", "0x01", "0x8000000000000000", 1, .null, ["latest"]] {
            #expect(throws: EthereumDecodingError.self, "\(bad)") { try BlockTag(rpcParam: bad) }
        }
    }

    @Test("block selectors: tag, number, bare hash and EIP-1898 objects")
    func blockSelectors() throws {
        let hashText = "0x" + String(repeating: "12", count: 32)
        let hash = try Hash32(rpcParam: .string(hashText))
        #expect(try BlockSelector(rpcParam: "latest") == .latest)
        #expect(try BlockSelector(rpcParam: "0x10") == .tag(.number(16)))
        #expect(try BlockSelector(rpcParam: .string(hashText)) == .hash(hash, requireCanonical: false))
        #expect(try BlockSelector(rpcParam: ["blockHash": .string(hashText)]) == .hash(hash, requireCanonical: false))
        #expect(try BlockSelector(rpcParam: ["blockHash": .string(hashText), "requireCanonical": true]) == .hash(hash, requireCanonical: true))
        #expect(try BlockSelector(rpcParam: ["blockNumber": "0x2a"]) == .tag(.number(42)))
        #expect(try BlockSelector(rpcParam: ["blockNumber": "safe"]) == .tag(.safe))
        let invalid: [JSONValue] = [
            ["blockHash": .string(hashText), "blockNumber": "0x1"], [:], ["blockHash": "0x12"],
            ["blockHash": .string(hashText), "requireCanonical": "yes"], ["blockNumber": "0x01"],
            .string("0x" + String(repeating: "zz", count: 32)), "head", 5, .null,
        ]
        for value in invalid {
            #expect(throws: EthereumDecodingError.self, "\(value)") { try BlockSelector(rpcParam: value) }
        }
    }
}
