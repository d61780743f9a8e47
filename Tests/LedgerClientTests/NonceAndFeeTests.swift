// Nonce counters, fee defaults, and the sender that ties them together with signing.
import LedgerClient
import LedgerCrypto
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import Synchronization
import Testing

@Suite("Nonces, fees and sending")
struct NonceAndFeeTests {
    static let alice = try! Address(hex: "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23")
    static let bob = try! Address(hex: "0x1111111111111111111111111111111111111111")

    @Test("a counter starts at the node's pending count and counts locally")
    func sequential() async throws {
        let fetches = Mutex(0)
        let nonces = NonceManager { _ async throws(ClientError) -> UInt64 in fetches.withLock { $0 += 1 }; return 5 }
        #expect(try await nonces.next(for: Self.alice) == 5)
        #expect(try await nonces.next(for: Self.alice) == 6)
        #expect(try await nonces.reserve(3, for: Self.alice) == 7..<10)
        #expect(try await nonces.next(for: Self.bob) == 5)
        #expect(fetches.withLock { $0 } == 2)
    }

    @Test("concurrent requests never get the same nonce")
    func concurrent() async throws {
        let nonces = NonceManager { _ async throws(ClientError) -> UInt64 in
            try? await Task.sleep(nanoseconds: 1_000_000)
            return 100
        }
        let handedOut = try await withThrowingTaskGroup(of: UInt64.self) { group in
            for _ in 0..<200 { group.addTask { try await nonces.next(for: Self.alice) } }
            return try await group.reduce(into: [UInt64]()) { $0.append($1) }
        }
        #expect(handedOut.sorted() == Array(100..<300))
    }

    @Test("nonce refusals resync from the node; other errors do not")
    func resync() async throws {
        let pending = Mutex<UInt64>(0)
        let nonces = NonceManager { _ async throws(ClientError) -> UInt64 in pending.withLock { $0 } }
        _ = try await nonces.reserve(10, for: Self.alice)
        pending.withLock { $0 = 4 }
        #expect(try await nonces.recover(from: .rpc(code: -32000, message: "nonce too high", data: nil), for: Self.alice))
        #expect(try await nonces.next(for: Self.alice) == 4)
        pending.withLock { $0 = 20 }
        #expect(try await !nonces.recover(from: .rpc(code: -32000, message: "insufficient funds", data: nil), for: Self.alice))
        #expect(try await nonces.recover(from: .rpc(code: -32000, message: "nonce too low", data: nil), for: Self.alice))
        #expect(try await nonces.next(for: Self.alice) == 20)
        await nonces.release(20, for: Self.alice)
        #expect(await nonces.peek(Self.alice) == 20)
    }

    @Test("EIP-1559 defaults: maxFee = 2 × baseFee + tip; legacy without a base fee")
    func feeDefaults() {
        let dynamic = FeeSuggestion.defaults(baseFee: UInt256(1_000_000_000), tip: UInt256(2), gasPrice: UInt256(7))
        #expect(dynamic == .dynamic(maxFeePerGas: UInt256(2_000_000_002), maxPriorityFeePerGas: UInt256(2)))
        #expect(FeeSuggestion.defaults(baseFee: .zero, tip: .zero, gasPrice: UInt256(7))
                == .dynamic(maxFeePerGas: .zero, maxPriorityFeePerGas: .zero))
        #expect(FeeSuggestion.defaults(baseFee: nil, tip: UInt256(2), gasPrice: UInt256(7)) == .legacy(gasPrice: UInt256(7)))
        #expect(FeeSuggestion.defaults(baseFee: .max, tip: UInt256(1), gasPrice: .zero).maximumPricePerGas == .max)
    }

    @Test("suggested fees read the latest base fee and tip from the node")
    func suggestedFees() async throws {
        let node = FakeNode()
        node.on("eth_getBlockByNumber") { _ in .result(Self.block(baseFee: "0x64")) }
        node.on("eth_maxPriorityFeePerGas") { _ in .result(.string("0x3")) }
        #expect(try await LedgerClient(transport: node).suggestedFees() == .dynamic(maxFeePerGas: UInt256(203), maxPriorityFeePerGas: UInt256(3)))
        let legacyNode = FakeNode()
        legacyNode.on("eth_getBlockByNumber") { _ in .result(Self.block(baseFee: nil)) }
        legacyNode.on("eth_gasPrice") { _ in .result(.string("0x9")) }
        #expect(try await LedgerClient(transport: legacyNode).suggestedFees() == .legacy(gasPrice: UInt256(9)))
    }

    static func block(baseFee: String?) -> JSONValue {
        let zero = Hash32.zero.hexString
        var fields: JSONObject = ["number": .string("0x1"), "hash": .string(zero), "parentHash": .string(zero),
                                           "timestamp": .string("0x1"), "gasLimit": .string("0x1c9c380"),
                                           "gasUsed": .string("0x0"), "stateRoot": .string(zero), "transactions": .array([])]
        if let baseFee { fields["baseFeePerGas"] = .string(baseFee) }
        return .object(fields)
    }

    @Test("the sender signs a valid transfer, and re-signs after a nonce refusal")
    func senderRecoversFromNonceTooLow() async throws {
        let key = PrivateKey.generate()
        let node = FakeNode()
        let accepted = Mutex<[SignedTransaction]>([])
        let pending = Mutex<UInt64>(3)
        node.on("eth_chainId") { _ in .result(.string("0x539")) }
        node.on("eth_getBlockByNumber") { _ in .result(Self.block(baseFee: "0x3b9aca00")) }
        node.on("eth_maxPriorityFeePerGas") { _ in .result(.string("0x1")) }
        node.on("eth_getTransactionCount") { _ in .result(Quantity.encode(pending.withLock { $0 })) }
        node.on("eth_sendRawTransaction") { params in
            guard let raw = try? [UInt8](hex: params[0].stringValue ?? ""),
                  let signed = try? SignedTransaction(decoding: raw) else { return .error(code: -32602, message: "bad tx") }
            // The node's pool moved on behind the client's back: nonce 3 is taken, next is 9.
            let expected = pending.withLock { $0 }
            guard signed.nonce == expected else {
                pending.withLock { $0 = 9 }
                return .error(code: -32000, message: "nonce too low")
            }
            accepted.withLock { $0.append(signed) }
            pending.withLock { $0 += 1 }
            return .result(.string(signed.hash.hexString))
        }
        let sender = TransactionSender(client: LedgerClient(transport: node), signer: Signer(key))
        let pendingTransferNonce = try await sender.nonces.next(for: key.address)
        #expect(pendingTransferNonce == 3)
        let hash = try await sender.send(TransactionRequest(to: Self.bob, value: UInt256(5)))
        let sent = try #require(accepted.withLock { $0.first })
        #expect(sent.hash == hash && sent.nonce == 9 && sent.chainId == 1337 && sent.gasLimit == 21_000)
        #expect(sent.maxFeePerGas == UInt256(2_000_000_001) && sent.maxPriorityFeePerGas == UInt256(1))
        #expect(try sent.recoverSender() == key.address)
        #expect(try await sender.send(TransactionRequest(to: Self.bob)) != hash)
        #expect(accepted.withLock { $0.map(\.nonce) } == [9, 10])
    }
}
