// AES-128 in counter mode (NIST SP 800-38A §6.5) through OpenSSL: the cipher of Ethereum's V3
// keystore files. Unauthenticated on purpose — the keystore adds its own keccak MAC.
import COpenSSL

/// AES-128-CTR with a 16-byte initial counter block. Encryption and decryption are the same
/// operation (XOR with the key stream); the counter increments as a 128-bit big-endian number.
public enum AES128CTR {
    public static let keyByteCount = 16
    public static let counterByteCount = 16

    /// XORs `input` with the key stream of `key` from the counter block `initialCounter`.
    public static func apply(
        _ input: some Collection<UInt8>, key: some Collection<UInt8>, initialCounter: some Collection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        guard key.count == keyByteCount else {
            throw .invalidLength(what: "AES-128 key", expected: "\(keyByteCount)", actual: key.count)
        }
        guard initialCounter.count == counterByteCount else {
            throw .invalidLength(what: "AES-CTR counter block", expected: "\(counterByteCount)",
                                 actual: initialCounter.count)
        }
        guard let cipher = EVP_CIPHER_fetch(nil, "AES-128-CTR", nil) else {
            throw .libraryFailure(operation: "EVP_CIPHER_fetch(AES-128-CTR)")
        }
        defer { EVP_CIPHER_free(cipher) }
        guard let context = EVP_CIPHER_CTX_new() else { throw .libraryFailure(operation: "EVP_CIPHER_CTX_new") }
        defer { EVP_CIPHER_CTX_free(context) }
        // One spare byte so the output pointer is valid even for an empty input.
        var output = [UInt8](repeating: 0, count: input.count + 1)
        let failure: CryptoError? = withContiguousBytes(key) { key in
            withContiguousBytes(initialCounter) { counter in
                withContiguousBytes(input) { input in
                    output.withUnsafeMutableBufferPointer { output in
                        guard EVP_EncryptInit_ex2(context, cipher, bytePointer(key), bytePointer(counter), nil) == 1 else {
                            return .libraryFailure(operation: "EVP_EncryptInit_ex2(AES-128-CTR)")
                        }
                        var written: Int32 = 0
                        var total = 0
                        if input.count > 0 {
                            guard EVP_EncryptUpdate(context, output.baseAddress, &written, bytePointer(input),
                                                    Int32(input.count)) == 1 else {
                                return .libraryFailure(operation: "EVP_EncryptUpdate(AES-128-CTR)")
                            }
                            total = Int(written)
                        }
                        guard EVP_EncryptFinal_ex(context, output.baseAddress! + total, &written) == 1,
                              total + Int(written) == input.count else {
                            return .libraryFailure(operation: "EVP_EncryptFinal_ex(AES-128-CTR)")
                        }
                        return nil
                    }
                }
            }
        }
        if let failure { throw failure }
        output.removeLast()
        return output
    }
}
