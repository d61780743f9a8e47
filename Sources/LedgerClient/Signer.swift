// Who signs: a private key from raw bytes, hex, or an encrypted keystore file, and the
// transaction fields a client fills in before signing (fees, nonce, chain id).
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes

/// Signs transactions with one secp256k1 key.
public struct Signer: Sendable {
    public let key: PrivateKey
    public var address: Address { key.address }

    public init(_ key: PrivateKey) { self.key = key }

    /// From a 32-byte key in hex, with or without "0x".
    public init(privateKeyHex text: String) throws(CryptoError) {
        guard let bytes = try? Hex.decode(text.trimmingSpaces) else {
            throw .invalidLength(what: "private key hex", expected: "64 hex digits (32", actual: 0)
        }
        key = try PrivateKey(bytes: bytes)
    }

    /// From a V3 keystore file (geth, eth-account, or `Keystore.write(toFile:)`).
    public init(keystoreFile path: String, password: String) throws(KeystoreError) {
        key = try Keystore(contentsOfFile: path).decrypt(password: password)
    }

    public func sign(_ transaction: UnsignedTransaction) throws(CryptoError) -> SignedTransaction {
        try transaction.signed(with: key)
    }
}

/// The fee fields of a transaction.
public enum FeeSuggestion: Hashable, Sendable {
    /// EIP-1559 (type 2) fees.
    case dynamic(maxFeePerGas: UInt256, maxPriorityFeePerGas: UInt256)
    /// A legacy gas price, for a chain whose blocks carry no base fee.
    case legacy(gasPrice: UInt256)

    /// The client's default: with a base fee, maxFee = 2 × baseFee + tip, which stays valid
    /// while the base fee doubles (it may float if the genesis enables adjustment); without
    /// one, the node's gas price.
    public static func defaults(baseFee: UInt256?, tip: UInt256, gasPrice: UInt256) -> FeeSuggestion {
        guard let baseFee else { return .legacy(gasPrice: gasPrice) }
        let doubled = baseFee.multipliedReportingOverflow(by: UInt256(2))
        let sum = doubled.partialValue.addingReportingOverflow(tip)
        let maxFee = doubled.overflow || sum.overflow ? UInt256.max : sum.partialValue
        return .dynamic(maxFeePerGas: maxFee, maxPriorityFeePerGas: tip)
    }

    /// The most one unit of gas may cost.
    public var maximumPricePerGas: UInt256 {
        switch self {
        case .dynamic(let maxFee, _): return maxFee
        case .legacy(let gasPrice): return gasPrice
        }
    }
}

/// What to send, before nonce, fees and chain id are filled in.
public struct TransactionRequest: Hashable, Sendable {
    public var to: Address?
    public var value: UInt256
    public var data: [UInt8]
    /// nil: 21,000 for a plain transfer, else estimated by the node.
    public var gasLimit: UInt64?

    public init(to: Address?, value: UInt256 = .zero, data: [UInt8] = [], gasLimit: UInt64? = nil) {
        self.to = to
        self.value = value
        self.data = data
        self.gasLimit = gasLimit
    }

    /// The unsigned transaction with these fields: type 2 for dynamic fees, EIP-155 legacy otherwise.
    public func unsigned(chainId: UInt64, nonce: UInt64, gasLimit: UInt64, fees: FeeSuggestion) -> UnsignedTransaction {
        switch fees {
        case .dynamic(let maxFee, let tip):
            return .dynamicFee(DynamicFeeTransaction(chainId: chainId, nonce: nonce, maxPriorityFeePerGas: tip,
                                                     maxFeePerGas: maxFee, gasLimit: gasLimit, to: to, value: value,
                                                     data: data))
        case .legacy(let gasPrice):
            return .legacy(LegacyTransaction(chainId: chainId, nonce: nonce, gasPrice: gasPrice, gasLimit: gasLimit,
                                             to: to, value: value, data: data))
        }
    }
}

extension LedgerClient {
    /// Default fees from the latest block's base fee and the node's suggested tip (0 when the
    /// node does not implement eth_maxPriorityFeePerGas).
    public func suggestedFees() async throws(ClientError) -> FeeSuggestion {
        guard let latest = try await block(.latest) else { throw .decoding("the node has no latest block") }
        if latest.baseFeePerGas != nil {
            let tip: UInt256
            do {
                tip = try await maxPriorityFeePerGas()
            } catch let error {
                guard case .rpc(-32601, _, _) = error else { throw error }
                tip = .zero
            }
            return .defaults(baseFee: latest.baseFeePerGas, tip: tip, gasPrice: .zero)
        }
        return .defaults(baseFee: nil, tip: .zero, gasPrice: try await gasPrice())
    }
}
