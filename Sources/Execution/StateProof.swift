// Merkle proofs of an account and of some of its storage slots against a state root, as
// eth_getProof returns them (EIP-1186): a light client holding only a block's stateRoot checks
// the account with the account proof, then each slot against the account's storageRoot.
import LedgerPrimitives
import StateTrie

/// An account (empty when it does not exist) with its proof, and the proven slots.
public struct AccountProof: Sendable, Equatable {
    public struct Slot: Sendable, Equatable {
        public var key: UInt256
        /// Zero when the slot is empty; the proof then proves the key's absence.
        public var value: UInt256
        /// The storage-trie nodes on the path of keccak(key), root first.
        public var proof: [[UInt8]]
    }

    public var address: Address
    public var account: Account
    /// The state-trie nodes on the path of keccak(address), root first.
    public var accountProof: [[UInt8]]
    public var storage: [Slot]
}

extension TrieStateReader {
    /// The proof of `address` and of each of `slots`, in the order given.
    public func proof(of address: Address, slots: [UInt256]) throws(StateError) -> AccountProof {
        let accountProof: [[UInt8]]
        do { accountProof = try accounts.proof(forKey: address.bytes) } catch { throw .trie(error) }
        let account = try self.account(at: address) ?? Account()
        var storage: [AccountProof.Slot] = []
        storage.reserveCapacity(slots.count)
        if account.storageRoot == Account.emptyStorageRoot {
            // An empty storage trie proves every key absent without a node.
            storage = slots.map { AccountProof.Slot(key: $0, value: .zero, proof: []) }
        } else {
            let trie: SecureTrie
            do { trie = try SecureTrie(rootHash: account.storageRoot, store: nodes) } catch { throw .trie(error) }
            for slot in slots {
                let proof: [[UInt8]]
                do { proof = try trie.proof(forKey: slot.bigEndianBytes) } catch { throw .trie(error) }
                let value = try storageValue(at: slot, of: address, storageRoot: account.storageRoot)
                storage.append(AccountProof.Slot(key: slot, value: value, proof: proof))
            }
        }
        return AccountProof(address: address, account: account, accountProof: accountProof, storage: storage)
    }
}
