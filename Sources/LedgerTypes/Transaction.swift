// Transactions as Ethereum defines them: legacy (with or without EIP-155 replay protection),
// EIP-2930 access-list (type 1) and EIP-1559 dynamic-fee (type 2). Docs/transactions.md.
import LedgerPrimitives

/// The EIP-2718 envelope type. Legacy transactions have no type byte on the wire.
public enum TransactionType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case legacy = 0
    case accessList = 1
    case dynamicFee = 2

    public var description: String {
        switch self {
        case .legacy: return "legacy"
        case .accessList: return "EIP-2930 access-list"
        case .dynamicFee: return "EIP-1559 dynamic-fee"
        }
    }
}

/// One EIP-2930 entry: an address and the storage slots the transaction declares it touches.
public struct AccessListEntry: Hashable, Sendable {
    public var address: Address
    public var storageKeys: [Hash32]

    public init(address: Address, storageKeys: [Hash32] = []) {
        self.address = address
        self.storageKeys = storageKeys
    }
}

/// A pre-EIP-2718 transaction. `chainId` nil means pre-EIP-155 (v = 27/28, replayable on any
/// chain); such transactions are refused unless validation options allow them.
public struct LegacyTransaction: Hashable, Sendable {
    public var chainId: UInt64?
    public var nonce: UInt64
    public var gasPrice: UInt256
    public var gasLimit: UInt64
    /// nil creates a contract.
    public var to: Address?
    public var value: UInt256
    public var data: [UInt8]

    public init(chainId: UInt64?, nonce: UInt64, gasPrice: UInt256, gasLimit: UInt64, to: Address?,
                value: UInt256 = .zero, data: [UInt8] = []) {
        self.chainId = chainId
        self.nonce = nonce
        self.gasPrice = gasPrice
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
    }
}

/// An EIP-2930 (type 1) transaction: a legacy fee model plus an access list.
public struct AccessListTransaction: Hashable, Sendable {
    public var chainId: UInt64
    public var nonce: UInt64
    public var gasPrice: UInt256
    public var gasLimit: UInt64
    public var to: Address?
    public var value: UInt256
    public var data: [UInt8]
    public var accessList: [AccessListEntry]

    public init(chainId: UInt64, nonce: UInt64, gasPrice: UInt256, gasLimit: UInt64, to: Address?,
                value: UInt256 = .zero, data: [UInt8] = [], accessList: [AccessListEntry] = []) {
        self.chainId = chainId
        self.nonce = nonce
        self.gasPrice = gasPrice
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
    }
}

/// An EIP-1559 (type 2) transaction: a fee cap and a tip cap instead of a gas price.
public struct DynamicFeeTransaction: Hashable, Sendable {
    public var chainId: UInt64
    public var nonce: UInt64
    public var maxPriorityFeePerGas: UInt256
    public var maxFeePerGas: UInt256
    public var gasLimit: UInt64
    public var to: Address?
    public var value: UInt256
    public var data: [UInt8]
    public var accessList: [AccessListEntry]

    public init(chainId: UInt64, nonce: UInt64, maxPriorityFeePerGas: UInt256, maxFeePerGas: UInt256,
                gasLimit: UInt64, to: Address?, value: UInt256 = .zero, data: [UInt8] = [],
                accessList: [AccessListEntry] = []) {
        self.chainId = chainId
        self.nonce = nonce
        self.maxPriorityFeePerGas = maxPriorityFeePerGas
        self.maxFeePerGas = maxFeePerGas
        self.gasLimit = gasLimit
        self.to = to
        self.value = value
        self.data = data
        self.accessList = accessList
    }
}

/// What a sender signs: the fields of one of the three transaction types.
public enum UnsignedTransaction: Hashable, Sendable {
    case legacy(LegacyTransaction)
    case accessList(AccessListTransaction)
    case dynamicFee(DynamicFeeTransaction)

    public var type: TransactionType {
        switch self {
        case .legacy: return .legacy
        case .accessList: return .accessList
        case .dynamicFee: return .dynamicFee
        }
    }

    /// nil only for an unprotected (pre-EIP-155) legacy transaction.
    public var chainId: UInt64? {
        switch self {
        case .legacy(let tx): return tx.chainId
        case .accessList(let tx): return tx.chainId
        case .dynamicFee(let tx): return tx.chainId
        }
    }

    public var nonce: UInt64 {
        switch self {
        case .legacy(let tx): return tx.nonce
        case .accessList(let tx): return tx.nonce
        case .dynamicFee(let tx): return tx.nonce
        }
    }

    public var gasLimit: UInt64 {
        switch self {
        case .legacy(let tx): return tx.gasLimit
        case .accessList(let tx): return tx.gasLimit
        case .dynamicFee(let tx): return tx.gasLimit
        }
    }

    /// The recipient; nil creates a contract.
    public var to: Address? {
        switch self {
        case .legacy(let tx): return tx.to
        case .accessList(let tx): return tx.to
        case .dynamicFee(let tx): return tx.to
        }
    }

    public var isContractCreation: Bool { to == nil }

    public var value: UInt256 {
        switch self {
        case .legacy(let tx): return tx.value
        case .accessList(let tx): return tx.value
        case .dynamicFee(let tx): return tx.value
        }
    }

    public var data: [UInt8] {
        switch self {
        case .legacy(let tx): return tx.data
        case .accessList(let tx): return tx.data
        case .dynamicFee(let tx): return tx.data
        }
    }

    public var accessList: [AccessListEntry] {
        switch self {
        case .legacy: return []
        case .accessList(let tx): return tx.accessList
        case .dynamicFee(let tx): return tx.accessList
        }
    }

    /// The gas price field of legacy and type-1 transactions; nil for type 2.
    public var gasPrice: UInt256? {
        switch self {
        case .legacy(let tx): return tx.gasPrice
        case .accessList(let tx): return tx.gasPrice
        case .dynamicFee: return nil
        }
    }

    /// The most the sender pays per gas: the gas price, or the type-2 fee cap.
    public var maxFeePerGas: UInt256 {
        switch self {
        case .legacy(let tx): return tx.gasPrice
        case .accessList(let tx): return tx.gasPrice
        case .dynamicFee(let tx): return tx.maxFeePerGas
        }
    }

    /// The most the sender tips per gas: the gas price for the older types, as EIP-1559 reads them.
    public var maxPriorityFeePerGas: UInt256 {
        switch self {
        case .legacy(let tx): return tx.gasPrice
        case .accessList(let tx): return tx.gasPrice
        case .dynamicFee(let tx): return tx.maxPriorityFeePerGas
        }
    }
}

/// secp256k1 signature values as transactions carry them. For legacy transactions the wire `v`
/// is derived from `yParity` and the chain id (EIP-155: chainId·2 + 35 + yParity, else 27 + yParity).
public struct TransactionSignature: Hashable, Sendable {
    /// 0 or 1: the parity of the y coordinate of the signature's R point (the recovery id).
    public let yParity: UInt8
    public let r: UInt256
    public let s: UInt256

    /// nil when `yParity` is neither 0 nor 1.
    public init?(yParity: UInt8, r: UInt256, s: UInt256) {
        guard yParity <= 1 else { return nil }
        self.yParity = yParity
        self.r = r
        self.s = s
    }
}

/// A signed transaction: its fields, its signature and its canonical encoding (the
/// eth_sendRawTransaction bytes), kept so hashing, gossiping and storing need no re-encoding.
public struct SignedTransaction: Hashable, Sendable {
    public let unsigned: UnsignedTransaction
    public let signature: TransactionSignature
    /// Legacy: the RLP list; typed: type byte ‖ RLP list.
    public let encoded: [UInt8]
    /// Where in `encoded` the signed fields lie (from the first field up to v / yParity), so the
    /// signing hash is taken over these bytes without re-encoding anything.
    let signedFields: Range<Int>

    public init(_ unsigned: UnsignedTransaction, signature: TransactionSignature) {
        self.unsigned = unsigned
        self.signature = signature
        (self.encoded, self.signedFields) = TransactionCodec.encode(unsigned, signature: signature)
    }

    /// For the decoder, which already holds the exact bytes.
    init(_ unsigned: UnsignedTransaction, signature: TransactionSignature, encoded: [UInt8], signedFields: Range<Int>) {
        self.unsigned = unsigned
        self.signature = signature
        self.encoded = encoded
        self.signedFields = signedFields
    }

    /// Equal encodings mean equal transactions: the encoding is canonical.
    public static func == (a: SignedTransaction, b: SignedTransaction) -> Bool { a.encoded == b.encoded }
    public func hash(into hasher: inout Swift.Hasher) { hasher.combine(encoded) }

    /// keccak-256 of the encoding: the transaction's id.
    public var hash: Hash32 { Keccak256.hash(encoded) }

    public var type: TransactionType { unsigned.type }
    public var chainId: UInt64? { unsigned.chainId }
    public var nonce: UInt64 { unsigned.nonce }
    public var gasLimit: UInt64 { unsigned.gasLimit }
    public var to: Address? { unsigned.to }
    public var isContractCreation: Bool { unsigned.isContractCreation }
    public var value: UInt256 { unsigned.value }
    public var data: [UInt8] { unsigned.data }
    public var accessList: [AccessListEntry] { unsigned.accessList }
    public var gasPrice: UInt256? { unsigned.gasPrice }
    public var maxFeePerGas: UInt256 { unsigned.maxFeePerGas }
    public var maxPriorityFeePerGas: UInt256 { unsigned.maxPriorityFeePerGas }
    public var yParity: UInt8 { signature.yParity }
    public var r: UInt256 { signature.r }
    public var s: UInt256 { signature.s }

    /// The wire `v`: yParity for typed transactions; 27/28 or chainId·2 + 35/36 for legacy ones.
    /// Returned as 256 bits because chainId·2 + 36 can exceed 64.
    public var v: UInt256 {
        guard case .legacy(let tx) = unsigned else { return UInt256(UInt64(signature.yParity)) }
        return legacyV(chainId: tx.chainId, yParity: signature.yParity)
    }
}

/// EIP-155's v, computed without overflow: chainId·2 + 35 + yParity needs 65 bits at most.
func legacyV(chainId: UInt64?, yParity: UInt8) -> UInt256 {
    guard let chainId else { return UInt256(27 + UInt64(yParity)) }
    let doubled = chainId << 1
    let (low, carry) = doubled.addingReportingOverflow(35 + UInt64(yParity))
    return UInt256(limb0: low, limb1: (chainId >> 63) + (carry ? 1 : 0), limb2: 0, limb3: 0)
}
