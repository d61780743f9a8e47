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
    /// compiler tests check the two agree).
    public enum Slot {
        public static let admin = UInt256(0)
        public static let pendingAdmin = UInt256(1)
        public static let sendRestricted = UInt256(2)
        public static let deployRestricted = UInt256(3)
        public static let senders = UInt256(4)
        public static let deployers = UInt256(5)
        /// The validators' addresses, an array.
        public static let validators = UInt256(6)
        /// Address → record (nodeKey: bytes, votingPower: uint64, position: index + 1).
        public static let validatorInfo = UInt256(7)
        public static let totalPower = UInt256(8)
        public static let setVersion = UInt256(9)
    }

    /// The most validators the contract admits.
    public static let maximumValidators = 128

    /// What genesis sets: nil lists leave sending or deploying open to anyone.
    public struct Settings: Sendable, Hashable {
        /// Who may change the lists; nil: nobody, the genesis lists are final.
        public var admin: Address?
        public var senders: Set<Address>?
        public var deployers: Set<Address>?
        /// The genesis validator set (what `config.d6g.validators` lists).
        public var validators: [ValidatorMember]

        public init(admin: Address? = nil, senders: Set<Address>? = nil, deployers: Set<Address>? = nil,
                    validators: [ValidatorMember] = []) {
            self.admin = admin
            self.senders = senders
            self.deployers = deployers
            self.validators = validators
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
        var total = UInt256(0)
        storage[Slot.validators] = UInt256(UInt64(settings.validators.count))
        let elements = arrayStart(Slot.validators)
        for (index, member) in settings.validators.enumerated() {
            storage[elements &+ UInt256(UInt64(index))] = UInt256(member.address)
            let record = entry(member.address, inMapAt: Slot.validatorInfo)
            for (slot, word) in byteStringSlots(member.nodeKey, at: record) { storage[slot] = word }
            storage[record &+ UInt256(1)] = UInt256(member.power)
            storage[record &+ UInt256(2)] = UInt256(UInt64(index + 1))
            total = total &+ UInt256(member.power)
        }
        storage[Slot.totalPower] = total
        return (runtimeCode, storage.filter { !$0.value.isZero })
    }

    /// The validator set in `state`, in the contract's array order. The contract admits only
    /// what this reads back (at most 128 members, 33-byte node keys, power ≥ 1); anything else
    /// here means the state is not a chain's and is refused.
    public static func validators(in state: some StateReader) throws(PermissionsError) -> [ValidatorMember] {
        do {
            let count = try state.storageValue(at: Slot.validators, of: address)
            guard let length = count.exactInt, length <= maximumValidators else { throw PermissionsError.malformedValidatorSet("\(count) validators") }
            let elements = arrayStart(Slot.validators)
            var members: [ValidatorMember] = []
            for index in 0..<length {
                let word = try state.storageValue(at: elements &+ UInt256(UInt64(index)), of: address)
                let member = Address(truncating: word)
                let record = entry(member, inMapAt: Slot.validatorInfo)
                let nodeKey = try readByteString(at: record, in: state, limit: 33)
                guard let power = try state.storageValue(at: record &+ UInt256(1), of: address).exactUInt64, power > 0,
                      nodeKey.count == 33 else {
                    throw PermissionsError.malformedValidatorSet("member \(member)")
                }
                members.append(ValidatorMember(address: member, nodeKey: nodeKey, power: power))
            }
            guard !members.isEmpty else { throw PermissionsError.malformedValidatorSet("no validators") }
            return members
        } catch let error as PermissionsError {
            throw error
        } catch {
            throw PermissionsError.state("\(error)")
        }
    }

    /// Where an array's elements start: keccak256(slot).
    static func arrayStart(_ slot: UInt256) -> UInt256 { UInt256(Keccak256.hash(slot.bigEndianBytes)) }

    /// A byte string's slots in Solidity's layout: up to 31 bytes in the slot itself with the
    /// length × 2 in the low byte; longer, length × 2 + 1 in the slot and the bytes from
    /// keccak256(slot) on.
    static func byteStringSlots(_ bytes: [UInt8], at slot: UInt256) -> [(UInt256, UInt256)] {
        if bytes.count < 32 {
            var word = bytes + [UInt8](repeating: 0, count: 32 - bytes.count)
            word[31] = UInt8(bytes.count * 2)
            return [(slot, (UInt256(bigEndianBytes: word) ?? UInt256(0)))]
        }
        var slots = [(slot, UInt256(UInt64(bytes.count * 2 + 1)))]
        let start = arrayStart(slot)
        for (index, offset) in stride(from: 0, to: bytes.count, by: 32).enumerated() {
            let chunk = Array(bytes[offset..<min(offset + 32, bytes.count)])
            slots.append((start &+ UInt256(UInt64(index)), UInt256(bigEndianBytes: chunk + [UInt8](repeating: 0, count: 32 - chunk.count)) ?? UInt256(0)))
        }
        return slots
    }

    static func readByteString(at slot: UInt256, in state: some StateReader, limit: Int) throws -> [UInt8] {
        let head = try state.storageValue(at: slot, of: address)
        let word = head.bigEndianBytes
        if word[31] & 1 == 0 {
            let length = Int(word[31] / 2)
            guard length < 32, length <= limit else { throw PermissionsError.malformedValidatorSet("short byte string") }
            return Array(word[0..<length])
        }
        guard let encoded = head.exactInt, encoded / 2 <= limit else { throw PermissionsError.malformedValidatorSet("long byte string") }
        let length = encoded / 2
        var bytes: [UInt8] = []
        let start = arrayStart(slot)
        for index in 0..<((length + 31) / 32) {
            bytes += try state.storageValue(at: start &+ UInt256(UInt64(index)), of: address).bigEndianBytes
        }
        return Array(bytes.prefix(length))
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

/// Why the validator set could not be read from a state.
public enum PermissionsError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedValidatorSet(String)
    case state(String)

    public var description: String {
        switch self {
        case .malformedValidatorSet(let detail): "the Permissions contract's validator set is malformed: \(detail)"
        case .state(let detail): "reading the validator set: \(detail)"
        }
    }
}
