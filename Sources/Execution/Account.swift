// An account as Ethereum's state trie stores it: rlp([nonce, balance, storageRoot, codeHash]),
// under keccak-256 of the address (DESIGN.md §2). Contract addresses follow Ethereum's CREATE rule.
import LedgerPrimitives
import StateTrie

public struct Account: Hashable, Sendable {
    /// keccak-256 of no bytes: the code hash of an account without code.
    public static let emptyCodeHash = Keccak256.hash([])
    /// The root of an empty storage trie.
    public static let emptyStorageRoot = MerklePatriciaTrie.emptyRootHash

    public var nonce: UInt64
    public var balance: UInt256
    public var storageRoot: Hash32
    public var codeHash: Hash32

    public init(nonce: UInt64 = 0, balance: UInt256 = .zero, storageRoot: Hash32 = Account.emptyStorageRoot,
                codeHash: Hash32 = Account.emptyCodeHash) {
        self.nonce = nonce
        self.balance = balance
        self.storageRoot = storageRoot
        self.codeHash = codeHash
    }

    /// EIP-161's empty account: no nonce, no balance, no code. Such an account, once touched by a
    /// transaction, is removed from the state rather than stored.
    public var isEmpty: Bool { nonce == 0 && balance.isZero && codeHash == Self.emptyCodeHash }

    public var hasCode: Bool { codeHash != Self.emptyCodeHash }

    public var encoded: [UInt8] {
        RLP.Item.list([
            .uint64(nonce), .bytes(balance.minimalBigEndianBytes), .hash(storageRoot), .hash(codeHash),
        ]).encoded
    }

    /// Strict decoding of `encoded`.
    public init(decoding raw: [UInt8]) throws(RLPError) {
        let fields = try RLP.decode(raw).list(count: 4)
        nonce = try fields[0].uint64()
        balance = UInt256(bigEndianBytes: try fields[1].integerBytes(maxBytes: 32))!
        storageRoot = try fields[2].hash()
        codeHash = try fields[3].hash()
    }
}

extension Address {
    /// The address of the contract that `creator` deploys with nonce `nonce`:
    /// keccak-256(rlp([creator, nonce]))[12…] (DESIGN.md §2).
    public static func contractAddress(creator: Address, nonce: UInt64) -> Address {
        let hash = Keccak256.hash(RLP.Item.list([.address(creator), .uint64(nonce)]).encoded)
        return Address(bytes: hash.bytes[12...])!
    }
}
