// The JSON side of log queries: the filter object of eth_getLogs / eth_newFilter / eth_subscribe
// ("logs") read strictly, with -32602 errors naming the bad field, and the log and header
// objects the execution-apis schemas describe.
import ChainQueries
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import RPCServer

public enum LogFilterJSON {
    /// keccak-256 of rlp([]): the ommers hash every post-merge header reports.
    static let emptyOmmersHash = try! Hash32(hex: "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347")

    /// The filter object passed as argument `index`: {address?, topics?, fromBlock?, toBlock?} or
    /// {address?, topics?, blockHash}. Missing bounds mean "latest".
    public static func query(_ value: JSONValue?, argument index: Int) throws(RPCError) -> LogQuery {
        guard let value, !value.isNull else { return LogQuery(filter: LogFilter()) }
        guard case .object(let object) = value else { throw RPCError.invalidArgument(index, "expected a filter object") }
        let filter = try criteria(object, argument: index)
        let from = try bound("fromBlock", in: object, argument: index)
        let to = try bound("toBlock", in: object, argument: index)
        if let hash = object["blockHash"], !hash.isNull {
            guard from == nil, to == nil else {
                throw RPCError.invalidArgument(index, "cannot specify both BlockHash and FromBlock/ToBlock, choose one or the other")
            }
            do { return LogQuery(filter: filter, scope: .blockHash(try Hash32(rpcParam: hash))) } catch {
                throw RPCError.invalidArgument(index, "field blockHash: \(error.message)")
            }
        }
        return LogQuery(filter: filter, scope: .range(from: from ?? .latest, to: to ?? .latest))
    }

    /// The address and topics of a filter object.
    public static func criteria(_ object: JSONObject, argument index: Int) throws(RPCError) -> LogFilter {
        var addresses: [Address] = []
        switch object["address"] {
        case nil, .null?: break
        case .array(let items)?:
            for (position, item) in items.enumerated() {
                do { addresses.append(try Address(rpcParam: item)) } catch {
                    throw RPCError.invalidArgument(index, "field address[\(position)]: \(error.message)")
                }
            }
        case let item?:
            do { addresses.append(try Address(rpcParam: item)) } catch {
                throw RPCError.invalidArgument(index, "field address: \(error.message)")
            }
        }
        var topics: [[Hash32]?] = []
        switch object["topics"] {
        case nil, .null?: break
        case .array(let positions)?:
            guard positions.count <= LogFilter.maximumTopicPositions else {
                throw RPCError.invalidArgument(index, "field topics: exceed max topics")
            }
            for (position, entry) in positions.enumerated() {
                topics.append(try topicSet(entry, field: "topics[\(position)]", argument: index))
            }
        default:
            throw RPCError.invalidArgument(index, "field topics: expected an array")
        }
        return LogFilter(addresses: addresses, topics: topics)
    }

    /// null → any; a hash → that hash; an array → any of them (a null inside makes it "any").
    private static func topicSet(_ entry: JSONValue, field: String, argument index: Int) throws(RPCError) -> [Hash32]? {
        switch entry {
        case .null: return nil
        case .array(let alternatives):
            var set: [Hash32] = []
            for (position, alternative) in alternatives.enumerated() {
                if alternative.isNull { return nil }
                do { set.append(try Hash32(rpcParam: alternative)) } catch {
                    throw RPCError.invalidArgument(index, "field \(field)[\(position)]: \(error.message)")
                }
            }
            return set
        default:
            do { return [try Hash32(rpcParam: entry)] } catch {
                throw RPCError.invalidArgument(index, "field \(field): \(error.message)")
            }
        }
    }

    private static func bound(_ field: String, in object: JSONObject, argument index: Int) throws(RPCError) -> BlockBound? {
        guard let value = object[field], !value.isNull else { return nil }
        let tag: BlockTag
        do { tag = try BlockTag(rpcParam: value) } catch { throw RPCError.invalidArgument(index, "field \(field): \(error.message)") }
        return blockBound(tag)
    }

    /// On this chain `pending`, `safe` and `finalized` all name the latest committed block.
    public static func blockBound(_ tag: BlockTag) -> BlockBound {
        switch tag {
        case .earliest: return .earliest
        case .latest, .pending, .safe, .finalized: return .latest
        case .number(let number): return .number(number)
        }
    }

    /// A log as eth_getLogs, receipts and `logs` notifications show it (geth's key order).
    public static func log(_ matched: MatchedLog) -> JSONValue {
        .object([
            "address": .address(matched.log.address),
            "topics": .array(matched.log.topics.map(JSONValue.hash)),
            "data": .data(matched.log.data),
            "blockNumber": .quantity(matched.blockNumber),
            "transactionHash": .hash(matched.transactionHash),
            "transactionIndex": .quantity(UInt64(matched.transactionIndex)),
            "blockHash": .hash(matched.blockHash),
            "logIndex": .quantity(UInt64(matched.logIndex)),
            "removed": .bool(matched.removed),
        ])
    }

    /// A header as `newHeads` notifications show it: the block object of eth_getBlockByNumber
    /// without its body fields (transactions, uncles, size), Ethereum's post-merge constants for
    /// the fields this chain does not use.
    public static func header(_ header: BlockHeader, hash: Hash32) -> JSONValue {
        .object(headerObject(header, hash: hash))
    }

    /// The header's fields (eth_getBlockBy* adds the block's own after them).
    public static func headerObject(_ header: BlockHeader, hash: Hash32) -> JSONObject {
        [
            "number": .quantity(header.number),
            "hash": .hash(hash),
            "parentHash": .hash(header.parentHash),
            "nonce": .data([UInt8](repeating: 0, count: 8)),
            "mixHash": .hash(.zero),
            "sha3Uncles": .hash(emptyOmmersHash),
            "logsBloom": .data(header.logsBloom.bytes),
            "transactionsRoot": .hash(header.transactionsRoot),
            "stateRoot": .hash(header.stateRoot),
            "receiptsRoot": .hash(header.receiptsRoot),
            "miner": .address(header.proposer),
            "difficulty": .quantity(UInt64(0)),
            "extraData": .data(header.extraData),
            "gasLimit": .quantity(header.gasLimit),
            "gasUsed": .quantity(header.gasUsed),
            "timestamp": .quantity(header.timestamp),
            "baseFeePerGas": .quantity(header.baseFeePerGas),
        ]
    }
}
