// HKDF with SHA-256 (RFC 5869) through OpenSSL's EVP_KDF "HKDF".
import COpenSSL

/// HKDF-SHA256 (RFC 5869): the key derivation of sealing (PROTOCOL.md §Sealing) and of the
/// traffic keys (PROTOCOL.md §Key exchange). SHA-256 is the only hash d6g uses with it.
public enum HKDF {
    /// The most HKDF-SHA256 can derive: 255 blocks of 32 bytes.
    public static let maximumOutputByteCount = 255 * 32

    /// Extract then expand: `outputByteCount` bytes of key from `inputKeyMaterial`.
    /// An empty salt means RFC 5869's default (32 zero bytes).
    public static func deriveKey(
        inputKeyMaterial: some Collection<UInt8>, salt: some Collection<UInt8>,
        info: some Collection<UInt8>, outputByteCount: Int
    ) throws(CryptoError) -> [UInt8] {
        guard (1...maximumOutputByteCount).contains(outputByteCount) else {
            throw .invalidLength(what: "HKDF output", expected: "1...\(maximumOutputByteCount)", actual: outputByteCount)
        }
        return try derive(mode: EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, key: inputKeyMaterial,
                          salt: salt, info: info, outputByteCount: outputByteCount)
    }

    /// RFC 5869's extract step alone: the 32-byte pseudorandom key.
    public static func extract(
        inputKeyMaterial: some Collection<UInt8>, salt: some Collection<UInt8>
    ) throws(CryptoError) -> [UInt8] {
        try derive(mode: EVP_KDF_HKDF_MODE_EXTRACT_ONLY, key: inputKeyMaterial,
                   salt: salt, info: [UInt8](), outputByteCount: 32)
    }

    /// RFC 5869's expand step alone, from a pseudorandom key of at least 32 bytes.
    public static func expand(
        pseudorandomKey: some Collection<UInt8>, info: some Collection<UInt8>, outputByteCount: Int
    ) throws(CryptoError) -> [UInt8] {
        guard pseudorandomKey.count >= 32 else {
            throw .invalidLength(what: "HKDF pseudorandom key", expected: "at least 32", actual: pseudorandomKey.count)
        }
        guard (1...maximumOutputByteCount).contains(outputByteCount) else {
            throw .invalidLength(what: "HKDF output", expected: "1...\(maximumOutputByteCount)", actual: outputByteCount)
        }
        return try derive(mode: EVP_KDF_HKDF_MODE_EXPAND_ONLY, key: pseudorandomKey,
                          salt: [UInt8](), info: info, outputByteCount: outputByteCount)
    }

    private static func derive(
        mode: Int32, key: some Collection<UInt8>, salt: some Collection<UInt8>,
        info: some Collection<UInt8>, outputByteCount: Int
    ) throws(CryptoError) -> [UInt8] {
        let context = try KDFContext()
        var output = [UInt8](repeating: 0, count: outputByteCount)
        var mode = mode
        let succeeded = withContiguousBytes(key) { key in
            withContiguousBytes(salt) { salt in
                withContiguousBytes(info) { info in
                    withUnsafeMutablePointer(to: &mode) { modePointer in
                        // OSSL_PARAM keeps pointers to its key names and values: the names and
                        // "SHA256" are static strings, the octet strings live for this closure.
                        var parameters: [OSSL_PARAM] = [
                            OSSL_PARAM_construct_utf8_string(cString("digest"), mutableCString("SHA256"), 0),
                            OSSL_PARAM_construct_int(cString("mode"), modePointer),
                            OSSL_PARAM_construct_octet_string(cString("key"), mutating(key), key.count),
                            OSSL_PARAM_construct_octet_string(cString("salt"), mutating(salt), salt.count),
                            OSSL_PARAM_construct_octet_string(cString("info"), mutating(info), info.count),
                            OSSL_PARAM_construct_end(),
                        ]
                        return parameters.withUnsafeMutableBufferPointer { parameters in
                            output.withUnsafeMutableBufferPointer { output in
                                EVP_KDF_derive(context.pointer, output.baseAddress, output.count, parameters.baseAddress)
                            }
                        }
                    }
                }
            }
        }
        guard succeeded == 1 else { throw .libraryFailure(operation: "EVP_KDF_derive(HKDF)") }
        return output
    }
}

/// Owns one EVP_KDF_CTX for HKDF; frees it in `deinit`.
private final class KDFContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let pointer = EVP_KDF_CTX_new(OpenSSLAlgorithms.shared.hkdf) else {
            throw .libraryFailure(operation: "EVP_KDF_CTX_new(HKDF)")
        }
        self.pointer = pointer
    }

    deinit {
        EVP_KDF_CTX_free(pointer)
    }
}

/// A C string that lives as long as the program: static strings are stored NUL-terminated.
func cString(_ string: StaticString) -> UnsafePointer<CChar> {
    UnsafeRawPointer(string.utf8Start).assumingMemoryBound(to: CChar.self)
}

/// The same, typed as OpenSSL's `char *` parameters want it; OpenSSL only reads it.
func mutableCString(_ string: StaticString) -> UnsafeMutablePointer<CChar> {
    UnsafeMutablePointer(mutating: cString(string))
}

/// OpenSSL's octet-string parameters take `void *` even where they only read.
func mutating(_ buffer: UnsafeRawBufferPointer) -> UnsafeMutableRawPointer? {
    buffer.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
}
