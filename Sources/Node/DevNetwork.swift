// The development network of `d6g-node dev`: Genesis/devnet.json, embedded so the binary runs
// from anywhere, and its DEVELOPMENT-ONLY keys, each keccak-256 of a public seed text
// (Genesis/README.md). `DevNetworkTests` checks the embedded copy against the file.
import Execution
import LedgerCrypto
import LedgerPrimitives

public enum DevNetwork {
    /// Genesis/devnet.json, verbatim.
    public static let genesisJSON = #"""
{
  "config": {
    "chainId": 1337,
    "d6g": {
      "validators": [
        {
          "consensusKey": "0x03f8b2f2a60f3ee8486052f4b5048f102a708ecfff7c3f0159eb46a18ad4c18be5",
          "nodeKey": "0x038bdc1d37274a14acabb050b1df14cf38ffdea31d8c987765a2000a10fdd0f457",
          "power": 1
        }
      ],
      "admin": "0xd3d4ebDB3857ef348CCfEBcCcCdf6c7Ff777f65B",
      "baseFeeFloats": false,
      "minBlockIntervalMs": 250,
      "emptyBlockPeriodMs": 5000
    }
  },
  "gasLimit": "0x5f5e100",
  "baseFeePerGas": "0x3b9aca00",
  "extraData": "0x",
  "timestamp": "0x0",
  "alloc": {
    "0xd3d4ebDB3857ef348CCfEBcCcCdf6c7Ff777f65B": { "balance": "1000000000000000000000000" },
    "0xA8e57844C06b8423eD1E35bBbDd43EF569758426": { "balance": "1000000000000000000000000" },
    "0x33Ee4FF2a56eB77eCB359B77BF99b1A5853f8400": { "balance": "1000000000000000000000000" },
    "0xd9E8d351A6f3e2a4f25cCAab309fB9ca9822dfb1": { "balance": "1000000000000000000000000" },
    "0x1d5583884D15f4f9Bd21C3C049E38408062A7f80": { "balance": "1000000000000000000000000" }
  }
}
"""#

    public static func genesis() -> Genesis {
        do { return try Genesis(json: genesisJSON) } catch {
            preconditionFailure("the embedded devnet genesis does not parse: \(error)")
        }
    }

    /// A validator of a genesis written by `genesisJSON(validators:…)`.
    public struct Member: Sendable {
        public var consensusKey: PublicKey
        public var nodeKey: PublicKey
        public var power: UInt64

        public init(consensusKey: PublicKey, nodeKey: PublicKey, power: UInt64) {
            self.consensusKey = consensusKey
            self.nodeKey = nodeKey
            self.power = power
        }
    }

    /// The devnet's genesis with these validators, chain id and pacing (`d6g-node testnet`, the
    /// node simulation). `funding`: accounts given 1,000 ether each besides the devnet's five
    /// (the validators', which pay for their votes on the validator set).
    public static func genesisJSON(validators: [Member], funding: [Address], chainId: UInt64 = 1337,
                                   emptyBlockPeriodMs: UInt64, minBlockIntervalMs: UInt64) -> String {
        var json = genesisJSON
        guard let start = json.range(of: #""validators": ["#),
              let end = json.range(of: "],", range: start.upperBound..<json.endIndex),
              json.contains(#""chainId": 1337"#), json.contains(#""emptyBlockPeriodMs": 5000"#),
              json.contains(#""minBlockIntervalMs": 250"#) else {
            preconditionFailure("the embedded devnet genesis changed shape; update DevNetwork.genesisJSON(validators:…)")
        }
        let entries = validators.map {
            #"{"consensusKey": "\#(Hex.encode($0.consensusKey.compressedBytes))", "#
                + #""nodeKey": "\#(Hex.encode($0.nodeKey.compressedBytes))", "power": \#($0.power)}"#
        }
        json.replaceSubrange(start.lowerBound..<end.upperBound,
                             with: "\"validators\": [\n        " + entries.joined(separator: ",\n        ") + "\n      ],")
        json = json.replacingOccurrences(of: #""chainId": 1337"#, with: #""chainId": \#(chainId)"#)
        let funded = funding.map { #""\#($0.checksummed)": { "balance": "1000000000000000000000" },"# }
        json = json.replacingOccurrences(of: #""alloc": {"#, with: #""alloc": {"# + funded.map { "\n    " + $0 }.joined())
        json = json.replacingOccurrences(of: #""minBlockIntervalMs": 250"#, with: #""minBlockIntervalMs": \#(minBlockIntervalMs)"#)
        return json.replacingOccurrences(of: #""emptyBlockPeriodMs": 5000"#, with: #""emptyBlockPeriodMs": \#(emptyBlockPeriodMs)"#)
    }

    /// A development key: keccak-256 of `seed`. Public knowledge: never hold value with it.
    public static func key(seed: String) -> PrivateKey {
        do { return try PrivateKey(bytes: Keccak256.hash(Array(seed.utf8)).bytes) } catch {
            preconditionFailure("the keccak-256 of a seed is not a valid key: \(error)")
        }
    }

    /// The devnet's single validator's consensus key.
    public static var validatorKey: PrivateKey { key(seed: "d6g-dev-validator-0") }

    /// The five funded accounts' keys, in the README's order.
    public static var accountKeys: [PrivateKey] { (0..<5).map { key(seed: "d6g-dev-account-\($0)") } }
}
