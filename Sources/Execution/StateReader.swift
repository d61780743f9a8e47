// Read-only views of the world state. `TrieStateReader` reads an Ethereum state trie at one root
// through a node store (the node's trie-node table, or memory in tests) and code by hash through a
// `CodeStore`; it never writes. Execution layers a `WorldState` over it (Docs/execution.md §State).
import LedgerPrimitives
import StateTrie

/// Why the state could not be read: a node fault, never a transaction's fault.
public enum StateError: Error, Equatable, Sendable, CustomStringConvertible {
    case trie(TrieError)
    /// The state trie holds bytes that do not decode as an account.
    case malformedAccount(Address, RLPError)
    /// A storage trie holds bytes that do not decode as a 32-byte value.
    case malformedStorageValue(Address, slot: UInt256)
    /// An account's code hash has no code in the code store.
    case missingCode(Hash32)
    /// The code store could not be read (an adapter's I/O error, described).
    case codeStoreFailure(String)

    public var description: String {
        switch self {
        case .trie(let error): return "state: \(error)"
        case .malformedAccount(let address, let error): return "state: account \(address) is malformed: \(error)"
        case .malformedStorageValue(let address, let slot):
            return "state: storage slot \(slot.hexString) of \(address) is malformed"
        case .missingCode(let hash): return "state: code \(hash) is not in the code store"
        case .codeStoreFailure(let reason): return "state: code store failed: \(reason)"
        }
    }
}

/// Reads the world state: what the mempool, RPC and execution need to know of accounts.
public protocol StateReader {
    /// The account at `address`, or nil if the state has none.
    func account(at address: Address) throws(StateError) -> Account?
    /// The value of storage slot `slot` of `address`; zero when unset.
    func storageValue(at slot: UInt256, of address: Address) throws(StateError) -> UInt256
    /// The code whose keccak-256 is `hash` (empty for `Account.emptyCodeHash`).
    func code(withHash hash: Hash32) throws(StateError) -> [UInt8]
}

extension StateReader {
    public func balance(of address: Address) throws(StateError) -> UInt256 {
        try account(at: address)?.balance ?? .zero
    }

    public func nonce(of address: Address) throws(StateError) -> UInt64 {
        try account(at: address)?.nonce ?? 0
    }

    public func code(at address: Address) throws(StateError) -> [UInt8] {
        guard let account = try account(at: address), account.hasCode else { return [] }
        return try code(withHash: account.codeHash)
    }
}

/// Contract code by its keccak-256 (the node's code table).
public protocol CodeStore {
    /// nil when the store has no code with this hash.
    func code(withHash hash: Hash32) throws(StateError) -> [UInt8]?
}

/// Code kept in a dictionary: for tests, tools and genesis.
public final class InMemoryCodeStore: CodeStore {
    public private(set) var codes: [Hash32: [UInt8]] = [:]

    public init() {}

    public func code(withHash hash: Hash32) throws(StateError) -> [UInt8]? { codes[hash] }

    public func write(_ code: [UInt8]) { codes[Keccak256.hash(code)] = code }

    /// Writes a diff's new code.
    public func write(_ diff: StateDiff) { codes.merge(diff.code) { existing, _ in existing } }
}

/// The state at `stateRoot`, read from a trie-node store and a code store.
public struct TrieStateReader: StateReader {
    public let stateRoot: Hash32
    public let nodes: any TrieNodeStore
    public let codes: any CodeStore
    let accounts: SecureTrie

    /// Opens the state trie; throws if the store lacks its root node.
    public init(stateRoot: Hash32, nodes: any TrieNodeStore, codes: any CodeStore) throws(StateError) {
        self.stateRoot = stateRoot
        self.nodes = nodes
        self.codes = codes
        do { accounts = try SecureTrie(rootHash: stateRoot, store: nodes) } catch { throw .trie(error) }
    }

    /// The empty state over empty stores: where genesis starts.
    public static func empty() -> TrieStateReader {
        try! TrieStateReader(stateRoot: MerklePatriciaTrie.emptyRootHash, nodes: EmptyTrieNodeStore(),
                             codes: InMemoryCodeStore())
    }

    public func account(at address: Address) throws(StateError) -> Account? {
        let raw: [UInt8]?
        do { raw = try accounts.value(forKey: address.bytes) } catch { throw .trie(error) }
        guard let raw else { return nil }
        do { return try Account(decoding: raw) } catch { throw .malformedAccount(address, error) }
    }

    public func storageValue(at slot: UInt256, of address: Address) throws(StateError) -> UInt256 {
        guard let account = try account(at: address) else { return .zero }
        return try storageValue(at: slot, of: address, storageRoot: account.storageRoot)
    }

    /// The slot's value in the storage trie with root `storageRoot` (the account's, already read).
    public func storageValue(at slot: UInt256, of address: Address, storageRoot: Hash32) throws(StateError) -> UInt256 {
        guard storageRoot != Account.emptyStorageRoot else { return .zero }
        let raw: [UInt8]?
        do {
            raw = try SecureTrie(rootHash: storageRoot, store: nodes).value(forKey: slot.bigEndianBytes)
        } catch { throw .trie(error) }
        guard let raw else { return .zero }
        return try StorageEncoding.decode(raw, slot: slot, of: address)
    }

    public func code(withHash hash: Hash32) throws(StateError) -> [UInt8] {
        if hash == Account.emptyCodeHash { return [] }
        guard let code = try codes.code(withHash: hash) else { throw .missingCode(hash) }
        return code
    }
}

/// Storage trie values: rlp of the value's minimal big-endian bytes, as Ethereum stores them.
enum StorageEncoding {
    static func encode(_ value: UInt256) -> [UInt8] {
        RLP.Item.bytes(value.minimalBigEndianBytes).encoded
    }

    static func decode(_ raw: [UInt8], slot: UInt256, of address: Address) throws(StateError) -> UInt256 {
        do {
            let bytes = try RLP.decode(raw).integerBytes(maxBytes: 32)
            return UInt256(bigEndianBytes: bytes)!
        } catch {
            throw .malformedStorageValue(address, slot: slot)
        }
    }
}
