// KeyDirectory: the byte-string example of Docs/contract-dsl.md — each account publishes its own
// public key (bytes) and a label (string), proving it holds the account by a signature over the
// key that the contract checks with ecrecover; the admin can revoke an entry with a reason.
import ContractDSL

public let keyDirectory = Contract("KeyDirectory") {
    Storage("admin", .address)
    Storage("entries", .map(.address, to: .record("Entry")))
    Storage("maxKeyLength", .uint256)
    Record("Entry", ("key", .bytes), ("label", .string), ("publishedAt", .uint64), ("revoked", .bool))

    Event("KeyPublished", .indexed("owner", .address), .field("key", .bytes), .field("label", .string))
    Event("KeyRevoked", .indexed("owner", .address), .field("reason", .string))

    CustomError("KeyTooLong", ("length", .uint256), ("limit", .uint256))
    CustomError("BadProof", ("signer", .address))
    CustomError("Revoked", ("owner", .address), ("reason", .string))

    Constructor(("maxKeyLength", .uint256)) {
        Assign(state.admin, sender)
        Assign(state.maxKeyLength, local.maxKeyLength)
    }

    /// The proof is the sender's 65-byte signature over keccak256("d6g-key-v1", chainID, this
    /// contract, sender, keccak256(key)): a key published for another account or chain fails.
    Function("publish", ("key", .bytes), ("label", .string), ("proof", .bytes)) {
        Require(!state.entries[sender].revoked, error: "Revoked", sender, text("revoked keys stay revoked"))
        Require(local.key.length <= state.maxKeyLength, error: "KeyTooLong", local.key.length, state.maxKeyLength)
        Let("digest", keccak256(keccak256(text("d6g-key-v1")), chainID, contractAddress, sender, keccak256(local.key)))
        Let("signer", recoverSigner(digest: local.digest, signature: local.proof))
        Require(local.signer == sender, error: "BadProof", local.signer)
        Assign(state.entries[sender].key, local.key)
        Assign(state.entries[sender].label, local.label)
        Assign(state.entries[sender].publishedAt, blockNumber.as(.uint64))
        Emit("KeyPublished", sender, local.key, local.label)
    }

    Function("keyOf", ("owner", .address), returns: .bytes, .view) { Return(state.entries[local.owner].key) }
    Function("labelOf", ("owner", .address), returns: .string, .view) { Return(state.entries[local.owner].label) }
    Function("publishedAt", ("owner", .address), returns: .uint64, .view) { Return(state.entries[local.owner].publishedAt) }

    Function("revoke", ("owner", .address), ("reason", .string), only: [state.admin]) {
        Assign(state.entries[local.owner].revoked, true)
        Assign(state.entries[local.owner].key, byteString([]))
        Emit("KeyRevoked", local.owner, local.reason)
    }
}
