// Token: the example contract of Docs/contract-dsl.md — balances in a map, allowances in a nested
// map, an admin (handed over in two steps) who alone may mint, events and custom errors.
import ContractDSL

public let token = Contract("Token") {
    Storage("admin", .address)
    Storage("pendingAdmin", .address)
    Storage("totalSupply", .uint256)
    Storage("balances", .map(.address, to: .uint256))
    Storage("allowances", .map(.address, to: .map(.address, to: .uint256)))

    Event("Transfer", .indexed("from", .address), .indexed("to", .address), .field("value", .uint256))
    Event("Approval", .indexed("owner", .address), .indexed("spender", .address), .field("value", .uint256))
    Event("AdminChanged", .indexed("previous", .address), .indexed("next", .address))

    CustomError("InsufficientBalance", ("available", .uint256), ("needed", .uint256))
    CustomError("InsufficientAllowance", ("available", .uint256), ("needed", .uint256))

    Constructor(("initialSupply", .uint256)) {
        Assign(state.admin, sender)
        Assign(state.totalSupply, local.initialSupply)
        Assign(state.balances[sender], local.initialSupply)
        Emit("Transfer", 0, sender, local.initialSupply)
    }

    Function("balanceOf", ("owner", .address), returns: .uint256, .view) {
        Return(state.balances[local.owner])
    }

    Function("allowance", ("owner", .address), ("spender", .address), returns: .uint256, .view) {
        Return(state.allowances[local.owner][local.spender])
    }

    Function("transfer", ("to", .address), ("amount", .uint256), returns: .bool) {
        Let("available", state.balances[sender])
        Require(local.available >= local.amount, error: "InsufficientBalance", local.available, local.amount)
        Assign(state.balances[sender], local.available - local.amount)
        Increase(state.balances[local.to], by: local.amount)
        Emit("Transfer", sender, local.to, local.amount)
        Return(true)
    }

    Function("approve", ("spender", .address), ("amount", .uint256), returns: .bool) {
        Assign(state.allowances[sender][local.spender], local.amount)
        Emit("Approval", sender, local.spender, local.amount)
        Return(true)
    }

    Function("transferFrom", ("from", .address), ("to", .address), ("amount", .uint256), returns: .bool) {
        Let("allowed", state.allowances[local.from][sender])
        Require(local.allowed >= local.amount, error: "InsufficientAllowance", local.allowed, local.amount)
        Let("available", state.balances[local.from])
        Require(local.available >= local.amount, error: "InsufficientBalance", local.available, local.amount)
        Assign(state.allowances[local.from][sender], local.allowed - local.amount)
        Assign(state.balances[local.from], local.available - local.amount)
        Increase(state.balances[local.to], by: local.amount)
        Emit("Transfer", local.from, local.to, local.amount)
        Return(true)
    }

    Function("mint", ("to", .address), ("amount", .uint256), only: [state.admin]) {
        Require(local.to != 0, "mint to the zero address")
        Increase(state.totalSupply, by: local.amount)
        Increase(state.balances[local.to], by: local.amount)
        Emit("Transfer", 0, local.to, local.amount)
    }

    Function("proposeAdmin", ("next", .address), only: [state.admin]) {
        Assign(state.pendingAdmin, local.next)
    }

    Function("acceptAdmin", only: [state.pendingAdmin]) {
        Emit("AdminChanged", state.admin, sender)
        Assign(state.admin, sender)
        Assign(state.pendingAdmin, 0)
    }
}
