// The MLFO's one-shot actions (`d6g-mlfo deploy-contracts | register | revoke | status`):
// deploying both contracts as transactions, registering and funding an agent from its own
// signed request, and reading the registry back for the operator.
import ContractCompiler
import ContractDSL
import Contracts
import D6GProtocol
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

public enum MLFOActions {
    /// Deploys AttestationRegistry (this account its admin, `secaas` its SECaaS) and KeyExchange
    /// (bound to the registry).
    public static func deployContracts(_ actor: ChainActor, secaas: Address, minDeadlineBlocks: UInt64, maxMisses: UInt64,
                                       maxAgeBlocks: UInt64) async throws -> DeploymentFile {
        let registry = try await deploy(actor, attestationRegistry, [.address(secaas), .unsigned(UInt256(minDeadlineBlocks)),
                                                                      .unsigned(UInt256(maxMisses)), .unsigned(UInt256(maxAgeBlocks))])
        let exchange = try await deploy(actor, keyExchange, [.address(registry.address)])
        return DeploymentFile(chainId: try await actor.client.chainId(), registry: registry.address, keyExchange: exchange.address,
                              mlfo: actor.address, secaas: secaas, deployedAtBlock: registry.block)
    }

    static func deploy(_ actor: ChainActor, _ contract: Contract, _ arguments: [ABIValue]) async throws -> (address: Address, block: UInt64) {
        let artifact: ContractArtifact
        do { artifact = try ContractCompiler.compile(contract) } catch { throw ActorError("cannot compile \(contract.name): \(error)") }
        guard let payload = try? Hex.decode(artifact.bytecode) else { throw ActorError("\(contract.name)'s bytecode is not hex") }
        let receipt = try await actor.send(TransactionRequest(to: nil, data: payload + ABICodec.encode(arguments)),
                                           "deploying \(contract.name)")
        guard let address = receipt.contractAddress else { throw ActorError("deploying \(contract.name) made no contract") }
        actor.log("\(contract.name) deployed at \(address) (block \(receipt.blockNumber), gas \(receipt.gasUsed))")
        return (address, receipt.blockNumber)
    }

    /// Registers the agent of `request` (its signature is checked here first, then by the
    /// contract), funds its account with `funding` wei for its transactions, and returns its
    /// provisioning bundle.
    public static func register(_ actor: ChainActor, request: RegistrationRequest, pipeline: String, deployment file: DeploymentFile,
                                funding: UInt256) async throws -> ProvisioningBundle {
        let deployment = try file.deployment()
        let account = try request.accountAddress
        let key = try request.encryptionPublicKey
        let signature = try request.signatureBytes
        guard request.chainId == deployment.chainId, request.registry.lowercased() == deployment.registry.description.lowercased() else {
            throw ActorError("the request of \(request.agentId) was signed for registry \(request.registry) on chain \(request.chainId), "
                             + "not this deployment: run `d6g-agent init` again with this deployment file")
        }
        guard deployment.isValidEncryptionKeySignature(signature, agent: account, encryptionKey: key) else {
            throw ActorError("the request of \(request.agentId) carries a signature that is not its account's over its encryption key")
        }
        let registry = AttestationRegistryContract(address: deployment.registry)
        try await actor.send(registry.registerAgent(account, agentId: identifier(request.agentId), pipelineId: identifier(pipeline),
                                                    encryptionKey: key, signature: signature), "registerAgent")
        if funding > .zero {
            try await actor.send(TransactionRequest(to: account, value: funding), "funding \(request.agentId)")
        }
        actor.log("\(request.agentId) registered as \(account) in pipeline \(pipeline), PENDING its initial attestation")
        return ProvisioningBundle(agentId: request.agentId, account: account, pipeline: pipeline, deployment: file)
    }

    /// One line per agent: address, id, status, eligibility, misses, last attestation.
    public static func status(client: LedgerClient, deployment file: DeploymentFile) async throws -> [String] {
        let reader = RegistryReader(client: client, registry: try file.deployment().registry)
        var lines = ["agent                                       status      eligible  misses  last attested"]
        for agent in try await reader.registry.agents(on: client) {
            let status = try await reader.registry.status(of: agent, on: client)
            let eligible = try await reader.registry.isEligible(agent, on: client)
            let misses = try await reader.registry.misses(of: agent, on: client)
            let attested = try await reader.registry.lastAttested(of: agent, on: client)
            let padded = "\(status)".padding(toLength: 11, withPad: " ", startingAt: 0)
            lines.append("\(agent)  \(padded) \(eligible ? "yes" : "no ")       \(misses)       \(attested == 0 ? "never" : "block \(attested)")")
        }
        if let due = try await reader.registry.dueStep(on: client) {
            lines.append("round \(due.round) running, step \(due.step) due; RoT \(try await reader.registry.rootOfTrust(on: client))")
        } else {
            lines.append("no round running")
        }
        return lines
    }
}
