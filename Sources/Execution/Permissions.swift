// The chain's permissioning rules (DESIGN.md §9, Docs/adr/0007): who may send transactions and
// who may deploy contracts is the storage of the Permissions system contract at a reserved
// address. Genesis writes it from `config.d6g` (admin, sendAllowlist, deployAllowlist); the admin
// changes it with ordinary transactions to the contract (Contracts/Permissions.swift); admission
// and execution both read it here, so a proposer cannot include what the pool refuses.
import LedgerCrypto
import LedgerPrimitives

public enum Permissions {
    /// The reserved address 0xd6e0000000000000000000000000000000000001, far from the low
    /// addresses where Ethereum puts its precompiles.
    public static let address = Address(bytes: [0xd6, 0xe0] + [UInt8](repeating: 0, count: 17) + [0x01])!

    /// The contract's storage slots (Contracts/Permissions.swift declares them in this order; the
    /// compiler tests check the two agree). Slots 6 and up are free for the validator set and its
    /// votes (the network issue).
    public enum Slot {
        public static let admin = UInt256(0)
        public static let pendingAdmin = UInt256(1)
        public static let sendRestricted = UInt256(2)
        public static let deployRestricted = UInt256(3)
        public static let senders = UInt256(4)
        public static let deployers = UInt256(5)
    }

    /// What genesis sets: nil lists leave sending or deploying open to anyone.
    public struct Settings: Sendable, Hashable {
        /// Who may change the lists; nil: nobody, the genesis lists are final.
        public var admin: Address?
        public var senders: Set<Address>?
        public var deployers: Set<Address>?

        public init(admin: Address? = nil, senders: Set<Address>? = nil, deployers: Set<Address>? = nil) {
            self.admin = admin
            self.senders = senders
            self.deployers = deployers
        }

        /// Anyone may send and deploy, and nobody may change that.
        public static let open = Settings()
    }

    /// The storage slot of `account` in the map at `slot` (Solidity's layout:
    /// keccak256(pad32(key) ‖ pad32(slot))).
    public static func entry(_ account: Address, inMapAt slot: UInt256) -> UInt256 {
        UInt256(Keccak256.hash([UInt8](repeating: 0, count: 12) + account.bytes + slot.bigEndianBytes))
    }

    /// The contract's account at genesis: its pinned code and the storage `settings` describe.
    public static func genesisAccount(_ settings: Settings) -> (code: [UInt8], storage: [UInt256: UInt256]) {
        var storage: [UInt256: UInt256] = [:]
        if let admin = settings.admin { storage[Slot.admin] = UInt256(admin) }
        if let senders = settings.senders {
            storage[Slot.sendRestricted] = UInt256(1)
            for account in senders { storage[entry(account, inMapAt: Slot.senders)] = UInt256(1) }
        }
        if let deployers = settings.deployers {
            storage[Slot.deployRestricted] = UInt256(1)
            for account in deployers { storage[entry(account, inMapAt: Slot.deployers)] = UInt256(1) }
        }
        return (runtimeCode, storage)
    }

    /// Writes the contract into `state` (genesis, and test chains): nonce 1, code and storage.
    public static func install(_ settings: Settings, in state: WorldState) throws(StateError) {
        let (code, storage) = genesisAccount(settings)
        try state.updateAccount(at: address) { $0.nonce = 1 }
        try state.setCode(code, at: address)
        for (slot, value) in storage { try state.setStorageValue(value, at: slot, of: address) }
    }

    /// Whether `account` may send transactions in `state`.
    public static func maySend(_ account: Address, in state: some StateReader) throws(StateError) -> Bool {
        try allowed(account, flag: Slot.sendRestricted, list: Slot.senders, in: state)
    }

    /// Whether `account` may create contracts in `state`.
    public static func mayDeploy(_ account: Address, in state: some StateReader) throws(StateError) -> Bool {
        try allowed(account, flag: Slot.deployRestricted, list: Slot.deployers, in: state)
    }

    private static func allowed(_ account: Address, flag: UInt256, list: UInt256,
                                in state: some StateReader) throws(StateError) -> Bool {
        guard !(try state.storageValue(at: flag, of: address)).isZero else { return true }
        return !(try state.storageValue(at: entry(account, inMapAt: list), of: address)).isZero
    }
}
