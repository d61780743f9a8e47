// The MLFO at work (`d6g-mlfo serve`): it follows the registry's revocations and misses and each
// pipeline member's eligibility, and publishes the pipeline's next key epoch as soon as the set
// of eligible members differs from the one keyed last — a member revoked, missed or aged out, or
// one that joined — and at least every `epochMaxAge` seconds. Each epoch's group key is fresh
// random bytes (never derived from the last one), sealed to each member's current encryption key,
// and kept nowhere. After a restart it takes up the current epoch from the chain.
import D6GProtocol
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

public final class MLFOService: @unchecked Sendable {
    let actor: ChainActor
    let deployment: Deployment
    let reader: RegistryReader
    let exchange: KeyExchangeContract
    let pipeline: String
    let group: UInt256
    let epochMaxAge: Double
    let fromBlock: UInt64
    /// Seconds between full reads of the members' eligibility when nothing was lost (joins wait
    /// up to this long, and share an epoch).
    public var scanInterval: Double = 5
    var nextScan = Date.distantPast
    public var events: EventLog = .none

    /// The last epoch published (or found on chain) and the members it keyed.
    var keyed: (epoch: UInt64, members: Set<Address>, at: Date)?
    /// The first block whose revocations and misses are still to be reported.
    var lossCursor: UInt64
    /// When the current difference between eligible and keyed members was first seen.
    var triggerSeen: Date?

    public init(actor: ChainActor, deployment: Deployment, deployedAtBlock: UInt64, pipeline: String, epochMaxAge: Double) {
        self.actor = actor
        self.deployment = deployment
        self.reader = RegistryReader(client: actor.client, registry: deployment.registry)
        self.exchange = KeyExchangeContract(address: deployment.keyExchange)
        self.pipeline = pipeline
        self.group = UInt256(identifier(pipeline))
        self.epochMaxAge = epochMaxAge
        self.fromBlock = deployedAtBlock
        self.lossCursor = deployedAtBlock
    }

    var client: LedgerClient { actor.client }
    var registry: AttestationRegistryContract { reader.registry }

    public func tick() async throws {
        let head = try await client.blockNumber()
        let lost = try await reportLosses(upTo: head)
        // The members' eligibility is read in full at once after a revocation or a miss (the rekey
        // that cuts a member off must not wait), else every `scanInterval` seconds (joins, returns,
        // ageing out — several joins then share one epoch): reading it at every block would cost
        // the nodes a call per member per block.
        guard lost || keyed == nil || Date() >= nextScan else { return }
        nextScan = Date().addingTimeInterval(scanInterval)
        let members = try await reader.registrations(fromBlock: fromBlock)
            .filter { $0.value.pipelineId == identifier(pipeline) }.keys.sorted { $0.description < $1.description }
        var eligible: Set<Address> = []
        for member in members where try await registry.isEligible(member, on: client) { eligible.insert(member) }
        if keyed == nil { keyed = try await currentKeying(members) }
        let current = keyed ?? (0, [], .distantPast)
        // A key the registry took but that is no curve point cannot be sealed to: such a member is
        // left out (it must not hold up the rekey of the others). Read only when a rekey may follow.
        var sealTo: [Address: PublicKey] = [:]
        if eligible != current.members || current.epoch == 0 || Date().timeIntervalSince(current.at) >= epochMaxAge {
            for member in eligible {
                guard let key = try? PublicKey(bytes: try await registry.encryptionKey(of: member, on: client)) else {
                    actor.log("warning: \(member)'s encryption key is not a secp256k1 point: left out of the group's keys")
                    eligible.remove(member)
                    continue
                }
                sealTo[member] = key
            }
        }

        let reason: String
        if current.epoch == 0 {
            reason = "initial"
        } else if !current.members.subtracting(eligible).isEmpty {
            reason = try await whyOut(current.members.subtracting(eligible))
        } else if !eligible.subtracting(current.members).isEmpty {
            reason = "join"
        } else if Date().timeIntervalSince(current.at) >= epochMaxAge {
            reason = "periodic"
        } else {
            triggerSeen = nil
            return
        }
        guard !eligible.isEmpty, current.epoch < UInt64.max else { return }
        let seen = triggerSeen ?? Date()
        triggerSeen = seen
        do {
            try await publish(epoch: current.epoch + 1, members: eligible.sorted { $0.description < $1.description }, keys: sealTo,
                              reason: reason, since: seen)
        } catch {
            // It may have landed after all (a late receipt, a failover): read the epoch again.
            keyed = nil
            throw error
        }
    }

    /// The epoch on chain and the members whose latest key is of it.
    func currentKeying(_ members: [Address]) async throws -> (UInt64, Set<Address>, Date) {
        let epoch = try await exchange.currentEpoch(group: group, on: client)
        var keyed: Set<Address> = []
        for member in members where epoch > 0 {
            if try await exchange.key(of: member, group: group, on: client).epoch == epoch { keyed.insert(member) }
        }
        if epoch > 0 { actor.log("group \(pipeline): epoch \(epoch) found on chain with \(keyed.count) members") }
        return (epoch, keyed, Date())
    }

    func whyOut(_ gone: Set<Address>) async throws -> String {
        for member in gone {
            switch try await registry.status(of: member, on: client) {
            case .revoked: return "revocation"
            case .unreachable: return "unreachable"
            default: continue
            }
        }
        for member in gone where try await registry.misses(of: member, on: client) > 0 { return "miss" }
        return "ineligible"
    }

    func publish(epoch: UInt64, members: [Address], keys: [Address: PublicKey], reason: String, since seen: Date) async throws {
        let key = try GroupKey.random()
        var sealed: [(member: Address, sealed: [UInt8])] = []
        for member in members {
            guard let encryption = keys[member] else { continue }
            sealed.append((member, try deployment.sealGroupKey(key, group: group, epoch: epoch, member: member, memberKey: encryption)))
        }
        let receipt = try await actor.send(exchange.publishEpoch(group: group, epoch: epoch, keys: sealed), "publishEpoch")
        let memberKeyed = KeyExchangeEvent.memberKeyed, memberSkipped = KeyExchangeEvent.memberSkipped
        let keyedNow = receipt.logs.filter { $0.topics.first == memberKeyed && $0.topics.count == 3 }
            .map { Address(truncating: UInt256($0.topics[2])) }
        let skipped = receipt.logs.filter { $0.topics.first == memberSkipped && $0.topics.count == 3 }
            .map { Address(truncating: UInt256($0.topics[2])) }
        keyed = (epoch, Set(keyedNow), Date())
        triggerSeen = nil
        let latency = Int(Date().timeIntervalSince(seen) * 1000)
        actor.log("group \(pipeline): epoch \(epoch) published (\(reason)) to \(keyedNow.count) members"
                  + (skipped.isEmpty ? "" : ", skipped \(skipped.map(short).joined(separator: ", "))")
                  + " in block \(receipt.blockNumber), \(latency) ms after the trigger")
        events.record("epoch_published", ["group": pipeline, "epoch": epoch, "members": keyedNow.map(\.description),
                                          "skipped": skipped.map(\.description), "reason": reason, "latency_ms": latency,
                                          "block": receipt.blockNumber])
    }

    /// Reports the revocations and misses up to `head`; whether there were any.
    func reportLosses(upTo head: UInt64) async throws -> Bool {
        guard head >= lossCursor else { return false }
        let losses = try await reader.losses(from: lossCursor, to: head)
        for loss in losses {
            if loss.revoked {
                actor.log("\(loss.agent) \(loss.reason == "unreachable" ? "UNREACHABLE" : "REVOKED") (\(loss.reason)) in block \(loss.block)")
                events.record("agent_revoked", ["agent": loss.agent.description, "reason": loss.reason, "block": loss.block])
            } else {
                actor.log("\(loss.agent) missed a step in block \(loss.block)")
                events.record("agent_missed", ["agent": loss.agent.description, "block": loss.block])
            }
        }
        lossCursor = head &+ 1
        return !losses.isEmpty
    }
}

public enum KeyExchangeEvent {
    public static let memberKeyed = eventTopic("MemberKeyed")
    public static let memberSkipped = eventTopic("MemberSkipped")
    public static let keyEpochPublished = eventTopic("KeyEpochPublished")
}
