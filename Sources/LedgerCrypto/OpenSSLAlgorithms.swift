// The OpenSSL algorithm objects (SHA-256, HKDF, AES-256-GCM), fetched once and shared.
import COpenSSL

/// Owns the algorithm implementations fetched from OpenSSL's default provider.
///
/// Fetching explicitly once avoids OpenSSL 3's per-call implicit fetch (a lock and a lookup
/// on every `EVP_sha256()` use). Fetched EVP_MD / EVP_KDF / EVP_CIPHER objects are immutable
/// and reference-counted, and OpenSSL documents them as safe to share between threads, so
/// this holder is `@unchecked Sendable`; each operation makes its own context.
final class OpenSSLAlgorithms: @unchecked Sendable {
    static let shared = OpenSSLAlgorithms()

    let sha256: OpaquePointer
    let hkdf: OpaquePointer
    let aes256GCM: OpaquePointer

    private init() {
        // Fetching fails only if the default provider is missing (a broken OpenSSL install);
        // the shared instance cannot throw, so it traps with a message that says what is wrong.
        guard let sha256 = EVP_MD_fetch(nil, "SHA256", nil),
              let hkdf = EVP_KDF_fetch(nil, "HKDF", nil),
              let aes256GCM = EVP_CIPHER_fetch(nil, "AES-256-GCM", nil)
        else {
            fatalError("OpenSSL's default provider lacks SHA256, HKDF or AES-256-GCM")
        }
        self.sha256 = sha256
        self.hkdf = hkdf
        self.aes256GCM = aes256GCM
    }

    deinit {
        EVP_MD_free(sha256)
        EVP_KDF_free(hkdf)
        EVP_CIPHER_free(aes256GCM)
    }
}

/// Runs `body` on the contiguous bytes of `bytes`, copying only if the collection is not
/// contiguous already. An empty buffer still gets a valid (non-nil) base address, because
/// several OpenSSL functions reject a null pointer even with a zero length.
@inline(__always)
func withContiguousBytes<Bytes: Collection<UInt8>, Value, Failure: Error>(
    _ bytes: Bytes, _ body: (UnsafeRawBufferPointer) throws(Failure) -> Value
) throws(Failure) -> Value {
    let outcome: Result<Value, Failure>? = bytes.withContiguousStorageIfAvailable { buffer in
        if buffer.isEmpty { return callWithEmptyBuffer(body) }
        return Result { () throws(Failure) -> Value in try body(UnsafeRawBufferPointer(buffer)) }
    }
    if let outcome { return try outcome.get() }
    let copy = Array(bytes)
    return try withContiguousBytes(copy, body)
}

private func callWithEmptyBuffer<Value, Failure: Error>(
    _ body: (UnsafeRawBufferPointer) throws(Failure) -> Value
) -> Result<Value, Failure> {
    var placeholder: UInt8 = 0
    return withUnsafeBytes(of: &placeholder) { buffer in
        Result { () throws(Failure) -> Value in try body(UnsafeRawBufferPointer(rebasing: buffer.prefix(0))) }
    }
}
