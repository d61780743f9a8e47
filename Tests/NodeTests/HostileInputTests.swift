// Inputs an attacker chooses, through each entry point that runs code: each must end in an error
// or a failed receipt while the node keeps serving (issue 8, Docs/fuzzing.md).
import Bytecode
import ConsensusCore
import EthereumAPI
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import Node
import RPCServer
import Testing
import TestSupport

@Suite struct HostileInputTests {
    /// The deploy payload of Tests/Fixtures/returndatacopy-overflow.asm, which once trapped the
    /// whole process.
    static func returnDataOverflowPayload() throws -> [UInt8] {
        try Assembler.assemble(TestData.fixture("returndatacopy-overflow.asm")).encoded()
    }

    static func methods(_ node: LedgerNode) -> RPCMethodTable {
        node.ethereumAPI(clientVersion: "d6g-ledger/test").methods()
    }

    @Test(arguments: ["eth_call", "eth_estimateGas"])
    func simulatedCreationFailsAndTheNodeServes(method: String) async throws {
        let node = try makeNode(store: try initializedStore())
        let table = Self.methods(node)
        let creation: JSONValue = .object(["data": .data(try Self.returnDataOverflowPayload())])
        do {
            _ = try await table.call(method: method, params: .array([creation, "latest"]))
            Issue.record("\(method) of the overflowing payload succeeded")
        } catch {
            #expect(error.code == RPCError.serverErrorCode)
            #expect(error.message.contains("return data"))
        }
        #expect(try await table.call(method: "eth_blockNumber", params: .array([])) == "0x0")
        await node.stop()
    }

    @Test func creationTransactionFailsInItsBlockAndTheChainGoesOn() async throws {
        let node = try makeNode(store: try initializedStore())
        let table = Self.methods(node)
        let deploy = try UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
            chainId: 1337, nonce: 0, maxPriorityFeePerGas: .zero, maxFeePerGas: UInt256(2_000_000_000),
            gasLimit: 1_000_000, to: nil, value: .zero, data: try Self.returnDataOverflowPayload())).signed(with: devAccounts[1])
        _ = try await table.call(method: "eth_sendRawTransaction", params: .array([.data(deploy.encoded)]))
        let first = try await node.produceBlock()
        #expect(first.number == 1)
        let receipt = try await table.call(method: "eth_getTransactionReceipt", params: .array([.hash(deploy.hash)]))
        #expect(receipt["status"] == "0x0")
        #expect(receipt["gasUsed"] == .quantity(UInt64(1_000_000)))
        // The next transaction from the same sender is taken and mined: the chain did not stop.
        let next = try transfer(from: devAccounts[1], nonce: 1)
        _ = try await table.call(method: "eth_sendRawTransaction", params: .array([.data(next.encoded)]))
        let second = try await node.produceBlock()
        #expect(second.number == 2)
        let nextReceipt = try await table.call(method: "eth_getTransactionReceipt", params: .array([.hash(next.hash)]))
        #expect(nextReceipt["status"] == "0x1")
        await node.stop()
    }
}

/// Consensus records with fields out of range: a typed error, never a trap (they reach the node
/// from its log today and from peers once P2P lands).
@Suite struct ConsensusDecodingTests {
    static func record(round: Int, lockedRound: Int = -1) -> [UInt8] {
        ConsensusEncoding.encode(ConsensusPersistentState<LedgerConsensus>(
            height: 1, round: round, step: .propose, lockedValue: nil, lockedRound: lockedRound, validValue: nil,
            validRound: -1, ownProposals: [], ownVotes: []), proposedBlocks: [])
    }

    @Test func aSaneRecordDecodes() throws {
        #expect(try ConsensusEncoding.decodeLogRecord(Self.record(round: 3, lockedRound: 2)).state.round == 3)
    }

    @Test(arguments: [Int(UInt32.max) + 1, 1 << 40, Int.max])
    func aRoundPast32BitsIsMalformed(round: Int) {
        #expect(throws: ConsensusEncodingError.self) { try ConsensusEncoding.decodeLogRecord(Self.record(round: round)) }
        #expect(throws: ConsensusEncodingError.self) {
            try ConsensusEncoding.decodeLogRecord(Self.record(round: 1, lockedRound: round - 1))
        }
    }

    @Test func garbageIsMalformed() {
        for bytes: [UInt8] in [[], [0xc0], [0xff, 0xff], [0xca] + [UInt8](repeating: 0x88, count: 10)] {
            #expect(throws: ConsensusEncodingError.self) { try ConsensusEncoding.decodeLogRecord(bytes) }
        }
    }
}

/// eth_call and eth_estimateGas under the node's simulation limits (Docs/rpc.md §Limits).
@Suite struct SimulationLimitTests {
    /// A deploy payload whose init code hashes 32 KiB over and over: 100M gas of it takes seconds,
    /// so only the time limit ends it sooner.
    static func spinningPayload() throws -> [UInt8] {
        try Assembler.assemble("""
            .init
            top:
              PUSH 32768
              PUSH 0
              KECCAK256
              POP
              RJUMP top
            .runtime
              PUSH0
              PUSH0
              RETURN
            """).encoded()
    }

    /// A deploy payload whose init code returns the gas it was given as a 32-byte word in its
    /// revert data (so eth_call reports it).
    static func gasReportingPayload() throws -> [UInt8] {
        try Assembler.assemble("""
            .init
              GAS
              PUSH 0
              MSTORE
              PUSH 32
              PUSH 0
              REVERT
            .runtime
              PUSH0
              PUSH0
              RETURN
            """).encoded()
    }

    static func node(_ limits: SimulationLimits) throws -> LedgerNode {
        let node = try LedgerNode(
            configuration: NodeConfiguration(genesis: devGenesis, validatorKey: DevNetwork.validatorKey,
                                             producesBlocksAutomatically: false, simulations: limits),
            store: ChainStore(storage: try initializedStore()), consensusLog: MemoryConsensusLog(), clock: FakeClock(),
            log: .silent)
        node.start()
        return node
    }

    @Test func theGasCapBindsWhateverTheCallAsks() async throws {
        let node = try Self.node(SimulationLimits(gasCap: 1_000_000))
        let table = HostileInputTests.methods(node)
        let call: JSONValue = .object(["data": .data(try Self.gasReportingPayload()), "gas": .quantity(UInt64(90_000_000))])
        do {
            _ = try await table.call(method: "eth_call", params: .array([call]))
            Issue.record("the payload reverts")
        } catch {
            let data = try #require(error.data?.stringValue.flatMap { try? Hash32(hex: $0) }.map { UInt256($0) })
            #expect(data < UInt256(1_000_000) && data > UInt256(900_000))
        }
        await node.stop()
    }

    @Test(arguments: ["eth_call", "eth_estimateGas"])
    func theTimeLimitStopsTheVM(method: String) async throws {
        // 100M gas of hashing takes ~200 ms at the measured prices (more on a loaded machine);
        // a 20 ms limit stops it first. Without the stop it would end "out of gas".
        let node = try Self.node(SimulationLimits(gasCap: 100_000_000, timeLimit: .milliseconds(20)))
        let table = HostileInputTests.methods(node)
        let spin: JSONValue = .array([.object(["data": .data(try Self.spinningPayload())])])
        do {
            _ = try await table.call(method: method, params: spin)
            Issue.record("\(method) of an endless loop succeeded")
        } catch {
            #expect(error.code == RPCError.serverErrorCode)
            #expect(error.message == "execution aborted (timeout = 20ms)")
        }
        #expect(try await table.call(method: "eth_blockNumber", params: .array([])) == "0x0")
        await node.stop()
    }

    @Test func aFullLaneRefusesWithLimitExceeded() async throws {
        // One place and no waiting room: of eight simulations sent at once, all but those that
        // find the place free are refused.
        let node = try Self.node(SimulationLimits(gasCap: 100_000_000, timeLimit: .seconds(1), concurrency: 1,
                                                  queueLength: 0))
        let table = HostileInputTests.methods(node)
        let spin: JSONValue = .array([.object(["data": .data(try Self.spinningPayload())])])
        let codes = await withTaskGroup(of: Int?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do { _ = try await table.call(method: "eth_call", params: spin); return nil } catch let error as RPCError { return error.code } catch { return nil }
                }
            }
            var codes: [Int?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(codes.filter { $0 == RPCError.limitExceededCode }.count >= 1)
        #expect(codes.filter { $0 != RPCError.limitExceededCode }.count >= 1)
        // The place is free again afterwards.
        do {
            _ = try await table.call(method: "eth_call", params: spin)
        } catch {
            #expect(error.code != RPCError.limitExceededCode)
        }
        await node.stop()
    }
}
