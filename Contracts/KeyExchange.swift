// KeyExchange: the D6G group-key contract (PROTOCOL.md §Key exchange, Docs/adr/0011). The admin
// (the MLFO) publishes each group's next epoch: one sealed key per member, kept only for the
// members the AttestationRegistry says are eligible at that moment (asked by STATICCALL, member
// by member); an ineligible member is skipped, never a reason to revert, so no agent can block a
// rekey by timing its own failure. Epochs go up by one. The keys are sealed off chain to each
// member's encryption key (Docs/protocol.md §Group keys and traffic): nothing here is secret.
import ContractDSL

public let keyExchange = Contract("KeyExchange") {
    twoStepAdmin()
    Storage("registry", .address)
    Record("Group", ("epoch", .uint64), ("publishedAt", .uint64))
    Storage("groups", .map(.uint256, to: .record("Group")))
    Record("MemberKey", ("epoch", .uint64), ("sealed", .bytes))
    /// keccak256(group, member) → the member's latest key.
    Storage("keys", .map(.bytes32, to: .record("MemberKey")))

    Interface("Registry", InterfaceFunction("isEligible", ("agent", .address), returns: .bool, .view))

    Event("KeyEpochPublished", .indexed("group", .uint256), .field("epoch", .uint64), .field("members", .uint256))
    Event("MemberKeyed", .indexed("group", .uint256), .field("epoch", .uint64), .indexed("member", .address))
    Event("MemberSkipped", .indexed("group", .uint256), .field("epoch", .uint64), .indexed("member", .address))

    CustomError("WrongEpoch", ("epoch", .uint64), ("expected", .uint64))
    CustomError("BadMembers", ("members", .uint256), ("keys", .uint256))

    Constructor(("registry", .address)) {
        Require(local.registry != 0, "no registry")
        Assign(state.admin, sender)
        Assign(state.registry, local.registry)
    }


    /// Epoch `epoch` (the current one + 1) of `group`: `sealedKeys[j]` is `members[j]`'s key,
    /// kept if the registry finds the member eligible now, else skipped.
    Function("publishEpoch", ("group", .uint256), ("epoch", .uint64), ("members", .array(.address)), ("sealedKeys", .array(.bytes)),
             only: [state.admin]) {
        Require(local.epoch == state.groups[local.group].epoch + 1, error: "WrongEpoch", local.epoch, state.groups[local.group].epoch + 1)
        Require(local.members.length == local.sealedKeys.length && local.members.length >= 1 && local.members.length <= 128,
                error: "BadMembers", local.members.length, local.sealedKeys.length)
        Let("keyed", .uint256, 0)
        For("j", from: 0, to: local.members.length, atMost: 128) {
            If(state.registry.call("Registry", "isEligible", local.members[local.j])) {
                Assign(state.keys[keccak256(local.group, local.members[local.j])].epoch, local.epoch)
                Assign(state.keys[keccak256(local.group, local.members[local.j])].sealed, local.sealedKeys[local.j])
                Increase(local.keyed, by: 1)
                Emit("MemberKeyed", local.group, local.epoch, local.members[local.j])
            } otherwise: {
                Emit("MemberSkipped", local.group, local.epoch, local.members[local.j])
            }
        }
        Assign(state.groups[local.group].epoch, local.epoch)
        Assign(state.groups[local.group].publishedAt, blockNumber.as(.uint64))
        Emit("KeyEpochPublished", local.group, local.epoch, local.keyed)
    }

    Function("currentEpoch", ("group", .uint256), returns: .uint64, .view) { Return(state.groups[local.group].epoch) }
    Function("publishedAt", ("group", .uint256), returns: .uint64, .view) { Return(state.groups[local.group].publishedAt) }
    /// The member's latest sealed key (of `epochOf`, which may be older than the group's
    /// current epoch if the member was skipped since).
    Function("keyOf", ("group", .uint256), ("member", .address), returns: .bytes, .view) {
        Return(state.keys[keccak256(local.group, local.member)].sealed)
    }
    Function("epochOf", ("group", .uint256), ("member", .address), returns: .uint64, .view) {
        Return(state.keys[keccak256(local.group, local.member)].epoch)
    }
}
