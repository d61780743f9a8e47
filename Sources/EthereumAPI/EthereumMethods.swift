// Every eth/net/web3 method of the node, and debug_traceTransaction, registered on a JSON-RPC method table (one line of
// registration each; the work is in the functions below and in CallMethods/FilterMethods).
// Shapes follow the execution-apis OpenRPC document and what web3.py expects (Docs/rpc.md
// §Methods). The API reads the chain through `ChainReading` and admits transactions through
// `TransactionAdmission` (ChainReading.swift); it owns no thread and no storage. Admission
// recovers senders here, in parallel, before the pool sees them.
import ChainQueries
import Execution
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import Mempool
import RPCServer

/// The Ethereum JSON-RPC API over one chain.
public struct EthereumAPI: Sendable {
    public let chain: any ChainReading
    public let pool: any TransactionAdmission
    public let facts: ChainFacts
    /// Filters and subscriptions; feed it every committed block (`didCommit`).
    public let hub: SubscriptionHub
    public let clientVersion: String
    /// Whether debug_traceTransaction is served: a trace replays a block, so it is off unless
    /// the operator turns it on (`--rpc-debug`), as geth keeps its debug namespace.
    public let debug: Bool
    /// Runs eth_call and eth_estimateGas (with the VM as the contract runtime).
    let executor: BlockExecutor
    /// Where eth_call and eth_estimateGas wait for their turn.
    let simulationLane: SimulationLane

    public init(chain: any ChainReading, pool: any TransactionAdmission, facts: ChainFacts, executor: BlockExecutor,
                simulations: SimulationLimits = SimulationLimits(), hub: SubscriptionHub = SubscriptionHub(),
                clientVersion: String, debug: Bool = false) {
        self.debug = debug
        self.chain = chain
        self.pool = pool
        self.facts = facts
        self.executor = executor
        self.simulationLane = SimulationLane(limits: simulations)
        self.hub = hub
        self.clientVersion = clientVersion
    }

    /// Tells filters and subscriptions of a committed block (call in block order).
    public func didCommit(_ block: BlockReceipts) { hub.didCommit(block) }

    /// The method table of every method.
    public func methods() -> RPCMethodTable {
        let api = self
        var table = RPCMethodTable()
        table.register("web3_clientVersion", arguments: 0...0) { _ in .string(api.clientVersion) }
        table.register("web3_sha3", arguments: 1...1) { params in .hash(Keccak256.hash(try params.required(0, as: [UInt8].self))) }
        table.register("net_version", arguments: 0...0) { _ in .string(String(api.chainId)) }
        table.register("net_listening", arguments: 0...0) { _ in .bool(true) }
        table.register("net_peerCount", arguments: 0...0) { _ in .quantity(UInt64(0)) }
        table.register("eth_chainId", arguments: 0...0) { _ in .quantity(api.chainId) }
        table.register("eth_syncing", arguments: 0...0) { _ in .bool(false) }
        table.register("eth_accounts", arguments: 0...0) { _ in .array([]) }
        table.register("eth_blockNumber", arguments: 0...0) { _ in .quantity(api.chain.head.number) }
        table.register("eth_gasPrice", arguments: 0...0) { _ in .quantity(api.nextBaseFee &+ api.suggestedTip) }
        table.register("eth_maxPriorityFeePerGas", arguments: 0...0) { _ in .quantity(api.suggestedTip) }
        table.register("eth_feeHistory", arguments: 2...3) { params in try await api.feeHistory(params) }
        table.register("eth_getBalance", arguments: 1...2) { params in try await api.balance(params) }
        table.register("eth_getTransactionCount", arguments: 1...2) { params in try await api.transactionCount(params) }
        table.register("eth_getCode", arguments: 1...2) { params in try await api.code(params) }
        table.register("eth_getStorageAt", arguments: 2...3) { params in try await api.storage(params) }
        table.register("eth_call", arguments: 1...3) { params in try await api.call(params) }
        table.register("eth_estimateGas", arguments: 1...3) { params in try await api.estimateGas(params) }
        table.register("eth_sendRawTransaction", arguments: 1...1, { params in
            try await api.sendRawTransactions([params])[0].get()
        }, batch: { batch in await api.sendRawTransactions(batch) })
        table.register("eth_getTransactionByHash", arguments: 1...1) { params in try await api.transaction(params) }
        table.register("eth_getTransactionReceipt", arguments: 1...1) { params in try await api.receipt(params) }
        table.register("eth_getBlockByNumber", arguments: 2...2) { params in
            try await api.block(.tag(try params.required(0, as: BlockTag.self)), full: try params.required(1))
        }
        table.register("eth_getBlockByHash", arguments: 2...2) { params in
            try await api.block(.hash(try params.required(0), requireCanonical: false), full: try params.required(1))
        }
        table.register("eth_getBlockTransactionCountByNumber", arguments: 1...1) { params in
            try await api.transactionCount(inBlock: .tag(try params.required(0, as: BlockTag.self)))
        }
        table.register("eth_getBlockTransactionCountByHash", arguments: 1...1) { params in
            try await api.transactionCount(inBlock: .hash(try params.required(0), requireCanonical: false))
        }
        table.register("eth_getBlockReceipts", arguments: 1...1) { params in
            try await api.blockReceipts(try params.required(0, as: BlockSelector.self))
        }
        table.register("eth_getTransactionByBlockHashAndIndex", arguments: 2...2) { params in
            try await api.transaction(inBlock: .hash(try params.required(0), requireCanonical: false), index: try params.required(1))
        }
        table.register("eth_getTransactionByBlockNumberAndIndex", arguments: 2...2) { params in
            try await api.transaction(inBlock: .tag(try params.required(0, as: BlockTag.self)), index: try params.required(1))
        }
        // No uncles on a BFT chain: the counts are 0 for a block that exists, the uncles null.
        table.register("eth_getUncleCountByBlockHash", arguments: 1...1) { params in
            try await api.uncleCount(inBlock: .hash(try params.required(0), requireCanonical: false))
        }
        table.register("eth_getUncleCountByBlockNumber", arguments: 1...1) { params in
            try await api.uncleCount(inBlock: .tag(try params.required(0, as: BlockTag.self)))
        }
        table.register("eth_getUncleByBlockHashAndIndex", arguments: 2...2) { params in
            _ = try params.required(0, as: Hash32.self)
            _ = try params.required(1, as: UInt64.self)
            return .null
        }
        table.register("eth_getUncleByBlockNumberAndIndex", arguments: 2...2) { params in
            _ = try params.required(0, as: BlockTag.self)
            _ = try params.required(1, as: UInt64.self)
            return .null
        }
        table.register("eth_getProof", arguments: 2...3) { params in try await api.proof(params) }
        if debug {
            table.register("debug_traceTransaction", arguments: 1...2) { params in try await api.traceTransaction(params) }
        }
        registerFilterMethods(in: &table)
        return table
    }

    var chainId: UInt64 { facts.chainId }

    /// Reward percentiles one eth_feeHistory may ask for (geth allows 100).
    public static let maxFeeHistoryPercentiles = 100

    /// Fees go to the fee recipient whatever the tip, and blocks are rarely full: no tip is needed.
    var suggestedTip: UInt256 { .zero }

    var nextBaseFee: UInt256 { BaseFee.next(after: chain.head, floats: facts.baseFeeFloats) }

    // MARK: Blocks

    /// The header a selector names, or nil when there is no such block.
    func header(_ selector: BlockSelector, in store: any ChainView, head: BlockHeader) throws -> BlockHeader? {
        switch selector {
        case .hash(let hash, _): return try store.header(hash: hash)
        case .tag(let tag):
            let number: UInt64
            switch tag {
            case .earliest: number = 0
            case .latest, .safe, .finalized, .pending: return head
            case .number(let value): number = value
            }
            return number > head.number ? nil : try store.header(number: number)
        }
    }

    /// Runs `body` on the read queue over the state that argument `argument` names (latest when
    /// absent); geth's "header not found" when there is no such block.
    func withState<T: Sendable>(_ params: RPCParams, argument: Int,
                                _ body: @escaping @Sendable (TrieStateReader) throws -> T) async throws -> T {
        let selector = try params.optional(argument, as: BlockSelector.self) ?? .latest
        let head = chain.head
        return try await chain.read { store in
            guard let header = try header(selector, in: store, head: head) else {
                throw RPCError(code: RPCError.serverErrorCode, message: "header not found")
            }
            return try body(try store.state(at: header))
        }
    }

    func block(_ selector: BlockSelector, full: Bool) async throws -> JSONValue {
        let head = chain.head
        return try await chain.read { store in
            guard let header = try header(selector, in: store, head: head),
                  let (block, transactions) = try store.block(number: header.number) else { return .null }
            return RPCShapes.block(block, transactions: transactions, full: full)
        }
    }

    func transactionCount(inBlock selector: BlockSelector) async throws -> JSONValue {
        let head = chain.head
        return try await chain.read { store in
            guard let header = try header(selector, in: store, head: head),
                  let body = try store.body(number: header.number) else { return .null }
            return .quantity(UInt64(body.transactions.count))
        }
    }

    func transaction(inBlock selector: BlockSelector, index: UInt64) async throws -> JSONValue {
        let head = chain.head
        return try await chain.read { view in
            guard let header = try header(selector, in: view, head: head),
                  let body = try view.body(number: header.number),
                  index < UInt64(body.transactions.count) else { return .null }
            let position = Int(index)
            return RPCShapes.transaction(body.transactions[position],
                                         inclusion: .init(header: header, hash: header.hash, index: position))
        }
    }

    func uncleCount(inBlock selector: BlockSelector) async throws -> JSONValue {
        let head = chain.head
        return try await chain.read { view in
            try header(selector, in: view, head: head) == nil ? .null : .quantity(UInt64(0))
        }
    }

    func blockReceipts(_ selector: BlockSelector) async throws -> JSONValue {
        let head = chain.head
        return try await chain.read { store in
            guard let header = try header(selector, in: store, head: head),
                  let body = try store.body(number: header.number),
                  let receipts = try store.receipts(number: header.number) else { return .null }
            var logIndex = 0
            return .array(zip(body.transactions, receipts).enumerated().map { index, pair in
                RPCShapes.receipt(pair.1, of: pair.0, index: index, header: header, blockHash: header.hash,
                                  firstLogIndex: &logIndex)
            })
        }
    }

    func feeHistory(_ params: RPCParams) async throws -> JSONValue {
        let requested = try params.required(0, as: UInt64.self)
        let newest = try params.required(1, as: BlockTag.self)
        let requestedPercentiles = try params.optional(2, as: JSONValue.self)?.arrayValue
        if let count = requestedPercentiles?.count, count > Self.maxFeeHistoryPercentiles {
            // Each percentile is one value per block of the answer: a long list would build a
            // huge answer before the response limit could refuse it.
            throw RPCError.invalidArgument(2, "at most \(Self.maxFeeHistoryPercentiles) percentiles, got \(count)")
        }
        let percentiles = try requestedPercentiles?.map { value throws(RPCError) -> Double in
            guard let number = value.doubleValue, number >= 0, number <= 100 else {
                throw RPCError.invalidArgument(2, "percentiles must be numbers between 0 and 100")
            }
            return number
        }
        if let percentiles, zip(percentiles, percentiles.dropFirst()).contains(where: { $0 > $1 }) {
            throw RPCError.invalidArgument(2, "percentiles must be ascending")
        }
        let head = chain.head
        let floats = facts.baseFeeFloats
        return try await chain.read { store in
            guard let last = try header(.tag(newest), in: store, head: head) else {
                throw RPCError(code: RPCError.serverErrorCode, message: "header not found")
            }
            let count = min(requested, 1_024, last.number + 1)
            guard count > 0 else {
                return .object(["oldestBlock": .quantity(UInt64(0)), "baseFeePerGas": .array([]), "gasUsedRatio": .array([])])
            }
            let oldest = last.number + 1 - count
            var baseFees: [JSONValue] = []
            var ratios: [JSONValue] = []
            var rewards: [JSONValue] = []
            for number in oldest...last.number {
                guard let header = try store.header(number: number) else { break }
                baseFees.append(.quantity(header.baseFeePerGas))
                ratios.append(.number(String(Double(header.gasUsed) / Double(max(header.gasLimit, 1)))))
                if let percentiles {
                    let receipts = try store.receipts(number: number) ?? []
                    rewards.append(.array(Self.rewards(receipts, baseFee: header.baseFeePerGas, percentiles: percentiles)
                        .map { .quantity($0) }))
                }
            }
            baseFees.append(.quantity(BaseFee.next(after: last, floats: floats)))
            var result: JSONObject = ["oldestBlock": .quantity(oldest), "baseFeePerGas": .array(baseFees),
                                      "gasUsedRatio": .array(ratios)]
            if percentiles != nil { result["reward"] = .array(rewards) }
            return .object(result)
        }
    }

    /// Tips at the given percentiles of gas used in one block, as geth computes them.
    static func rewards(_ receipts: [StoredReceipt], baseFee: UInt256, percentiles: [Double]) -> [UInt256] {
        let tips = receipts.map { (tip: $0.effectiveGasPrice > baseFee ? $0.effectiveGasPrice &- baseFee : .zero, gas: $0.gasUsed) }
            .sorted { $0.tip < $1.tip }
        guard !tips.isEmpty else { return percentiles.map { _ in .zero } }
        let total = tips.reduce(0) { $0 + $1.gas }
        return percentiles.map { percentile in
            // Percentiles are checked to lie in [0, 100]; the product can still round up to 2^64.
            let scaled = Double(total) * percentile / 100
            let threshold = scaled < 0x1p64 ? UInt64(scaled) : .max
            var sum: UInt64 = 0
            for entry in tips {
                sum += entry.gas
                if sum >= threshold { return entry.tip }
            }
            return tips.last!.tip
        }
    }

    // MARK: State

    func balance(_ params: RPCParams) async throws -> JSONValue {
        let address = try params.required(0, as: Address.self)
        return .quantity(try await withState(params, argument: 1) { try $0.balance(of: address) })
    }

    func transactionCount(_ params: RPCParams) async throws -> JSONValue {
        let address = try params.required(0, as: Address.self)
        if case .tag(.pending) = try params.optional(1, as: BlockSelector.self) ?? .latest {
            return .quantity(await pool.pendingNonce(of: address))
        }
        return .quantity(try await withState(params, argument: 1) { try $0.nonce(of: address) })
    }

    func code(_ params: RPCParams) async throws -> JSONValue {
        let address = try params.required(0, as: Address.self)
        return .data(try await withState(params, argument: 1) { try $0.code(at: address) })
    }

    func storage(_ params: RPCParams) async throws -> JSONValue {
        let address = try params.required(0, as: Address.self)
        let slot = try params.required(1, as: UInt256.self)
        return .data(try await withState(params, argument: 2) { try $0.storageValue(at: slot, of: address) }.bigEndianBytes)
    }

    /// A call object's target and data, with the checks both eth_call and eth_estimateGas make.
    func callTarget(_ params: RPCParams) throws -> (to: Address?, data: [UInt8], object: JSONObject) {
        let object = try params.required(0, as: JSONObject.self)
        let to = try params.optional("to", in: object, argument: 0, as: Address.self)
        let input = try params.optional("input", in: object, argument: 0, as: [UInt8].self)
        let data = try params.optional("data", in: object, argument: 0, as: [UInt8].self)
        if let input, let data, input != data {
            throw RPCError.invalidArgument(0, "both \"data\" and \"input\" are set and not equal")
        }
        return (to, input ?? data ?? [], object)
    }

    // MARK: Transactions

    /// Decodes and recovers every transaction (split across the cores), then admits them in
    /// order in one visit to the node's queue.
    func sendRawTransactions(_ batch: [RPCParams]) async -> [Result<JSONValue, RPCError>] {
        let chainId = self.chainId
        let options = facts.transactionOptions
        let decoded: [Result<RecoveredTransaction, RPCError>] = await Self.parallelMap(batch) { params in
            do {
                let raw = try params.required(0, as: [UInt8].self)
                do throws(TransactionError) {
                    return .success(try RecoveredTransaction(decoding: raw, chainId: chainId, options: options))
                } catch {
                    return .failure(RPCError.transactionRejected(error.description))
                }
            } catch let error as RPCError {
                return .failure(error)
            } catch {
                return .failure(RPCError.internalError("\(error)"))
            }
        }
        let accepted = decoded.compactMap { try? $0.get() }
        let admissions = accepted.isEmpty ? [] : await pool.submit(accepted)
        var next = admissions.makeIterator()
        return decoded.map { result in
            switch result {
            case .failure(let error): return .failure(error)
            case .success:
                switch next.next()! {
                case .success(let hash): return .success(.hash(hash))
                case .failure(let error): return .failure(RPCError.transactionRejected(error.description))
                }
            }
        }
    }

    /// Maps in two halves on two tasks when the input is large enough to be worth it (the
    /// machine has two cores; signature recovery is ~30 µs each).
    static func parallelMap<T: Sendable, R: Sendable>(_ items: [T], _ transform: @escaping @Sendable (T) -> R) async -> [R] {
        guard items.count >= 32 else { return items.map(transform) }
        let middle = items.count / 2
        let first = Array(items[..<middle]), second = Array(items[middle...])
        async let left = Task { first.map(transform) }.value
        let right = second.map(transform)
        return await left + right
    }

    func transaction(_ params: RPCParams) async throws -> JSONValue {
        let hash = try params.required(0, as: Hash32.self)
        let committed: JSONValue? = try await chain.read { store in
            guard let location = try store.transactionLocation(hash: hash),
                  let header = try store.header(number: location.blockNumber),
                  let body = try store.body(number: location.blockNumber),
                  location.index < body.transactions.count else { return nil }
            return RPCShapes.transaction(body.transactions[location.index],
                                         inclusion: .init(header: header, hash: header.hash, index: location.index))
        }
        if let committed { return committed }
        guard let pooled = await pool.pooledTransaction(hash: hash) else { return .null }
        return RPCShapes.transaction(pooled, inclusion: nil)
    }

    func receipt(_ params: RPCParams) async throws -> JSONValue {
        let hash = try params.required(0, as: Hash32.self)
        return try await chain.read { store in
            guard let location = try store.transactionLocation(hash: hash),
                  let header = try store.header(number: location.blockNumber),
                  let body = try store.body(number: location.blockNumber),
                  let receipts = try store.receipts(number: location.blockNumber),
                  location.index < receipts.count, location.index < body.transactions.count else { return .null }
            var logIndex = receipts[..<location.index].reduce(0) { $0 + $1.receipt.logs.count }
            return RPCShapes.receipt(receipts[location.index], of: body.transactions[location.index], index: location.index,
                                     header: header, blockHash: header.hash, firstLogIndex: &logIndex)
        }
    }
}
