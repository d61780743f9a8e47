// The mutable state of one block's execution: an overlay over a read-only `TrieStateReader` that
// caches what it reads and records what changes, with a journal so a failed call or creation can
// be undone to a snapshot (storage, balances, nonces, code and logs alike). Nothing here writes to
// a store: `commit` turns the changes into a `StateDiff` for the node to persist.
// Docs/execution.md §State.
import LedgerPrimitives
import LedgerTypes
import StateTrie

public final class WorldState: StateReader {
    public let base: TrieStateReader

    /// Accounts as the base state has them (nil: absent), read once.
    private var baseAccounts: [Address: Account?] = [:]
    /// Accounts changed by execution (nil: removed).
    private var changedAccounts: [Address: Account?] = [:]
    /// Slots as the base state has them, read once.
    private var baseStorage: [Address: [UInt256: UInt256]] = [:]
    /// Slots changed by execution.
    private var changedStorage: [Address: [UInt256: UInt256]] = [:]
    /// Code read from the base or deployed here, by hash.
    private var codeByHash: [Hash32: [UInt8]] = [:]
    /// Logs emitted since the state was opened, in order.
    public private(set) var logs: [Log] = []
    private var journal: [JournalEntry] = []

    private enum JournalEntry {
        /// `previous` nil: the account was unchanged before.
        case account(Address, previous: Account??)
        case storage(Address, UInt256, previous: UInt256?)
        case log
    }

    /// A point to revert to: the journal's length when it was taken.
    public struct Snapshot: Sendable, Hashable {
        fileprivate let journalLength: Int
    }

    public init(base: TrieStateReader) {
        self.base = base
    }

    // MARK: Reads

    public func account(at address: Address) throws(StateError) -> Account? {
        if let changed = changedAccounts[address] { return changed }
        return try baseAccount(at: address)
    }

    private func baseAccount(at address: Address) throws(StateError) -> Account? {
        if let cached = baseAccounts[address] { return cached }
        let account = try base.account(at: address)
        baseAccounts[address] = account
        return account
    }

    public func storageValue(at slot: UInt256, of address: Address) throws(StateError) -> UInt256 {
        if let value = changedStorage[address]?[slot] { return value }
        if let value = baseStorage[address]?[slot] { return value }
        // Storage of an account created in this block starts empty; otherwise read the base trie.
        var value = UInt256.zero
        if let account = try baseAccount(at: address) {
            value = try base.storageValue(at: slot, of: address, storageRoot: account.storageRoot)
        }
        baseStorage[address, default: [:]][slot] = value
        return value
    }

    public func code(withHash hash: Hash32) throws(StateError) -> [UInt8] {
        if hash == Account.emptyCodeHash { return [] }
        if let code = codeByHash[hash] { return code }
        let code = try base.code(withHash: hash)
        codeByHash[hash] = code
        return code
    }

    // MARK: Writes (journaled)

    public func setAccount(_ account: Account?, at address: Address) {
        journal.append(.account(address, previous: changedAccounts[address]))
        changedAccounts[address] = .some(account)
    }

    /// Applies `change` to the account at `address` (a fresh empty account if there is none).
    public func updateAccount(at address: Address, _ change: (inout Account) -> Void) throws(StateError) {
        var account = try account(at: address) ?? Account()
        change(&account)
        setAccount(account, at: address)
    }

    public func setBalance(_ balance: UInt256, of address: Address) throws(StateError) {
        try updateAccount(at: address) { $0.balance = balance }
    }

    public func setNonce(_ nonce: UInt64, of address: Address) throws(StateError) {
        try updateAccount(at: address) { $0.nonce = nonce }
    }

    /// Adds to a balance; false (and no change) if the sum would exceed 2^256 − 1.
    @discardableResult
    public func addBalance(_ amount: UInt256, to address: Address) throws(StateError) -> Bool {
        let balance = try balance(of: address)
        let (sum, overflow) = balance.addingReportingOverflow(amount)
        guard !overflow else { return false }
        try setBalance(sum, of: address)
        return true
    }

    /// Subtracts from a balance; false (and no change) if the balance is too small.
    public func subtractBalance(_ amount: UInt256, from address: Address) throws(StateError) -> Bool {
        let balance = try balance(of: address)
        guard !(balance < amount) else { return false }
        try setBalance(balance &- amount, of: address)
        return true
    }

    /// Moves `value` between accounts; false (and no change) if `sender` cannot afford it.
    /// The recipient is touched even for a zero value, as in Ethereum.
    public func transfer(_ value: UInt256, from sender: Address, to recipient: Address) throws(StateError) -> Bool {
        let snapshot = snapshot()
        guard try subtractBalance(value, from: sender), try addBalance(value, to: recipient) else {
            revert(to: snapshot)
            return false
        }
        return true
    }

    public func setStorageValue(_ value: UInt256, at slot: UInt256, of address: Address) throws(StateError) {
        // Read first so the base value is cached: the diff then holds only real changes.
        _ = try storageValue(at: slot, of: address)
        journal.append(.storage(address, slot, previous: changedStorage[address]?[slot]))
        changedStorage[address, default: [:]][slot] = value
    }

    /// Stores `code` as the code of `address` (its code hash changes; the bytes go to the diff).
    public func setCode(_ code: [UInt8], at address: Address) throws(StateError) {
        let hash = Keccak256.hash(code)
        if !code.isEmpty { codeByHash[hash] = code }
        try updateAccount(at: address) { $0.codeHash = hash }
    }

    public func emit(_ log: Log) {
        journal.append(.log)
        logs.append(log)
    }

    // MARK: Snapshots

    public func snapshot() -> Snapshot { Snapshot(journalLength: journal.count) }

    /// Undoes every write made since `snapshot`, logs included.
    public func revert(to snapshot: Snapshot) {
        while journal.count > snapshot.journalLength {
            switch journal.removeLast() {
            case .account(let address, let previous):
                changedAccounts[address] = previous
            case .storage(let address, let slot, let previous):
                changedStorage[address]?[slot] = previous
            case .log:
                logs.removeLast()
            }
        }
    }

    // MARK: Commit

    /// The changes as a diff: new storage and state trie roots, the new trie nodes, changed
    /// accounts, slots and code. `deletingEmptyAccounts` applies EIP-161 to every changed account
    /// (on for transactions; off for genesis, whose allocations are kept as written, as geth does).
    /// The overlay stays usable afterwards; a later commit builds on the same base again.
    public func commit(deletingEmptyAccounts: Bool = true) throws(StateError) -> StateDiff {
        var diff = StateDiff(stateRoot: base.stateRoot)
        var accountTrie: SecureTrie
        do { accountTrie = try SecureTrie(rootHash: base.stateRoot, store: base.nodes) } catch { throw .trie(error) }

        for address in Set(changedAccounts.keys).union(changedStorage.keys).sorted() {
            let existedBefore = try baseAccount(at: address) != nil
            guard var account = try account(at: address),
                  !(deletingEmptyAccounts && account.isEmpty) else {
                if existedBefore {
                    do { try accountTrie.removeValue(forKey: address.bytes) } catch { throw .trie(error) }
                    diff.deletedAccounts.insert(address)
                }
                continue
            }
            let slots = try changedSlots(of: address)
            if !slots.isEmpty {
                account.storageRoot = try commitStorage(slots, of: address, into: &diff)
                diff.storage[address] = slots
            }
            if account.hasCode, let code = codeByHash[account.codeHash],
               try baseAccount(at: address)?.codeHash != account.codeHash {
                diff.code[account.codeHash] = code
            }
            if try baseAccount(at: address) != account {
                do { try accountTrie.insert(account.encoded, forKey: address.bytes) } catch { throw .trie(error) }
                diff.accounts[address] = account
            }
        }
        let commit = accountTrie.commit()
        diff.trieNodes.merge(commit.nodes) { existing, _ in existing }
        diff.stateRoot = commit.rootHash
        return diff
    }

    /// The slots of `address` whose value differs from the base state.
    private func changedSlots(of address: Address) throws(StateError) -> [UInt256: UInt256] {
        guard let changes = changedStorage[address] else { return [:] }
        var slots: [UInt256: UInt256] = [:]
        for (slot, value) in changes where baseStorage[address]?[slot] != value {
            slots[slot] = value
        }
        return slots
    }

    private func commitStorage(_ slots: [UInt256: UInt256], of address: Address,
                               into diff: inout StateDiff) throws(StateError) -> Hash32 {
        let root = try baseAccount(at: address)?.storageRoot ?? Account.emptyStorageRoot
        do {
            var trie = try SecureTrie(rootHash: root, store: base.nodes)
            for (slot, value) in slots {
                if value.isZero {
                    try trie.removeValue(forKey: slot.bigEndianBytes)
                } else {
                    try trie.insert(StorageEncoding.encode(value), forKey: slot.bigEndianBytes)
                }
            }
            let commit = trie.commit()
            diff.trieNodes.merge(commit.nodes) { existing, _ in existing }
            return commit.rootHash
        } catch { throw .trie(error) }
    }
}

/// Everything a block changed in the state, enough to persist it: the node writes the trie nodes
/// by hash, the code by hash, and (for its flat tables) the changed accounts and slots.
public struct StateDiff: Sendable, Equatable {
    /// The state root after the changes.
    public var stateRoot: Hash32
    /// Accounts created or changed, with their new value.
    public var accounts: [Address: Account] = [:]
    /// Accounts that existed before and are gone (EIP-161 empty accounts).
    public var deletedAccounts: Set<Address> = []
    /// Changed slots per account; a zero value means the slot was cleared.
    public var storage: [Address: [UInt256: UInt256]] = [:]
    /// Code deployed, by keccak-256.
    public var code: [Hash32: [UInt8]] = [:]
    /// New state and storage trie nodes: keccak-256(encoding) → encoding.
    public var trieNodes: [Hash32: [UInt8]] = [:]

    public init(stateRoot: Hash32) {
        self.stateRoot = stateRoot
    }
}
