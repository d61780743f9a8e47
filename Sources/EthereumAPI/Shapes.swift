// The JSON shapes of blocks, transactions and receipts (execution-apis schemas); headers and
// logs are LogFilterJSON's, shared with the subscriptions.
import ChainQueries
import LedgerJSON
import LedgerPrimitives
import LedgerTypes

/// JSON shapes of blocks, transactions and receipts (execution-apis schemas).
enum RPCShapes {
    struct Inclusion {
        var header: BlockHeader
        var hash: Hash32
        var index: Int
    }

    static func block(_ block: Block, transactions: [RecoveredTransaction], full: Bool) -> JSONValue {
        let header = block.header
        let hash = block.hash
        let listed: [JSONValue] = transactions.enumerated().map { index, transaction in
            full ? Self.transaction(transaction, inclusion: Inclusion(header: header, hash: hash, index: index))
                 : .hash(transaction.hash)
        }
        // The header's fields as `newHeads` shows them, then the block's own.
        var object = LogFilterJSON.headerObject(header, hash: hash)
        object["totalDifficulty"] = .quantity(UInt64(0))
        object["size"] = .quantity(UInt64(block.encoded.count))
        object["transactions"] = .array(listed)
        object["uncles"] = .array([])
        return .object(object)
    }

    static func transaction(_ recovered: RecoveredTransaction, inclusion: Inclusion?) -> JSONValue {
        let transaction = recovered.transaction
        var object: JSONObject = [
            "blockHash": inclusion.map { .hash($0.hash) } ?? .null,
            "blockNumber": inclusion.map { .quantity($0.header.number) } ?? .null,
            "from": .address(recovered.sender),
            "gas": .quantity(transaction.gasLimit),
        ]
        let price: UInt256
        if let gasPrice = transaction.gasPrice {
            price = gasPrice
        } else if let header = inclusion?.header {
            let withTip = header.baseFeePerGas &+ transaction.maxPriorityFeePerGas
            price = min(transaction.maxFeePerGas, withTip)
        } else {
            price = transaction.maxFeePerGas
        }
        object["gasPrice"] = .quantity(price)
        if transaction.type == .dynamicFee {
            object["maxFeePerGas"] = .quantity(transaction.maxFeePerGas)
            object["maxPriorityFeePerGas"] = .quantity(transaction.maxPriorityFeePerGas)
        }
        object["hash"] = .hash(recovered.hash)
        object["input"] = .data(transaction.data)
        object["nonce"] = .quantity(transaction.nonce)
        object["to"] = transaction.to.map(JSONValue.address) ?? .null
        object["transactionIndex"] = inclusion.map { .quantity(UInt64($0.index)) } ?? .null
        object["value"] = .quantity(transaction.value)
        object["type"] = .quantity(UInt64(transaction.type.rawValue))
        if transaction.type != .legacy {
            object["accessList"] = .array(transaction.accessList.map { entry in
                .object(["address": .address(entry.address), "storageKeys": .array(entry.storageKeys.map(JSONValue.hash))])
            })
        }
        if let chainId = transaction.chainId { object["chainId"] = .quantity(chainId) }
        object["v"] = .quantity(transaction.v)
        object["r"] = .quantity(transaction.r)
        object["s"] = .quantity(transaction.s)
        if transaction.type != .legacy { object["yParity"] = .quantity(UInt64(transaction.yParity)) }
        return .object(object)
    }

    static func receipt(_ stored: StoredReceipt, of recovered: RecoveredTransaction, index: Int, header: BlockHeader,
                        blockHash: Hash32, firstLogIndex: inout Int) -> JSONValue {
        var logs: [JSONValue] = []
        for log in stored.receipt.logs {
            logs.append(LogFilterJSON.log(MatchedLog(log: log, blockNumber: header.number, blockHash: blockHash,
                                                     transactionHash: recovered.hash, transactionIndex: index, logIndex: firstLogIndex)))
            firstLogIndex += 1
        }
        return .object([
            "blockHash": .hash(blockHash),
            "blockNumber": .quantity(header.number),
            "contractAddress": stored.contractAddress.map(JSONValue.address) ?? .null,
            "cumulativeGasUsed": .quantity(stored.receipt.cumulativeGasUsed),
            "effectiveGasPrice": .quantity(stored.effectiveGasPrice),
            "from": .address(recovered.sender),
            "gasUsed": .quantity(stored.gasUsed),
            "logs": .array(logs),
            "logsBloom": .data(stored.receipt.logsBloom.bytes),
            "status": .quantity(stored.receipt.status),
            "to": recovered.transaction.to.map(JSONValue.address) ?? .null,
            "transactionHash": .hash(recovered.hash),
            "transactionIndex": .quantity(UInt64(index)),
            "type": .quantity(UInt64(recovered.transaction.type.rawValue)),
        ])
    }
}
