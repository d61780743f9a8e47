// How a method names a block: by tag or number (`BlockTag`), or also by hash (`BlockSelector`,
// EIP-1898), read from a JSON-RPC parameter with geth's rules and error messages.
import LedgerJSON
import LedgerPrimitives
import RPCServer

/// A block named by number or by tag, as `eth_getBlockByNumber` and filters take it.
/// On this chain `safe` and `finalized` are the latest committed block (DESIGN.md §2).
public enum BlockTag: Sendable, Hashable, RPCParamDecodable {
    case earliest
    case latest
    case pending
    case safe
    case finalized
    case number(UInt64)

    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) {
        guard case .string(let text) = value else { throw EthereumDecodingError("expected a block number or tag") }
        switch text {
        case "earliest": self = .earliest
        case "latest": self = .latest
        case "pending": self = .pending
        case "safe": self = .safe
        case "finalized": self = .finalized
        default:
            let number = try EthereumHex.decodeUInt64(value)
            guard number <= UInt64(Int64.max) else { throw EthereumDecodingError("block number larger than int64") }
            self = .number(number)
        }
    }

    public var jsonValue: JSONValue {
        switch self {
        case .earliest: return "earliest"
        case .latest: return "latest"
        case .pending: return "pending"
        case .safe: return "safe"
        case .finalized: return "finalized"
        case .number(let number): return .quantity(number)
        }
    }
}

/// A block named by number, tag or hash (EIP-1898), as the state methods take it: a tag, a
/// quantity, a bare 32-byte hash, or an object `{blockNumber}` / `{blockHash, requireCanonical?}`.
public enum BlockSelector: Sendable, Hashable, RPCParamDecodable {
    case tag(BlockTag)
    case hash(Hash32, requireCanonical: Bool)

    public static let latest = BlockSelector.tag(.latest)

    public init(rpcParam value: JSONValue) throws(EthereumDecodingError) {
        switch value {
        case .string(let text):
            // geth reads a 66-character string as a block hash, anything else as number or tag.
            if text.utf8.count == 66 {
                self = .hash(try Hash32(rpcParam: value), requireCanonical: false)
            } else {
                self = .tag(try BlockTag(rpcParam: value))
            }
        case .object(let object):
            let hash = object["blockHash"], number = object["blockNumber"]
            switch (hash, number) {
            case (.some, .some):
                throw EthereumDecodingError("cannot specify both BlockHash and BlockNumber, choose one or the other")
            case (.some(let hash), nil):
                var requireCanonical = false
                if let flag = object["requireCanonical"] {
                    do { requireCanonical = try Bool(rpcParam: flag) } catch {
                        throw EthereumDecodingError("requireCanonical: \(error.message)")
                    }
                }
                do { self = .hash(try Hash32(rpcParam: hash), requireCanonical: requireCanonical) } catch {
                    throw EthereumDecodingError("blockHash: \(error.message)")
                }
            case (nil, .some(let number)):
                do { self = .tag(try BlockTag(rpcParam: number)) } catch {
                    throw EthereumDecodingError("blockNumber: \(error.message)")
                }
            case (nil, nil):
                throw EthereumDecodingError("either blockHash or blockNumber must be specified")
            }
        default:
            throw EthereumDecodingError("expected a block number, tag, hash or {blockHash}/{blockNumber} object")
        }
    }
}
