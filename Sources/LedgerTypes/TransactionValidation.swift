// Intrinsic validity: the checks a transaction passes or fails on its own, without any account
// state (chain id, signature ranges, fee fields, intrinsic gas, init-code size). Nonce order and
// balances are the mempool's and execution's business. Docs/transactions.md §Validity.
import LedgerPrimitives

/// The knobs of intrinsic validation.
public struct TransactionValidationOptions: Hashable, Sendable {
    /// Accept legacy transactions signed without a chain id (v = 27/28). Off by default:
    /// such a transaction can be replayed on every chain.
    public var allowsUnprotectedLegacy: Bool
    /// EIP-3860's limit on creation code (2 × the 24,576-byte EIP-170 code limit).
    public var maximumInitcodeSize: Int

    public init(allowsUnprotectedLegacy: Bool = false, maximumInitcodeSize: Int = 49_152) {
        self.allowsUnprotectedLegacy = allowsUnprotectedLegacy
        self.maximumInitcodeSize = maximumInitcodeSize
    }
}

/// Ethereum's intrinsic gas (Shanghai rules), charged before any code runs.
public enum IntrinsicGas {
    public static let transaction: UInt64 = 21_000
    public static let contractCreation: UInt64 = 32_000
    /// EIP-2028.
    public static let zeroDataByte: UInt64 = 4
    public static let nonZeroDataByte: UInt64 = 16
    /// EIP-3860, per 32-byte word of creation code.
    public static let initcodeWord: UInt64 = 2
    /// EIP-2930.
    public static let accessListAddress: UInt64 = 2_400
    public static let accessListStorageKey: UInt64 = 1_900

    public static func cost(data: [UInt8], isContractCreation: Bool, accessList: [AccessListEntry]) -> UInt64 {
        let zeros = UInt64(data.reduce(0) { $1 == 0 ? $0 + 1 : $0 })
        var gas = transaction
        gas += zeros * zeroDataByte + (UInt64(data.count) - zeros) * nonZeroDataByte
        if isContractCreation {
            gas += contractCreation + initcodeWord * ((UInt64(data.count) + 31) / 32)
        }
        for entry in accessList {
            gas += accessListAddress + accessListStorageKey * UInt64(entry.storageKeys.count)
        }
        return gas
    }
}

extension UnsignedTransaction {
    public var intrinsicGas: UInt64 {
        IntrinsicGas.cost(data: data, isContractCreation: isContractCreation, accessList: accessList)
    }
}

/// secp256k1's group order n and n/2, for the signature range and low-s rules.
enum Secp256k1Order {
    static let n = UInt256(limb0: 0xBFD2_5E8C_D036_4141, limb1: 0xBAAE_DCE6_AF48_A03B,
                           limb2: 0xFFFF_FFFF_FFFF_FFFE, limb3: 0xFFFF_FFFF_FFFF_FFFF)
    static let halfN = UInt256(limb0: 0xDFE9_2F46_681B_20A0, limb1: 0x5D57_6E73_57A4_501D,
                               limb2: 0xFFFF_FFFF_FFFF_FFFF, limb3: 0x7FFF_FFFF_FFFF_FFFF)
}

extension SignedTransaction {
    public var intrinsicGas: UInt64 { unsigned.intrinsicGas }

    /// Throws the first rule the transaction breaks on a chain with id `chainId`.
    public func checkIntrinsicValidity(chainId expected: UInt64, options: TransactionValidationOptions = .init())
        throws(TransactionValidationError) {
        // Replay protection first: a transaction for another chain is wrong whatever else it holds.
        if let chainId {
            guard chainId == expected else { throw .invalidChainId(have: chainId, want: expected) }
        } else if !options.allowsUnprotectedLegacy {
            throw .unprotectedTransaction
        }
        // EIP-2: r and s in 1…n-1, and s in the lower half so a signature has one form only.
        guard !r.isZero, r < Secp256k1Order.n else { throw .signatureOutOfRange(.r) }
        guard !s.isZero, s < Secp256k1Order.n else { throw .signatureOutOfRange(.s) }
        guard !(Secp256k1Order.halfN < s) else { throw .highS }
        // EIP-2681.
        guard nonce < UInt64.max else { throw .nonceMax }
        if case .dynamicFee(let tx) = unsigned, tx.maxFeePerGas < tx.maxPriorityFeePerGas {
            throw .tipAboveFeeCap
        }
        // The most the sender can be charged must be a 256-bit number.
        guard productFits(maxFeePerGas, times: gasLimit) else { throw .gasTimesFeeOverflow }
        if isContractCreation && data.count > options.maximumInitcodeSize {
            throw .initcodeTooLarge(size: data.count, limit: options.maximumInitcodeSize)
        }
        let required = intrinsicGas
        guard gasLimit >= required else { throw .intrinsicGasTooLow(have: gasLimit, want: required) }
    }
}

/// Whether value × factor < 2^256.
func productFits(_ value: UInt256, times factor: UInt64) -> Bool {
    value.multipliedFullWidth(by: factor).high == 0
}
