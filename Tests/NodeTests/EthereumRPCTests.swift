// The eth/net/web3 methods through the method table over an in-memory node: result shapes
// (the fields web3.py reads), tags, and the error codes and messages clients match on.
import EthereumAPI
import Execution
import Foundation
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import Node
import RPCServer
import StateTrie
import Testing

private struct Harness {
    let node: LedgerNode
    let table: RPCMethodTable

    init() throws {
        node = try makeNode(store: try initializedStore())
        table = node.ethereumAPI(clientVersion: "d6g-ledger/test").methods()
    }

    func call(_ method: String, _ params: [JSONValue] = []) async throws(RPCError) -> JSONValue {
        try await table.call(method: method, params: .array(params))
    }

    func error(_ method: String, _ params: [JSONValue] = []) async -> RPCError? {
        do { _ = try await call(method, params); return nil } catch { return error }
    }

    func send(_ transaction: SignedTransaction) async throws -> JSONValue {
        try await call("eth_sendRawTransaction", [.data(transaction.encoded)])
    }
}

@Suite struct EthereumRPCTests {
    @Test func identityMethods() async throws {
        let rpc = try Harness()
        #expect(try await rpc.call("eth_chainId") == "0x539")
        #expect(try await rpc.call("net_version") == "1337")
        #expect(try await rpc.call("web3_clientVersion") == "d6g-ledger/test")
        #expect(try await rpc.call("eth_syncing") == false)
        #expect(try await rpc.call("eth_accounts") == [])
        #expect(try await rpc.call("eth_blockNumber") == "0x0")
        #expect(try await rpc.call("eth_gasPrice") == "0x3b9aca00")
        #expect(try await rpc.call("eth_maxPriorityFeePerGas") == "0x0")
    }

    @Test func errorsCarryTheCodesClientsExpect() async throws {
        let rpc = try Harness()
        #expect(await rpc.error("eth_noSuchMethod")?.code == -32601)
        #expect(await rpc.error("eth_getBalance", ["0x12"])?.code == -32602)
        #expect(await rpc.error("eth_getBalance", [])?.code == -32602)
        #expect(await rpc.error("eth_getBlockByNumber", ["latest"])?.code == -32602)
        #expect(await rpc.error("eth_sendRawTransaction", ["0xc0"])?.code == -32000)
        let wrongChain = try transfer(from: devAccounts[0], nonce: 0, chainId: 1)
        let rejected = await rpc.error("eth_sendRawTransaction", [.data(wrongChain.encoded)])
        #expect(rejected?.code == -32000 && rejected?.message.hasPrefix("invalid chain id for signer") == true)
        let state = await rpc.error("eth_getBalance", [.address(recipient), "0x99"])
        #expect(state?.code == -32000 && state?.message == "header not found")
    }

    @Test func aTransferIsVisibleBeforeAndAfterItsBlock() async throws {
        let rpc = try Harness()
        let sender = devAccounts[0]
        let signed = try transfer(from: sender, nonce: 0, value: 77, tip: UInt256(3))
        let hash = try await rpc.send(signed)
        #expect(hash == .hash(signed.hash))
        let again = await rpc.error("eth_sendRawTransaction", [.data(signed.encoded)])
        #expect(again == RPCError.transactionRejected("already known"))
        #expect(try await rpc.call("eth_getTransactionCount", [.address(sender.address), "pending"]) == "0x1")
        #expect(try await rpc.call("eth_getTransactionCount", [.address(sender.address), "latest"]) == "0x0")
        let pooled = try await rpc.call("eth_getTransactionByHash", [hash])
        #expect(pooled["blockHash"] == .null && pooled["from"] == .address(sender.address))
        #expect(try await rpc.call("eth_getTransactionReceipt", [hash]) == .null)

        let header = try await rpc.node.produceBlock()
        let receipt = try await rpc.call("eth_getTransactionReceipt", [hash])
        let keys = Set(receipt.objectValue?.keys ?? [])
        #expect(keys == ["blockHash", "blockNumber", "contractAddress", "cumulativeGasUsed", "effectiveGasPrice", "from",
                         "gasUsed", "logs", "logsBloom", "status", "to", "transactionHash", "transactionIndex", "type"])
        #expect(receipt["status"] == "0x1" && receipt["gasUsed"] == "0x5208" && receipt["type"] == "0x2")
        #expect(receipt["effectiveGasPrice"] == .quantity(gwei &+ UInt256(3)))
        #expect(receipt["blockHash"] == .hash(header.hash) && receipt["contractAddress"] == .null)
        #expect(try await rpc.call("eth_getBalance", [.address(recipient), "latest"]) == "0x4d")
        #expect(try await rpc.call("eth_getBalance", [.address(recipient), "earliest"]) == "0x0")

        let byNumber = try await rpc.call("eth_getBlockByNumber", ["0x1", true])
        let byHash = try await rpc.call("eth_getBlockByHash", [.hash(header.hash), true])
        #expect(byNumber == byHash && byNumber["miner"] == .address(DevNetwork.validatorKey.address))
        #expect(byNumber["transactions"]?.arrayValue?.first?["hash"] == hash)
        for field in ["sha3Uncles", "difficulty", "totalDifficulty", "mixHash", "nonce", "size", "uncles", "baseFeePerGas"] {
            #expect(byNumber[field] != nil, "missing \(field)")
        }
        let hashesOnly = try await rpc.call("eth_getBlockByNumber", ["latest", false])
        #expect(hashesOnly["transactions"] == [hash])
        #expect(try await rpc.call("eth_getBlockTransactionCountByNumber", ["0x1"]) == "0x1")
        #expect(try await rpc.call("eth_getBlockByNumber", ["0x5", false]) == .null)
        await rpc.node.stop()
    }

    @Test func proofsCheckOutAgainstTheStateRoot() async throws {
        let rpc = try Harness()
        let sender = devAccounts[0]
        _ = try await rpc.send(try transfer(from: sender, nonce: 0, value: 500))
        let header = try await rpc.node.produceBlock()
        let stranger = Address(bytes: [UInt8](repeating: 0x5e, count: 20))!
        for (address, balance, nonce) in [(recipient, UInt256(500), UInt64(0)), (stranger, UInt256.zero, UInt64(0))] {
            let answer = try await rpc.call("eth_getProof", [.address(address), ["0x01", .string("0x" + String(repeating: "ab", count: 32))], "latest"])
            #expect(answer["balance"] == .quantity(balance) && answer["nonce"] == .quantity(nonce))
            let proof = try #require(answer["accountProof"]?.arrayValue).map { try EthereumHex.decodeData($0) }
            let proven = try MerklePatriciaTrie.verifyProof(root: header.stateRoot, key: Keccak256.hash(address.bytes).bytes, proof: proof)
            if balance == .zero {
                #expect(proven == nil, "an absent account is proven absent")
            } else {
                let account = try Account(decoding: try #require(proven))
                #expect(account.balance == balance && account.nonce == nonce)
                #expect(answer["storageHash"] == .hash(account.storageRoot) && answer["codeHash"] == .hash(account.codeHash))
            }
            let slots = try #require(answer["storageProof"]?.arrayValue)
            #expect(slots.map { $0["key"] } == ["0x01", .string("0x" + String(repeating: "ab", count: 32))])
            #expect(slots.allSatisfy { $0["value"] == "0x0" && $0["proof"] == [] })
        }
        // The sender's proof at block 0 shows its genesis state, not today's.
        let before = try await rpc.call("eth_getProof", [.address(sender.address), [], "earliest"])
        let genesisRoot = try #require(try await rpc.node.read { try $0.header(number: 0) }).stateRoot
        let proof = try #require(before["accountProof"]?.arrayValue).map { try EthereumHex.decodeData($0) }
        let account = try Account(decoding: try #require(try MerklePatriciaTrie.verifyProof(
            root: genesisRoot, key: Keccak256.hash(sender.address.bytes).bytes, proof: proof)))
        #expect(before["nonce"] == "0x0" && account.nonce == 0 && before["balance"] == .quantity(account.balance))

        // Keys as geth reads them: short, odd-length and unprefixed keys are left-padded.
        let short = try await rpc.call("eth_getProof", [.address(recipient), ["0x", "0x1", "01", "0X00000001"]])
        #expect(short["storageProof"]?.arrayValue?.map { $0["key"] } == ["0x", "0x1", "01", "0X00000001"])
        for bad: [JSONValue] in [[.address(sender.address), "0x01"], [.address(sender.address), ["0xzz"]],
                                 [.address(sender.address), [.string("0x" + String(repeating: "00", count: 33))]],
                                 [.address(sender.address), [1]], [.address(sender.address), ["0x-1"]]] {
            #expect(await rpc.error("eth_getProof", bad)?.code == -32602, "\(bad)")
        }
        let tooMany = JSONValue.array(Array(repeating: "0x01", count: EthereumAPI.maxProofStorageKeys + 1))
        #expect(await rpc.error("eth_getProof", [.address(sender.address), tooMany])?.code == -32005)
        #expect(await rpc.error("eth_getProof", [.address(sender.address), [], "0x9"])?.message == "header not found")
        await rpc.node.stop()
    }

    @Test func transactionsByBlockAndIndexAndTheEmptyUncles() async throws {
        let rpc = try Harness()
        let first = try transfer(from: devAccounts[0], nonce: 0), second = try transfer(from: devAccounts[1], nonce: 0)
        _ = try await rpc.send(first)
        _ = try await rpc.send(second)
        let header = try await rpc.node.produceBlock()
        let byNumber = try await rpc.call("eth_getTransactionByBlockNumberAndIndex", ["0x1", "0x1"])
        let byHash = try await rpc.call("eth_getTransactionByBlockHashAndIndex", [.hash(header.hash), "0x1"])
        #expect(byNumber == byHash && byNumber["transactionIndex"] == "0x1" && byNumber["blockHash"] == .hash(header.hash))
        let listed = try await rpc.call("eth_getBlockByNumber", ["0x1", true])
        #expect(listed["transactions"]?.arrayValue?[1] == byNumber)
        #expect(try await rpc.call("eth_getTransactionByBlockNumberAndIndex", ["latest", "0x2"]) == .null)
        #expect(try await rpc.call("eth_getTransactionByBlockNumberAndIndex", ["0x7", "0x0"]) == .null)
        #expect(try await rpc.call("eth_getBlockTransactionCountByHash", [.hash(header.hash)]) == "0x2")
        #expect(try await rpc.call("eth_getUncleCountByBlockNumber", ["latest"]) == "0x0")
        #expect(try await rpc.call("eth_getUncleCountByBlockHash", [.hash(header.hash)]) == "0x0")
        #expect(try await rpc.call("eth_getUncleCountByBlockNumber", ["0x7"]) == .null)
        #expect(try await rpc.call("eth_getUncleByBlockNumberAndIndex", ["0x1", "0x0"]) == .null)
        #expect(try await rpc.call("eth_getUncleByBlockHashAndIndex", [.hash(header.hash), "0x0"]) == .null)
        #expect(await rpc.error("eth_getTransactionByBlockHashAndIndex", [.hash(header.hash), "1"])?.code == -32602)
        #expect(try await rpc.call("web3_sha3", ["0x68656c6c6f20776f726c64"])
                == "0x47173285a8d7341e5e972fc677286384f802f8ef42a5ec5f03bbfa254cb01fad")
        await rpc.node.stop()
    }

    @Test func callsAndEstimatesForTransfers() async throws {
        let rpc = try Harness()
        let call: JSONValue = .object(["to": .address(recipient), "data": "0xabcdef"])
        #expect(try await rpc.call("eth_call", [call, "latest"]) == "0x")
        #expect(try await rpc.call("eth_estimateGas", [call]) == .quantity(UInt64(21_000 + 3 * 16)))
        #expect(try await rpc.call("eth_getCode", [.address(recipient), "latest"]) == "0x")
        #expect(await rpc.error("eth_call", [.object(["data": "0x00"])])?.code == -32000)
    }

    @Test func batchedSubmissionsAreAdmittedInOrder() async throws {
        let rpc = try Harness()
        let calls = try (0..<40).map { nonce in
            RPCCall(method: "eth_sendRawTransaction",
                    params: [.data(try transfer(from: devAccounts[3], nonce: UInt64(nonce)).encoded)])
        } + [RPCCall(method: "eth_sendRawTransaction", params: ["0x00"])]
        let results = await rpc.table.callBatch(calls)
        #expect(results.count == 41)
        #expect(results.prefix(40).allSatisfy { (try? $0.get()) != nil })
        guard case .failure(let error) = results[40] else { Issue.record("garbage was admitted"); return }
        #expect(error.code == -32000)
        #expect(try await rpc.call("eth_getTransactionCount", [.address(devAccounts[3].address), "pending"]) == "0x28")
        await rpc.node.stop()
    }

    @Test func feeHistoryCoversTheRequestedBlocks() async throws {
        let rpc = try Harness()
        _ = try await rpc.node.produceBlock()
        let history = try await rpc.call("eth_feeHistory", ["0x4", "latest", [25, 75]])
        #expect(history["oldestBlock"] == "0x0")
        #expect(history["baseFeePerGas"]?.arrayValue?.count == 3 && history["gasUsedRatio"]?.arrayValue?.count == 2)
        #expect(history["reward"]?.arrayValue?.allSatisfy { $0 == ["0x0", "0x0"] } == true)
        // One value per percentile per block: a long list is refused before anything is built.
        let many = JSONValue.array(Array(repeating: .number("0"), count: EthereumAPI.maxFeeHistoryPercentiles + 1))
        #expect(await rpc.error("eth_feeHistory", ["0x400", "latest", many])?.code == -32602)
        await rpc.node.stop()
    }
}
