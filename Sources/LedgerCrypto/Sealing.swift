// Sealing (ECIES on secp256k1), exactly as PROTOCOL.md §Sealing specifies it:
// ECDH (raw x) → HKDF-SHA256 → AES-256-GCM, with the context bound into both the key and the tag.

/// `seal` / `open` of PROTOCOL.md §Sealing.
///
/// Sealed box = ephemeral public key, compressed (33) ‖ nonce (12) ‖ AES-256-GCM ciphertext ‖
/// tag (16), where the AES key is HKDF-SHA256(ikm = x of e·recipient, salt = the 33-byte
/// ephemeral key, info = "d6g-seal-v1" ‖ context), 32 bytes, and the associated data is the
/// context.
public enum Sealing {
    /// The HKDF info prefix; the context follows it.
    public static let infoPrefix: [UInt8] = Array("d6g-seal-v1".utf8)
    /// Bytes a sealed box adds to its plaintext: key 33 + nonce 12 + tag 16.
    public static let overhead = ephemeralKeyByteCount + AESGCM.nonceByteCount + AESGCM.tagByteCount

    static let ephemeralKeyByteCount = 33

    /// Seals `plaintext` to `recipient`, bound to `context`, with a fresh ephemeral key and a
    /// fresh random nonce.
    public static func seal(
        _ plaintext: some Collection<UInt8>, to recipient: PublicKey, context: some Collection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        try sealDeterministically(plaintext, to: recipient, context: context,
                                  ephemeralKey: PrivateKey.generate(),
                                  nonce: SecureRandom.bytes(count: AESGCM.nonceByteCount))
    }

    /// FOR TEST VECTORS ONLY: `seal` with a caller-chosen ephemeral key and nonce. Reusing
    /// either breaks the scheme (a repeated key and nonce under one recipient reveals the XOR
    /// of plaintexts and lets anyone forge tags), so production code must call `seal`.
    public static func sealDeterministically(
        _ plaintext: some Collection<UInt8>, to recipient: PublicKey, context: some Collection<UInt8>,
        ephemeralKey: PrivateKey, nonce: some Collection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        guard nonce.count == AESGCM.nonceByteCount else {
            throw .invalidLength(what: "sealing nonce", expected: "\(AESGCM.nonceByteCount)", actual: nonce.count)
        }
        let context = Array(context)
        let ephemeralPublic = ephemeralKey.publicKey.compressedBytes
        var key = try sealingKey(sharedX: ephemeralKey.sharedSecret(with: recipient),
                                 ephemeralPublic: ephemeralPublic, context: context)
        defer { wipe(&key) }
        let ciphertext = try AESGCM.encrypt(plaintext, key: key, nonce: nonce, associatedData: context)
        var box = ephemeralPublic
        box.reserveCapacity(overhead + plaintext.count)
        box.append(contentsOf: nonce)
        box.append(contentsOf: ciphertext)
        return box
    }

    /// Opens a sealed box with the recipient's private key; the context must be the one it
    /// was sealed with. Throws `.sealedBoxTooShort`, `.invalidEphemeralKey`, or
    /// `.authenticationFailed` for any tampering, wrong context or wrong key.
    public static func open(
        _ sealedBox: some Collection<UInt8>, with recipientKey: PrivateKey, context: some Collection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        let box = Array(sealedBox)
        guard box.count >= overhead else { throw .sealedBoxTooShort(box.count) }
        let ephemeralPublic = box[0..<ephemeralKeyByteCount]
        // Only the compressed form is ever produced; refuse the others rather than parse them.
        guard ephemeralPublic.first == 0x02 || ephemeralPublic.first == 0x03,
              let ephemeral = try? PublicKey(bytes: ephemeralPublic)
        else { throw .invalidEphemeralKey }
        let nonceEnd = ephemeralKeyByteCount + AESGCM.nonceByteCount
        let context = Array(context)
        var key = try sealingKey(sharedX: recipientKey.sharedSecret(with: ephemeral),
                                 ephemeralPublic: Array(ephemeralPublic), context: context)
        defer { wipe(&key) }
        return try AESGCM.decrypt(box[nonceEnd...], key: key, nonce: box[ephemeralKeyByteCount..<nonceEnd],
                                  associatedData: context)
    }

    /// k = HKDF-SHA256(ikm = x, salt = compressed ephemeral key, info = "d6g-seal-v1" ‖ context).
    private static func sealingKey(
        sharedX: [UInt8], ephemeralPublic: [UInt8], context: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        var sharedX = sharedX
        defer { wipe(&sharedX) }
        return try HKDF.deriveKey(inputKeyMaterial: sharedX, salt: ephemeralPublic,
                                  info: infoPrefix + context, outputByteCount: AESGCM.keyByteCount)
    }

    private static func wipe(_ secret: inout [UInt8]) {
        for index in secret.indices { secret[index] = 0 }
    }
}
