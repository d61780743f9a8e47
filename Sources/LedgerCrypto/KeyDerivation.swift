// Password-based key derivation (PBKDF2-HMAC-SHA256, RFC 8018; scrypt, RFC 7914) through
// OpenSSL's EVP_KDF: the two KDFs of Ethereum's V3 keystore files.
import COpenSSL

/// PBKDF2 with HMAC-SHA256 (RFC 8018 §5.2), the "pbkdf2" KDF of V3 keystores (prf "hmac-sha256").
public enum PBKDF2 {
    /// Derives `outputByteCount` bytes from `password` and `salt` with `iterations` rounds.
    /// Accepts any salt length and iteration count ≥ 1 (keystores and RFC vectors use short
    /// ones), so OpenSSL's SP 800-132 minimums are switched off; callers choose the cost.
    public static func deriveKey(
        password: some Collection<UInt8>, salt: some Collection<UInt8>, iterations: UInt64, outputByteCount: Int
    ) throws(CryptoError) -> [UInt8] {
        guard iterations >= 1 else { throw .invalidLength(what: "PBKDF2 iteration count", expected: "at least 1", actual: 0) }
        guard outputByteCount >= 1 else {
            throw .invalidLength(what: "PBKDF2 output", expected: "at least 1", actual: outputByteCount)
        }
        var iterations = iterations
        var disableChecks: Int32 = 1
        return try withUnsafeMutablePointer(to: &iterations) { iterations throws(CryptoError) in
            try withUnsafeMutablePointer(to: &disableChecks) { disableChecks throws(CryptoError) in
                try derive(algorithm: "PBKDF2", password: password, salt: salt, outputByteCount: outputByteCount) {
                    [OSSL_PARAM_construct_utf8_string(cString("digest"), mutableCString("SHA256"), 0),
                     OSSL_PARAM_construct_uint64(cString("iter"), iterations),
                     OSSL_PARAM_construct_int(cString("pkcs5"), disableChecks)]
                }
            }
        }
    }
}

/// scrypt (RFC 7914), the "scrypt" KDF of V3 keystores. Memory use is 128·r·(n + p + 2) bytes:
/// 256 MiB for the common keystore parameters n = 2^18, r = 8, p = 1.
public enum Scrypt {
    /// The largest n accepted: 2^20 (1 GiB at r = 8). Keystore files come from outside, and a
    /// file claiming n = 2^30 would otherwise ask for terabytes.
    public static let maximumCost: UInt64 = 1 << 20

    /// Derives `outputByteCount` bytes; `cost` (n) must be a power of two above 1.
    public static func deriveKey(
        password: some Collection<UInt8>, salt: some Collection<UInt8>,
        cost: UInt64, blockSize: UInt32, parallelism: UInt32, outputByteCount: Int
    ) throws(CryptoError) -> [UInt8] {
        guard cost > 1, cost & (cost - 1) == 0, cost <= maximumCost else {
            throw .invalidLength(what: "scrypt cost n", expected: "a power of two in 2...\(maximumCost)",
                                 actual: Int(clamping: cost))
        }
        guard blockSize >= 1, parallelism >= 1, UInt64(blockSize) * UInt64(parallelism) < 1 << 30 else {
            throw .invalidLength(what: "scrypt r·p", expected: "1..<2^30 with r, p ≥ 1",
                                 actual: Int(clamping: UInt64(blockSize) * UInt64(parallelism)))
        }
        guard outputByteCount >= 1 else {
            throw .invalidLength(what: "scrypt output", expected: "at least 1", actual: outputByteCount)
        }
        var cost = cost
        var blockSize = blockSize
        var parallelism = parallelism
        // OpenSSL refuses to run above maxmem_bytes (1 MiB by default in some builds); allow
        // exactly what these parameters need, plus slack for its bookkeeping.
        var memoryLimit = 128 * UInt64(blockSize) * (cost + UInt64(parallelism) + 2) + (1 << 20)
        return try withUnsafeMutablePointer(to: &cost) { cost throws(CryptoError) in
            try withUnsafeMutablePointer(to: &blockSize) { blockSize throws(CryptoError) in
                try withUnsafeMutablePointer(to: &parallelism) { parallelism throws(CryptoError) in
                    try withUnsafeMutablePointer(to: &memoryLimit) { memoryLimit throws(CryptoError) in
                        try derive(algorithm: "SCRYPT", password: password, salt: salt,
                                   outputByteCount: outputByteCount) {
                            [OSSL_PARAM_construct_uint64(cString("n"), cost),
                             OSSL_PARAM_construct_uint32(cString("r"), blockSize),
                             OSSL_PARAM_construct_uint32(cString("p"), parallelism),
                             OSSL_PARAM_construct_uint64(cString("maxmem_bytes"), memoryLimit)]
                        }
                    }
                }
            }
        }
    }
}

/// Runs one EVP_KDF derivation with "pass" and "salt" plus the algorithm's own parameters.
/// `extraParameters` is called inside the scope where the password and salt pointers live.
private func derive(
    algorithm: StaticString, password: some Collection<UInt8>, salt: some Collection<UInt8>,
    outputByteCount: Int, extraParameters: () -> [OSSL_PARAM]
) throws(CryptoError) -> [UInt8] {
    let name = String(describing: algorithm)
    guard let kdf = EVP_KDF_fetch(nil, cString(algorithm), nil) else {
        throw .libraryFailure(operation: "EVP_KDF_fetch(\(name))")
    }
    defer { EVP_KDF_free(kdf) }
    guard let context = EVP_KDF_CTX_new(kdf) else { throw .libraryFailure(operation: "EVP_KDF_CTX_new(\(name))") }
    defer { EVP_KDF_CTX_free(context) }
    var output = [UInt8](repeating: 0, count: outputByteCount)
    let succeeded = withContiguousBytes(password) { password in
        withContiguousBytes(salt) { salt in
            var parameters = [
                OSSL_PARAM_construct_octet_string(cString("pass"), mutating(password), password.count),
                OSSL_PARAM_construct_octet_string(cString("salt"), mutating(salt), salt.count),
            ]
            parameters += extraParameters()
            parameters.append(OSSL_PARAM_construct_end())
            return parameters.withUnsafeMutableBufferPointer { parameters in
                output.withUnsafeMutableBufferPointer { output in
                    EVP_KDF_derive(context, output.baseAddress, output.count, parameters.baseAddress)
                }
            }
        }
    }
    guard succeeded == 1 else { throw .libraryFailure(operation: "EVP_KDF_derive(\(name))") }
    return output
}
