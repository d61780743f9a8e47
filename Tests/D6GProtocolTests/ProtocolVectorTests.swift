// The byte layouts of Docs/protocol.md, checked against Docs/protocol-vectors.json: fixed inputs
// (public seeds, a fixed ephemeral key and nonce) and every resulting context, commitment, blob
// and frame. tests/python/test_protocol_vectors.py recomputes the same file with an independent
// implementation (pycryptodome, eth-keys), so the two agree byte for byte or one of them fails.
// D6G_PRINT_PROTOCOL_VECTORS=1 prints what this implementation computes, in the file's format.
import D6GProtocol
import Foundation
import LedgerCrypto
import LedgerPrimitives
import Testing

/// The vector file's inputs, and what this implementation makes of them.
struct ProtocolVectors {
    static let fileURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Docs/protocol-vectors.json")

    static func key(_ seed: String) throws -> PrivateKey { try PrivateKey(bytes: Keccak256.hash(Array(seed.utf8)).bytes) }
    static func hash(_ seed: String) -> Hash32 { Keccak256.hash(Array(seed.utf8)) }

    let deployment = Deployment(chainId: 1337, registry: Address(bytes: [UInt8](repeating: 0, count: 18) + [0xd6, 0x01])!,
                                keyExchange: Address(bytes: [UInt8](repeating: 0, count: 18) + [0xd6, 0x02])!)
    let round: UInt64 = 7
    let step: UInt64 = 3
    let prover: PrivateKey
    let challenger: PrivateKey
    let challengerEncryption: PrivateKey
    let memberEncryption: PrivateKey
    let ephemeral: PrivateKey
    let sealNonce: [UInt8] = Array(0..<12)
    let salt = hash("d6g-vector-salt")
    let nonce = hash("d6g-vector-nonce")
    let image = Array("wrapped image of agent 3: binary, configuration and the per-agent secret\n".utf8)
    let group = UInt256(0x42)
    let epoch: UInt64 = 5
    let groupKey: GroupKey
    let session: UInt64 = 0x0102_0304_0506_0708
    let payload = Array("hello, pipeline".utf8)
    let blockNumber: UInt64 = 100

    init() throws {
        prover = try Self.key("d6g-vector-prover")
        challenger = try Self.key("d6g-vector-challenger")
        challengerEncryption = try Self.key("d6g-vector-challenger-encryption")
        memberEncryption = try Self.key("d6g-vector-member-encryption")
        ephemeral = try Self.key("d6g-vector-ephemeral")
        groupKey = try GroupKey(bytes: Self.hash("d6g-vector-group-key").bytes)
    }

    var secret: StepSecret { StepSecret(prover: prover.address, salt: salt, nonce: nonce) }

    /// Every output, by the name the file uses.
    func outputs() throws -> [(String, [UInt8])] {
        let d = deployment
        let p = prover.address
        let evidence = try d.evidence(nonce: nonce, round: round, step: step, prover: p, image: [image])
        let rot = RootOfTrustChain.next(after: RootOfTrustChain.start, round: round, step: step, prover: p,
                                        challenger: challenger.address, passed: true, blockNumber: blockNumber)
        var sender = try TrafficSender(groupKey: groupKey, group: group, epoch: epoch, sender: p, session: session)
        return [
            ("stepContext", d.stepContext(round: round, step: step, prover: p)),
            ("challengeContext", d.challengeContext(round: round, step: step, challenger: challenger.address)),
            ("keyContext", d.keyContext(group: group, epoch: epoch, member: p, encryptionKey: memberEncryption.publicKey)),
            ("encryptionKeyMessage", d.encryptionKeyMessage(agent: p, encryptionKey: memberEncryption.publicKey)),
            ("encryptionKeySignature", try d.encryptionKeySignature(agentKey: prover, encryptionKey: memberEncryption.publicKey)),
            ("planCommit", d.planCommit(round: round, step: step, prover: p, salt: salt).bytes),
            ("nonceHash", d.nonceHash(round: round, step: step, nonce: nonce).bytes),
            ("evidence", evidence.bytes),
            ("evidenceCommit", d.evidenceCommit(round: round, step: step, prover: p, evidence: evidence).bytes),
            ("sealedChallenge", try Sealing.sealDeterministically(
                secret.sealedPlaintext, to: challengerEncryption.publicKey,
                context: d.challengeContext(round: round, step: step, challenger: challenger.address),
                ephemeralKey: ephemeral, nonce: sealNonce)),
            ("sealedGroupKey", try Sealing.sealDeterministically(
                groupKey.bytes, to: memberEncryption.publicKey,
                context: d.keyContext(group: group, epoch: epoch, member: p, encryptionKey: memberEncryption.publicKey),
                ephemeralKey: ephemeral, nonce: sealNonce)),
            ("rootOfTrustStart", RootOfTrustChain.start.bytes),
            ("rootOfTrustAfterStep", rot.bytes),
            ("trafficSessionKey", try TrafficKeys.sessionKey(groupKey, group: group, epoch: epoch, sender: p, session: session)),
            ("trafficFrame", try sender.seal(payload)),
        ]
    }

    func inputs() -> [(String, String)] {
        [("chainId", "1337"), ("registry", deployment.registry.checksummed), ("keyExchange", deployment.keyExchange.checksummed),
         ("round", "\(round)"), ("step", "\(step)"),
         ("proverKey", Hex.encode(prover.bytes)), ("prover", prover.address.checksummed),
         ("challengerKey", Hex.encode(challenger.bytes)), ("challenger", challenger.address.checksummed),
         ("challengerEncryptionKey", Hex.encode(challengerEncryption.bytes)),
         ("challengerEncryptionPublic", Hex.encode(challengerEncryption.publicKey.compressedBytes)),
         ("memberEncryptionKey", Hex.encode(memberEncryption.bytes)),
         ("memberEncryptionPublic", Hex.encode(memberEncryption.publicKey.compressedBytes)),
         ("ephemeralKey", Hex.encode(ephemeral.bytes)), ("sealNonce", Hex.encode(sealNonce)),
         ("salt", Hex.encode(salt.bytes)), ("nonce", Hex.encode(nonce.bytes)), ("image", Hex.encode(image)),
         ("group", Hex.encode(group.bigEndianBytes)), ("epoch", "\(epoch)"), ("groupKey", Hex.encode(groupKey.bytes)),
         ("session", "0x0102030405060708"), ("sequence", "0"), ("payload", Hex.encode(payload)),
         ("passed", "true"), ("blockNumber", "\(blockNumber)")]
    }
}

@Suite struct ProtocolVectorTests {
    @Test func theVectorFileMatchesThisImplementation() throws {
        let vectors = try ProtocolVectors()
        let outputs = try vectors.outputs()
        if ProcessInfo.processInfo.environment["D6G_PRINT_PROTOCOL_VECTORS"] != nil {
            let inputs = vectors.inputs().map { "    \"\($0.0)\": \"\($0.1)\"" }.joined(separator: ",\n")
            let computed = outputs.map { "    \"\($0.0)\": \"\(Hex.encode($0.1))\"" }.joined(separator: ",\n")
            print("{\n  \"inputs\": {\n\(inputs)\n  },\n  \"outputs\": {\n\(computed)\n  }\n}")
        }
        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: ProtocolVectors.fileURL)) as? [String: Any]
        let expectedInputs = try #require(file?["inputs"] as? [String: String])
        let expectedOutputs = try #require(file?["outputs"] as? [String: String])
        for (name, value) in vectors.inputs() { #expect(expectedInputs[name] == value, "input \(name)") }
        #expect(Set(expectedOutputs.keys) == Set(outputs.map(\.0)))
        for (name, bytes) in outputs { #expect(expectedOutputs[name] == Hex.encode(bytes), "output \(name)") }
    }

    @Test func theVectorBlobsOpenWithTheLibrary() throws {
        let vectors = try ProtocolVectors()
        let outputs = Dictionary(uniqueKeysWithValues: try vectors.outputs())
        let d = vectors.deployment
        let opened = d.openChallenge(try #require(outputs["sealedChallenge"]), round: vectors.round, step: vectors.step,
                                     challenger: vectors.challenger.address, key: vectors.challengerEncryption)
        #expect(opened == vectors.secret)
        // Another step, another challenger or another key: it does not open.
        #expect(d.openChallenge(try #require(outputs["sealedChallenge"]), round: vectors.round, step: vectors.step + 1,
                                challenger: vectors.challenger.address, key: vectors.challengerEncryption) == nil)
        #expect(d.openChallenge(try #require(outputs["sealedChallenge"]), round: vectors.round, step: vectors.step,
                                challenger: vectors.prover.address, key: vectors.challengerEncryption) == nil)
        #expect(d.openChallenge(try #require(outputs["sealedChallenge"]), round: vectors.round, step: vectors.step,
                                challenger: vectors.challenger.address, key: vectors.memberEncryption) == nil)
        let key = try d.openGroupKey(try #require(outputs["sealedGroupKey"]), group: vectors.group, epoch: vectors.epoch,
                                     member: vectors.prover.address, key: vectors.memberEncryption)
        #expect(key == vectors.groupKey)
        #expect(throws: CryptoError.self) {
            try d.openGroupKey(try #require(outputs["sealedGroupKey"]), group: vectors.group, epoch: vectors.epoch + 1,
                               member: vectors.prover.address, key: vectors.memberEncryption)
        }
        #expect(d.isValidEncryptionKeySignature(try #require(outputs["encryptionKeySignature"]),
                                                agent: vectors.prover.address,
                                                encryptionKey: vectors.memberEncryption.publicKey))
        #expect(!d.isValidEncryptionKeySignature(try #require(outputs["encryptionKeySignature"]),
                                                 agent: vectors.challenger.address,
                                                 encryptionKey: vectors.memberEncryption.publicKey))
        var receiver = TrafficReceiver(group: vectors.group)
        receiver.install(epoch: vectors.epoch, key: vectors.groupKey, members: [vectors.prover.address], nowMs: 0)
        let frame = try receiver.open(try #require(outputs["trafficFrame"]), nowMs: 0)
        #expect(frame.sender == vectors.prover.address && frame.payload == vectors.payload)
    }

    /// The step passes exactly when the prover hashed the image the SECaaS committed to.
    @Test func evidenceFromAnotherImageOrNonceDoesNotMatchTheCommitment() throws {
        let v = try ProtocolVectors()
        let d = v.deployment
        let p = v.prover.address
        let expected = try d.evidence(nonce: v.nonce, round: v.round, step: v.step, prover: p, image: [v.image])
        let commit = d.evidenceCommit(round: v.round, step: v.step, prover: p, evidence: expected)
        // The same image read in other chunks gives the same evidence.
        let chunked = try d.evidence(nonce: v.nonce, round: v.round, step: v.step, prover: p,
                                     image: [Array(v.image[..<10]), Array(v.image[10...])])
        #expect(d.evidenceCommit(round: v.round, step: v.step, prover: p, evidence: chunked) == commit)
        var tampered = v.image
        tampered[0] ^= 1
        for evidence in [
            try d.evidence(nonce: v.nonce, round: v.round, step: v.step, prover: p, image: [tampered]),
            try d.evidence(nonce: ProtocolVectors.hash("another nonce"), round: v.round, step: v.step, prover: p, image: [v.image]),
            try d.evidence(nonce: v.nonce, round: v.round + 1, step: v.step, prover: p, image: [v.image]),
            try d.evidence(nonce: v.nonce, round: v.round, step: v.step, prover: v.challenger.address, image: [v.image]),
        ] {
            #expect(d.evidenceCommit(round: v.round, step: v.step, prover: p, evidence: evidence) != commit)
        }
        // Evidence replayed into another step or for another agent does not match either.
        #expect(d.evidenceCommit(round: v.round, step: v.step + 1, prover: p, evidence: expected) != commit)
        #expect(d.evidenceCommit(round: v.round, step: v.step, prover: v.challenger.address, evidence: expected) != commit)
    }
}
