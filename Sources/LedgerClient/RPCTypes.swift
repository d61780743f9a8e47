// The typed shapes of eth_* results the client reads (receipts, transactions, block headers) and
// of the requests it sends (block tags, call objects), decoded from and encoded to JSON-RPC JSON.
import LedgerJSON
import LedgerPrimitives

/// Which block a state query reads.
public enum BlockTag: Hashable, Sendable {
    case latest, pending, earliest, safe, finalized
    case number(UInt64)

    public var json: JSONValue {
        switch self {
        case .latest: return .string("latest")
        case .pending: return .string("pending")
        case .earliest: return .string("earliest")
        case .safe: return .string("safe")
        case .finalized: return .string("finalized")
        case .number(let number): return Quantity.encode(number)
        }
    }
}

/// A log of a receipt.
public struct LogEntry: Hashable, Sendable {
    public let address: Address
    public let topics: [Hash32]
    public let data: [UInt8]
    public let logIndex: UInt64?
    /// nil in a pending log.
    public let blockNumber: UInt64?
    public let transactionHash: Hash32?

    public init(json: JSONValue) throws(ClientError) {
        address = try Quantity.address(json["address"], "log address")
        var topics: [Hash32] = []
        for topic in json["topics"]?.arrayValue ?? [] { topics.append(try Quantity.hash(topic, "log topic")) }
        self.topics = topics
        data = try Quantity.data(json["data"], "log data")
        logIndex = try Quantity.optionalUInt64(json["logIndex"], "logIndex")
        blockNumber = try Quantity.optionalUInt64(json["blockNumber"], "log blockNumber")
        transactionHash = try Quantity.optionalHash(json["transactionHash"], "log transactionHash")
    }
}

/// eth_getLogs's filter: a block range, one contract, and topics by position (nil matches any).
public struct LogFilter: Hashable, Sendable {
    public var fromBlock: BlockTag
    public var toBlock: BlockTag
    public var address: Address?
    public var topics: [Hash32?]

    public init(fromBlock: BlockTag = .earliest, toBlock: BlockTag = .latest, address: Address? = nil, topics: [Hash32?] = []) {
        self.fromBlock = fromBlock
        self.toBlock = toBlock
        self.address = address
        self.topics = topics
    }

    var json: JSONValue {
        var members: [(key: String, value: JSONValue)] = [("fromBlock", fromBlock.json), ("toBlock", toBlock.json)]
        if let address { members.append(("address", .string(address.hexString))) }
        if !topics.isEmpty { members.append(("topics", .array(topics.map { $0.map { .string($0.hexString) } ?? .null }))) }
        return .object(JSONObject(members))
    }
}

/// eth_getTransactionReceipt's result.
public struct TransactionReceipt: Hashable, Sendable {
    public let transactionHash: Hash32
    public let transactionIndex: UInt64
    public let blockHash: Hash32
    public let blockNumber: UInt64
    public let from: Address?
    public let to: Address?
    /// True for status 1 (success), false for 0 (reverted or failed).
    public let succeeded: Bool
    public let gasUsed: UInt64
    public let cumulativeGasUsed: UInt64
    public let effectiveGasPrice: UInt256?
    public let contractAddress: Address?
    public let logs: [LogEntry]

    public init(json: JSONValue) throws(ClientError) {
        transactionHash = try Quantity.hash(json["transactionHash"], "receipt transactionHash")
        transactionIndex = try Quantity.uint64(json["transactionIndex"], "receipt transactionIndex")
        blockHash = try Quantity.hash(json["blockHash"], "receipt blockHash")
        blockNumber = try Quantity.uint64(json["blockNumber"], "receipt blockNumber")
        from = try Quantity.optionalAddress(json["from"], "receipt from")
        to = try Quantity.optionalAddress(json["to"], "receipt to")
        succeeded = try Quantity.uint64(json["status"], "receipt status") == 1
        gasUsed = try Quantity.uint64(json["gasUsed"], "receipt gasUsed")
        cumulativeGasUsed = try Quantity.uint64(json["cumulativeGasUsed"], "receipt cumulativeGasUsed")
        effectiveGasPrice = try Quantity.optionalUInt256(json["effectiveGasPrice"], "receipt effectiveGasPrice")
        contractAddress = try Quantity.optionalAddress(json["contractAddress"], "receipt contractAddress")
        var logs: [LogEntry] = []
        for log in json["logs"]?.arrayValue ?? [] { logs.append(try LogEntry(json: log)) }
        self.logs = logs
    }
}

/// eth_getTransactionByHash's result (the fields a client acts on).
public struct TransactionInfo: Hashable, Sendable {
    public let hash: Hash32
    public let from: Address
    public let to: Address?
    public let nonce: UInt64
    public let value: UInt256
    public let gasLimit: UInt64
    public let input: [UInt8]
    /// nil while the transaction is pending.
    public let blockNumber: UInt64?
    public let blockHash: Hash32?
    public let transactionIndex: UInt64?

    public init(json: JSONValue) throws(ClientError) {
        hash = try Quantity.hash(json["hash"], "transaction hash")
        from = try Quantity.address(json["from"], "transaction from")
        to = try Quantity.optionalAddress(json["to"], "transaction to")
        nonce = try Quantity.uint64(json["nonce"], "transaction nonce")
        value = try Quantity.uint256(json["value"], "transaction value")
        gasLimit = try Quantity.uint64(json["gas"], "transaction gas")
        input = try Quantity.data(json["input"], "transaction input")
        blockNumber = try Quantity.optionalUInt64(json["blockNumber"], "transaction blockNumber")
        blockHash = try Quantity.optionalHash(json["blockHash"], "transaction blockHash")
        transactionIndex = try Quantity.optionalUInt64(json["transactionIndex"], "transaction transactionIndex")
    }
}

/// The header fields of eth_getBlockByNumber (without full transactions) a client needs.
public struct BlockSummary: Hashable, Sendable {
    public let number: UInt64
    public let hash: Hash32
    public let parentHash: Hash32
    /// Seconds since the Unix epoch.
    public let timestamp: UInt64
    public let gasLimit: UInt64
    public let gasUsed: UInt64
    /// nil on a chain without EIP-1559 fees.
    public let baseFeePerGas: UInt256?
    public let stateRoot: Hash32
    public let transactionHashes: [Hash32]

    public init(json: JSONValue) throws(ClientError) {
        number = try Quantity.uint64(json["number"], "block number")
        hash = try Quantity.hash(json["hash"], "block hash")
        parentHash = try Quantity.hash(json["parentHash"], "block parentHash")
        timestamp = try Quantity.uint64(json["timestamp"], "block timestamp")
        gasLimit = try Quantity.uint64(json["gasLimit"], "block gasLimit")
        gasUsed = try Quantity.uint64(json["gasUsed"], "block gasUsed")
        baseFeePerGas = try Quantity.optionalUInt256(json["baseFeePerGas"], "block baseFeePerGas")
        stateRoot = try Quantity.hash(json["stateRoot"], "block stateRoot")
        var hashes: [Hash32] = []
        for entry in json["transactions"]?.arrayValue ?? [] {
            // Hashes when asked without full transactions; objects carry theirs in "hash".
            hashes.append(try Quantity.hash(entry.stringValue != nil ? entry : entry["hash"], "block transaction"))
        }
        transactionHashes = hashes
    }
}

/// The call object of eth_call and eth_estimateGas.
public struct CallRequest: Hashable, Sendable {
    public var from: Address?
    public var to: Address?
    public var gas: UInt64?
    public var gasPrice: UInt256?
    public var maxFeePerGas: UInt256?
    public var maxPriorityFeePerGas: UInt256?
    public var value: UInt256?
    public var data: [UInt8]

    public init(from: Address? = nil, to: Address?, gas: UInt64? = nil, gasPrice: UInt256? = nil,
                maxFeePerGas: UInt256? = nil, maxPriorityFeePerGas: UInt256? = nil,
                value: UInt256? = nil, data: [UInt8] = []) {
        self.from = from
        self.to = to
        self.gas = gas
        self.gasPrice = gasPrice
        self.maxFeePerGas = maxFeePerGas
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.value = value
        self.data = data
    }

    public var json: JSONValue {
        var members = JSONObject()
        if let from { members["from"] = .string(from.hexString) }
        if let to { members["to"] = .string(to.hexString) }
        if let gas { members["gas"] = Quantity.encode(gas) }
        if let gasPrice { members["gasPrice"] = Quantity.encode(gasPrice) }
        if let maxFeePerGas { members["maxFeePerGas"] = Quantity.encode(maxFeePerGas) }
        if let maxPriorityFeePerGas { members["maxPriorityFeePerGas"] = Quantity.encode(maxPriorityFeePerGas) }
        if let value { members["value"] = Quantity.encode(value) }
        if !data.isEmpty { members["input"] = .string(data.hexString) }
        return .object(members)
    }
}
