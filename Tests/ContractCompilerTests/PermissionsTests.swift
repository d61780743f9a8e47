// The Permissions system contract (Contracts/Permissions.swift, Docs/adr/0007): the code genesis
// pins is what the compiler makes of it, its slots are the ones the node reads, and each entry
// point refuses every sender but the one it names, with the admin never locked out.
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
        #expect(layout.map(\.0) == ["admin", "pendingAdmin", "sendRestricted", "deployRestricted", "senders", "deployers"])
        #expect(layout.map { UInt256(decimalString: $0.1) } == [
            Permissions.Slot.admin, Permissions.Slot.pendingAdmin, Permissions.Slot.sendRestricted,
            Permissions.Slot.deployRestricted, Permissions.Slot.senders, Permissions.Slot.deployers,
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
}
