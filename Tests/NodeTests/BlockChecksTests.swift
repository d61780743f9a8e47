// The consensus fields of a peer's block: each rule refuses its own mutation of a valid block,
// and a block from the future is waited for, not refused.
import ConsensusCore
import Execution
import LedgerPrimitives
import LedgerTypes
import Node
import Testing

@Suite struct BlockChecksTests {
    /// Blocks 1 and 2 of the devnet as its validator made them, and the rules they follow.
    /// The devnet's one-validator set, unchanged: it signs every height.
    private static var devSet: HeightValidators {
        get throws {
            let set = try LedgerConsensus.validatorSet(of: devGenesis)
            return HeightValidators(signers: set, hash: devGenesis.validatorsHash, nextHash: devGenesis.validatorsHash,
                                    parentSigners: set)
        }
    }

    private static func chain() async throws -> (checks: BlockChecks, genesis: BlockHeader, first: Block, second: Block) {
        let store = try initializedStore()
        let clock = FakeClock()
        let node = try makeNode(store: store, clock: clock)
        clock.advance(by: 1_000)
        _ = try await node.produceBlock()
        clock.advance(by: 1_000)
        _ = try await node.produceBlock()
        await node.stop()
        let chain = ChainStore(storage: store)
        let checks = BlockChecks(genesis: devGenesis, consensus: LedgerConsensus.configuration(chainId: 1337))
        return (checks, try #require(try chain.header(number: 0)), try #require(try chain.block(number: 1)?.block),
                try #require(try chain.block(number: 2)?.block))
    }

    private static func changed(_ block: Block, _ change: (inout BlockHeader) -> Void) -> Block {
        var header = block.header
        change(&header)
        return Block(header: header, transactions: block.transactions, lastCommit: block.lastCommit)
    }

    @Test func eachConsensusFieldIsChecked() async throws {
        let (checks, genesis, first, second) = try await Self.chain()
        let validators = try Self.devSet
        try checks.check(first, parent: genesis, parentHash: genesis.hash, validators: validators)
        try checks.check(second, parent: first.header, parentHash: first.hash, validators: validators)
        let other = Address(bytes: [UInt8](repeating: 0x77, count: 20))!
        let otherHash = Hash32(bytes: [UInt8](repeating: 0x55, count: 32))!
        let cases: [(String, Block, (BlockCheckError) -> Bool)] = [
            ("parent", Self.changed(second) { $0.parentHash = otherHash }, { if case .parentHash = $0 { true } else { false } }),
            ("number", Self.changed(second) { $0.number = 3 }, { if case .number = $0 { true } else { false } }),
            ("round", Self.changed(second) { $0.round = 1 << 40 }, { if case .round = $0 { true } else { false } }),
            ("proposer", Self.changed(second) { $0.proposer = other }, { if case .proposer = $0 { true } else { false } }),
            ("time", Self.changed(second) { $0.timestampMs = first.header.timestampMs; $0.timestamp = $0.timestampMs / 1_000 },
             { if case .timestampNotAfterParent = $0 { true } else { false } }),
            ("seconds", Self.changed(second) { $0.timestamp += 1 }, { if case .timestampSeconds = $0 { true } else { false } }),
            ("gas limit", Self.changed(second) { $0.gasLimit += 1 }, { if case .gasLimit = $0 { true } else { false } }),
            ("base fee", Self.changed(second) { $0.baseFeePerGas = .zero }, { if case .baseFee = $0 { true } else { false } }),
            ("validators", Self.changed(second) { $0.validatorsHash = otherHash }, { if case .validatorsHash = $0 { true } else { false } }),
            ("next validators", Self.changed(second) { $0.nextValidatorsHash = otherHash },
             { if case .nextValidatorsHash = $0 { true } else { false } }),
            ("extra data", Self.changed(second) { $0.extraData = [1] }, { if case .extraData = $0 { true } else { false } }),
        ]
        for (name, block, expected) in cases {
            #expect(throws: BlockCheckError.self, "\(name)") {
                try checks.check(block, parent: first.header, parentHash: first.hash, validators: validators)
            }
            do { try checks.check(block, parent: first.header, parentHash: first.hash, validators: validators) } catch {
                #expect(expected(error), "\(name): \(error)")
            }
        }
    }

    @Test func theParentsCertificateMustProveTheParent() async throws {
        let (checks, genesis, first, second) = try await Self.chain()
        let set = try Self.devSet.signers
        func refuses(_ lastCommit: [UInt8], parent: BlockHeader, parentHash: Hash32) -> Bool {
            do { try checks.checkLastCommit(lastCommit, parent: parent, parentHash: parentHash, signers: set) } catch {
                if case .lastCommit = error { return true }
            }
            return false
        }
        #expect(refuses(second.lastCommit, parent: genesis, parentHash: genesis.hash), "block 1 carries none")
        #expect(refuses([], parent: first.header, parentHash: first.hash), "missing")
        #expect(refuses([0xc0], parent: first.header, parentHash: first.hash), "malformed")
        let certificate = try ConsensusEncoding.decodeCertificate(second.lastCommit)
        let elsewhere = CommitCertificate<LedgerConsensus>(height: 1, round: certificate.round,
                                                           valueID: Hash32(bytes: [UInt8](repeating: 9, count: 32))!,
                                                           signatures: certificate.signatures)
        #expect(refuses(ConsensusEncoding.encode(elsewhere), parent: first.header, parentHash: first.hash), "another block")
        let unsigned = CommitCertificate<LedgerConsensus>(height: 1, round: certificate.round, valueID: first.hash, signatures: [])
        #expect(refuses(ConsensusEncoding.encode(unsigned), parent: first.header, parentHash: first.hash), "no quorum")
        let wrongRound = CommitCertificate<LedgerConsensus>(height: 1, round: certificate.round + 1, valueID: first.hash,
                                                            signatures: certificate.signatures)
        #expect(refuses(ConsensusEncoding.encode(wrongRound), parent: first.header, parentHash: first.hash),
                "signatures of another round")
        #expect(!refuses(second.lastCommit, parent: first.header, parentHash: first.hash))
        // The same signatures checked against a set the signer is not in (after a vote removed it).
        let strangers = try ValidatorSet<LedgerConsensus>([Validator(id: Address(bytes: [UInt8](repeating: 0x42, count: 20))!, power: 1)])
        do {
            try checks.checkLastCommit(second.lastCommit, parent: first.header, parentHash: first.hash, signers: strangers)
            Issue.record("a certificate from outside the set passed")
        } catch {
            #expect({ if case .lastCommit = error { true } else { false } }())
        }
    }

    @Test func aBlockFromTheFutureWaitsForTheClock() async throws {
        let (checks, _, _, second) = try await Self.chain()
        let stamped = second.header.timestampMs
        #expect(checks.waitsForClock(second, nowMilliseconds: stamped) == nil)
        #expect(checks.waitsForClock(second, nowMilliseconds: stamped - 1_000) == nil, "within the drift")
        #expect(checks.waitsForClock(second, nowMilliseconds: stamped - 5_000) == stamped - 1_000)
    }
}
