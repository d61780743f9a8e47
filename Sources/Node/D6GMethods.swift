// The `d6g` namespace (DESIGN.md §9, Docs/rpc.md §d6g): read-only views of what the node is in
// the network — its identity, the validator set, where its consensus is, its peers, and the
// commit certificate of a block. `net_peerCount` counts the P2P sessions.
import ConsensusCore
import Execution
import LedgerJSON
import LedgerPrimitives
import P2P
import RPCServer

extension RPCMethodTable {
    mutating func registerD6G(node: LedgerNode, transport: PeerTransport?, clientVersion: String) {
        let genesis = node.configuration.genesis
        register("d6g_nodeInfo", arguments: 0...0) { _ in
            let status = node.status
            var info: JSONObject = [
                "clientVersion": .string(clientVersion), "chainId": .quantity(genesis.chainId),
                "genesisHash": .hash(node.genesisHash), "headNumber": .quantity(status.head.number),
                "headHash": .hash(status.headHash),
                "validator": node.validatorAddress.map { .string($0.checksummed) } ?? .null,
                "halted": status.halted.map(JSONValue.string) ?? .null,
            ]
            info["nodeKey"] = transport.map { .string($0.id.description) } ?? .null
            return .object(info)
        }
        // The set that signs the next height, from the Permissions contract (ADR 0009).
        register("d6g_validators", arguments: 0...0) { _ in
            .array(node.validators.map { member in
                .object(["address": .string(member.address.checksummed), "power": .quantity(member.power),
                         "nodeKey": .data(member.nodeKey)])
            })
        }
        register("d6g_consensusState", arguments: 0...0) { _ in
            guard let state = await node.consensusStatus() else { return .null }
            let step = switch state.step {
            case .propose: "propose"
            case .prevote: "prevote"
            case .precommit: "precommit"
            }
            return .object(["validator": state.validator.map { .string($0.checksummed) } ?? .null, "height": .quantity(state.height),
                            "round": .quantity(UInt64(max(state.round, 0))), "step": .string(step),
                            "halted": state.halted.map(JSONValue.string) ?? .null])
        }
        // Proof that a validator signed two things where it may sign one (kept by the driver, at
        // most 256): what an operator needs to find and remove a Byzantine or doubled validator.
        register("d6g_evidence", arguments: 0...0) { _ in
            .array(await node.evidence().map { evidence in
                let (kind, height, round): (String, UInt64, Int) = switch evidence {
                case .conflictingVotes(let first, _):
                    (first.type == .prevote ? "conflictingPrevotes" : "conflictingPrecommits", first.height, first.round)
                case .conflictingProposals(let first, _): ("conflictingProposals", first.height, first.round)
                }
                return .object(["validator": .string(evidence.validator.checksummed), "kind": .string(kind),
                                "height": .quantity(height), "round": .quantity(UInt64(max(round, 0))),
                                "encoded": .data(ConsensusEncoding.encode(evidence))])
            })
        }
        register("d6g_peers", arguments: 0...0) { _ in
            .array((transport?.connectedPeers ?? []).map { .object(["nodeKey": .string($0.description)]) })
        }
        register("net_peerCount", arguments: 0...0) { _ in .quantity(UInt64(transport?.connectedPeers.count ?? 0)) }
        register("d6g_certificate", arguments: 1...1) { params in
            let number: UInt64 = try params.required(0)
            let stored = try await node.read { store in try store.certificate(number: number) }
            guard let bytes = stored else { return .null }
            let certificate = try ConsensusEncoding.decodeCertificate(bytes)
            return .object([
                "height": .quantity(certificate.height), "round": .quantity(UInt64(certificate.round)),
                "blockHash": .hash(certificate.valueID), "encoded": .data(bytes),
                "signatures": .array(certificate.signatures.map {
                    .object(["validator": .string($0.validator.checksummed), "signature": .data($0.signature)])
                }),
            ])
        }
    }
}
