// The example Token compiled and run off-chain through the harness: the guide's walk-through.
import ContractCompiler
import ContractDSL
import ContractTesting
import Contracts
import LedgerPrimitives
import Testing

private let alice = ContractHarness.defaultSender
private let bob = Address(truncating: UInt256(0xB0B))
private let carol = Address(truncating: UInt256(0xCA201))

private func deployToken(supply: UInt64 = 1_000) throws -> DeployedContract {
    let artifact = try ContractCompiler.compile(token)
    return try ContractHarness().deploy(artifact, .uint(supply))
}

@Test func tokenDeploysWithSupplyAndEvent() throws {
    let contract = try deployToken()
    #expect(try contract.call("balanceOf", .address(alice)).value == .uint(1_000))
    #expect(try contract.call("balanceOf", .address(bob)).value == .uint(0))
    // totalSupply is slot 2 of the layout.
    #expect(contract.storage(at: UInt256(2)) == UInt256(1_000))
}

@Test func tokenTransferMovesBalanceAndEmitsTransfer() throws {
    let contract = try deployToken()
    let result = try contract.call("transfer", .address(bob), .uint(250))
    #expect(result.succeeded)
    #expect(result.value == .bool(true))
    #expect(result.events == [DecodedEvent(name: "Transfer", values: ["from": .address(alice), "to": .address(bob), "value": .uint(250)],
                                           address: contract.address)])
    #expect(try contract.call("balanceOf", .address(alice)).value == .uint(750))
    #expect(try contract.call("balanceOf", .address(bob)).value == .uint(250))
}

@Test func tokenTransferBeyondBalanceRevertsWithCustomError() throws {
    let contract = try deployToken(supply: 10)
    let result = try contract.call("transfer", .address(bob), .uint(11))
    #expect(result.failure == .error(name: "InsufficientBalance", values: [.uint(10), .uint(11)]))
    #expect(try contract.call("balanceOf", .address(alice)).value == .uint(10))
}

@Test func tokenAllowancesFlowThroughTransferFrom() throws {
    let contract = try deployToken()
    #expect(try contract.call("approve", .address(bob), .uint(100)).events.first?.name == "Approval")
    #expect(try contract.call("allowance", .address(alice), .address(bob)).value == .uint(100))
    let tooMuch = try contract.call("transferFrom", .address(alice), .address(carol), .uint(101), from: bob)
    #expect(tooMuch.failure == .error(name: "InsufficientAllowance", values: [.uint(100), .uint(101)]))
    #expect(try contract.call("transferFrom", .address(alice), .address(carol), .uint(60), from: bob).succeeded)
    #expect(try contract.call("allowance", .address(alice), .address(bob)).value == .uint(40))
    #expect(try contract.call("balanceOf", .address(carol)).value == .uint(60))
}

@Test func tokenMintIsForTheAdminOnly() throws {
    let contract = try deployToken()
    let refused = try contract.call("mint", .address(bob), .uint(5), from: bob)
    #expect(refused.failure == .error(name: "Unauthorized", values: [.address(bob)]))
    #expect(try contract.call("mint", .address(bob), .uint(5)).succeeded)
    #expect(try contract.call("balanceOf", .address(bob)).value == .uint(5))
    let zero = try contract.call("mint", .address(Address.zero), .uint(5))
    #expect(zero.failure == .message("mint to the zero address"))
}

@Test func tokenAdminChangesInTwoSteps() throws {
    let contract = try deployToken()
    #expect(try contract.call("acceptAdmin", from: bob).failure == .error(name: "Unauthorized", values: [.address(bob)]))
    #expect(try contract.call("proposeAdmin", .address(bob)).succeeded)
    #expect(try contract.call("acceptAdmin", from: carol).failure == .error(name: "Unauthorized", values: [.address(carol)]))
    let accepted = try contract.call("acceptAdmin", from: bob)
    #expect(accepted.events.first?.values == ["previous": .address(alice), "next": .address(bob)])
    #expect(try contract.call("mint", .address(bob), .uint(1)).failure == .error(name: "Unauthorized", values: [.address(alice)]))
    #expect(try contract.call("mint", .address(bob), .uint(1), from: bob).succeeded)
}

@Test func tokenRefusesValueAndBadCallData() throws {
    let contract = try deployToken()
    contract.harness.host.setBalance(UInt256(10), of: alice)
    #expect(try contract.call("transfer", .address(bob), .uint(1), value: UInt256(1)).failure == .revert([]))
    // An address argument with bits above 160 is not an address.
    var data = ABICodec.callData("transfer(address,uint256)", [.unsigned(UInt256.one << 160), .uint(1)])
    #expect(contract.send(data).failure == .revert([]))
    // Call data cut short.
    data = ABICodec.callData("transfer(address,uint256)", [.address(bob), .uint(1)])
    #expect(contract.send(Array(data.dropLast())).failure == .revert([]))
    // No such function.
    #expect(contract.send([1, 2, 3, 4]).failure == .revert([]))
}

@Test func tokenArtifactIsDeterministicAndStandard() throws {
    let first = try ContractCompiler.compile(token).jsonData()
    let second = try ContractCompiler.compile(token).jsonData()
    #expect(first == second)
    let artifact = try ContractCompiler.compile(token)
    #expect(artifact.methodIdentifiers["transfer(address,uint256)"] == "a9059cbb")
    #expect(artifact.methodIdentifiers["balanceOf(address)"] == "70a08231")
    #expect(artifact.storageLayout.map(\.name) == ["admin", "pendingAdmin", "totalSupply", "balances", "allowances"])
    #expect(artifact.abi.contains { $0.type == "error" && $0.name == "Unauthorized" })
    #expect(!artifact.sourceMap.isEmpty)
    #expect(artifact.sourceMap.allSatisfy { $0.file == "Contracts/Token.swift" })
}
