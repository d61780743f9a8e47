// The genesis file: geth's shape (config.chainId, alloc, gasLimit, baseFeePerGas, extraData,
// timestamp) plus `config.d6g` for this chain's own settings (validators, fee recipient, block
// timing, allowlists). Parsing names the field at fault; `build()` makes the genesis state and
// block 0 without touching storage. Genesis/README.md explains every field.
import LedgerCrypto
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import StateTrie

/// One validator of the genesis set.
public struct GenesisValidator: Sendable, Hashable {
    /// Compressed secp256k1 public key (33 bytes) that signs votes.
    public var consensusKey: [UInt8]
    /// Compressed secp256k1 public key (33 bytes) of the validator's P2P identity.
    public var nodeKey: [UInt8]
    public var power: UInt64
    /// The consensus key's address: the header's `proposer` when this validator proposes.
    public var address: Address

    public init(consensusKey: PublicKey, nodeKey: PublicKey, power: UInt64) {
        self.consensusKey = consensusKey.compressedBytes
        self.nodeKey = nodeKey.compressedBytes
        self.power = power
        self.address = consensusKey.address
    }

    /// What the Permissions contract holds of it.
    public var member: ValidatorMember { ValidatorMember(address: address, nodeKey: nodeKey, power: power) }
}

/// A member of a validator set as the chain holds it (the Permissions contract's storage): the
/// consensus key's address, the P2P node key and the voting power.
public struct ValidatorMember: Sendable, Hashable {
    public var address: Address
    /// Compressed secp256k1 public key (33 bytes) of the validator's P2P identity.
    public var nodeKey: [UInt8]
    public var power: UInt64

    public init(address: Address, nodeKey: [UInt8], power: UInt64) {
        self.address = address
        self.nodeKey = nodeKey
        self.power = power
    }

    /// keccak-256 of rlp([[address, nodeKey, power], …]) with members sorted by address: the
    /// header's validatorsHash for this set (ADR 0002, ADR 0009).
    public static func setHash(of members: [ValidatorMember]) -> Hash32 {
        let items = members.sorted { $0.address < $1.address }.map {
            RLP.Item.list([.address($0.address), .bytes($0.nodeKey), .uint64($0.power)])
        }
        return Keccak256.hash(RLP.Item.list(items).encoded)
    }
}

/// An account allocated at genesis.
public struct GenesisAccount: Sendable, Hashable {
    public var balance: UInt256
    public var nonce: UInt64
    public var code: [UInt8]
    public var storage: [UInt256: UInt256]

    public init(balance: UInt256, nonce: UInt64 = 0, code: [UInt8] = [], storage: [UInt256: UInt256] = [:]) {
        self.balance = balance
        self.nonce = nonce
        self.code = code
        self.storage = storage
    }
}

/// `config.d6g`: what this chain adds to geth's genesis.
public struct ChainSettings: Sendable, Hashable {
    public var validators: [GenesisValidator]
    /// Receives all fees; nil means each block's proposer.
    public var feeRecipient: Address?
    /// Whether the base fee follows EIP-1559's adjustment (off: fixed at genesis's value).
    public var baseFeeFloats: Bool
    public var minBlockIntervalMs: UInt64
    public var emptyBlockPeriodMs: UInt64
    /// Who may change the allowlists through the Permissions system contract; nil: nobody.
    public var admin: Address?
    public var sendAllowlist: Set<Address>?
    public var deployAllowlist: Set<Address>?

    /// The Permissions contract's genesis storage.
    public var permissions: Permissions.Settings {
        Permissions.Settings(admin: admin, senders: sendAllowlist, deployers: deployAllowlist,
                             validators: validators.map(\.member))
    }

    public static let defaultMinBlockIntervalMs: UInt64 = 250
    public static let defaultEmptyBlockPeriodMs: UInt64 = 5_000
}

public struct Genesis: Sendable, Hashable {
    public var chainId: UInt64
    public var settings: ChainSettings
    public var alloc: [Address: GenesisAccount]
    public var gasLimit: UInt64
    public var baseFeePerGas: UInt256
    public var extraData: [UInt8]
    /// Seconds.
    public var timestamp: UInt64

    /// The execution rules this genesis sets.
    public var rules: ChainRules {
        ChainRules(chainId: chainId)
    }

    public var validatorsHash: Hash32 { ValidatorMember.setHash(of: settings.validators.map(\.member)) }

    /// Block 0 and the state it commits to, for the node to persist.
    public func build() -> (block: Block, diff: StateDiff) {
        let world = WorldState(base: .empty())
        // An empty in-memory base state has nothing to fail on: every read answers "absent".
        do {
            for (address, account) in alloc {
                try world.updateAccount(at: address) {
                    $0.balance = account.balance
                    $0.nonce = account.nonce
                }
                if !account.code.isEmpty { try world.setCode(account.code, at: address) }
                for (slot, value) in account.storage where !value.isZero {
                    try world.setStorageValue(value, at: slot, of: address)
                }
            }
            try Permissions.install(settings.permissions, in: world)
            // geth keeps the allocations as written, empty ones included.
            let diff = try world.commit(deletingEmptyAccounts: false)
            let header = BlockHeader(
                parentHash: .zero, stateRoot: diff.stateRoot, transactionsRoot: MerklePatriciaTrie.emptyRootHash,
                receiptsRoot: MerklePatriciaTrie.emptyRootHash, logsBloom: Bloom(), number: 0, gasLimit: gasLimit,
                gasUsed: 0, timestamp: timestamp, baseFeePerGas: baseFeePerGas, extraData: extraData,
                proposer: .zero, round: 0, validatorsHash: validatorsHash, nextValidatorsHash: validatorsHash,
                lastCommitHash: .zero, timestampMs: timestamp * 1_000)
            return (Block(header: header, transactions: []), diff)
        } catch {
            preconditionFailure("genesis state over an empty in-memory base failed: \(error)")
        }
    }
}

// MARK: Parsing

/// A genesis file's fault: the field's path and what is wrong with it.
public struct GenesisError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Dotted path, e.g. `alloc.0xabc….balance` or `config.d6g.validators.0.power`.
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(field): \(problem)" }
}

extension Genesis {
    /// Parses a genesis file's bytes.
    public init(json: [UInt8]) throws(GenesisError) {
        let document: JSONValue
        do { document = try JSONParser.parse(json, limits: JSONParser.Limits(maxDepth: 64, maxBytes: .max)) } catch {
            throw GenesisError(field: "(document)", problem: "\(error)")
        }
        // A key written twice anywhere, even in a part this reader ignores, has no single meaning.
        if let path = Self.keyWrittenTwice(in: document, path: "") {
            throw GenesisError(field: path, problem: "written twice")
        }
        let root = try Fields(document, path: "")
        let config = try Fields(root.required("config"), path: "config")
        chainId = try config.uint64(config.required("chainId"), "chainId")
        let d6g = try Fields(config.required("d6g"), path: "config.d6g")
        try d6g.rejectUnknown(["validators", "feeRecipient", "baseFeeFloats", "minBlockIntervalMs",
                               "emptyBlockPeriodMs", "admin", "sendAllowlist", "deployAllowlist"])
        gasLimit = try root.uint64(root.required("gasLimit"), "gasLimit")
        guard gasLimit >= IntrinsicGas.transaction else {
            throw GenesisError(field: "gasLimit", problem: "must be at least 21000, the gas of one transfer")
        }
        baseFeePerGas = try root.uint256(root.required("baseFeePerGas"), "baseFeePerGas")
        extraData = try root["extraData"].map { value throws(GenesisError) in try root.hex(value, "extraData") } ?? []
        guard extraData.count <= BlockHeader.maximumExtraDataCount else {
            throw GenesisError(field: "extraData", problem: "\(extraData.count) bytes, at most 32 allowed")
        }
        timestamp = try root["timestamp"].map { value throws(GenesisError) in try root.uint64(value, "timestamp") } ?? 0
        // Blocks after it count milliseconds up from it: leave them the room of 2^64 ms.
        guard timestamp < 1 << 40 else {
            throw GenesisError(field: "timestamp", problem: "must be below 2^40 seconds (year 36812)")
        }
        settings = try Self.settings(d6g, baseFeeIsZero: baseFeePerGas.isZero)
        alloc = try Self.alloc(root["alloc"])
    }

    public init(json text: String) throws(GenesisError) {
        try self.init(json: Array(text.utf8))
    }

    private static func settings(_ d6g: Fields, baseFeeIsZero: Bool) throws(GenesisError) -> ChainSettings {
        let validatorList = try d6g.array(d6g.required("validators"), "validators")
        guard !validatorList.isEmpty else {
            throw GenesisError(field: "config.d6g.validators", problem: "at least one validator is required")
        }
        guard validatorList.count <= Permissions.maximumValidators else {
            throw GenesisError(field: "config.d6g.validators",
                               problem: "at most \(Permissions.maximumValidators) validators")
        }
        var validators: [GenesisValidator] = []
        var seen: Set<Address> = []
        var totalPower: UInt64 = 0
        for (index, entry) in validatorList.enumerated() {
            let fields = try Fields(entry, path: "config.d6g.validators.\(index)")
            try fields.rejectUnknown(["consensusKey", "nodeKey", "power"])
            let consensusKey = try fields.publicKey(fields.required("consensusKey"), "consensusKey")
            let nodeKey = try fields.publicKey(fields.required("nodeKey"), "nodeKey")
            let power = try fields.uint64(fields.required("power"), "power")
            guard power > 0 else { throw fields.error("power", "must be positive") }
            // The consensus core sums powers in an Int and caps the total at 2^16.
            guard power <= 1 << 16 - totalPower else {
                throw fields.error("power", "brings the set's total power above 65536")
            }
            totalPower += power
            guard seen.insert(consensusKey.address).inserted else {
                throw fields.error("consensusKey", "the same key appears twice in the set")
            }
            validators.append(GenesisValidator(consensusKey: consensusKey, nodeKey: nodeKey, power: power))
        }
        let feeRecipient = try d6g["feeRecipient"].map { value throws(GenesisError) in
            try d6g.address(value, "feeRecipient")
        }
        let floats = try d6g["baseFeeFloats"].map { value throws(GenesisError) in try d6g.bool(value, "baseFeeFloats") }
        let interval = try d6g["minBlockIntervalMs"].map { value throws(GenesisError) in
            try d6g.uint64(value, "minBlockIntervalMs")
        } ?? ChainSettings.defaultMinBlockIntervalMs
        guard interval > 0 else { throw d6g.error("minBlockIntervalMs", "must be positive") }
        let emptyPeriod = try d6g["emptyBlockPeriodMs"].map { value throws(GenesisError) in
            try d6g.uint64(value, "emptyBlockPeriodMs")
        } ?? ChainSettings.defaultEmptyBlockPeriodMs
        guard emptyPeriod >= interval else {
            throw d6g.error("emptyBlockPeriodMs", "must be at least minBlockIntervalMs (\(interval))")
        }
        let admin = try d6g["admin"].map { value throws(GenesisError) in try d6g.address(value, "admin") }
        let sendAllowlist = try d6g.addressSet(d6g["sendAllowlist"], "sendAllowlist")
        let deployAllowlist = try d6g.addressSet(d6g["deployAllowlist"], "deployAllowlist")
        // DESIGN.md §2: with free transactions, anyone could flood the chain.
        if baseFeeIsZero {
            if sendAllowlist == nil {
                throw d6g.error("sendAllowlist", "required when baseFeePerGas is 0 (free transactions must be restricted)")
            }
            if deployAllowlist == nil {
                throw d6g.error("deployAllowlist", "required when baseFeePerGas is 0 (free transactions must be restricted)")
            }
        }
        if let admin, let sendAllowlist, !sendAllowlist.contains(admin) {
            throw d6g.error("admin", "must be on sendAllowlist, or it could never send the transactions that change it")
        }
        return ChainSettings(validators: validators, feeRecipient: feeRecipient, baseFeeFloats: floats ?? false,
                             minBlockIntervalMs: interval, emptyBlockPeriodMs: emptyPeriod,
                             admin: admin, sendAllowlist: sendAllowlist, deployAllowlist: deployAllowlist)
    }

    private static func alloc(_ value: JSONValue?) throws(GenesisError) -> [Address: GenesisAccount] {
        guard let value else { return [:] }
        let entries = try Fields(value, path: "alloc")
        var alloc: [Address: GenesisAccount] = [:]
        // Balances are only ever moved, never minted, so a total that fits 256 bits means no
        // credit can overflow later (the executor's transfers rely on it).
        var total = UInt256.zero
        for key in entries.keys.sorted() {
            let address: Address
            do { address = try Address(hex: key) } catch {
                throw GenesisError(field: "alloc.\(key)", problem: "not an address: \(error)")
            }
            let fields = try Fields(entries[key]!, path: "alloc.\(key)")
            // geth's test-only `secretKey` is tolerated and ignored.
            try fields.rejectUnknown(["balance", "nonce", "code", "storage", "secretKey"])
            var account = GenesisAccount(balance: try fields.uint256(fields.required("balance"), "balance"))
            let (sum, overflow) = total.addingReportingOverflow(account.balance)
            guard !overflow else { throw fields.error("balance", "the balances of alloc add up to more than 2^256 - 1") }
            total = sum
            account.nonce = try fields["nonce"].map { value throws(GenesisError) in try fields.uint64(value, "nonce") } ?? 0
            account.code = try fields["code"].map { value throws(GenesisError) in try fields.hex(value, "code") } ?? []
            if let storageValue = fields["storage"] {
                let storage = try Fields(storageValue, path: "alloc.\(key).storage")
                for slotText in storage.keys.sorted() {
                    guard let slot = try? word(slotText) else {
                        throw GenesisError(field: "alloc.\(key).storage.\(slotText)", problem: "slot is not 32-byte hex")
                    }
                    guard case .string(let valueText) = storage[slotText]!, let word = try? word(valueText) else {
                        throw storage.error(slotText, "value is not a hex string of at most 32 bytes")
                    }
                    account.storage[slot] = word
                }
            }
            guard address != Permissions.address else {
                throw GenesisError(field: "alloc.\(key)", problem: "reserved for the Permissions system contract (config.d6g sets it)")
            }
            guard alloc.updateValue(account, forKey: address) == nil else {
                throw GenesisError(field: "alloc.\(key)", problem: "the address is allocated twice")
            }
        }
        return alloc
    }

    /// A storage key or value: hex of at most 32 bytes.
    private static func word(_ text: String) throws -> UInt256 {
        let bytes = try Hex.decode(text)
        guard bytes.count <= 32, let value = UInt256(bigEndianBytes: bytes) else { throw HexError.oddLength(0) }
        return value
    }
}

extension Genesis {
    /// The path of the first key that an object of `value` holds twice.
    fileprivate static func keyWrittenTwice(in value: JSONValue, path: String) -> String? {
        func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
        switch value {
        case .object(let object):
            var seen = Set<String>()
            for (key, member) in object.members {
                guard seen.insert(key).inserted else { return child(key) }
                if let found = keyWrittenTwice(in: member, path: child(key)) { return found }
            }
        case .array(let items):
            for (index, item) in items.enumerated() {
                if let found = keyWrittenTwice(in: item, path: "\(path)[\(index)]") { return found }
            }
        default:
            break
        }
        return nil
    }
}

/// An object's members (keys are unique: the document was checked), with readers that report
/// faults under the object's path.
private struct Fields {
    let members: [String: JSONValue]
    let path: String

    init(_ value: JSONValue, path: String) throws(GenesisError) {
        guard case .object(let object) = value else {
            throw GenesisError(field: path.isEmpty ? "(document)" : path, problem: "not an object")
        }
        self.members = Dictionary(object.members.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        self.path = path
    }

    var keys: Dictionary<String, JSONValue>.Keys { members.keys }

    subscript(key: String) -> JSONValue? {
        if case .null = members[key] { return nil }
        return members[key]
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ problem: String) -> GenesisError { GenesisError(field: name(key), problem: problem) }

    func required(_ key: String) throws(GenesisError) -> JSONValue {
        guard let value = self[key] else { throw error(key, "missing") }
        return value
    }

    func rejectUnknown(_ known: Set<String>) throws(GenesisError) {
        if let unknown = members.keys.sorted().first(where: { !known.contains($0) }) {
            throw error(unknown, "unknown field (expected one of \(known.sorted().joined(separator: ", ")))")
        }
    }

    /// geth's hex-or-decimal quantities: a JSON integer, or a string "0x…" (hex) or of digits.
    func uint256(_ value: JSONValue, _ key: String) throws(GenesisError) -> UInt256 {
        let text: String
        switch value {
        case .number(let literal): text = literal
        case .string(let string): text = string
        default: throw error(key, "not a number")
        }
        let parsed = text.hasPrefix("0x") || text.hasPrefix("0X")
            ? UInt256(hexString: text) : UInt256(decimalString: text)
        guard let parsed else { throw error(key, "not a number (\"\(text)\" is neither 0x-hex nor decimal digits)") }
        return parsed
    }

    func uint64(_ value: JSONValue, _ key: String) throws(GenesisError) -> UInt64 {
        guard let small = try uint256(value, key).exactUInt64 else { throw error(key, "larger than 2^64-1") }
        return small
    }

    func bool(_ value: JSONValue, _ key: String) throws(GenesisError) -> Bool {
        guard case .bool(let flag) = value else { throw error(key, "not true or false") }
        return flag
    }

    func array(_ value: JSONValue, _ key: String) throws(GenesisError) -> [JSONValue] {
        guard case .array(let elements) = value else { throw error(key, "not an array") }
        return elements
    }

    func hex(_ value: JSONValue, _ key: String) throws(GenesisError) -> [UInt8] {
        guard case .string(let text) = value else { throw error(key, "not a hex string") }
        do { return try Hex.decode(text) } catch { throw self.error(key, "not hex: \(error)") }
    }

    func address(_ value: JSONValue, _ key: String) throws(GenesisError) -> Address {
        guard case .string(let text) = value else { throw error(key, "not an address string") }
        do { return try Address(hex: text) } catch { throw self.error(key, "not an address: \(error)") }
    }

    func addressSet(_ value: JSONValue?, _ key: String) throws(GenesisError) -> Set<Address>? {
        guard let value else { return nil }
        var set: Set<Address> = []
        for (index, element) in try array(value, key).enumerated() {
            set.insert(try address(element, "\(key).\(index)"))
        }
        return set
    }

    func publicKey(_ value: JSONValue, _ key: String) throws(GenesisError) -> PublicKey {
        let bytes = try hex(value, key)
        guard bytes.count == 33 else {
            throw error(key, "a compressed secp256k1 public key is 33 bytes, found \(bytes.count)")
        }
        do { return try PublicKey(bytes: bytes) } catch { throw self.error(key, "not a secp256k1 public key: \(error)") }
    }
}
