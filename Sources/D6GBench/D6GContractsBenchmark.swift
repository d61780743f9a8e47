// `d6g-bench d6g-contracts`: issue 12's figures for the two D6G contracts on the VM — gas and
// execution time per registerAgent, beginRound (per step), challenge, respond,
// respondAndChallenge and publishEpoch (per member), and the bytecode sizes. Each run deploys both
// contracts in a fresh in-memory world, registers N agents, runs round 0 (the SECaaS challenging
// each), round 1 chained through the RoT with respondAndChallenge, and one key epoch for all N;
// commitments, signatures and sealed keys come from the D6GProtocol library. Time is thread CPU
// time of the whole call through the harness (ABI encoding and event decoding included).
import ArgumentParser
import ContractCompiler
import ContractTesting
import Contracts
import D6GProtocol
import Foundation
import LedgerCrypto
import LedgerPrimitives

struct D6GContractsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-contracts",
        abstract: "Gas and time per call of AttestationRegistry and KeyExchange on the VM (issue 12), and their code sizes."
    )

    @Option(help: "Agents per round and members per key epoch.")
    var agents = 16

    @Option(help: "Runs; the median time is reported.")
    var runs = 7

    func run() throws {
        let registryArtifact = try ContractCompiler.compile(attestationRegistry)
        let exchangeArtifact = try ContractCompiler.compile(keyExchange)
        print("bytecode: AttestationRegistry \((registryArtifact.bytecode.count - 2) / 2) bytes, "
              + "KeyExchange \((exchangeArtifact.bytecode.count - 2) / 2) bytes (deploy payloads)")
        var samples: [String: (gas: [Double], ns: [Double])] = [:]
        for _ in 0..<runs {
            for (kind, gas, ns) in try oneRun(registryArtifact, exchangeArtifact) {
                samples[kind, default: ([], [])].gas.append(gas)
                samples[kind, default: ([], [])].ns.append(ns)
            }
        }
        print("\(agents) agents, median of \(runs) runs (per call unless said)")
        print("call                               gas      µs")
        for kind in ["registerAgent", "beginRound per step", "challenge", "respond", "respondAndChallenge",
                     "publishEpoch per member"] {
            guard let sample = samples[kind] else { continue }
            print(kind.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: "%10.0f %7.1f", median(sample.gas), median(sample.ns) / 1_000))
        }
    }

    /// (kind, gas, ns) of every measured call of one run; per-step and per-member kinds divided.
    private func oneRun(_ registryArtifact: ContractArtifact, _ exchangeArtifact: ContractArtifact) throws -> [(String, Double, Double)] {
        let harness = ContractHarness()
        let admin = ContractHarness.defaultSender
        let secaas = Address(truncating: UInt256(0x5ECAA5))
        let registry = try harness.deploy(registryArtifact, .address(secaas), .uint(3), .uint(3), .uint(100_000))
        let exchange = try harness.deploy(exchangeArtifact, .address(registry.address))
        let deployment = Deployment(chainId: 1337, registry: registry.address, keyExchange: exchange.address)
        var measured: [(String, Double, Double)] = []
        func call(_ kind: String, _ contract: DeployedContract, _ function: String, _ arguments: [ABIValue], from sender: Address,
                  per count: Int = 1) throws {
            let start = threadCPUNanoseconds()
            let result = try contract.call(function, arguments: arguments, from: sender, gas: 100_000_000)
            let ns = Double(threadCPUNanoseconds() - start)
            guard result.succeeded else { throw ValidationError("\(function) failed: \(String(describing: result.failure))") }
            measured.append((kind, Double(result.gasUsed) / Double(count), ns / Double(count)))
        }
        let accounts = try (0..<agents).map { try PrivateKey(bytes: Keccak256.hash(Array("bench-agent-\($0)".utf8)).bytes) }
        let encryption = try (0..<agents).map { try PrivateKey(bytes: Keccak256.hash(Array("bench-encryption-\($0)".utf8)).bytes) }
        let images = (0..<agents).map { Array("image \($0)".utf8) + [UInt8](repeating: UInt8($0), count: 4_096) }
        for index in 0..<agents {
            let signature = try deployment.encryptionKeySignature(agentKey: accounts[index], encryptionKey: encryption[index].publicKey)
            try call("registerAgent", registry, "registerAgent",
                     [.address(accounts[index].address), .fixedBytes(UInt256(UInt64(index))), .fixedBytes(.one),
                      .bytes(encryption[index].publicKey.compressedBytes), .bytes(signature)], from: admin)
        }
        func respondAndChallenge(_ step: Int, _ secrets: [StepSecret], _ evidence: Hash32) throws {
            let next = secrets[step + 1]
            try call("respondAndChallenge", registry, "respondAndChallenge",
                     [.uint(1), .uint(UInt64(step)), .fixedBytes(UInt256(evidence)), .address(next.prover),
                      .fixedBytes(UInt256(next.salt)), .fixedBytes(UInt256(next.nonce))], from: accounts[step].address)
        }
        for round: UInt64 in 0...1 {
            var secrets: [StepSecret] = []
            var columns: [[ABIValue]] = [[], [], [], []]
            for step in 0..<agents {
                let secret = try StepSecret.random(prover: accounts[step].address)
                secrets.append(secret)
                let expected = try deployment.evidence(nonce: secret.nonce, round: round, step: UInt64(step),
                                                       prover: accounts[step].address, image: [images[step]])
                let challengerIndex = round == 0 ? step : (step + agents - 1) % agents
                let values = try deployment.commitments(round: round, step: UInt64(step), secret: secret, expected: expected,
                                                        challenger: accounts[challengerIndex].address,
                                                        challengerKey: encryption[challengerIndex].publicKey)
                columns[0].append(.fixedBytes(UInt256(values.planCommit)))
                columns[1].append(.fixedBytes(UInt256(values.nonceHash)))
                columns[2].append(.fixedBytes(UInt256(values.evidenceCommit)))
                columns[3].append(.bytes(values.sealedChallenge))
            }
            try call("beginRound per step", registry, "beginRound",
                     [.uint(round), .uint(5)] + columns.map { .array($0) }, from: secaas, per: agents)
            for step in 0..<agents {
                harness.host.block.number += 1
                let secret = secrets[step]
                let evidence = try deployment.evidence(nonce: secret.nonce, round: round, step: UInt64(step),
                                                       prover: accounts[step].address, image: [images[step]])
                if round == 0 {
                    try call("challenge", registry, "challenge",
                             [.uint(0), .uint(UInt64(step)), .address(secret.prover), .fixedBytes(UInt256(secret.salt)),
                              .fixedBytes(UInt256(secret.nonce))], from: secaas)
                    try call("respond", registry, "respond", [.uint(0), .uint(UInt64(step)), .fixedBytes(UInt256(evidence))],
                             from: accounts[step].address)
                } else if step == 0 {
                    // The RoT after round 0 is the last agent.
                    try call("challenge", registry, "challenge",
                             [.uint(1), .uint(0), .address(secret.prover), .fixedBytes(UInt256(secret.salt)),
                              .fixedBytes(UInt256(secret.nonce))], from: accounts[agents - 1].address)
                    try respondAndChallenge(step, secrets, evidence)
                } else if step + 1 < agents {
                    try respondAndChallenge(step, secrets, evidence)
                } else {
                    try call("respond", registry, "respond", [.uint(1), .uint(UInt64(step)), .fixedBytes(UInt256(evidence))],
                             from: accounts[step].address)
                }
            }
        }
        let groupKey = try GroupKey.random()
        let sealed = try (0..<agents).map {
            ABIValue.bytes(try deployment.sealGroupKey(groupKey, group: UInt256(1), epoch: 1, member: accounts[$0].address,
                                                       memberKey: encryption[$0].publicKey))
        }
        try call("publishEpoch per member", exchange, "publishEpoch",
                 [.uint(1), .uint(1), .array(accounts.map { .address($0.address) }), .array(sealed)], from: admin, per: agents)
        return measured
    }
}
