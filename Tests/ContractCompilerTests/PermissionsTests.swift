// The Permissions system contract (Contracts/Permissions.swift, Docs/adr/0007): the code genesis
// pins is what the compiler makes of it, its slots are the ones the node reads, and each entry
// point refuses every sender but the one it names, with the admin never locked out; the validator
// set changes only by votes of more than 2/3 of its power, and the node reads back what it holds.
import ContractCompiler
import ContractDSL
import ContractTesting
import Contracts
import Execution
import Foundation
import LedgerPrimitives
import Testing
import TestSupport

private let admin = Address(truncating: UInt256(0xAD))
private let bob = Address(truncating: UInt256(0xB0B))
private let carol = Address(truncating: UInt256(0xCA201))

/// The contract deployed in the harness with the storage genesis would give it.
private func deployed(_ settings: Permissions.Settings) throws -> DeployedContract {
    let contract = try ContractHarness().deploy(try ContractCompiler.compile(permissions))
    for (slot, value) in Permissions.genesisAccount(settings).storage {
        contract.harness.host.setStorage(value, of: contract.address, at: slot)
    }
    return contract
}

@Suite("Permissions system contract")
struct PermissionsTests {
    @Test func thePinnedCodeAndABIAreTheCompilersOutput() throws {
        let artifact = try ContractCompiler.compile(permissions)
        #expect(Hex.encode(Permissions.runtimeCode) == artifact.deployedBytecode,
                "Sources/Execution/PermissionsCode.swift is stale: run scripts/pin-permissions.sh")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let pinnedABI = try String(contentsOf: repository.appendingPathComponent("Contracts/Permissions.abi.json"), encoding: .utf8)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let abi = String(decoding: try encoder.encode(artifact.abi), as: UTF8.self)
        #expect(pinnedABI == abi + "\n", "Contracts/Permissions.abi.json is stale: run scripts/pin-permissions.sh")
    }

    @Test func theSlotsAreTheOnesTheNodeReads() throws {
        let layout = try ContractCompiler.compile(permissions).storageLayout.map { ($0.name, $0.slot) }
        #expect(layout.map(\.0) == ["admin", "pendingAdmin", "sendRestricted", "deployRestricted", "senders", "deployers",
                                    "validators", "validatorInfo", "totalPower", "setVersion", "changeVotes", "changeTally"])
        #expect(Array(layout.map { UInt256(decimalString: $0.1) }.prefix(10)) == [
            Permissions.Slot.admin, Permissions.Slot.pendingAdmin, Permissions.Slot.sendRestricted,
            Permissions.Slot.deployRestricted, Permissions.Slot.senders, Permissions.Slot.deployers,
            Permissions.Slot.validators, Permissions.Slot.validatorInfo, Permissions.Slot.totalPower, Permissions.Slot.setVersion,
        ])
        // The views answer what the node's reading of the same storage answers.
        let contract = try deployed(Permissions.Settings(admin: admin, senders: [admin, bob], deployers: [admin]))
        for account in [admin, bob, carol] {
            #expect(try contract.call("maySend", .address(account)).value == .bool(account != carol))
            #expect(try contract.call("mayDeploy", .address(account)).value == .bool(account == admin))
            #expect(contract.storage(at: Permissions.entry(account, inMapAt: Permissions.Slot.senders)) == UInt256(account != carol ? 1 : 0))
        }
        let open = try deployed(.open)
        #expect(try open.call("maySend", .address(carol)).value == .bool(true))
        #expect(try open.call("mayDeploy", .address(carol)).value == .bool(true))
    }

    @Test func everyChangeIsTheAdminsAlone() throws {
        let contract = try deployed(Permissions.Settings(admin: admin, senders: [admin, bob], deployers: [admin]))
        let changes: [(String, (Address) throws -> CallResult)] = [
            ("setSender", { try contract.call("setSender", .address(carol), .bool(true), from: $0) }),
            ("setDeployer", { try contract.call("setDeployer", .address(bob), .bool(true), from: $0) }),
            ("setRestrictions", { try contract.call("setRestrictions", .bool(false), .bool(false), from: $0) }),
            ("proposeAdmin", { try contract.call("proposeAdmin", .address(bob), from: $0) }),
        ]
        for (function, change) in changes {
            for outsider in [bob, carol, Address.zero] {
                let refused = try change(outsider)
                #expect(refused.failure == .error(name: "Unauthorized", values: [.address(outsider)]), "\(function) from \(outsider)")
            }
        }
        #expect(try contract.call("maySend", .address(carol)).value == .bool(false))
        let allowed = try contract.call("setSender", .address(carol), .bool(true), from: admin)
        #expect(allowed.events == [DecodedEvent(name: "SenderSet", values: ["account": .address(carol), "allowed": .bool(true)],
                                                address: contract.address)])
        #expect(try contract.call("maySend", .address(carol)).value == .bool(true))
        #expect(try contract.call("setDeployer", .address(carol), .bool(true), from: admin).succeeded)
        #expect(try contract.call("mayDeploy", .address(carol)).value == .bool(true))
        #expect(try contract.call("setRestrictions", .bool(true), .bool(false), from: admin).events.first?.name == "RestrictionsSet")
        #expect(try contract.call("mayDeploy", .address(bob)).value == .bool(true))
    }

    @Test func theAdminIsNeverLockedOut() throws {
        let contract = try deployed(Permissions.Settings(admin: admin, senders: [admin, bob], deployers: []))
        #expect(try contract.call("setSender", .address(admin), .bool(false), from: admin).failure
                == .message("the admin keeps its send permission"))
        #expect(try contract.call("proposeAdmin", .address(carol), from: admin).failure
                == .message("the proposed admin may not send transactions"))
        // Open sending, take the admin off the list, then try to restrict again.
        let open = try deployed(Permissions.Settings(admin: admin))
        #expect(try open.call("setRestrictions", .bool(true), .bool(true), from: admin).failure
                == .message("the admin keeps its send permission"))
        #expect(try open.call("setSender", .address(admin), .bool(true), from: admin).succeeded)
        #expect(try open.call("setRestrictions", .bool(true), .bool(true), from: admin).succeeded)
        #expect(try open.call("maySend", .address(admin)).value == .bool(true))
        #expect(try open.call("mayDeploy", .address(admin)).value == .bool(false))
    }

    @Test func theAdminChangesInTwoSteps() throws {
        let contract = try deployed(Permissions.Settings(admin: admin, senders: [admin, bob], deployers: []))
        #expect(try contract.call("acceptAdmin", from: bob).failure == .error(name: "Unauthorized", values: [.address(bob)]))
        let proposed = try contract.call("proposeAdmin", .address(bob), from: admin)
        #expect(proposed.events.first?.values == ["current": .address(admin), "proposed": .address(bob)])
        #expect(try contract.call("acceptAdmin", from: carol).failure == .error(name: "Unauthorized", values: [.address(carol)]))
        // Until bob accepts, the admin is still the admin.
        #expect(try contract.call("setSender", .address(carol), .bool(true), from: admin).succeeded)
        let accepted = try contract.call("acceptAdmin", from: bob)
        #expect(accepted.events.first?.values == ["previous": .address(admin), "next": .address(bob)])
        #expect(contract.storage(at: Permissions.Slot.admin) == UInt256(bob))
        #expect(contract.storage(at: Permissions.Slot.pendingAdmin) == .zero)
        #expect(try contract.call("setSender", .address(carol), .bool(false), from: admin).failure
                == .error(name: "Unauthorized", values: [.address(admin)]))
        #expect(try contract.call("acceptAdmin", from: bob).failure == .error(name: "Unauthorized", values: [.address(bob)]))
    }

    // MARK: The validator set (Docs/adr/0009)

    private static func member(_ byte: UInt8, power: UInt64 = 1) -> ValidatorMember {
        ValidatorMember(address: Address(truncating: UInt256(UInt64(byte) << 8)), nodeKey: [0x02] + [UInt8](repeating: byte, count: 32),
                        power: power)
    }

    private static func set(in contract: DeployedContract) throws -> [ValidatorMember] {
        try Permissions.validators(in: ContractStorage(contract: contract))
    }

    private static func voteAdd(_ contract: DeployedContract, _ added: ValidatorMember, from voter: Address) throws -> CallResult {
        try contract.call("voteAddValidator", .address(added.address), .bytes(added.nodeKey), .unsigned(UInt256(added.power)), from: voter)
    }

    @Test func genesisValidatorsReadBackAsWritten() throws {
        let members = (1...4).map { Self.member($0, power: UInt64($0)) }
        let contract = try deployed(Permissions.Settings(validators: members))
        #expect(try Self.set(in: contract) == members)
        #expect(contract.storage(at: Permissions.Slot.totalPower) == UInt256(10))
        #expect(try contract.call("validatorCount").value == .unsigned(UInt256(4)))
        #expect(try contract.call("isValidator", .address(members[2].address)).value == .bool(true))
        #expect(try contract.call("isValidator", .address(carol)).value == .bool(false))
    }

    @Test func aValidatorIsAddedWhenMoreThanTwoThirdsOfThePowerVote() throws {
        let members = (1...4).map { Self.member($0) }
        let contract = try deployed(Permissions.Settings(validators: members))
        let newcomer = Self.member(9, power: 2)
        // Only validators vote; an address argument never stands in for the sender.
        for outsider in [carol, newcomer.address, Address.zero] {
            #expect(try Self.voteAdd(contract, newcomer, from: outsider).failure == .message("only a validator votes on the validator set"))
        }
        let first = try Self.voteAdd(contract, newcomer, from: members[0].address)
        #expect(first.events.map(\.name) == ["ValidatorVote"])
        #expect(try Self.voteAdd(contract, newcomer, from: members[0].address).failure == .message("already voted for this change"))
        #expect(try Self.voteAdd(contract, newcomer, from: members[1].address).events.map(\.name) == ["ValidatorVote"])
        #expect(try Self.set(in: contract) == members, "2 of 4 is not more than 2/3")
        // A vote for the same account with other terms is another change and counts apart.
        var other = newcomer
        other.power = 3
        #expect(try Self.voteAdd(contract, other, from: members[2].address).events.map(\.name) == ["ValidatorVote"])
        #expect(try Self.set(in: contract) == members)
        let passed = try Self.voteAdd(contract, newcomer, from: members[2].address)
        #expect(passed.events.map(\.name) == ["ValidatorVote", "ValidatorAdded"])
        #expect(try Self.set(in: contract) == members + [newcomer])
        #expect(contract.storage(at: Permissions.Slot.totalPower) == UInt256(6))
        #expect(contract.storage(at: Permissions.Slot.setVersion) == UInt256(1))
        // The vote for the other terms was cast for the old set: it no longer counts.
        #expect(try Self.voteAdd(contract, other, from: members[3].address).failure == .message("already a validator"))
        // The newcomer votes now.
        let fifth = Self.member(10)
        #expect(try Self.voteAdd(contract, fifth, from: newcomer.address).succeeded)
    }

    @Test func theAdditionRulesHold() throws {
        let members = [Self.member(1)]
        let contract = try deployed(Permissions.Settings(admin: admin, validators: members))
        let voter = members[0].address
        #expect(try Self.voteAdd(contract, members[0], from: voter).failure == .message("already a validator"))
        var zero = Self.member(2)
        zero.address = .zero
        #expect(try Self.voteAdd(contract, zero, from: voter).failure == .message("the zero address cannot be a validator"))
        var shortKey = Self.member(2)
        shortKey.nodeKey = Array(shortKey.nodeKey.prefix(32))
        #expect(try Self.voteAdd(contract, shortKey, from: voter).failure
                == .message("a node key is a 33-byte compressed secp256k1 public key"))
        #expect(try Self.voteAdd(contract, Self.member(2, power: 0), from: voter).failure
                == .message("the total power of the set is at most 65,536"))
        // Past the consensus core's limit on the total: no node could load the set.
        #expect(try Self.voteAdd(contract, Self.member(2, power: 65_536), from: voter).failure
                == .message("the total power of the set is at most 65,536"))
        #expect(try Self.voteAdd(contract, Self.member(3, power: 65_535), from: voter).succeeded, "exactly 65,536 in all")
        // The admin of the lists has no say over the set.
        #expect(try Self.voteAdd(contract, Self.member(2), from: admin).failure == .message("only a validator votes on the validator set"))
        // One validator held all the power: its vote alone passed. Now the set is full.
        #expect(try Self.voteAdd(contract, Self.member(4), from: voter).failure == .message("the total power of the set is at most 65,536"))
    }

    @Test func aValidatorIsRemovedByVoteAndTheLastStays() throws {
        let members = (1...4).map { Self.member($0) }
        let contract = try deployed(Permissions.Settings(validators: members))
        let removed = members[1]
        func voteRemove(_ target: Address, from voter: Address) throws -> CallResult {
            try contract.call("voteRemoveValidator", .address(target), from: voter)
        }
        #expect(try voteRemove(removed.address, from: carol).failure == .message("only a validator votes on the validator set"))
        #expect(try voteRemove(carol, from: members[0].address).failure == .message("not a validator"))
        #expect(try voteRemove(removed.address, from: members[0].address).succeeded)
        #expect(try voteRemove(removed.address, from: members[2].address).succeeded)
        #expect(try Self.set(in: contract) == members)
        // The one being removed may vote too; the third vote passes.
        let passed = try voteRemove(removed.address, from: removed.address)
        #expect(passed.events.map(\.name) == ["ValidatorVote", "ValidatorRemoved"])
        // The last member takes the removed one's place.
        #expect(try Self.set(in: contract) == [members[0], members[3], members[2]])
        #expect(try contract.call("isValidator", .address(removed.address)).value == .bool(false))
        #expect(try voteRemove(members[0].address, from: removed.address).failure == .message("only a validator votes on the validator set"))
        // Down to one: it cannot remove itself.
        for target in [members[0], members[3]] {
            for voter in [members[0], members[2], members[3]] where voter != target {
                _ = try voteRemove(target.address, from: voter.address)
            }
            if try contract.call("isValidator", .address(target.address)).value == .bool(true) {
                _ = try voteRemove(target.address, from: target.address)
            }
        }
        let last = try Self.set(in: contract)
        #expect(last == [members[2]])
        #expect(try voteRemove(members[2].address, from: members[2].address).failure == .message("the last validator stays"))
    }
}

/// The harness's storage of the contract as the node reads the Permissions contract's storage.
private struct ContractStorage: StateReader {
    let contract: DeployedContract

    func account(at address: Address) throws(StateError) -> Account? { nil }
    func storageValue(at slot: UInt256, of address: Address) throws(StateError) -> UInt256 {
        address == Permissions.address ? contract.storage(at: slot) : .zero
    }
    func code(withHash hash: Hash32) throws(StateError) -> [UInt8] { [] }
}
