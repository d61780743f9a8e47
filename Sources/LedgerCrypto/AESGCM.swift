// AES-256-GCM (NIST SP 800-38D) through OpenSSL's EVP cipher interface.
import COpenSSL

/// AES-256-GCM with a 12-byte nonce and a 16-byte tag: the cipher of sealing and of
/// inter-agent traffic (PROTOCOL.md). Output is ciphertext ‖ tag.
public enum AESGCM {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16

    /// Encrypts `plaintext` and authenticates it with `associatedData`; returns ciphertext ‖ tag.
    /// A nonce must never repeat under one key.
    public static func encrypt(
        _ plaintext: some Collection<UInt8>, key: some Collection<UInt8>, nonce: some Collection<UInt8>,
        associatedData: some Collection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        try checkLengths(key: key.count, nonce: nonce.count)
        var output = [UInt8](repeating: 0, count: plaintext.count + tagByteCount)
        let context = try CipherContext()
        let failure: CryptoError? = withContiguousBytes(key) { key in
            withContiguousBytes(nonce) { nonce in
                withContiguousBytes(associatedData) { associatedData in
                    withContiguousBytes(plaintext) { plaintext in
                        output.withUnsafeMutableBytes { output in
                            context.encrypt(plaintext, key: key, nonce: nonce, associatedData: associatedData,
                                            into: output)
                        }
                    }
                }
            }
        }
        if let failure { throw failure }
        return output
    }

    /// Checks the tag at the end of `ciphertextAndTag` and returns the plaintext; throws
    /// `.authenticationFailed` if the ciphertext, tag, nonce, key or associated data differ
    /// from what was encrypted. No unauthenticated byte is ever returned.
    public static func decrypt(
        _ ciphertextAndTag: some Collection<UInt8>, key: some Collection<UInt8>, nonce: some Collection<UInt8>,
        associatedData: some Collection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        try checkLengths(key: key.count, nonce: nonce.count)
        guard ciphertextAndTag.count >= tagByteCount else {
            throw .invalidLength(what: "AES-GCM ciphertext and tag", expected: "at least \(tagByteCount)",
                                 actual: ciphertextAndTag.count)
        }
        var output = [UInt8](repeating: 0, count: ciphertextAndTag.count - tagByteCount)
        let context = try CipherContext()
        let failure: CryptoError? = withContiguousBytes(key) { key in
            withContiguousBytes(nonce) { nonce in
                withContiguousBytes(associatedData) { associatedData in
                    withContiguousBytes(ciphertextAndTag) { input in
                        output.withUnsafeMutableBytes { output in
                            context.decrypt(input, key: key, nonce: nonce, associatedData: associatedData,
                                            into: output)
                        }
                    }
                }
            }
        }
        if let failure {
            // Wipe whatever was decrypted before the tag check failed.
            for index in output.indices { output[index] = 0 }
            throw failure
        }
        return output
    }

    private static func checkLengths(key: Int, nonce: Int) throws(CryptoError) {
        guard key == keyByteCount else {
            throw .invalidLength(what: "AES-256-GCM key", expected: "\(keyByteCount)", actual: key)
        }
        guard nonce == nonceByteCount else {
            throw .invalidLength(what: "AES-GCM nonce", expected: "\(nonceByteCount)", actual: nonce)
        }
    }
}

/// Owns one EVP_CIPHER_CTX; frees it in `deinit`. Returns failures as values so the callers'
/// closures stay non-throwing.
private final class CipherContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let pointer = EVP_CIPHER_CTX_new() else { throw .libraryFailure(operation: "EVP_CIPHER_CTX_new") }
        self.pointer = pointer
    }

    deinit {
        EVP_CIPHER_CTX_free(pointer)
    }

    /// Writes ciphertext ‖ tag into `output` (plaintext.count + 16 bytes).
    func encrypt(
        _ plaintext: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer,
        associatedData: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> CryptoError? {
        let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        guard EVP_EncryptInit_ex2(pointer, OpenSSLAlgorithms.shared.aes256GCM,
                                  bytePointer(key), bytePointer(nonce), nil) == 1 else {
            return .libraryFailure(operation: "EVP_EncryptInit_ex2(AES-256-GCM)")
        }
        if associatedData.count > 0 {
            guard EVP_EncryptUpdate(pointer, nil, &written, bytePointer(associatedData),
                                    Int32(associatedData.count)) == 1 else {
                return .libraryFailure(operation: "EVP_EncryptUpdate(associated data)")
            }
        }
        var total = 0
        if plaintext.count > 0 {
            guard EVP_EncryptUpdate(pointer, out, &written, bytePointer(plaintext), Int32(plaintext.count)) == 1 else {
                return .libraryFailure(operation: "EVP_EncryptUpdate")
            }
            total = Int(written)
        }
        guard EVP_EncryptFinal_ex(pointer, out + total, &written) == 1 else {
            return .libraryFailure(operation: "EVP_EncryptFinal_ex")
        }
        total += Int(written)
        guard total == plaintext.count,
              EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_AEAD_GET_TAG, Int32(AESGCM.tagByteCount), out + total) == 1
        else {
            return .libraryFailure(operation: "EVP_CIPHER_CTX_ctrl(GET_TAG)")
        }
        return nil
    }

    /// Decrypts ciphertext ‖ tag into `output` (input.count - 16 bytes) and checks the tag.
    func decrypt(
        _ input: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer, nonce: UnsafeRawBufferPointer,
        associatedData: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer
    ) -> CryptoError? {
        let ciphertextCount = input.count - AESGCM.tagByteCount
        // An empty plaintext still needs a writable address for EVP_DecryptFinal_ex.
        var scratch: UInt8 = 0
        return withUnsafeMutablePointer(to: &scratch) { scratch in
            let out = output.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? scratch
            var written: Int32 = 0
            guard EVP_DecryptInit_ex2(pointer, OpenSSLAlgorithms.shared.aes256GCM,
                                      bytePointer(key), bytePointer(nonce), nil) == 1 else {
                return .libraryFailure(operation: "EVP_DecryptInit_ex2(AES-256-GCM)")
            }
            if associatedData.count > 0 {
                guard EVP_DecryptUpdate(pointer, nil, &written, bytePointer(associatedData),
                                        Int32(associatedData.count)) == 1 else {
                    return .libraryFailure(operation: "EVP_DecryptUpdate(associated data)")
                }
            }
            var total = 0
            if ciphertextCount > 0 {
                guard EVP_DecryptUpdate(pointer, out, &written, bytePointer(input), Int32(ciphertextCount)) == 1 else {
                    return .libraryFailure(operation: "EVP_DecryptUpdate")
                }
                total = Int(written)
            }
            let tag = UnsafeMutableRawPointer(mutating: input.baseAddress! + ciphertextCount)
            guard EVP_CIPHER_CTX_ctrl(pointer, EVP_CTRL_AEAD_SET_TAG, Int32(AESGCM.tagByteCount), tag) == 1 else {
                return .libraryFailure(operation: "EVP_CIPHER_CTX_ctrl(SET_TAG)")
            }
            // The tag check happens here: a mismatch is the only way this fails after the setup above.
            guard EVP_DecryptFinal_ex(pointer, out + total, &written) == 1 else { return .authenticationFailed }
            return nil
        }
    }
}
