// The typed errors of transaction decoding and validation. Messages follow geth's wording where
// geth has one, because wallets and tools match on them (DESIGN.md §2).
import LedgerPrimitives

/// A transaction field, named as in the JSON-RPC transaction object.
public enum TransactionField: String, Sendable, Hashable {
    case chainId, nonce, gasPrice, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, input
    case accessList, v, yParity, r, s
}

/// Why raw bytes are not a well-formed transaction.
public enum TransactionDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case emptyInput
    /// A type byte other than 0x01 or 0x02 (legacy transactions start with a list prefix ≥ 0xc0).
    case unsupportedType(UInt8)
    /// The envelope is not one RLP list spanning the input (or the type byte is not followed by one).
    case notAList
    /// The RLP structure itself is broken: lengths, truncation, bytes after the transaction.
    case malformedRLP(RLPError)
    case wrongFieldCount(TransactionType, expected: Int, actual: Int)
    /// A field that is a list where bytes belong, a non-canonical or oversized integer, or an
    /// address that is not 20 bytes.
    case invalidField(TransactionField, RLPError)
    /// Entry `index` of the access list is malformed (`RLPError` says how).
    case invalidAccessListEntry(index: Int, RLPError)
    /// A legacy v that is neither 27/28 nor an EIP-155 value (≥ 35).
    case invalidV(UInt256)
    /// A chain id that does not fit in 64 bits (explicit, or derived from a legacy v).
    case chainIdTooLarge
    /// A typed transaction's signature parity other than 0 or 1.
    case invalidYParity(UInt256)

    public var description: String {
        switch self {
        case .emptyInput: return "typed transaction too short"
        case .unsupportedType(let type): return "transaction type not supported (type 0x\(String(type, radix: 16)))"
        case .notAList: return "rlp: transaction is not an RLP list"
        case .malformedRLP(let error): return "\(error)"
        case .wrongFieldCount(let type, let expected, let actual):
            return "rlp: \(type) transaction has \(actual) fields, expected \(expected)"
        case .invalidField(let field, let error): return "\(error), decoding transaction field \(field.rawValue)"
        case .invalidAccessListEntry(let index, let error): return "\(error), decoding access list entry \(index)"
        case .invalidV(let v): return "invalid transaction v, r, s values (v = \(v))"
        case .chainIdTooLarge: return "invalid chain id: larger than 64 bits"
        case .invalidYParity(let value): return "invalid transaction v, r, s values (yParity = \(value))"
        }
    }
}

/// Why a well-formed transaction is not acceptable on this chain (intrinsic, state-free checks).
public enum TransactionValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidChainId(have: UInt64, want: UInt64)
    /// A pre-EIP-155 legacy transaction while the options do not allow them.
    case unprotectedTransaction
    /// r or s outside 1…n-1.
    case signatureOutOfRange(TransactionField)
    /// s above n/2 (EIP-2): the malleable twin of a valid signature.
    case highS
    /// No public key recovers from the signature (or the point is invalid).
    case invalidSender
    /// EIP-2681: a nonce of 2^64-1 could never be incremented.
    case nonceMax
    case tipAboveFeeCap
    /// gas limit × fee cap does not fit in 256 bits.
    case gasTimesFeeOverflow
    case intrinsicGasTooLow(have: UInt64, want: UInt64)
    /// EIP-3860: creation code longer than the limit.
    case initcodeTooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .invalidChainId(let have, let want): return "invalid chain id for signer: have \(have) want \(want)"
        case .unprotectedTransaction: return "only replay-protected (EIP-155) transactions allowed over RPC"
        case .signatureOutOfRange(let field): return "invalid transaction v, r, s values (\(field.rawValue) is not in 1…n-1)"
        case .highS: return "invalid transaction v, r, s values (s is above n/2)"
        case .invalidSender: return "invalid sender"
        case .nonceMax: return "nonce has max value"
        case .tipAboveFeeCap: return "max priority fee per gas higher than max fee per gas"
        case .gasTimesFeeOverflow: return "gas limit times max fee per gas overflows 256 bits"
        case .intrinsicGasTooLow(let have, let want): return "intrinsic gas too low: have \(have), want \(want)"
        case .initcodeTooLarge(let size, let limit): return "max initcode size exceeded: code size \(size) limit \(limit)"
        }
    }
}

/// Either failure of turning raw bytes into a transaction with a known sender.
public enum TransactionError: Error, Equatable, Sendable, CustomStringConvertible {
    case decoding(TransactionDecodingError)
    case validation(TransactionValidationError)

    public var description: String {
        switch self {
        case .decoding(let error): return error.description
        case .validation(let error): return error.description
        }
    }
}
