// Contracts/AttestationRegistry.swift on the VM, with its commitments, signatures and evidence
// made by the off-chain library (Sources/D6GProtocol): the two must agree byte for byte.
// Registration, role guards, an initial round, a round chained through the RoT with a tampered
// image, misses and fallbacks, and the attacks of issue 12 that the registry covers so far.
import ContractCompiler
import ContractDSL
import ContractTesting
import Contracts
import D6GProtocol
import Foundation
import LedgerCrypto
import LedgerPrimitives
import Testing
import VM

/// An agent: its account, its encryption key and its wrapped image.
private struct Agent {
    let account: PrivateKey
    let encryption: PrivateKey
    let image: [UInt8]

    init(_ index: Int) throws {
        account = try PrivateKey(bytes: Keccak256.hash(Array("registry-test-agent-\(index)".utf8)).bytes)
        encryption = try PrivateKey(bytes: Keccak256.hash(Array("registry-test-encryption-\(index)".utf8)).bytes)
        image = Array("wrapped image \(index) with its per-agent secret".utf8)
    }

    var address: Address { account.address }
}

private let admin = ContractHarness.defaultSender
private let secaas = Address(truncating: UInt256(0x5ECAA5))

private func seededKey(_ seed: String) throws -> PrivateKey { try PrivateKey(bytes: Keccak256.hash(Array(seed.utf8)).bytes) }

private enum Status: UInt64 { case unregistered = 0, pending, trusted, revoked, unreachable }

/// A deployed registry, its deployment context for the library, and the planned steps.
private final class Fixture {
    let harness = ContractHarness()
    let registry: DeployedContract
    let deployment: Deployment
    let agents: [Agent]
    /// (round, step) → the secret the SECaaS keeps.
    var secrets: [String: StepSecret] = [:]

    init(agents count: Int = 4, deadline: UInt64 = 5, maxMisses: UInt64 = 2) throws {
        registry = try harness.deploy(try ContractCompiler.compile(attestationRegistry), .address(secaas), .uint(3),
                                      .uint(maxMisses), .uint(1_000))
        deployment = Deployment(chainId: 1337, registry: registry.address, keyExchange: Address(truncating: UInt256(2)))
        agents = try (0..<count).map { try Agent($0) }
        for agent in agents { #expect(try register(agent).succeeded) }
    }

    var block: UInt64 {
        get { harness.host.block.number }
        set { harness.host.block.number = newValue }
    }

    func register(_ agent: Agent, signer: PrivateKey? = nil, from sender: Address = admin) throws -> CallResult {
        let signature = try deployment.encryptionKeySignature(agentKey: signer ?? agent.account,
                                                              encryptionKey: agent.encryption.publicKey)
        return try registry.call("registerAgent", .address(agent.address), .fixedBytes(UInt256(7)), .fixedBytes(UInt256(9)),
                                 .bytes(agent.encryption.publicKey.compressedBytes), .bytes(signature), from: sender)
    }

    func status(_ agent: Agent) throws -> Status? {
        guard case .unsigned(let value)? = try registry.call("statusOf", .address(agent.address)).value else { return nil }
        return Status(rawValue: value.limb0)
    }

    func eligible(_ agent: Agent) throws -> Bool { try registry.call("isEligible", .address(agent.address)).value == .bool(true) }

    /// Begins `round` with these provers (challengers as given, for the sealing); each step's
    /// expected evidence is over the prover's genuine image.
    func begin(_ round: UInt64, provers: [Agent], challengers: [PublicKey], deadline: UInt64 = 5,
               from sender: Address = secaas) throws -> CallResult {
        var plans: [ABIValue] = [], nonces: [ABIValue] = [], evidence: [ABIValue] = [], sealed: [ABIValue] = []
        var planned: [String: StepSecret] = [:]
        for (index, prover) in provers.enumerated() {
            let step = UInt64(index)
            let secret = try StepSecret.random(prover: prover.address)
            planned["\(round)/\(step)"] = secret
            let expected = try deployment.evidence(nonce: secret.nonce, round: round, step: step, prover: prover.address,
                                                   image: [prover.image])
            let values = try deployment.commitments(round: round, step: step, secret: secret, expected: expected,
                                                    challenger: Address(truncating: UInt256(1)), challengerKey: challengers[index])
            plans.append(.fixedBytes(UInt256(values.planCommit)))
            nonces.append(.fixedBytes(UInt256(values.nonceHash)))
            evidence.append(.fixedBytes(UInt256(values.evidenceCommit)))
            sealed.append(.bytes(values.sealedChallenge))
        }
        let result = try registry.call("beginRound", .uint(round), .uint(deadline), .array(plans), .array(nonces), .array(evidence),
                                       .array(sealed), from: sender)
        // Kept only for a round the contract took (a refused one must not replace a real plan).
        if result.succeeded { secrets.merge(planned) { _, new in new } }
        return result
    }

    func challenge(_ round: UInt64, _ step: UInt64, by sender: Address, prover: Address? = nil,
                   nonce: Hash32? = nil) throws -> CallResult {
        let secret = try #require(secrets["\(round)/\(step)"])
        return try registry.call("challenge", .uint(round), .uint(step), .address(prover ?? secret.prover),
                                 .fixedBytes(UInt256(secret.salt)), .fixedBytes(UInt256(nonce ?? secret.nonce)), from: sender)
    }

    func evidence(_ round: UInt64, _ step: UInt64, of agent: Agent, image: [UInt8]? = nil) throws -> Hash32 {
        let secret = try #require(secrets["\(round)/\(step)"])
        return try deployment.evidence(nonce: secret.nonce, round: round, step: step, prover: agent.address,
                                       image: [image ?? agent.image])
    }

    /// Round 0 to its end: the SECaaS challenges each of `provers` in turn, each answers from
    /// its genuine image and passes (the last one is then the RoT).
    func attestInitially(_ provers: [Agent]) throws {
        let keys = Array(repeating: try seededKey("secaas-encryption").publicKey, count: provers.count)
        #expect(try begin(0, provers: provers, challengers: keys).succeeded)
        for (step, prover) in provers.enumerated() {
            #expect(try challenge(0, UInt64(step), by: secaas).succeeded)
            #expect(try respond(0, UInt64(step), prover).succeeded)
        }
    }

    func respond(_ round: UInt64, _ step: UInt64, _ agent: Agent, image: [UInt8]? = nil) throws -> CallResult {
        try registry.call("respond", .uint(round), .uint(step), .fixedBytes(UInt256(try evidence(round, step, of: agent, image: image))),
                          from: agent.address)
    }
}

@Test func registrationChecksTheEncryptionKeySignatureAndIsFinal() throws {
    let fixture = try Fixture(agents: 1)
    let agent = fixture.agents[0]
    #expect(try fixture.status(agent) == .pending)
    // Again: refused, also after revocation.
    #expect(try fixture.register(agent).failure == .error(name: "AlreadyRegistered", values: [.address(agent.address)]))
    let other = try Agent(7)
    // A signature by another key (the MLFO cannot register a key the agent did not vouch for).
    let forged = try fixture.register(other, signer: agent.account)
    // It recovers to some other address than the agent's.
    guard case .error(name: "BadSignature", let values)? = forged.failure else { Issue.record("\(forged)"); return }
    #expect(values != [.address(other.address)])
    // Only the admin registers.
    #expect(try fixture.register(other, from: other.address).failure == .error(name: "Unauthorized", values: [.address(other.address)]))
    #expect(try fixture.registry.call("revokeAgent", .address(agent.address), .string("test")).succeeded)
    #expect(try fixture.status(agent) == .revoked)
    #expect(try fixture.register(agent).failure == .error(name: "AlreadyRegistered", values: [.address(agent.address)]))
    // The encryption key can be rotated by the agent itself, with a fresh signature.
    #expect(try fixture.register(other).succeeded)
    let fresh = try seededKey("rotated")
    let signature = try fixture.deployment.encryptionKeySignature(agentKey: other.account, encryptionKey: fresh.publicKey)
    let rotated = try fixture.registry.call("rotateEncryptionKey", .bytes(fresh.publicKey.compressedBytes), .bytes(signature),
                                            from: other.address)
    #expect(rotated.events.map(\.name) == ["EncryptionKeyRotated"])
    #expect(try fixture.registry.call("encryptionKeyOf", .address(other.address)).value == .bytes(fresh.publicKey.compressedBytes))
    #expect(try fixture.registry.call("rotateEncryptionKey", .bytes(fresh.publicKey.compressedBytes), .bytes(signature),
                                      from: agent.address).failure == .error(name: "NotActive", values: [.address(agent.address)]))
}

/// Round 0 by the SECaaS, then round 1 chained through the RoT with one tampered image: the
/// statuses, the RoT and the hash chain are exactly what the library computes.
@Test func roundsChainThroughTheRootOfTrustAndATamperedImageIsRevoked() throws {
    let fixture = try Fixture(agents: 4)
    let agents = fixture.agents
    let keys = Array(repeating: try seededKey("secaas-encryption").publicKey, count: 4)
    #expect(try fixture.begin(0, provers: agents, challengers: keys).events.map(\.name) == ["RoundBegun"])
    let firstSecret = try #require(fixture.secrets["0/0"])
    #expect(try fixture.registry.call("planCommitOf", .uint(0), .uint(0)).value
            == .fixedBytes(UInt256(fixture.deployment.planCommit(round: 0, step: 0, prover: agents[0].address, salt: firstSecret.salt))))
    // Only the SECaaS begins rounds, and round numbers only go up.
    #expect(try fixture.begin(0, provers: agents, challengers: keys).failure == .error(name: "RoundNotNew", values: [.uint(0)]))
    #expect(try fixture.begin(5, provers: agents, challengers: keys, from: agents[0].address).failure
            == .error(name: "Unauthorized", values: [.address(agents[0].address)]))
    var chain = RootOfTrustChain.start
    for step in 0..<4 {
        fixture.block += 1
        // A PENDING prover is challenged by the SECaaS only.
        if step > 0 {
            #expect(try fixture.challenge(0, UInt64(step), by: agents[0].address).failure
                    == .error(name: "NotChallenger", values: [.address(agents[0].address)]))
        }
        let challenged = try fixture.challenge(0, UInt64(step), by: secaas)
        #expect(challenged.events.map(\.name) == ["ChallengeIssued"], "\(String(describing: challenged.failure))")
        fixture.block += 1
        let result = try fixture.respond(0, UInt64(step), agents[step])
        #expect(result.events.map(\.name) == ["AttestationRecorded"])
        chain = RootOfTrustChain.next(after: chain, round: 0, step: UInt64(step), prover: agents[step].address,
                                      challenger: secaas, passed: true, blockNumber: fixture.block)
    }
    #expect(try fixture.registry.call("rotChainHead").value == .fixedBytes(UInt256(chain)))
    #expect(try fixture.registry.call("rootOfTrust").value == .address(agents[3].address))
    for agent in agents { #expect(try fixture.eligible(agent)) }

    // Round 1: the RoT (agent 3) challenges agent 0, who answers and challenges agent 1, …;
    // agent 2's image was tampered with.
    let order = [agents[0], agents[1], agents[2], agents[3]]
    let challengers = [agents[3], agents[0], agents[1], agents[2]].map(\.encryption.publicKey)
    #expect(try fixture.begin(1, provers: order, challengers: challengers).succeeded)
    fixture.block += 1
    // The blob of step 0 opens only with the RoT's key.
    let sealed = try #require(try fixture.registry.call("sealedChallengeOf", .uint(1), .uint(0)).value?.byteContent)
    #expect(fixture.deployment.openChallenge(sealed, round: 1, step: 0, challenger: Address(truncating: UInt256(1)),
                                             key: agents[3].encryption) == fixture.secrets["1/0"])
    #expect(fixture.deployment.openChallenge(sealed, round: 1, step: 0, challenger: Address(truncating: UInt256(1)),
                                             key: agents[0].encryption) == nil)
    // Not the RoT; the SECaaS without a reason for a fallback; a wrong prover; a wrong nonce.
    #expect(try fixture.challenge(1, 0, by: agents[1].address).failure == .error(name: "NotChallenger", values: [.address(agents[1].address)]))
    #expect(try fixture.challenge(1, 0, by: secaas).failure == .error(name: "NotChallenger", values: [.address(secaas)]))
    #expect(try fixture.challenge(1, 0, by: agents[3].address, prover: agents[1].address).failure
            == .error(name: "WrongPlan", values: [.uint(1), .uint(0)]))
    #expect(try fixture.challenge(1, 0, by: agents[3].address, nonce: Keccak256.hash([1])).failure
            == .error(name: "WrongNonce", values: [.uint(1), .uint(0)]))
    #expect(try fixture.challenge(1, 0, by: agents[3].address).succeeded)
    chain = try respondAndChallenge(fixture, round: 1, step: 0, agent: agents[0], chain: chain, challenger: agents[3].address)
    chain = try respondAndChallenge(fixture, round: 1, step: 1, agent: agents[1], chain: chain, challenger: agents[0].address)
    // Agent 2 answers from a tampered image: it fails, is revoked at once, and the challenge it
    // sent with its answer does not take effect.
    fixture.block += 1
    var tampered = agents[2].image
    tampered[0] ^= 0xff
    let next = try #require(fixture.secrets["1/3"])
    let failed = try fixture.registry.call(
        "respondAndChallenge", .uint(1), .uint(2), .fixedBytes(UInt256(try fixture.evidence(1, 2, of: agents[2], image: tampered))),
        .address(next.prover), .fixedBytes(UInt256(next.salt)), .fixedBytes(UInt256(next.nonce)), from: agents[2].address)
    #expect(failed.succeeded)
    #expect(failed.events.map(\.name) == ["AgentRevoked", "AttestationRecorded"])
    chain = RootOfTrustChain.next(after: chain, round: 1, step: 2, prover: agents[2].address, challenger: agents[1].address,
                                  passed: false, blockNumber: fixture.block)
    #expect(try fixture.status(agents[2]) == .revoked)
    #expect(try !fixture.eligible(agents[2]))
    #expect(try fixture.registry.call("stepStateOf", .uint(1), .uint(3)).value == .uint(1), "step 3 not challenged")
    #expect(try fixture.registry.call("rotChainHead").value == .fixedBytes(UInt256(chain)))
    // Step 3 needs a fallback by the SECaaS; the RoT (agent 1) may not challenge it.
    #expect(try fixture.challenge(1, 3, by: agents[1].address).failure == .error(name: "NotChallenger", values: [.address(agents[1].address)]))
    #expect(try fixture.challenge(1, 3, by: secaas).succeeded)
    fixture.block += 1
    #expect(try fixture.respond(1, 3, agents[3]).succeeded)
    // Round 1 is over: no round runs; agent 3 is the RoT again.
    #expect(try fixture.registry.call("activeRound").failure == .message("no round is running"))
    #expect(try fixture.registry.call("rootOfTrust").value == .address(agents[3].address))
}

private func respondAndChallenge(_ fixture: Fixture, round: UInt64, step: UInt64, agent: Agent, chain: Hash32,
                                 challenger: Address) throws -> Hash32 {
    fixture.block += 1
    let next = try #require(fixture.secrets["\(round)/\(step + 1)"])
    let result = try fixture.registry.call(
        "respondAndChallenge", .uint(round), .uint(step), .fixedBytes(UInt256(try fixture.evidence(round, step, of: agent))),
        .address(next.prover), .fixedBytes(UInt256(next.salt)), .fixedBytes(UInt256(next.nonce)), from: agent.address)
    #expect(result.events.map(\.name) == ["AttestationRecorded", "ChallengeIssued"], "\(String(describing: result.failure))")
    return RootOfTrustChain.next(after: chain, round: round, step: step, prover: agent.address, challenger: challenger,
                                 passed: true, blockNumber: fixture.block)
}

/// Deadlines in blocks: a late response is refused and becomes a miss; a RoT that never
/// challenges takes the miss and the SECaaS falls back; misses in a row make an agent
/// UNREACHABLE; nonce hashes are never reused; evidence from another step does not pass.
@Test func missesDeadlinesFallbacksAndReplays() throws {
    let fixture = try Fixture(agents: 3, maxMisses: 2)
    let agents = fixture.agents
    let keys = Array(repeating: try seededKey("secaas-encryption").publicKey, count: 3)
    try fixture.attestInitially(agents)
    // Round 1: agent 2 (the RoT) never challenges step 0.
    #expect(try fixture.begin(1, provers: [agents[0], agents[1]], challengers: keys, deadline: 3).succeeded)
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(0)).failure == .error(name: "NotLate", values: [.uint(1), .uint(0)]))
    fixture.block += 4
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(0)).events.map(\.name) == ["AgentMissed"])
    #expect(try !fixture.eligible(agents[2]))
    // Evidence of round 0 replayed for round 1 does not pass, and the SECaaS's fallback needs a
    // fresh nonce hash.
    let reused = try #require(fixture.secrets["0/0"])
    let used = fixture.deployment.nonceHash(round: 0, step: 0, nonce: reused.nonce)
    let fresh = try StepSecret.random(prover: agents[0].address)
    let expected = try fixture.deployment.evidence(nonce: fresh.nonce, round: 1, step: 0, prover: agents[0].address,
                                                   image: [agents[0].image])
    func fallback(nonceHash: Hash32) throws -> CallResult {
        try fixture.registry.call(
            "fallbackChallenge", .uint(1), .uint(0),
            .fixedBytes(UInt256(fixture.deployment.planCommit(round: 1, step: 0, prover: agents[0].address, salt: fresh.salt))),
            .fixedBytes(UInt256(nonceHash)),
            .fixedBytes(UInt256(fixture.deployment.evidenceCommit(round: 1, step: 0, prover: agents[0].address, evidence: expected))),
            .address(agents[0].address), .fixedBytes(UInt256(fresh.salt)), .fixedBytes(UInt256(fresh.nonce)), from: secaas)
    }
    #expect(try fallback(nonceHash: used).failure == .error(name: "NonceReused", values: [.fixedBytes(UInt256(used))]))
    #expect(try fallback(nonceHash: fixture.deployment.nonceHash(round: 1, step: 0, nonce: fresh.nonce)).succeeded)
    let replayed = try fixture.registry.call("respond", .uint(1), .uint(0), .fixedBytes(UInt256(try fixture.evidence(0, 0, of: agents[0]))),
                                             from: agents[0].address)
    #expect(replayed.events.first?.name == "AgentRevoked", "evidence of round 0 must fail in round 1")
    #expect(try fixture.status(agents[0]) == .revoked)
    // Step 1: fallback only (its blob was sealed to agent 0); nobody responds in time.
    #expect(try fixture.challenge(1, 1, by: secaas).succeeded)
    fixture.block += 4
    #expect(try fixture.respond(1, 1, agents[1]).failure == .error(name: "TooLate", values: [.uint(1), .uint(1)]))
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(1)).events.map(\.name) == ["AgentMissed"])
    #expect(try fixture.registry.call("missesOf", .address(agents[1].address)).value == .uint(1))
    // Round 2: agent 1 misses again and is UNREACHABLE (maxMisses 2); its account is done.
    #expect(try fixture.begin(2, provers: [agents[1]], challengers: keys, deadline: 3).succeeded)
    // Round 1 ended with a miss, so round 2's first blob was sealed to an agent that is not the
    // RoT: only the SECaaS challenges it (the RoT, agent 2, is not blamed for a blob it cannot open).
    #expect(try fixture.challenge(2, 0, by: agents[2].address).failure == .error(name: "NotChallenger", values: [.address(agents[2].address)]))
    #expect(try fixture.challenge(2, 0, by: secaas).succeeded)
    fixture.block += 4
    #expect(try fixture.registry.call("markMissed", .uint(2), .uint(0)).events.map(\.name) == ["AgentMissed", "AgentRevoked"])
    #expect(try fixture.status(agents[1]) == .unreachable)
    // beginRound refuses a nonce hash it has seen.
    let again = try fixture.registry.call("beginRound", .uint(3), .uint(3), .array([.fixedBytes(.one)]), .array([.fixedBytes(UInt256(used))]),
                                          .array([.fixedBytes(.one)]), .array([.bytes([])]), from: secaas)
    #expect(again.failure == .error(name: "NonceReused", values: [.fixedBytes(UInt256(used))]))
}

/// KeyExchange beside the registry: keys only for members eligible at that moment (a revoked,
/// missed or never-attested member is skipped, never a revert), epochs up by one, the admin only;
/// each kept blob opens with the member's key through the library.
@Test func keyEpochsGoOnlyToEligibleMembers() throws {
    let fixture = try Fixture(agents: 4)
    let agents = fixture.agents
    try fixture.attestInitially(Array(agents[0..<3]))
    let exchange = try fixture.harness.deploy(try ContractCompiler.compile(keyExchange), .address(fixture.registry.address))
    let deployment = Deployment(chainId: 1337, registry: fixture.registry.address, keyExchange: exchange.address)
    let group = UInt256(0x42)
    func publish(_ epoch: UInt64, _ members: [Agent], from sender: Address = admin) throws -> (CallResult, GroupKey) {
        let key = try GroupKey.random()
        let sealed = try members.map {
            ABIValue.bytes(try deployment.sealGroupKey(key, group: group, epoch: epoch, member: $0.address,
                                                       memberKey: $0.encryption.publicKey))
        }
        let result = try exchange.call("publishEpoch", .unsigned(group), .uint(epoch), .array(members.map { .address($0.address) }),
                                       .array(sealed), from: sender)
        return (result, key)
    }
    // Agent 3 never attested; agent 2 is revoked in the same block, just before.
    #expect(try fixture.registry.call("revokeAgent", .address(agents[2].address), .string("operator")).succeeded)
    let (first, key1) = try publish(1, agents)
    #expect(first.succeeded)
    #expect(first.events.map(\.name) == ["MemberKeyed", "MemberKeyed", "MemberSkipped", "MemberSkipped", "KeyEpochPublished"])
    for agent in agents[0..<2] {
        #expect(try exchange.call("epochOf", .unsigned(group), .address(agent.address)).value == .uint(1))
        let blob = try #require(try exchange.call("keyOf", .unsigned(group), .address(agent.address)).value?.byteContent)
        #expect(try deployment.openGroupKey(blob, group: group, epoch: 1, member: agent.address, key: agent.encryption) == key1)
    }
    for agent in agents[2..<4] {
        #expect(try exchange.call("keyOf", .unsigned(group), .address(agent.address)).value == .bytes([]))
    }
    // Epochs go up by one: not skipped, not repeated; only the admin publishes.
    #expect(try publish(3, agents).0.failure == .error(name: "WrongEpoch", values: [.uint(3), .uint(2)]))
    #expect(try publish(1, agents).0.failure == .error(name: "WrongEpoch", values: [.uint(1), .uint(2)]))
    #expect(try publish(2, agents, from: agents[0].address).0.failure
            == .error(name: "Unauthorized", values: [.address(agents[0].address)]))
    // Agent 1 misses its next step: it is skipped at epoch 2 and keeps only epoch 1's blob,
    // which does not open frames of epoch 2's key.
    #expect(try fixture.begin(1, provers: [agents[1]], challengers: [agents[0].encryption.publicKey]).succeeded)
    // Agent 2, the RoT, was revoked: there is no RoT, so only the SECaaS challenges.
    #expect(try fixture.registry.call("rootOfTrust").value == .address(.zero))
    #expect(try fixture.challenge(1, 0, by: agents[0].address).failure == .error(name: "NotChallenger", values: [.address(agents[0].address)]))
    #expect(try fixture.challenge(1, 0, by: agents[1].address).failure == .error(name: "SelfChallenge", values: [.address(agents[1].address)]))
    #expect(try fixture.challenge(1, 0, by: secaas).succeeded)
    fixture.block += 6
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(0)).events.map(\.name) == ["AgentMissed"])
    let (second, key2) = try publish(2, [agents[0], agents[1]])
    #expect(second.events.map(\.name) == ["MemberKeyed", "MemberSkipped", "KeyEpochPublished"])
    #expect(try exchange.call("epochOf", .unsigned(group), .address(agents[1].address)).value == .uint(1))
    #expect(try exchange.call("currentEpoch", .unsigned(group)).value == .uint(2))
    #expect(key2 != key1)
}

/// The rest of issue 12's catalogue: every role guard against every other sender, a prover
/// already attested this round, evidence sent by another agent, and eligibility running out by age.
@Test func roleGuardsAttestedProversForeignEvidenceAndAge() throws {
    let fixture = try Fixture(agents: 3)
    let agents = fixture.agents
    let keys = Array(repeating: try seededKey("secaas-encryption").publicKey, count: 3)
    let strangers = [agents[0].address, Address(truncating: UInt256(0xBAD))]
    for stranger in strangers + [secaas] {
        let refused = CallFailure.error(name: "Unauthorized", values: [.address(stranger)])
        #expect(try fixture.registry.call("setSecaas", .address(stranger), from: stranger).failure == refused)
        #expect(try fixture.registry.call("transferAdmin", .address(stranger), from: stranger).failure == refused)
        #expect(try fixture.registry.call("revokeAgent", .address(agents[1].address), .string("x"), from: stranger).failure == refused)
        #expect(try fixture.register(try Agent(9), from: stranger).failure == refused)
    }
    for stranger in strangers + [admin] {
        let refused = CallFailure.error(name: "Unauthorized", values: [.address(stranger)])
        #expect(try fixture.begin(0, provers: agents, challengers: keys, from: stranger).failure == refused)
        #expect(try fixture.registry.call("fallbackChallenge", .uint(0), .uint(0), .fixedBytes(.one), .fixedBytes(.one),
                                          .fixedBytes(.one), .address(agents[0].address), .fixedBytes(.one), .fixedBytes(.one),
                                          from: stranger).failure == refused)
    }
    #expect(try fixture.registry.call("acceptAdmin", from: agents[0].address).failure == .message("not the proposed admin"))

    // Round 0 with agent 0 planned twice: its second step is refused (attested already this round).
    #expect(try fixture.begin(0, provers: [agents[0], agents[1], agents[0]], challengers: keys).succeeded)
    #expect(try fixture.challenge(0, 0, by: secaas).succeeded)
    // Agent 1 sends evidence for agent 0's step: not its step.
    #expect(try fixture.registry.call("respond", .uint(0), .uint(0), .fixedBytes(UInt256(try fixture.evidence(0, 0, of: agents[0]))),
                                      from: agents[1].address).failure == .error(name: "NotYourStep", values: [.uint(0), .uint(0)]))
    #expect(try fixture.respond(0, 0, agents[0]).succeeded)
    #expect(try fixture.challenge(0, 1, by: secaas).succeeded)
    #expect(try fixture.respond(0, 1, agents[1]).succeeded)
    // Step 2 (agent 0 again): the RoT (agent 1) may not challenge a prover attested this round.
    #expect(try fixture.challenge(0, 2, by: agents[1].address).failure
            == .error(name: "AlreadyAttested", values: [.address(agents[0].address), .uint(0)]))
    // Eligibility runs out by age (maxAgeBlocks 1,000) even for TRUSTED agents.
    #expect(try fixture.eligible(agents[0]))
    fixture.block += 1_001
    #expect(try fixture.status(agents[0]) == .trusted)
    #expect(try !fixture.eligible(agents[0]))
}

/// Issue 12's full round: 16 agents, agent 5's image tampered, agent 11 silent. Round 0 by the
/// SECaaS, round 1 chained through each new RoT with respondAndChallenge; the statuses, events
/// and RoT chain come out exactly as PROTOCOL.md says.
@Test func aRoundOfSixteenWithOneTamperedAndOneSilentAgent() throws {
    let fixture = try Fixture(agents: 16, deadline: 5, maxMisses: 3)
    let agents = fixture.agents
    let secaasKeys = Array(repeating: try seededKey("secaas-encryption").publicKey, count: 16)
    #expect(try fixture.begin(0, provers: agents, challengers: secaasKeys).succeeded)
    var chain = RootOfTrustChain.start
    for step in 0..<16 {
        fixture.block += 1
        #expect(try fixture.challenge(0, UInt64(step), by: secaas).succeeded)
        #expect(try fixture.respond(0, UInt64(step), agents[step]).succeeded)
        chain = RootOfTrustChain.next(after: chain, round: 0, step: UInt64(step), prover: agents[step].address,
                                      challenger: secaas, passed: true, blockNumber: fixture.block)
    }
    // Round 1 in a shuffled order; the RoT is agent 15, the last to pass, and challenges step 0.
    let order = [3, 9, 5, 12, 0, 7, 11, 1, 14, 2, 8, 13, 4, 10, 6, 15].map { agents[$0] }
    #expect(try fixture.begin(1, provers: order, challengers: secaasKeys).succeeded)
    var challenger = agents[15].address
    fixture.block += 1
    #expect(try fixture.challenge(1, 0, by: challenger).succeeded)
    for step in 0..<UInt64(16) {
        let prover = order[Int(step)]
        let hasNext = step + 1 < 16
        fixture.block += 1
        if prover.address == agents[11].address {
            // Silent: after the deadline anyone marks the miss; the SECaaS challenges the next step.
            fixture.block += 5
            #expect(try fixture.registry.call("markMissed", .uint(1), .uint(step)).events.map(\.name) == ["AgentMissed"])
            fixture.block += 1
            #expect(try fixture.challenge(1, step + 1, by: secaas).succeeded)
            challenger = secaas
            continue
        }
        let passed = prover.address != agents[5].address
        let evidence = try fixture.evidence(1, step, of: prover, image: passed ? nil : Array(prover.image.reversed()))
        let result: CallResult
        if hasNext {
            let next = try #require(fixture.secrets["1/\(step + 1)"])
            result = try fixture.registry.call("respondAndChallenge", .uint(1), .uint(step), .fixedBytes(UInt256(evidence)),
                                               .address(next.prover), .fixedBytes(UInt256(next.salt)), .fixedBytes(UInt256(next.nonce)),
                                               from: prover.address)
        } else {
            result = try fixture.registry.call("respond", .uint(1), .uint(step), .fixedBytes(UInt256(evidence)), from: prover.address)
        }
        let expected = passed ? (hasNext ? ["AttestationRecorded", "ChallengeIssued"] : ["AttestationRecorded"])
                              : ["AgentRevoked", "AttestationRecorded"]
        #expect(result.events.map(\.name) == expected, "step \(step): \(String(describing: result.failure))")
        chain = RootOfTrustChain.next(after: chain, round: 1, step: step, prover: prover.address, challenger: challenger,
                                      passed: passed, blockNumber: fixture.block)
        if passed {
            challenger = prover.address
        } else if hasNext {
            // The next step's blob was sealed to the failed prover: the SECaaS falls back.
            fixture.block += 1
            #expect(try fixture.challenge(1, step + 1, by: prover.address).failure != nil)
            #expect(try fixture.challenge(1, step + 1, by: secaas).succeeded)
            challenger = secaas
        }
    }
    #expect(try fixture.registry.call("rotChainHead").value == .fixedBytes(UInt256(chain)))
    #expect(try fixture.registry.call("rootOfTrust").value == .address(agents[15].address))
    for (index, agent) in agents.enumerated() {
        switch index {
        case 5: #expect(try fixture.status(agent) == .revoked, "agent 5")
        case 11:
            #expect(try fixture.status(agent) == .trusted, "agent 11: one miss of three")
            #expect(try !fixture.eligible(agent), "agent 11: an unresolved miss")
        default: #expect(try fixture.eligible(agent), "agent \(index)")
        }
    }
    #expect(try fixture.registry.call("activeRound").failure == .message("no round is running"))
}


/// The security review's findings (2026-12-03), each as a sequence of calls.
@Test func reviewFindingsStayFixed() throws {
    let fixture = try Fixture(agents: 4, maxMisses: 2)
    let agents = fixture.agents
    let keys = Array(repeating: try seededKey("secaas-encryption").publicKey, count: 4)
    try fixture.attestInitially(agents)
    // 1. An agent revoked by the admin while challenged cannot answer its way back.
    #expect(try fixture.begin(1, provers: [agents[0], agents[1], agents[2], agents[1]], challengers: keys, deadline: 3).succeeded)
    #expect(try fixture.challenge(1, 0, by: agents[3].address).succeeded)
    #expect(try fixture.registry.call("revokeAgent", .address(agents[0].address), .string("stolen keys")).succeeded)
    #expect(try fixture.respond(1, 0, agents[0]).failure == .error(name: "NotActive", values: [.address(agents[0].address)]))
    #expect(try fixture.status(agents[0]) == .revoked)
    // Anyone may mark the miss (here a stranger).
    fixture.block += 4
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(0), from: Address(truncating: UInt256(0xBAD))).succeeded)
    // 2a. The SECaaS stays away: step 1 (fallback only) is skipped, and so is step 2 — whose blob
    // was sealed to step 1's prover — instead of charging the RoT (agent 3).
    fixture.block += 4
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(1)).events.isEmpty)
    fixture.block += 4
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(2)).events.isEmpty)
    #expect(try fixture.registry.call("missesOf", .address(agents[3].address)).value == .uint(0))
    #expect(try fixture.registry.call("stepStateOf", .uint(1), .uint(2)).value == .uint(6))
    // 2c. With the salt, the RoT can show that a step's prover cannot be challenged (revoked,
    // unreachable or attested already) and have the step skipped without a miss. Step 3's
    // prover (agent 1) is still challengeable: declineStep is refused, as is a wrong prover.
    let secret3 = try #require(fixture.secrets["1/3"])
    #expect(try fixture.registry.call("declineStep", .uint(1), .uint(3), .address(secret3.prover), .fixedBytes(UInt256(secret3.salt))).failure
            == .error(name: "NoFallbackNeeded", values: [.uint(1), .uint(3)]))
    #expect(try fixture.registry.call("declineStep", .uint(1), .uint(3), .address(agents[2].address), .fixedBytes(UInt256(secret3.salt))).failure
            == .error(name: "WrongPlan", values: [.uint(1), .uint(3)]))
    // Revoked now: the step can be declined, nobody is blamed, the round ends.
    #expect(try fixture.registry.call("revokeAgent", .address(agents[1].address), .string("decommissioned")).succeeded)
    #expect(try fixture.registry.call("declineStep", .uint(1), .uint(3), .address(secret3.prover), .fixedBytes(UInt256(secret3.salt))).succeeded)
    #expect(try fixture.registry.call("activeRound").failure == .message("no round is running"))
    #expect(try fixture.registry.call("missesOf", .address(agents[3].address)).value == .uint(0))
    // 2d. A newcomer (PENDING) planned in round 2: the RoT declines it to the SECaaS, unblamed.
    let newcomer = try Agent(20)
    #expect(try fixture.register(newcomer).succeeded)
    #expect(try fixture.begin(2, provers: [newcomer, agents[2]], challengers: keys, deadline: 3).succeeded)
    // 2b. Round 1 ended without a pass: step 0 of round 2 is the SECaaS's already.
    #expect(try fixture.challenge(2, 0, by: agents[3].address).failure == .error(name: "NotChallenger", values: [.address(agents[3].address)]))
    let secret20 = try #require(fixture.secrets["2/0"])
    // (So there is nothing to decline: a second decline must not push the SECaaS's deadline back.)
    #expect(try fixture.registry.call("declineStep", .uint(2), .uint(0), .address(newcomer.address), .fixedBytes(UInt256(secret20.salt))).failure
            == .error(name: "NoFallbackNeeded", values: [.uint(2), .uint(0)]))
    #expect(try fixture.challenge(2, 0, by: secaas).succeeded)
    #expect(try fixture.respond(2, 0, newcomer).succeeded)
    // 4. respondAndChallenge on the last step keeps the pass (no next step to challenge).
    let next = try #require(fixture.secrets["2/1"])
    #expect(try fixture.challenge(2, 1, by: newcomer.address).succeeded)
    let last = try fixture.registry.call("respondAndChallenge", .uint(2), .uint(1), .fixedBytes(UInt256(try fixture.evidence(2, 1, of: agents[2]))),
                                         .address(next.prover), .fixedBytes(UInt256(next.salt)), .fixedBytes(UInt256(next.nonce)),
                                         from: agents[2].address)
    #expect(last.events.map(\.name) == ["AttestationRecorded"], "\(String(describing: last.failure))")
    #expect(try fixture.eligible(agents[2]) && fixture.eligible(newcomer))
    // 3. The last round number is refused (round + 1 must not overflow), and so are 129 steps.
    #expect(try fixture.begin(UInt64.max, provers: [agents[2]], challengers: keys).failure
            == .error(name: "RoundNotNew", values: [.uint(UInt64.max)]))
    #expect(try fixture.begin(3, provers: Array(repeating: agents[2], count: 129), challengers: Array(repeating: keys[0], count: 129)).failure
            == .error(name: "BadSteps", values: [.uint(129)]))
    // A nonce hash used twice within one beginRound.
    let twice = ABIValue.fixedBytes(UInt256(Keccak256.hash([42])))
    #expect(try fixture.registry.call("beginRound", .uint(3), .uint(3), .array([.fixedBytes(.one), .fixedBytes(.one)]), .array([twice, twice]),
                                      .array([.fixedBytes(.one), .fixedBytes(.one)]), .array([.bytes([]), .bytes([])]), from: secaas).failure
            == .error(name: "NonceReused", values: [twice]))
    // The admin role moves in two steps; the old admin is refused afterwards.
    let successor = agents[3].address
    #expect(try fixture.registry.call("transferAdmin", .address(successor)).succeeded)
    #expect(try fixture.registry.call("acceptAdmin", from: successor).events.map(\.name) == ["AdminChanged"])
    #expect(try fixture.registry.call("setSecaas", .address(secaas)).failure == .error(name: "Unauthorized", values: [.address(admin)]))
}


/// Docs/protocol-vectors.json on chain: a registry deployed at the vectors' address, on their
/// chain, with the vectors' challenger as its SECaaS, accepts the vectors' encryption-key
/// signature, their plan and nonce (step 3 of round 7) and their evidence as a pass, and its RoT
/// chain after that step is the vectors' `rootOfTrustAfterStep` — the contract computes every
/// context and commitment byte for byte as the library and the Python implementation do.
@Test func theProtocolVectorsHoldOnChain() throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Docs/protocol-vectors.json")
    let file = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: [String: String]]
    let inputs = try #require(file?["inputs"])
    let outputs = try #require(file?["outputs"])
    func bytes(_ name: String, in table: [String: String]) throws -> [UInt8] { try Hex.decode(try #require(table[name])) }
    func word(_ name: String) throws -> UInt256 { UInt256(bigEndianBytes: try bytes(name, in: outputs)) ?? .zero }
    func input(_ name: String) throws -> UInt256 { UInt256(bigEndianBytes: try bytes(name, in: inputs)) ?? .zero }
    let registryAddress = try Address(hex: try #require(inputs["registry"]))
    let challenger = try Address(hex: try #require(inputs["challenger"]))
    let prover = try Address(hex: try #require(inputs["prover"]))
    // Block 85: three skipped steps of 4 blocks each bring the challenge to block 97, and the
    // response, at block 100 (the vectors' block number), is within its 3-block deadline.
    let harness = ContractHarness(block: BlockContext(number: 85, timestamp: 1_700_000_000, chainID: 1337))
    let registry = try harness.deploy(try ContractCompiler.compile(attestationRegistry),
                                      arguments: [.address(challenger), .uint(3), .uint(2), .uint(1_000)], at: registryAddress)
    let register = try registry.call("registerAgent", .address(prover), .fixedBytes(.one), .fixedBytes(.one),
                                     .bytes(try bytes("memberEncryptionPublic", in: inputs)),
                                     .bytes(try bytes("encryptionKeySignature", in: outputs)))
    #expect(register.succeeded, "the contract's encPubMsg differs: \(String(describing: register.failure))")
    // Round 7: steps 0–2 are filler that the SECaaS lets go by (skipped), step 3 is the vectors'.
    let filler = (0..<3).map { ABIValue.fixedBytes(UInt256(Keccak256.hash([UInt8($0)]))) }
    let begun = try registry.call("beginRound", .uint(7), .uint(3),
                                  .array(filler + [.fixedBytes(try word("planCommit"))]),
                                  .array((3..<6).map { ABIValue.fixedBytes(UInt256(Keccak256.hash([UInt8($0)]))) }
                                         + [.fixedBytes(try word("nonceHash"))]),
                                  .array(filler + [.fixedBytes(try word("evidenceCommit"))]),
                                  .array([.bytes([]), .bytes([]), .bytes([]), .bytes(try bytes("sealedChallenge", in: outputs))]),
                                  from: challenger)
    #expect(begun.succeeded)
    for step: UInt64 in 0..<3 {
        harness.host.block.number += 4
        #expect(try registry.call("markMissed", .uint(7), .uint(step)).succeeded)
    }
    #expect(try registry.call("sealedChallengeOf", .uint(7), .uint(3)).value == .bytes(try bytes("sealedChallenge", in: outputs)))
    let challenged = try registry.call("challenge", .uint(7), .uint(3), .address(prover), .fixedBytes(try input("salt")),
                                       .fixedBytes(try input("nonce")), from: challenger)
    #expect(challenged.succeeded, "the contract's plan or nonce commitment differs: \(String(describing: challenged.failure))")
    harness.host.block.number = 100
    let responded = try registry.call("respond", .uint(7), .uint(3), .fixedBytes(try word("evidence")), from: prover)
    #expect(responded.events.map(\.name) == ["AttestationRecorded"], "the contract's evidence commitment differs")
    // The chain had no step before this one on this registry: its head is the vectors' one step.
    #expect(try registry.call("rotChainHead").value == .fixedBytes(try word("rootOfTrustAfterStep")))
}

/// KeyExchange: its admin guards against every other sender, and a member that aged out of
/// eligibility is skipped like any other ineligible one.
@Test func keyExchangeGuardsAndStaleMembers() throws {
    let fixture = try Fixture(agents: 2)
    let agents = fixture.agents
    try fixture.attestInitially(agents)
    let exchange = try fixture.harness.deploy(try ContractCompiler.compile(keyExchange), .address(fixture.registry.address))
    for stranger in [agents[0].address, secaas, fixture.registry.address] {
        let refused = CallFailure.error(name: "Unauthorized", values: [.address(stranger)])
        #expect(try exchange.call("transferAdmin", .address(stranger), from: stranger).failure == refused)
        #expect(try exchange.call("publishEpoch", .uint(1), .uint(1), .array([.address(agents[0].address)]), .array([.bytes([1])]),
                                  from: stranger).failure == refused)
    }
    #expect(try exchange.call("acceptAdmin", from: agents[0].address).failure == .message("not the proposed admin"))
    // Both eligible now; after maxAgeBlocks (1,000) without an attestation, both are stale.
    fixture.block += 1_001
    let stale = try exchange.call("publishEpoch", .uint(1), .uint(1), .array(agents.map { .address($0.address) }),
                                  .array([.bytes([1]), .bytes([2])]))
    #expect(stale.events.map(\.name) == ["MemberSkipped", "MemberSkipped", "KeyEpochPublished"])
}

/// Deadlines to the block: a step is due for `deadline` blocks from the block it became due (or
/// was challenged) — the last of them still in time, the next one late.
@Test func deadlinesHoldToTheBlock() throws {
    let fixture = try Fixture(agents: 4)
    let agents = fixture.agents
    try fixture.attestInitially(agents)
    let keys = [agents[3], agents[0], agents[1]].map(\.encryption.publicKey)
    #expect(try fixture.begin(1, provers: [agents[0], agents[1], agents[2]], challengers: keys, deadline: 3).succeeded)
    let begun = fixture.block
    // Step 0, due from `begun`: still open at begun + 3 (not missed, and the RoT may challenge).
    fixture.block = begun + 3
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(0)).failure == .error(name: "NotLate", values: [.uint(1), .uint(0)]))
    #expect(try fixture.challenge(1, 0, by: agents[3].address).succeeded)
    // Challenged at begun + 3: the answer at begun + 6 is in time, and chains step 1.
    fixture.block = begun + 6
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(0)).failure == .error(name: "NotLate", values: [.uint(1), .uint(0)]))
    let next = try #require(fixture.secrets["1/1"])
    #expect(try fixture.registry.call("respondAndChallenge", .uint(1), .uint(0), .fixedBytes(UInt256(try fixture.evidence(1, 0, of: agents[0]))),
                                      .address(next.prover), .fixedBytes(UInt256(next.salt)), .fixedBytes(UInt256(next.nonce)),
                                      from: agents[0].address).events.map(\.name) == ["AttestationRecorded", "ChallengeIssued"])
    // Step 1, challenged at begun + 6: an answer at begun + 10 is late, and the miss is the prover's.
    fixture.block = begun + 10
    #expect(try fixture.respond(1, 1, agents[1]).failure == .error(name: "TooLate", values: [.uint(1), .uint(1)]))
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(1)).events.map(\.name) == ["AgentMissed"])
    // Step 2 is due from begun + 10 and the SECaaS's: a challenge at begun + 14 is late; the step
    // is skipped, blaming nobody.
    fixture.block = begun + 13
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(2)).failure == .error(name: "NotLate", values: [.uint(1), .uint(2)]))
    fixture.block = begun + 14
    #expect(try fixture.challenge(1, 2, by: secaas).failure == .error(name: "TooLate", values: [.uint(1), .uint(2)]))
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(2)).events.isEmpty)
    #expect(try fixture.registry.call("stepStateOf", .uint(1), .uint(2)).value == .uint(6))
    #expect(try fixture.registry.call("activeRound").failure == .message("no round is running"))
    #expect(try fixture.registry.call("missesOf", .address(agents[0].address)).value == .uint(0))
    #expect(try fixture.registry.call("missesOf", .address(agents[1].address)).value == .uint(1))
}

/// PROTOCOL.md §A step, 6: an agent that loses its trust takes eligibility from the provers it
/// challenged in its latest round of challenges — between rounds too, and an answer to its
/// challenge after it was revoked — until each passes again. The RoT acts only while it is
/// eligible itself; otherwise the SECaaS challenges. A prover attested again since is not touched.
@Test func revokedChallengersLeaveTheirProversToARecheck() throws {
    let fixture = try Fixture(agents: 5)
    let agents = fixture.agents
    try fixture.attestInitially(agents)
    var keys = [agents[4], agents[0], agents[1]].map(\.encryption.publicKey)
    #expect(try fixture.begin(1, provers: [agents[0], agents[1], agents[2]], challengers: keys).succeeded)
    #expect(try fixture.registry.call("dueChallenger").value == .address(agents[4].address))
    #expect(try fixture.challenge(1, 0, by: agents[4].address).succeeded)
    // (The RoT chain is checked elsewhere; here it only threads through.)
    var chain = RootOfTrustChain.start
    chain = try respondAndChallenge(fixture, round: 1, step: 0, agent: agents[0], chain: chain, challenger: agents[4].address)
    chain = try respondAndChallenge(fixture, round: 1, step: 1, agent: agents[1], chain: chain, challenger: agents[0].address)
    #expect(try fixture.respond(1, 2, agents[2]).succeeded)
    for agent in agents { #expect(try fixture.eligible(agent)) }

    // Between rounds: agent 0 is revoked; agent 1, whom it challenged in round 1, needs a re-check.
    #expect(try fixture.registry.call("revokeAgent", .address(agents[0].address), .string("operator")).succeeded)
    #expect(try !fixture.eligible(agents[1]))
    for index in [2, 3, 4] { #expect(try fixture.eligible(agents[index]), "agent \(index)") }

    // Round 2: agent 2, the RoT, challenges agent 3; agent 3 chains agent 1, who passes again and
    // chains agent 2.
    keys = [agents[2], agents[3], agents[1], agents[2]].map(\.encryption.publicKey)
    #expect(try fixture.begin(2, provers: [agents[3], agents[1], agents[2], agents[4]], challengers: keys).succeeded)
    #expect(try fixture.challenge(2, 0, by: agents[2].address).succeeded)
    chain = try respondAndChallenge(fixture, round: 2, step: 0, agent: agents[3], chain: chain, challenger: agents[2].address)
    chain = try respondAndChallenge(fixture, round: 2, step: 1, agent: agents[1], chain: chain, challenger: agents[3].address)
    #expect(try fixture.eligible(agents[1]))
    // Agent 1 is revoked while agent 2 has yet to answer its challenge: agent 2 passes, but its
    // re-check stays, so it is not eligible and, as the RoT, does not act.
    #expect(try fixture.registry.call("revokeAgent", .address(agents[1].address), .string("operator")).succeeded)
    fixture.block += 1
    #expect(try fixture.respond(2, 2, agents[2]).events.map(\.name) == ["AttestationRecorded"])
    #expect(try fixture.registry.call("rootOfTrust").value == .address(agents[2].address))
    #expect(try !fixture.eligible(agents[2]))
    #expect(try fixture.registry.call("dueChallenger").value == .address(secaas))
    #expect(try fixture.challenge(2, 3, by: agents[2].address).failure == .error(name: "NotChallenger", values: [.address(agents[2].address)]))
    #expect(try fixture.challenge(2, 3, by: secaas).succeeded)
    #expect(try fixture.respond(2, 3, agents[4]).succeeded)

    // Round 3: the RoT (agent 4) challenges agent 3, who was last challenged by agent 2 in round 2.
    #expect(try fixture.begin(3, provers: [agents[3]], challengers: [agents[4].encryption.publicKey]).succeeded)
    #expect(try fixture.challenge(3, 0, by: agents[4].address).succeeded)
    #expect(try fixture.respond(3, 0, agents[3]).succeeded)
    // Agent 2 loses its trust now: agent 3 was attested again since, and keeps its eligibility.
    #expect(try fixture.registry.call("revokeAgent", .address(agents[2].address), .string("operator")).succeeded)
    #expect(try fixture.eligible(agents[3]))
    #expect(try fixture.eligible(agents[4]))
}

/// Rounds begun ahead wait their turn; the admin or the SECaaS can cancel one that is not over —
/// waiting or running — without blaming anyone; at most 16 rounds wait.
@Test func roundsQueuedAheadAndCancelled() throws {
    let fixture = try Fixture(agents: 3)
    let agents = fixture.agents
    try fixture.attestInitially(agents)
    let keys = [agents[2], agents[0]].map(\.encryption.publicKey)
    for round: UInt64 in 1...3 {
        #expect(try fixture.begin(round, provers: [agents[0], agents[1]], challengers: keys).succeeded)
    }
    #expect(try fixture.begin(2, provers: [agents[0]], challengers: keys).failure == .error(name: "RoundNotNew", values: [.uint(2)]))
    #expect(try fixture.registry.call("activeRound").value == .uint(1))
    // A waiting round cannot be challenged before its turn.
    #expect(try fixture.challenge(2, 0, by: agents[2].address).failure == .error(name: "NotCurrent", values: [.uint(2)]))
    // Cancelling: only the admin and the SECaaS; only a begun round that is not over, once.
    for stranger in [agents[0].address, Address(truncating: UInt256(0xBAD))] {
        #expect(try fixture.registry.call("cancelRound", .uint(2), .string("x"), from: stranger).failure
                == .error(name: "Unauthorized", values: [.address(stranger)]))
    }
    let cancelled = try fixture.registry.call("cancelRound", .uint(2), .string("bad commitments"), from: secaas)
    #expect(cancelled.events.map(\.name) == ["RoundCancelled"])
    #expect(try fixture.registry.call("isRoundCancelled", .uint(2)).value == .bool(true))
    #expect(try fixture.registry.call("cancelRound", .uint(2), .string("again")).failure == .error(name: "NotCancellable", values: [.uint(2)]))
    #expect(try fixture.registry.call("cancelRound", .uint(9), .string("never begun")).failure == .error(name: "NotCancellable", values: [.uint(9)]))
    #expect(try fixture.registry.call("cancelRound", .uint(0), .string("over")).failure == .error(name: "NotCancellable", values: [.uint(0)]))

    // Round 1 runs to its end; round 3 (not 2) is next.
    #expect(try fixture.challenge(1, 0, by: agents[2].address).succeeded)
    _ = try respondAndChallenge(fixture, round: 1, step: 0, agent: agents[0], chain: RootOfTrustChain.start, challenger: agents[2].address)
    #expect(try fixture.respond(1, 1, agents[1]).succeeded)
    #expect(try fixture.registry.call("activeRound").value == .uint(3))
    #expect(try fixture.challenge(2, 0, by: agents[1].address).failure == .error(name: "NotCurrent", values: [.uint(2)]))

    // Round 3's step 0 was sealed after round 2, which was passed over: it is the SECaaS's.
    #expect(try fixture.challenge(3, 0, by: agents[1].address).failure == .error(name: "NotChallenger", values: [.address(agents[1].address)]))
    // Round 3 is cancelled by the admin while its step 0 is challenged: the answer no longer
    // counts, nobody takes a miss, and no round runs.
    #expect(try fixture.challenge(3, 0, by: secaas).succeeded)
    #expect(try fixture.registry.call("cancelRound", .uint(3), .string("wrong plan")).succeeded)
    #expect(try fixture.respond(3, 0, agents[0]).failure == .error(name: "NotYourStep", values: [.uint(3), .uint(0)]))
    #expect(try fixture.registry.call("activeRound").failure == .message("no round is running"))
    #expect(try fixture.registry.call("markMissed", .uint(3), .uint(0)).failure == .error(name: "NotDue", values: [.uint(3), .uint(0)]))
    for agent in agents {
        #expect(try fixture.eligible(agent))
        #expect(try fixture.registry.call("missesOf", .address(agent.address)).value == .uint(0))
    }

    // Sixteen rounds may wait; the seventeenth is refused. The first after a cancellation starts
    // with the SECaaS.
    for round: UInt64 in 10..<26 {
        #expect(try fixture.begin(round, provers: [agents[0]], challengers: keys).succeeded, "round \(round)")
    }
    #expect(try fixture.begin(26, provers: [agents[0]], challengers: keys).failure == .error(name: "TooManyRounds", values: [.uint(16)]))
    #expect(try fixture.registry.call("dueChallenger").value == .address(secaas))
    // Cancelling the fifteen waiting rounds, then the running one, leaves no round running.
    for round: UInt64 in 11..<26 { #expect(try fixture.registry.call("cancelRound", .uint(round), .string("x"), from: secaas).succeeded) }
    #expect(try fixture.registry.call("activeRound").value == .uint(10))
    #expect(try fixture.registry.call("cancelRound", .uint(10), .string("x"), from: secaas).succeeded)
    #expect(try fixture.registry.call("activeRound").failure == .message("no round is running"))
    #expect(try fixture.begin(26, provers: [agents[0]], challengers: keys).succeeded)
    #expect(try fixture.registry.call("activeRound").value == .uint(26))
}

/// Registration with encryption-key signatures of every wrong shape: each recovers to someone
/// other than the agent (or to nobody) and is refused; the high-s twin of a good signature is the
/// same signer's and is accepted (registration is once per account, so malleability gains nothing).
@Test func forgedEncryptionKeySignaturesOfEveryShapeAreRefused() throws {
    let fixture = try Fixture(agents: 0)
    let agent = try Agent(30)
    let other = try seededKey("another encryption key")
    func register(_ signature: [UInt8], encryptionKey: PublicKey? = nil) throws -> CallResult {
        try fixture.registry.call("registerAgent", .address(agent.address), .fixedBytes(.one), .fixedBytes(.one),
                                  .bytes((encryptionKey ?? agent.encryption.publicKey).compressedBytes), .bytes(signature))
    }
    func refused(_ result: CallResult) -> Bool {
        guard case .error(name: "BadSignature", let values)? = result.failure else { return false }
        return values != [.address(agent.address)]
    }
    let good = try fixture.deployment.encryptionKeySignature(agentKey: agent.account, encryptionKey: agent.encryption.publicKey)
    // Another chain, another registry, another key than the one sent.
    let otherChain = Deployment(chainId: 1, registry: fixture.registry.address, keyExchange: fixture.deployment.keyExchange)
    let otherRegistry = Deployment(chainId: 1337, registry: Address(truncating: UInt256(0x1234)), keyExchange: fixture.deployment.keyExchange)
    #expect(refused(try register(try otherChain.encryptionKeySignature(agentKey: agent.account, encryptionKey: agent.encryption.publicKey))))
    #expect(refused(try register(try otherRegistry.encryptionKeySignature(agentKey: agent.account, encryptionKey: agent.encryption.publicKey))))
    #expect(refused(try register(good, encryptionKey: other.publicKey)))
    // Lengths other than 65, a v other than 27/28 (or 0/1), the other v, and flipped bits of r and s.
    for signature in [[], Array(good.prefix(64)), good + [0], Array(good.dropFirst())] {
        #expect(try register(signature).failure == .error(name: "BadSignature", values: [.address(.zero)]), "length \(signature.count)")
    }
    for v: UInt8 in [2, 26, 29, 255] {
        #expect(try register(Array(good.prefix(64)) + [v]).failure == .error(name: "BadSignature", values: [.address(.zero)]), "v \(v)")
    }
    #expect(refused(try register(Array(good.prefix(64)) + [55 - good[64]])))
    var flippedR = good, flippedS = good
    flippedR[31] ^= 1
    flippedS[63] ^= 1
    #expect(refused(try register(flippedR)))
    #expect(refused(try register(flippedS)))
    #expect(try fixture.status(agent) == .unregistered)
    // n − s with the other v: the same signer.
    let order = UInt256(limb0: 0xBFD2_5E8C_D036_4141, limb1: 0xBAAE_DCE6_AF48_A03B, limb2: 0xFFFF_FFFF_FFFF_FFFE, limb3: 0xFFFF_FFFF_FFFF_FFFF)
    let s = try #require(UInt256(bigEndianBytes: Array(good[32..<64])))
    let twin = Array(good.prefix(32)) + (order &- s).bigEndianBytes + [55 - good[64]]
    #expect(try register(twin).succeeded)
    #expect(try fixture.status(agent) == .pending)
}

/// A step posted without a blob is the SECaaS's (an initial attestation, a newcomer): the RoT,
/// with nothing to open, may not challenge it and is not blamed when it goes by.
@Test func aStepWithoutABlobIsTheSecaas() throws {
    let fixture = try Fixture(agents: 3)
    let agents = fixture.agents
    try fixture.attestInitially([agents[0]])
    let secret = try StepSecret.random(prover: agents[1].address)
    let values = try fixture.deployment.commitments(
        round: 1, step: 0, secret: secret,
        expected: try fixture.deployment.evidence(nonce: secret.nonce, round: 1, step: 0, prover: agents[1].address, image: [agents[1].image]),
        challenger: secaas, challengerKey: try seededKey("secaas-encryption").publicKey)
    func beginWithoutBlob(_ round: UInt64) throws -> CallResult {
        try fixture.registry.call("beginRound", .uint(round), .uint(3), .array([.fixedBytes(UInt256(values.planCommit))]),
                                  .array([.fixedBytes(UInt256(Keccak256.hash(Array("nonce \(round)".utf8))))]),
                                  .array([.fixedBytes(UInt256(values.evidenceCommit))]), .array([.bytes([])]), from: secaas)
    }
    #expect(try beginWithoutBlob(1).succeeded)
    #expect(try fixture.registry.call("rootOfTrust").value == .address(agents[0].address))
    #expect(try fixture.eligible(agents[0]))
    #expect(try fixture.registry.call("dueChallenger").value == .address(secaas))
    fixture.block += 4
    #expect(try fixture.registry.call("markMissed", .uint(1), .uint(0)).events.isEmpty)
    #expect(try fixture.registry.call("missesOf", .address(agents[0].address)).value == .uint(0))
    #expect(try fixture.eligible(agents[0]))
}

/// The second review's findings (2026-12-03, the programs' review), each as a sequence of calls.
@Test func secondReviewFindingsStayFixed() throws {
    let fixture = try Fixture(agents: 4, maxMisses: 2)
    let agents = fixture.agents
    try fixture.attestInitially(agents)
    // The challenge carries its nonce, so the prover never parses the challenger's call data
    // (which may carry trailing bytes the contract ignores).
    let keys = [agents[3], agents[0], agents[1]].map(\.encryption.publicKey)
    #expect(try fixture.begin(1, provers: [agents[0], agents[1], agents[2]], challengers: keys).succeeded)
    let challenged = try fixture.challenge(1, 0, by: agents[3].address)
    let nonce = try #require(fixture.secrets["1/0"]).nonce
    #expect(challenged.events.first?.values["nonce"] == .fixedBytes(UInt256(nonce)))
    // The RoT (agent 0 after its pass) is revoked while agent 1 has yet to answer: agent 1's
    // respondAndChallenge keeps its pass (with its re-check) and leaves step 2 to the SECaaS,
    // instead of reverting and costing agent 1 a miss.
    _ = try respondAndChallenge(fixture, round: 1, step: 0, agent: agents[0], chain: RootOfTrustChain.start, challenger: agents[3].address)
    #expect(try fixture.registry.call("revokeAgent", .address(agents[0].address), .string("operator")).succeeded)
    let next = try #require(fixture.secrets["1/2"])
    let answered = try fixture.registry.call(
        "respondAndChallenge", .uint(1), .uint(1), .fixedBytes(UInt256(try fixture.evidence(1, 1, of: agents[1]))),
        .address(next.prover), .fixedBytes(UInt256(next.salt)), .fixedBytes(UInt256(next.nonce)), from: agents[1].address)
    #expect(answered.events.map(\.name) == ["AttestationRecorded"], "\(String(describing: answered.failure))")
    #expect(try fixture.status(agents[1]) == .trusted && !fixture.eligible(agents[1]))
    #expect(try fixture.registry.call("dueChallenger").value == .address(secaas))
    #expect(try fixture.challenge(1, 2, by: secaas).succeeded)
    #expect(try fixture.respond(1, 2, agents[2]).succeeded)

    // Rounds 2 and 3 wait; round 3's step 0 was sealed after round 2's last prover. Round 2 is
    // cancelled while it waits: round 3's step 0 is the SECaaS's, and the RoT is not blamed.
    #expect(try fixture.begin(2, provers: [agents[3]], challengers: [agents[2].encryption.publicKey]).succeeded)
    #expect(try fixture.begin(3, provers: [agents[1]], challengers: [agents[3].encryption.publicKey]).succeeded)
    #expect(try fixture.registry.call("cancelRound", .uint(3), .string("x"), from: secaas).succeeded == true)
    #expect(try fixture.registry.call("isRoundCancelled", .uint(3)).value == .bool(true))
    #expect(try fixture.begin(4, provers: [agents[1]], challengers: [agents[3].encryption.publicKey]).succeeded)
    #expect(try fixture.registry.call("cancelRound", .uint(2), .string("bad plan"), from: secaas).succeeded)
    // Round 4 runs now (2 cancelled while running, 3 while waiting): step 0 is the SECaaS's.
    #expect(try fixture.registry.call("activeRound").value == .uint(4))
    #expect(try fixture.registry.call("dueChallenger").value == .address(secaas))
    fixture.block += 6
    #expect(try fixture.registry.call("markMissed", .uint(4), .uint(0)).events.isEmpty)
    #expect(try fixture.registry.call("missesOf", .address(agents[2].address)).value == .uint(0))

    // A PENDING prover is declined to the SECaaS once: declining again does not push its deadline.
    let newcomer = try Agent(21)
    #expect(try fixture.register(newcomer).succeeded)
    #expect(try fixture.begin(5, provers: [newcomer, agents[2]], challengers: [agents[2].encryption.publicKey, newcomer.encryption.publicKey]).succeeded)
    let secret = try #require(fixture.secrets["5/0"])
    // Round 4 ended with a skip, so round 5's step 0 is the SECaaS's already: nothing to decline.
    #expect(try fixture.registry.call("declineStep", .uint(5), .uint(0), .address(newcomer.address), .fixedBytes(UInt256(secret.salt))).failure
            == .error(name: "NoFallbackNeeded", values: [.uint(5), .uint(0)]))
}

/// Passing over a cancelled waiting round when the round before ends with a pass: the next
/// round's step 0 — sealed after the cancelled round's last prover — goes to the SECaaS.
@Test func aCancelledWaitingRoundHandsTheNextStepZeroToTheSecaas() throws {
    let fixture = try Fixture(agents: 3)
    let agents = fixture.agents
    try fixture.attestInitially(agents)
    #expect(try fixture.begin(1, provers: [agents[0]], challengers: [agents[2].encryption.publicKey]).succeeded)
    #expect(try fixture.begin(2, provers: [agents[1]], challengers: [agents[0].encryption.publicKey]).succeeded)
    #expect(try fixture.begin(3, provers: [agents[2]], challengers: [agents[1].encryption.publicKey]).succeeded)
    #expect(try fixture.registry.call("cancelRound", .uint(2), .string("wrong plan")).succeeded)
    #expect(try fixture.challenge(1, 0, by: agents[2].address).succeeded)
    #expect(try fixture.respond(1, 0, agents[0]).succeeded)
    // Round 1 ended with a pass by agent 0, but round 3's blob was sealed to agent 1.
    #expect(try fixture.registry.call("activeRound").value == .uint(3))
    #expect(try fixture.registry.call("dueChallenger").value == .address(secaas))
    #expect(try fixture.challenge(3, 0, by: agents[0].address).failure == .error(name: "NotChallenger", values: [.address(agents[0].address)]))
    fixture.block += 6
    #expect(try fixture.registry.call("markMissed", .uint(3), .uint(0)).events.isEmpty)
    #expect(try fixture.registry.call("missesOf", .address(agents[0].address)).value == .uint(0))
}
