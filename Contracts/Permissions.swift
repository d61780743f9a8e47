// Permissions: the chain's system contract at a reserved address (Docs/adr/0007). It holds who
// may send transactions and who may deploy contracts; the node reads its storage at admission
// and in execution (Execution/Permissions.swift), so its slots are part of the chain's rules:
// declare new storage only after the last one, never between (the validator set and its votes,
// of the network issue, come next). Genesis writes its initial storage and pins its code.
import ContractDSL

public let permissions = Contract("Permissions") {
    Storage("admin", .address)                          // slot 0
    Storage("pendingAdmin", .address)                   // slot 1
    Storage("sendRestricted", .bool)                    // slot 2: only listed senders may send
    Storage("deployRestricted", .bool)                  // slot 3: only listed deployers may deploy
    Storage("senders", .map(.address, to: .bool))       // slot 4
    Storage("deployers", .map(.address, to: .bool))     // slot 5

    Event("SenderSet", .indexed("account", .address), .field("allowed", .bool))
    Event("DeployerSet", .indexed("account", .address), .field("allowed", .bool))
    Event("RestrictionsSet", .field("send", .bool), .field("deploy", .bool))
    Event("AdminProposed", .indexed("current", .address), .indexed("proposed", .address))
    Event("AdminChanged", .indexed("previous", .address), .indexed("next", .address))

    Function("maySend", ("account", .address), returns: .bool, .view) {
        Return(!state.sendRestricted || state.senders[local.account])
    }

    Function("mayDeploy", ("account", .address), returns: .bool, .view) {
        Return(!state.deployRestricted || state.deployers[local.account])
    }

    Function("setSender", ("account", .address), ("allowed", .bool), only: [state.admin]) {
        // The admin could never send again, so never change anything again.
        Require(local.allowed || local.account != state.admin, "the admin keeps its send permission")
        Assign(state.senders[local.account], local.allowed)
        Emit("SenderSet", local.account, local.allowed)
    }

    Function("setDeployer", ("account", .address), ("allowed", .bool), only: [state.admin]) {
        Assign(state.deployers[local.account], local.allowed)
        Emit("DeployerSet", local.account, local.allowed)
    }

    Function("setRestrictions", ("send", .bool), ("deploy", .bool), only: [state.admin]) {
        Require(!local.send || state.senders[sender], "the admin keeps its send permission")
        Assign(state.sendRestricted, local.send)
        Assign(state.deployRestricted, local.deploy)
        Emit("RestrictionsSet", local.send, local.deploy)
    }

    Function("proposeAdmin", ("next", .address), only: [state.admin]) {
        // A proposed admin who may not send could never accept.
        Require(!state.sendRestricted || state.senders[local.next], "the proposed admin may not send transactions")
        Assign(state.pendingAdmin, local.next)
        Emit("AdminProposed", sender, local.next)
    }

    Function("acceptAdmin", only: [state.pendingAdmin]) {
        Emit("AdminChanged", state.admin, sender)
        Assign(state.admin, sender)
        Assign(state.pendingAdmin, 0)
    }
}
