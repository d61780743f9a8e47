// secp256k1 keys and signatures: validation, encodings, sign/recover/verify round trips, low-s.
import LedgerCrypto
import LedgerPrimitives
import Testing

@Suite("secp256k1")
struct Secp256k1Tests {
    static let order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"

    @Test("Private keys must lie in [1, n-1] and be 32 bytes")
    func privateKeyValidation() throws {
        #expect(throws: CryptoError.invalidPrivateKey) { try PrivateKey(bytes: [UInt8](repeating: 0, count: 32)) }
        #expect(throws: CryptoError.invalidPrivateKey) { try PrivateKey(bytes: [UInt8](hex: Self.order)) }
        #expect(throws: CryptoError.invalidPrivateKey) { try PrivateKey(bytes: [UInt8](repeating: 0xff, count: 32)) }
        #expect(throws: CryptoError.self) { try PrivateKey(bytes: [UInt8](repeating: 1, count: 31)) }
        var nMinusOne = try [UInt8](hex: Self.order)
        nMinusOne[31] -= 1
        _ = try PrivateKey(bytes: nMinusOne)
        let one = try PrivateKey(bytes: [UInt8](repeating: 0, count: 31) + [1])
        // 1·G is the generator.
        #expect(one.publicKey.compressedBytes.hexString
            == "0x0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")
    }

    @Test("Generated keys differ and their bytes round-trip; description hides the secret")
    func generation() throws {
        let first = PrivateKey.generate()
        let second = PrivateKey.generate()
        #expect(first != second)
        #expect(try PrivateKey(bytes: first.bytes) == first)
        #expect(!"\(first)".contains(first.bytes.hexString.dropFirst(2)))
    }

    @Test("Public keys parse and serialize in compressed, uncompressed and raw forms")
    func publicKeyEncodings() throws {
        let key = PrivateKey.generate().publicKey
        #expect(key.compressedBytes.count == 33)
        #expect(key.uncompressedBytes.count == 65 && key.uncompressedBytes[0] == 0x04)
        #expect(key.rawBytes == Array(key.uncompressedBytes.dropFirst()))
        #expect(try PublicKey(bytes: key.compressedBytes) == key)
        #expect(try PublicKey(bytes: key.uncompressedBytes) == key)
        #expect(try PublicKey(bytes: key.rawBytes) == key)
        #expect(Set([try PublicKey(bytes: key.compressedBytes), key]).count == 1)
    }

    @Test("Points off the curve, hybrid encodings and bad prefixes are refused")
    func publicKeyRejections() throws {
        let key = PrivateKey.generate().publicKey
        var hybrid = key.uncompressedBytes
        hybrid[0] = 0x06 | (hybrid[64] & 1)
        #expect(throws: CryptoError.invalidPublicKey) { try PublicKey(bytes: hybrid) }
        var offCurve = key.rawBytes
        offCurve[63] ^= 1
        #expect(throws: CryptoError.invalidPublicKey) { try PublicKey(bytes: offCurve) }
        var badPrefix = key.compressedBytes
        badPrefix[0] = 0x04
        #expect(throws: CryptoError.invalidPublicKey) { try PublicKey(bytes: badPrefix) }
        #expect(throws: CryptoError.self) { try PublicKey(bytes: [UInt8](repeating: 2, count: 32)) }
    }

    @Test("Sign, recover and verify round trip; signatures are deterministic and low-s")
    func signRecoverVerify() throws {
        let key = PrivateKey.generate()
        for index in 0..<64 {
            let digest = Keccak256.hash(Array("message \(index)".utf8))
            let signature = try key.signature(for: digest)
            #expect(signature.isLowS)
            #expect(try key.signature(for: digest) == signature)
            #expect(try signature.recoverPublicKey(for: digest) == key.publicKey)
            #expect(try signature.recoverAddress(for: digest) == key.address)
            #expect(key.publicKey.isValidSignature(signature.signature, for: digest))
            #expect(!key.publicKey.isValidSignature(signature.signature, for: Keccak256.hash(Array("other".utf8))))
            #expect(!PrivateKey.generate().publicKey.isValidSignature(signature.signature, for: digest))
        }
    }

    @Test("RFC 6979 nonce: known signatures of SHA-256(\"sample\")", arguments: [
        ("0000000000000000000000000000000000000000000000000000000000000001",
         "58db657bcd631038bea07b4941172f0167aca98f12b55e3176bd1c35435d6501",
         "3a78e73d8ff8ab554e13c10f6390d81a882f91945d6275493882676170b53a57"),
        ("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721",
         "432310e32cb80eb6503a26ce83cc165c783b870845fb8aad6d970889fcd7a6c8",
         "530128b6b81c548874a6305d93ed071ca6e05074d85863d4056ce89b02bfab69"),
    ])
    func deterministicKnownSignature(key: String, r: String, s: String) throws {
        // Expected values: OpenSSL's RFC 6979 signer (Python cryptography, deterministic_signing),
        // s normalized to low-s. An independent implementation of the same nonce rule.
        let privateKey = try PrivateKey(bytes: [UInt8](hex: key))
        let digest = try SHA256.hash(Array("sample".utf8))
        let signature = try privateKey.signature(for: digest)
        #expect(signature.r.hexString == "0x" + r)
        #expect(signature.s.hexString == "0x" + s)
        #expect(try signature.recoverPublicKey(for: digest) == privateKey.publicKey)
    }

    @Test("The other recovery id recovers another key, not the signer")
    func wrongRecoveryID() throws {
        let key = PrivateKey.generate()
        let digest = Keccak256.hash(Array("recovery".utf8))
        let signature = try key.signature(for: digest)
        let flipped = try RecoverableSignature(signature: signature.signature, recoveryID: signature.recoveryID ^ 1)
        if let other = try? flipped.recoverPublicKey(for: digest) {
            #expect(other != key.publicKey)
        }
        #expect(throws: CryptoError.self) {
            try RecoverableSignature(signature: signature.signature, recoveryID: 2)
        }
    }

    @Test("High-s: normalization flips s and the recovery id; verifiers refuse it unless told not to")
    func highS() throws {
        let key = PrivateKey.generate()
        let digest = Keccak256.hash(Array("malleable".utf8))
        let low = try key.signature(for: digest)
        let highS = try subtract(low.s, from: [UInt8](hex: Self.order))
        let high = try RecoverableSignature(r: low.r, s: highS, recoveryID: low.recoveryID ^ 1)
        #expect(!high.isLowS)
        #expect(high.normalized == low)
        #expect(high.signature.normalized == low.signature)
        // Recovery does not enforce low-s: the high-s twin recovers the same key.
        #expect(try high.recoverPublicKey(for: digest) == key.publicKey)
        #expect(!key.publicKey.isValidSignature(high.signature, for: digest))
        #expect(key.publicKey.isValidSignature(high.signature, for: digest, requiringLowS: false))
    }

    @Test("r and s outside [1, n-1] are refused; short r and s are left-padded")
    func scalarRanges() throws {
        let order = try [UInt8](hex: Self.order)
        #expect(throws: CryptoError.self) { try ECDSASignature(r: order, s: [1]) }
        #expect(throws: CryptoError.self) { try ECDSASignature(r: [1], s: [0]) }
        #expect(throws: CryptoError.self) { try ECDSASignature(r: [1] + order, s: [1]) }
        let short = try ECDSASignature(r: [1], s: [2, 3])
        #expect(short.r == [UInt8](repeating: 0, count: 31) + [1])
        #expect(short.s == [UInt8](repeating: 0, count: 30) + [2, 3])
    }

    @Test("65-byte r ‖ s ‖ v and DER encodings round trip")
    func signatureEncodings() throws {
        let signature = try PrivateKey.generate().signature(for: Keccak256.hash(Array("enc".utf8)))
        #expect(signature.bytes.count == 65)
        #expect(try RecoverableSignature(bytes: signature.bytes) == signature)
        #expect(try ECDSASignature(derEncoded: signature.signature.derEncoded) == signature.signature)
        #expect(throws: CryptoError.self) { try RecoverableSignature(bytes: signature.bytes.dropLast() + [27]) }
    }

    @Test("ECDH: both sides get the same raw x-coordinate")
    func ecdhAgreement() throws {
        let alice = PrivateKey.generate()
        let bob = PrivateKey.generate()
        let secret = try alice.sharedSecret(with: bob.publicKey)
        #expect(secret.count == 32)
        #expect(try bob.sharedSecret(with: alice.publicKey) == secret)
        // With the private key 1 the shared point is the peer's key itself: x unchanged.
        let one = try PrivateKey(bytes: [UInt8](repeating: 0, count: 31) + [1])
        #expect(try one.sharedSecret(with: bob.publicKey) == Array(bob.publicKey.rawBytes.prefix(32)))
    }

    @Test("The shared context serves concurrent signing, recovery and ECDH")
    func concurrentUse() async throws {
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let key = PrivateKey.generate()
                    let peer = PrivateKey.generate()
                    for round in 0..<50 {
                        let digest = Keccak256.hash(Array("worker \(worker) round \(round)".utf8))
                        let signature = try key.signature(for: digest)
                        guard try signature.recoverPublicKey(for: digest) == key.publicKey,
                              try key.sharedSecret(with: peer.publicKey) == peer.sharedSecret(with: key.publicKey)
                        else { return false }
                    }
                    return true
                }
            }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    /// a - b for 32-byte big-endian integers with a ≥ b.
    private func subtract(_ b: [UInt8], from a: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in (0..<32).reversed() {
            var difference = Int(a[index]) - Int(b[index]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            result[index] = UInt8(difference)
        }
        return result
    }
}
