// Permissions: the chain's system contract at a reserved address (Docs/adr/0007). It holds who
// may send transactions and who may deploy contracts; the node reads its storage at admission
// and in execution (Execution/Permissions.swift), so its slots are part of the chain's rules:
// declare new storage only after the last one, never between. Genesis writes its initial storage
// (the lists and the validator set) and pins its code. The validator set changes only by votes
// of more than 2/3 of its power, and the node signs with the set of block H − 2's state at
// height H (DESIGN.md §7, Docs/adr/0009).
import ContractDSL

public let permissions = Contract("Permissions") {
    Storage("admin", .address)                          // slot 0
    Storage("pendingAdmin", .address)                   // slot 1
    Storage("sendRestricted", .bool)                    // slot 2: only listed senders may send
    Storage("deployRestricted", .bool)                  // slot 3: only listed deployers may deploy
    Storage("senders", .map(.address, to: .bool))       // slot 4
    Storage("deployers", .map(.address, to: .bool))     // slot 5
    // The validator set: consensus addresses in `validators`, each one's node key (33-byte
    // compressed secp256k1), voting power and place in the array (index + 1) in `validatorInfo`.
    Record("Validator", ("nodeKey", .bytes), ("votingPower", .uint64), ("position", .uint256))
    Storage("validators", .array(of: .address))                             // slot 6
    Storage("validatorInfo", .map(.address, to: .record("Validator")))      // slot 7
    Storage("totalPower", .uint256)                                         // slot 8
    // Changes made so far: a vote names the set it was cast for, so votes for an older set never count.
    Storage("setVersion", .uint64)                                          // slot 9
    Storage("changeVotes", .map(.bytes32, to: .map(.address, to: .bool)))  // slot 10
    Storage("changeTally", .map(.bytes32, to: .uint256))                    // slot 11

    Event("SenderSet", .indexed("account", .address), .field("allowed", .bool))
    Event("DeployerSet", .indexed("account", .address), .field("allowed", .bool))
    Event("RestrictionsSet", .field("send", .bool), .field("deploy", .bool))
    Event("AdminProposed", .indexed("current", .address), .indexed("proposed", .address))
    Event("AdminChanged", .indexed("previous", .address), .indexed("next", .address))
    Event("ValidatorVote", .indexed("change", .bytes32), .indexed("voter", .address),
          .field("tally", .uint256), .field("totalPower", .uint256))
    Event("ValidatorAdded", .indexed("validator", .address), .field("nodeKey", .bytes), .field("power", .uint64),
          .field("effectiveFrom", .uint256))
    Event("ValidatorRemoved", .indexed("validator", .address), .field("effectiveFrom", .uint256))

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

    Function("isValidator", ("account", .address), returns: .bool, .view) {
        Return(state.validatorInfo[local.account].votingPower > 0)
    }

    Function("validatorCount", returns: .uint256, .view) { Return(state.validators.length) }

    /// A validator's vote to add `validator` (a consensus-key address) with its P2P node key and
    /// power. The change happens in the block whose vote passes 2/3 of the power; nodes sign with
    /// the new set from two heights later.
    Function("voteAddValidator", ("validator", .address), ("nodeKey", .bytes), ("power", .uint64)) {
        Require(state.validatorInfo[sender].votingPower > 0, "only a validator votes on the validator set")
        Require(local.validator != 0, "the zero address cannot be a validator")
        Require(state.validatorInfo[local.validator].votingPower == 0, "already a validator")
        Require(local.nodeKey.length == 33, "a node key is a 33-byte compressed secp256k1 public key")
        // The consensus core refuses a set whose total power exceeds 2^16: a vote past it would
        // leave a set no node can load, and the chain would stop at that block.
        Require(local.power > 0 && state.totalPower + local.power.as(.uint256) <= 65_536,
                "the total power of the set is at most 65,536")
        Require(state.validators.length < 128, "at most 128 validators")
        Let("change", keccak256(state.setVersion, 1, local.validator, local.power, local.nodeKey))
        Require(!state.changeVotes[local.change][sender], "already voted for this change")
        Assign(state.changeVotes[local.change][sender], true)
        Increase(state.changeTally[local.change], by: state.validatorInfo[sender].votingPower.as(.uint256))
        Emit("ValidatorVote", local.change, sender, state.changeTally[local.change], state.totalPower)
        If(state.changeTally[local.change] * 3 > state.totalPower * 2) {
            Append(state.validators, local.validator)
            Assign(state.validatorInfo[local.validator].nodeKey, local.nodeKey)
            Assign(state.validatorInfo[local.validator].votingPower, local.power)
            Assign(state.validatorInfo[local.validator].position, state.validators.length)
            Increase(state.totalPower, by: local.power.as(.uint256))
            Increase(state.setVersion, by: 1)
            Emit("ValidatorAdded", local.validator, local.nodeKey, local.power, blockNumber + 2)
        }
    }

    /// A validator's vote to remove `validator`; the last one stays.
    Function("voteRemoveValidator", ("validator", .address)) {
        Require(state.validatorInfo[sender].votingPower > 0, "only a validator votes on the validator set")
        Require(state.validatorInfo[local.validator].votingPower > 0, "not a validator")
        Require(state.validators.length > 1, "the last validator stays")
        Let("change", keccak256(state.setVersion, 2, local.validator))
        Require(!state.changeVotes[local.change][sender], "already voted for this change")
        Assign(state.changeVotes[local.change][sender], true)
        Increase(state.changeTally[local.change], by: state.validatorInfo[sender].votingPower.as(.uint256))
        Emit("ValidatorVote", local.change, sender, state.changeTally[local.change], state.totalPower)
        If(state.changeTally[local.change] * 3 > state.totalPower * 2) {
            // The last member takes the removed one's place in the array.
            Let("position", state.validatorInfo[local.validator].position)
            Let("last", state.validators[state.validators.length - 1])
            Assign(state.validators[local.position - 1], local.last)
            Assign(state.validatorInfo[local.last].position, local.position)
            RemoveLast(state.validators)
            Decrease(state.totalPower, by: state.validatorInfo[local.validator].votingPower.as(.uint256))
            Assign(state.validatorInfo[local.validator].votingPower, 0)
            Assign(state.validatorInfo[local.validator].position, 0)
            Increase(state.setVersion, by: 1)
            Emit("ValidatorRemoved", local.validator, blockNumber + 2)
        }
    }
}
