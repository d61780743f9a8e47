// The typed bindings of the D6G contracts (Sources/LedgerClient/D6GContracts.swift) against the
// contracts themselves: every function of the compiled ABI has a binding with the same signature
// and result type, and call data the bindings build is accepted by the contract on the VM.
import ContractCompiler
import ContractDSL
import ContractTesting
import Contracts
import D6GProtocol
import LedgerClient
import LedgerCrypto
import LedgerPrimitives
import Testing

@Test func everyFunctionOfTheCompiledABIHasABindingOfTheSameShape() throws {
    for (contract, bound) in [(attestationRegistry, AttestationRegistryContract.signatures), (keyExchange, KeyExchangeContract.signatures)] {
        let artifact = try ContractCompiler.compile(contract)
        var compiled: [String: ValueType?] = [:]
        for entry in artifact.abi where entry.type == "function" {
            let types = try #require(entry.valueTypes)
            compiled[entry.signature(types)] = entry.outputs?.first.flatMap { ABICodec.valueType(named: $0.type) }
        }
        #expect(compiled == bound, "\(contract.name): compiled \(compiled.keys.sorted()) bound \(bound.keys.sorted())")
    }
}

@Test func callDataFromTheBindingsIsAcceptedByTheContracts() throws {
    let harness = ContractHarness()
    let secaas = Address(truncating: UInt256(0x5ECAA5))
    let deployed = try harness.deploy(try ContractCompiler.compile(attestationRegistry), .address(secaas), .uint(3), .uint(2), .uint(100))
    let registry = AttestationRegistryContract(address: deployed.address)
    let deployment = Deployment(chainId: 1337, registry: deployed.address, keyExchange: Address(truncating: UInt256(2)))
    let agent = try PrivateKey(bytes: Keccak256.hash(Array("binding-agent".utf8)).bytes)
    let encryption = try PrivateKey(bytes: Keccak256.hash(Array("binding-encryption".utf8)).bytes)
    let register = registry.registerAgent(agent.address, agentId: Keccak256.hash([1]), pipelineId: Keccak256.hash([2]),
                                          encryptionKey: encryption.publicKey,
                                          signature: try deployment.encryptionKeySignature(agentKey: agent, encryptionKey: encryption.publicKey))
    #expect(register.to == deployed.address)
    #expect(deployed.send(register.data).succeeded)
    let image = Array("image".utf8)
    let secret = try StepSecret.random(prover: agent.address)
    let expected = try deployment.evidence(nonce: secret.nonce, round: 0, step: 0, prover: agent.address, image: [image])
    let step = try deployment.commitments(round: 0, step: 0, secret: secret, expected: expected, challenger: secaas,
                                          challengerKey: encryption.publicKey)
    #expect(deployed.send(registry.beginRound(0, deadlineBlocks: 3, steps: [step]).data, from: secaas).succeeded)
    #expect(deployed.send(registry.challenge(round: 0, step: 0, secret: secret).data, from: secaas).succeeded)
    let responded = deployed.send(registry.respond(round: 0, step: 0, evidence: expected).data, from: agent.address)
    #expect(responded.succeeded)
    #expect(deployed.send(registry.markMissed(round: 0, step: 0).data).failure != nil, "the round is over")
}
