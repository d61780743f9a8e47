// The admin role of the D6G contracts: `admin` and `pendingAdmin` storage, and a transfer in two
// steps (the current admin proposes, the proposed account accepts), so a mistyped address can
// never take the role. Used by AttestationRegistry and KeyExchange. (Permissions keeps its own
// copy: its code is pinned by genesis.)
import ContractDSL

@ContractBuilder func twoStepAdmin() -> [ContractMember] {
    Storage("admin", .address)
    Storage("pendingAdmin", .address)
    Event("AdminProposed", .indexed("current", .address), .indexed("proposed", .address))
    Event("AdminChanged", .indexed("previous", .address), .indexed("next", .address))

    Function("transferAdmin", ("next", .address), only: [state.admin]) {
        Assign(state.pendingAdmin, local.next)
        Emit("AdminProposed", sender, local.next)
    }
    Function("acceptAdmin") {
        Require(sender == state.pendingAdmin && sender != 0, "not the proposed admin")
        Emit("AdminChanged", state.admin, sender)
        Assign(state.admin, sender)
        Assign(state.pendingAdmin, 0)
    }
}
