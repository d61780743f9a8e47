// Typed eth_* calls against a scripted node: parameters sent, results decoded, errors typed.
import LedgerClient
import LedgerCrypto
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import Synchronization
import Testing

@Suite("LedgerClient calls")
struct ClientCallTests {
    static let someone = try! Address(hex: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")
    static let hash = Hash32(bytes: [UInt8](repeating: 0xab, count: 32))!

    static func receiptJSON(_ hash: Hash32, block: UInt64 = 5, status: String = "0x1") -> JSONValue {
        .object([
            "transactionHash": .string(hash.hexString), "transactionIndex": .string("0x0"),
            "blockHash": .string(Hash32(bytes: [UInt8](repeating: 1, count: 32))!.hexString),
            "blockNumber": Quantity.encode(block), "from": .string(someone.hexString), "to": .null,
            "status": .string(status), "gasUsed": .string("0x5208"), "cumulativeGasUsed": .string("0x5208"),
            "effectiveGasPrice": .string("0x3b9aca00"),
            "contractAddress": .string("0x1111111111111111111111111111111111111111"),
            "logs": .array([.object(["address": .string(someone.hexString), "topics": .array([.string(hash.hexString)]),
                                     "data": .string("0x0102"), "logIndex": .string("0x0")])]),
        ])
    }

    @Test("chain id, block number, balance and nonce decode from hex quantities")
    func stateQueries() async throws {
        let node = FakeNode()
        node.on("eth_chainId") { _ in .result(.string("0x539")) }
        node.on("eth_blockNumber") { _ in .result(.string("0x10")) }
        node.on("eth_getBalance") { params in
            params.count == 2 && params[1] == .string("latest") ? .result(.string("0xde0b6b3a7640000")) : .error(code: -32602, message: "bad params")
        }
        node.on("eth_getTransactionCount") { params in .result(.string(params[1] == .string("pending") ? "0x7" : "0x5")) }
        let client = LedgerClient(transport: node)
        #expect(try await client.chainId() == 1337)
        #expect(try await client.blockNumber() == 16)
        #expect(try await client.balance(of: Self.someone) == UInt256(1_000_000_000_000_000_000))
        #expect(try await client.transactionCount(of: Self.someone) == 7)
        #expect(try await client.transactionCount(of: Self.someone, at: .latest) == 5)
    }

    @Test("receipts, transactions and blocks decode; unknown ones are nil")
    func receiptsAndBlocks() async throws {
        let node = FakeNode()
        node.on("eth_getTransactionReceipt") { params in
            params.first == .string(Self.hash.hexString) ? .result(Self.receiptJSON(Self.hash)) : .result(.null)
        }
        node.on("eth_getBlockByNumber") { _ in
            .result(.object(["number": .string("0x5"), "hash": .string(Self.hash.hexString), "parentHash": .string(Self.hash.hexString),
                             "timestamp": .string("0x6553f100"), "gasLimit": .string("0x1c9c380"), "gasUsed": .string("0x5208"),
                             "baseFeePerGas": .string("0x3b9aca00"), "stateRoot": .string(Self.hash.hexString),
                             "transactions": .array([.string(Self.hash.hexString)])]))
        }
        node.on("eth_getTransactionByHash") { _ in
            .result(.object(["hash": .string(Self.hash.hexString), "from": .string(Self.someone.hexString), "to": .null,
                             "nonce": .string("0x2"), "value": .string("0x0"), "gas": .string("0x5208"), "input": .string("0x"),
                             "blockNumber": .null, "blockHash": .null, "transactionIndex": .null]))
        }
        let client = LedgerClient(transport: node)
        let receipt = try #require(try await client.receipt(for: Self.hash))
        #expect(receipt.succeeded && receipt.blockNumber == 5 && receipt.gasUsed == 21_000)
        #expect(receipt.logs.first?.data == [1, 2] && receipt.to == nil)
        #expect(try await client.receipt(for: .zero) == nil)
        let block = try #require(try await client.block(.number(5)))
        #expect(block.baseFeePerGas == UInt256(1_000_000_000) && block.transactionHashes == [Self.hash])
        let pending = try #require(try await client.transaction(hash: Self.hash))
        #expect(pending.blockNumber == nil && pending.nonce == 2)
    }

    @Test("a result of the wrong shape is a decoding error naming the field")
    func wrongShape() async throws {
        let node = FakeNode()
        node.on("eth_blockNumber") { _ in .result(.number("16")) }
        let client = LedgerClient(transport: node)
        await #expect(throws: ClientError.self) { try await client.blockNumber() }
        await #expect(throws: ClientError.rpc(code: -32601, message: "the method eth_chainId does not exist/is not available", data: nil)) {
            try await client.chainId()
        }
    }

    @Test("many transactions go out in one batch; outcomes keep request order")
    func batchedSubmission() async throws {
        let node = FakeNode()
        node.reversesBatches = true
        node.on("eth_sendRawTransaction") { params in
            guard let raw = try? [UInt8](hex: params[0].stringValue ?? "") else { return .error(code: -32602, message: "bad hex") }
            if raw.first == 0xff { return .error(code: -32000, message: "nonce too low") }
            return .result(.string(Keccak256.hash(raw).hexString))
        }
        let client = LedgerClient(transport: node)
        let raws: [[UInt8]] = [[1, 2], [0xff], [3]]
        let outcomes = try await client.sendRawTransactions(raws)
        #expect(node.posts == 1)
        #expect(try outcomes[0].get() == Keccak256.hash([1, 2]))
        #expect(try outcomes[2].get() == Keccak256.hash([3]))
        #expect(throws: ClientError.self) { try outcomes[1].get() }
    }

    @Test("receipts of many hashes are polled in batches until all arrive")
    func waitingForReceipts() async throws {
        let node = FakeNode()
        let hashes = (1...7).map { Hash32(bytes: [UInt8](repeating: UInt8($0), count: 32))! }
        // Each hash's receipt appears after it has been asked for twice.
        let asked = Mutex<[JSONValue: Int]>([:])
        node.on("eth_getTransactionReceipt") { params in
            let count = asked.withLock { $0[params[0], default: 0] += 1; return $0[params[0]]! }
            guard count > 2, let text = params[0].stringValue, let hash = try? Hash32(hex: text) else { return .result(.null) }
            return .result(Self.receiptJSON(hash))
        }
        let client = LedgerClient(transport: node)
        let polling = ReceiptPolling(initialInterval: 0.001, maximumInterval: 0.004, batchSize: 3)
        let receipts = try await client.waitForReceipts(hashes, timeout: 10, polling: polling)
        #expect(Set(receipts.keys) == Set(hashes))
        #expect(node.posts == 9) // three rounds of three batches (3 + 3 + 1 hashes)
    }

    @Test("waiting gives up with a timeout when a receipt never comes")
    func receiptTimeout() async throws {
        let node = FakeNode()
        node.on("eth_getTransactionReceipt") { _ in .result(.null) }
        let client = LedgerClient(transport: node)
        let polling = ReceiptPolling(initialInterval: 0.005, maximumInterval: 0.02)
        await #expect(throws: ClientError.self) { try await client.waitForReceipt(Self.hash, timeout: 0.1, polling: polling) }
        #expect(node.callCount("eth_getTransactionReceipt") >= 2) // it polled again before giving up
    }

    @Test("backoff grows on empty polls, resets on progress, and is capped")
    func backoff() {
        let polling = ReceiptPolling(initialInterval: 0.05, maximumInterval: 0.3, backoffFactor: 2)
        #expect(polling.interval(after: 0.05, madeProgress: false) == 0.1)
        #expect(polling.interval(after: 0.2, madeProgress: false) == 0.3)
        #expect(polling.interval(after: 0.3, madeProgress: true) == 0.05)
    }
}
