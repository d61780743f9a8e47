// The one error type of LedgerCrypto: every failure of libsecp256k1 or OpenSSL, and every
// rejected input, ends up as one of these cases.

/// What went wrong in a cryptographic operation, precise enough to act on.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An input had the wrong number of bytes (`what` names it).
    case invalidLength(what: String, expected: String, actual: Int)
    /// A private key that is zero or not below the group order n.
    case invalidPrivateKey
    /// Bytes that are not a point on secp256k1 in a supported encoding (33, 64 or 65 bytes).
    case invalidPublicKey
    /// r or s outside [1, n-1], or a recovery id other than 0 or 1.
    case invalidSignature(String)
    /// A DER or ASN.1 structure that is malformed or not strictly DER.
    case malformedDER(String)
    /// A SubjectPublicKeyInfo for some key type or curve other than an EC key on secp256k1.
    case unsupportedKeyType(String)
    /// Public-key recovery found no key for this signature and digest.
    case recoveryFailed
    /// A libsecp256k1 or OpenSSL call failed; `operation` names the call.
    case libraryFailure(operation: String)
    /// An AES-256-GCM tag did not match: the ciphertext, tag, nonce, key or associated data
    /// differ from what was sealed. Deliberately says nothing about which.
    case authenticationFailed
    /// A sealed box shorter than ephemeral key + nonce + tag.
    case sealedBoxTooShort(Int)
    /// A sealed box whose first 33 bytes are not a compressed point on secp256k1.
    case invalidEphemeralKey

    public var description: String {
        switch self {
        case .invalidLength(let what, let expected, let actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case .invalidPrivateKey:
            return "private key must be a 32-byte integer in [1, n-1] of secp256k1"
        case .invalidPublicKey:
            return "not a secp256k1 public key (expected a point on the curve, 33, 64 or 65 bytes)"
        case .invalidSignature(let why):
            return "invalid signature: \(why)"
        case .malformedDER(let why):
            return "malformed DER: \(why)"
        case .unsupportedKeyType(let why):
            return "unsupported key: \(why) (only EC keys on the named curve secp256k1)"
        case .recoveryFailed:
            return "no public key can be recovered from this signature and digest"
        case .libraryFailure(let operation):
            return "cryptographic library call failed: \(operation)"
        case .authenticationFailed:
            return "authentication failed: the data was altered, or the key or context is wrong"
        case .sealedBoxTooShort(let count):
            return "sealed box of \(count) bytes is shorter than the 61-byte minimum"
        case .invalidEphemeralKey:
            return "sealed box does not start with a valid compressed secp256k1 point"
        }
    }
}
