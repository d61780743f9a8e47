// secp256k1 private keys: validation, generation, recoverable signing (RFC 6979) and ECDH.
import CSecp256k1
import LedgerPrimitives

/// A secp256k1 private key: a 32-byte big-endian integer in [1, n-1].
///
/// Its public key is derived once, when the key is made. `description` and reflection never
/// show the secret; `bytes` is the one way to read it.
public struct PrivateKey: Sendable {
    private let secret: InlineBytes32
    /// The public key of this private key.
    public let publicKey: PublicKey

    /// A private key from its 32 bytes; throws `.invalidPrivateKey` for zero or any value ≥ n.
    public init(bytes: some Collection<UInt8>) throws(CryptoError) {
        guard let secret = InlineBytes32(bytes) else {
            throw .invalidLength(what: "private key", expected: "32", actual: bytes.count)
        }
        var point = secp256k1_pubkey()
        // pubkey_create refuses exactly the keys that secp256k1_ec_seckey_verify refuses
        // (zero, ≥ n), so its failure is the validation.
        let created = secret.withUnsafeBytes { secret in
            secp256k1_ec_pubkey_create(Secp256k1Context.shared.pointer, &point, bytePointer(secret))
        }
        guard created == 1 else { throw .invalidPrivateKey }
        self.secret = secret
        self.publicKey = PublicKey(point: point)
    }

    /// A fresh key from the system CSPRNG (getrandom; it traps rather than return weak bytes).
    public static func generate() -> PrivateKey {
        var generator = SystemRandomNumberGenerator()
        while true {
            var candidate = InlineBytes32()
            candidate.withUnsafeMutableBytes { buffer in
                for index in 0..<32 { buffer[index] = generator.next() }
            }
            // Fails only for 0 or ≥ n: probability about 2^-128 per draw, so draw again.
            if let key = try? PrivateKey(bytes: candidate.array) { return key }
        }
    }

    /// The 32 secret bytes. Handle with care: anything that holds them can sign.
    public var bytes: [UInt8] { secret.array }

    /// The address of this key's public key.
    public var address: Address { publicKey.address }

    /// Signs a 32-byte digest: deterministic nonce (RFC 6979, libsecp256k1's default nonce
    /// function), always low-s, with the recovery id that lets anyone recover the public key.
    public func signature(for digest: Hash32) throws(CryptoError) -> RecoverableSignature {
        var signature = secp256k1_ecdsa_recoverable_signature()
        let digestBytes = digest.bytes
        let signed = secret.withUnsafeBytes { secret in
            digestBytes.withUnsafeBufferPointer { digest in
                secp256k1_ecdsa_sign_recoverable(Secp256k1Context.shared.pointer, &signature,
                                                 digest.baseAddress!, bytePointer(secret), nil, nil)
            }
        }
        guard signed == 1 else { throw .libraryFailure(operation: "secp256k1_ecdsa_sign_recoverable") }
        return try RecoverableSignature(serializing: signature)
    }

    /// ECDH: the 32-byte x-coordinate of self · `peer`, unhashed (PROTOCOL.md §Sealing wants
    /// the raw x; libsecp256k1's default would return SHA-256 of the compressed point).
    public func sharedSecret(with peer: PublicKey) throws(CryptoError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var point = peer.point
        let computed = secret.withUnsafeBytes { secret in
            output.withUnsafeMutableBufferPointer { output in
                secp256k1_ecdh(Secp256k1Context.shared.pointer, output.baseAddress!, &point,
                               bytePointer(secret), copyXCoordinate, nil)
            }
        }
        guard computed == 1 else { throw .libraryFailure(operation: "secp256k1_ecdh") }
        return output
    }
}

/// The ECDH "hash" that returns the x-coordinate unchanged.
private let copyXCoordinate: secp256k1_ecdh_hash_function = { output, x, _, _ in
    guard let output, let x else { return 0 }
    output.update(from: x, count: 32)
    return 1
}

extension PrivateKey: Equatable {
    /// Constant-time in the secret bytes.
    public static func == (lhs: PrivateKey, rhs: PrivateKey) -> Bool { lhs.secret == rhs.secret }
}

extension PrivateKey: CustomStringConvertible, CustomReflectable {
    public var description: String { "PrivateKey(for \(address))" }
    public var customMirror: Mirror { Mirror(self, children: ["address": address], displayStyle: .struct) }
}
