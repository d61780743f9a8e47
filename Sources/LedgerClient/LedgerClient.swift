// LedgerClient: typed eth_* calls over a transport, single or batched, against one node or a
// failover list of nodes.
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import Synchronization

/// A JSON-RPC client of an Ethereum-compatible node (a d6g-node or any other).
///
/// ```swift
/// let client = try LedgerClient(endpoints: ["http://127.0.0.1:8545", "http://10.0.0.2:8545"])
/// let height = try await client.blockNumber()
/// ```
public final class LedgerClient: Sendable {
    public let transport: any RPCTransport
    private let nextID = Atomic<Int>(1)

    public init(transport: any RPCTransport) {
        self.transport = transport
    }

    /// A client of these endpoints, tried in order on transport failures. `timeout` is in seconds.
    /// `http://` URLs use the socket transport, `https://` URLs URLSession.
    public convenience init(endpoints: [String], timeout: Double = 30) throws(ClientError) {
        guard !endpoints.isEmpty else { throw .transport(endpoint: "(none)", reason: "no endpoint given") }
        var transports: [any RPCTransport] = []
        for url in endpoints {
            if url.lowercased().hasPrefix("https://") {
                transports.append(try URLSessionTransport(url: url, timeout: timeout))
            } else {
                transports.append(try HTTPTransport(url: url, timeout: timeout))
            }
        }
        self.init(transport: transports.count == 1 ? transports[0] : FailoverTransport(transports))
    }

    public convenience init(url: String, timeout: Double = 30) throws(ClientError) {
        try self.init(endpoints: [url], timeout: timeout)
    }

    private func reserveIDs(_ count: Int) -> Int {
        nextID.wrappingAdd(count, ordering: .relaxed).oldValue
    }

    // MARK: Raw calls

    /// Calls `method` and returns its raw JSON result.
    public func call(_ method: String, _ params: [JSONValue] = []) async throws(ClientError) -> JSONValue {
        let id = reserveIDs(1)
        let response = try await transport.post(JSONRPC.body(for: RPCRequest(method, params), id: id))
        return try JSONRPC.result(of: response, id: id)
    }

    /// Sends all `requests` in one HTTP POST; outcomes come back in request order.
    public func batch(_ requests: [RPCRequest]) async throws(ClientError) -> [Result<JSONValue, ClientError>] {
        guard !requests.isEmpty else { return [] }
        let firstID = reserveIDs(requests.count)
        let response = try await transport.post(JSONRPC.batchBody(for: requests, firstID: firstID))
        return try JSONRPC.results(of: response, firstID: firstID, count: requests.count)
    }

    // MARK: Chain and account state

    public func chainId() async throws(ClientError) -> UInt64 {
        try Quantity.uint64(try await call("eth_chainId"), "eth_chainId")
    }

    public func blockNumber() async throws(ClientError) -> UInt64 {
        try Quantity.uint64(try await call("eth_blockNumber"), "eth_blockNumber")
    }

    public func gasPrice() async throws(ClientError) -> UInt256 {
        try Quantity.uint256(try await call("eth_gasPrice"), "eth_gasPrice")
    }

    public func maxPriorityFeePerGas() async throws(ClientError) -> UInt256 {
        try Quantity.uint256(try await call("eth_maxPriorityFeePerGas"), "eth_maxPriorityFeePerGas")
    }

    public func balance(of address: Address, at block: BlockTag = .latest) async throws(ClientError) -> UInt256 {
        try Quantity.uint256(try await call("eth_getBalance", [.string(address.hexString), block.json]), "eth_getBalance")
    }

    /// The next nonce of `address`: mined transactions only at `.latest`, the node's pool
    /// included at `.pending`.
    public func transactionCount(of address: Address, at block: BlockTag = .pending) async throws(ClientError) -> UInt64 {
        try Quantity.uint64(try await call("eth_getTransactionCount", [.string(address.hexString), block.json]),
                            "eth_getTransactionCount")
    }

    /// Header fields of block `tag`; nil if the node has no such block.
    public func block(_ tag: BlockTag = .latest) async throws(ClientError) -> BlockSummary? {
        let result = try await call("eth_getBlockByNumber", [tag.json, .bool(false)])
        return result.isNull ? nil : try BlockSummary(json: result)
    }

    /// Header fields of many blocks in one batch (missing blocks are left out).
    public func blocks(_ numbers: [UInt64]) async throws(ClientError) -> [BlockSummary] {
        let outcomes = try await batch(numbers.map { RPCRequest("eth_getBlockByNumber", [Quantity.encode($0), .bool(false)]) })
        var blocks: [BlockSummary] = []
        for outcome in outcomes {
            let result = try outcome.get()
            if !result.isNull { blocks.append(try BlockSummary(json: result)) }
        }
        return blocks
    }

    // MARK: Calls and gas

    /// eth_call: the return data of executing `request` at `block` without a transaction.
    public func call(_ request: CallRequest, at block: BlockTag = .latest) async throws(ClientError) -> [UInt8] {
        try Quantity.data(try await call("eth_call", [request.json, block.json]), "eth_call result")
    }

    public func estimateGas(_ request: CallRequest) async throws(ClientError) -> UInt64 {
        try Quantity.uint64(try await call("eth_estimateGas", [request.json]), "eth_estimateGas")
    }

    // MARK: Transactions

    /// Submits an encoded signed transaction; returns its hash as the node reports it.
    public func sendRawTransaction(_ encoded: [UInt8]) async throws(ClientError) -> Hash32 {
        try Quantity.hash(try await call("eth_sendRawTransaction", [.string(encoded.hexString)]), "transaction hash")
    }

    public func send(_ transaction: SignedTransaction) async throws(ClientError) -> Hash32 {
        try await sendRawTransaction(transaction.encoded)
    }

    /// Submits many encoded transactions in one batch; one outcome per transaction, in order.
    public func sendRawTransactions(_ encoded: [[UInt8]]) async throws(ClientError) -> [Result<Hash32, ClientError>] {
        try await submit(PreparedBatch(rawTransactions: encoded))
    }

    /// Submits a batch built earlier (see `PreparedBatch`): nothing is encoded on this path.
    public func submit(_ prepared: PreparedBatch) async throws(ClientError) -> [Result<Hash32, ClientError>] {
        let response = try await transport.post(prepared.body)
        return try JSONRPC.results(of: response, firstID: PreparedBatch.firstID, count: prepared.count).map { outcome in
            outcome.flatMap { result in Result { () throws(ClientError) -> Hash32 in try Quantity.hash(result, "transaction hash") } }
        }
    }

    /// The receipt of `hash`, or nil while it has none (pending or unknown).
    public func receipt(for hash: Hash32) async throws(ClientError) -> TransactionReceipt? {
        let result = try await call("eth_getTransactionReceipt", [.string(hash.hexString)])
        return result.isNull ? nil : try TransactionReceipt(json: result)
    }

    /// Receipts of many hashes in one batch; nil where there is none yet.
    public func receipts(for hashes: [Hash32]) async throws(ClientError) -> [Result<TransactionReceipt?, ClientError>] {
        let outcomes = try await batch(hashes.map { RPCRequest("eth_getTransactionReceipt", [.string($0.hexString)]) })
        return outcomes.map { outcome in
            outcome.flatMap { result in
                Result { () throws(ClientError) -> TransactionReceipt? in
                    result.isNull ? nil : try TransactionReceipt(json: result)
                }
            }
        }
    }

    /// eth_getLogs: the logs `filter` matches, in chain order.
    public func logs(_ filter: LogFilter) async throws(ClientError) -> [LogEntry] {
        let result = try await call("eth_getLogs", [filter.json])
        guard let entries = result.arrayValue else { throw .decoding("eth_getLogs returned \(result)") }
        var logs: [LogEntry] = []
        for entry in entries { logs.append(try LogEntry(json: entry)) }
        return logs
    }

    /// The transaction `hash`, pending or mined; nil if the node does not know it.
    public func transaction(hash: Hash32) async throws(ClientError) -> TransactionInfo? {
        let result = try await call("eth_getTransactionByHash", [.string(hash.hexString)])
        return result.isNull ? nil : try TransactionInfo(json: result)
    }
}

/// A batch of eth_sendRawTransaction requests encoded ahead of time, so a load generator spends
/// nothing on encoding while it measures. Ids run from `firstID`; submit each batch once per call.
public struct PreparedBatch: Sendable {
    public static let firstID = 1
    public let body: [UInt8]
    public let count: Int

    public init(rawTransactions: [[UInt8]]) {
        var body = [UInt8]()
        body.reserveCapacity(rawTransactions.reduce(2) { $0 + $1.count * 2 + 80 })
        body.append(UInt8(ascii: "["))
        let digits = Array("0123456789abcdef".utf8)
        for (offset, raw) in rawTransactions.enumerated() {
            if offset > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
            body.append(contentsOf: String(Self.firstID + offset).utf8)
            body.append(contentsOf: #","method":"eth_sendRawTransaction","params":["0x"#.utf8)
            for byte in raw {
                body.append(digits[Int(byte >> 4)])
                body.append(digits[Int(byte & 15)])
            }
            body.append(contentsOf: #""]}"#.utf8)
        }
        body.append(UInt8(ascii: "]"))
        self.body = body
        self.count = rawTransactions.count
    }
}
