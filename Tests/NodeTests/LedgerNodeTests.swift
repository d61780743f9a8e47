// The node core with an in-memory store: heights run through the consensus core, blocks commit
// with receipts and certificates, the pool follows the head, and a validator that crashed after
// signing its proposal resumes the very block it signed.
import ConsensusCore
import Execution
import LedgerPrimitives
import LedgerTypes
import Mempool
import Node
import StorageAPI
import Foundation
import Synchronization
import Testing

@Suite struct LedgerNodeTests {
    @Test func admissionDoesNotWaitBehindBlockProduction() async throws {
        let node = try makeNode(store: try initializedStore())
        // The first commit's observer holds the node's queue, as a long height would.
        let gate = DispatchSemaphore(value: 0)
        let holding = Mutex(false)
        node.observeCommits { _ in
            guard !holding.withLock({ let first = !$0; $0 = true; return !first }) else { return }
            gate.wait()
        }
        _ = await node.submit([try recovered(transfer(from: devAccounts[0], nonce: 0))])
        let producing = Task { try await node.produceBlock() }
        while !holding.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }

        let done = Mutex(false)
        let admission = Task {
            let results = await node.submit([try recovered(transfer(from: devAccounts[1], nonce: 0))])
            done.withLock { $0 = true }
            return results
        }
        var waited = 0
        while !done.withLock({ $0 }), waited < 500 {
            try await Task.sleep(for: .milliseconds(10))
            waited += 1
        }
        #expect(done.withLock { $0 }, "admission waited behind the height holding the node's queue")
        #expect(await node.pendingNonce(of: devAccounts[1].address) == 1)
        gate.signal()
        #expect(try await admission.value.allSatisfy { (try? $0.get()) != nil })
        #expect(try await producing.value.number == 1)
        await node.stop()
    }

    @Test func aHeightCommitsThePooledTransfersWithReceiptsAndACertificate() async throws {
        let store = try initializedStore()
        let clock = FakeClock()
        let node = try makeNode(store: store, clock: clock)
        let transactions = try (0..<3).map { try recovered(transfer(from: devAccounts[0], nonce: UInt64($0), value: 10)) }
        let admitted = await node.submit(transactions)
        #expect(admitted.allSatisfy { (try? $0.get()) != nil })
        #expect(await node.pendingNonce(of: devAccounts[0].address) == 3)

        clock.advance(by: 1_000)
        let header = try await node.produceBlock()
        #expect(header.number == 1 && header.gasUsed == 3 * 21_000)
        #expect(header.proposer == DevNetwork.validatorKey.address && header.timestampMs == clock.nowMilliseconds())
        #expect(node.status.head == header && node.status.pendingTransactions == 0)
        let chain = ChainStore(storage: store)
        let (block, senders) = try #require(try chain.block(number: 1))
        #expect(senders.map(\.hash) == transactions.map(\.hash) && block.lastCommit.isEmpty)
        #expect(try chain.receipts(number: 1)?.map(\.receipt.succeeded) == [true, true, true])

        // The certificate of block 1 is stored, and block 2 carries it.
        let certificateBytes = try #require(try chain.certificate(number: 1))
        let certificate = try ConsensusEncoding.decodeCertificate(certificateBytes)
        #expect(certificate.height == 1 && certificate.valueID == block.hash)
        try certificate.verify(against: LedgerConsensus.validatorSet(of: devGenesis), verifier: ConsensusSignatureVerifier(),
                               domain: LedgerConsensus.configuration(chainId: 1337).signingDomain)
        clock.advance(by: 1_000)
        let second = try await node.produceBlock()
        #expect(second.lastCommitHash == Keccak256.hash(certificateBytes) && second.parentHash == block.hash)
        #expect(try chain.block(number: 2)?.block.lastCommit == certificateBytes)
        await node.stop()
    }

    @Test func thePoolRefusesWhatTheHeadStateForbids() async throws {
        let node = try makeNode(store: try initializedStore())
        let first = try recovered(transfer(from: devAccounts[1], nonce: 0))
        _ = await node.submit([first])
        _ = try await node.produceBlock()
        let results = await node.submit([
            try recovered(transfer(from: devAccounts[1], nonce: 0, value: 2)),
            try recovered(transfer(from: devAccounts[1], nonce: 1, maxFee: UInt256(10))),
        ])
        guard case .failure(.nonceTooLow) = results[0], case .failure(.underpriced) = results[1] else {
            Issue.record("unexpected admissions: \(results)")
            return
        }
        await node.stop()
    }

    @Test func aValidatorResumesTheBlockItSignedBeforeACrash() async throws {
        let store = try initializedStore()
        let consensusLog = MemoryConsensusLog()
        let node = try makeNode(store: store, consensusLog: consensusLog)
        _ = await node.submit([try recovered(transfer(from: devAccounts[2], nonce: 0))])
        // The process dies at the block's first write: the proposal and votes are logged, the block is not stored.
        store.inject(.crash(atWritePoint: 0))
        await #expect(throws: NodeError.self) { try await node.produceBlock() }
        #expect(node.status.halted != nil)
        let record = try #require(try consensusLog.read())
        let logged = try ConsensusEncoding.decodeLogRecord(record)
        let signedBlock = try #require(logged.proposedBlocks.first)
        #expect(logged.state.height == 1 && logged.state.ownProposals.first?.value == signedBlock.hash)

        // Restarted with a later clock, it commits the logged block, not a new one.
        let restartedStore = store.restarted()
        let restarted = try makeNode(store: restartedStore, consensusLog: consensusLog, clock: FakeClock(1_900_000_000_000))
        for _ in 0..<200 where restarted.status.head.number == 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(restarted.status.headHash == signedBlock.hash)
        #expect(try ChainStore(storage: restartedStore).block(number: 1)?.block == signedBlock)
        await restarted.stop()
    }

    /// A key outside the set (a validator not voted in yet) starts, follows and never signs.
    @Test func aKeyOutsideTheValidatorSetNeverSigns() async throws {
        let consensusLog = MemoryConsensusLog()
        let node = try LedgerNode(configuration: NodeConfiguration(genesis: devGenesis, validatorKey: devAccounts[0]),
                                  store: ChainStore(storage: try initializedStore()), consensusLog: consensusLog,
                                  log: .silent)
        node.start()
        try await Task.sleep(for: .milliseconds(300))
        #expect(node.status.head.number == 0)
        #expect(node.validators.map(\.address) == devGenesis.settings.validators.map(\.address))
        let record = try consensusLog.read()
        if let record {
            let logged = try ConsensusEncoding.decodeLogRecord(record)
            #expect(logged.state.ownVotes.isEmpty && logged.state.ownProposals.isEmpty)
        }
        await node.stop()
    }

    @Test func theEmbeddedDevnetGenesisIsTheRepositoryFile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Genesis/devnet.json")
        let fromFile = try Genesis(json: [UInt8](try Data(contentsOf: file)))
        #expect(fromFile == devGenesis)
        #expect(devGenesis.settings.validators.map(\.address) == [DevNetwork.validatorKey.address])
        #expect(Set(devGenesis.alloc.keys) == Set(devAccounts.map(\.address)))
    }
}
