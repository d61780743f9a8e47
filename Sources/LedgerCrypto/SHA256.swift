// SHA-256 (FIPS 180-4) through OpenSSL's EVP digest interface: one-shot and incremental.
import COpenSSL
import LedgerPrimitives

/// SHA-256, as used by the attestation evidence (PROTOCOL.md §Rounds) and inside HKDF.
public enum SHA256 {
    /// The 32-byte SHA-256 digest of `bytes`.
    public static func hash(_ bytes: some Collection<UInt8>) throws(CryptoError) -> Hash32 {
        let algorithm = OpenSSLAlgorithms.shared.sha256
        var digest = InlineBytes32()
        let succeeded = withContiguousBytes(bytes) { input in
            digest.withUnsafeMutableBytes { output in
                EVP_Digest(input.baseAddress, input.count,
                           output.baseAddress!.assumingMemoryBound(to: UInt8.self), nil, algorithm, nil)
            }
        }
        guard succeeded == 1 else { throw .libraryFailure(operation: "EVP_Digest(SHA256)") }
        return digest.withUnsafeBytes { Hash32(unsafeBytes: $0) }
    }
}

/// An incremental SHA-256 computation: feed bytes with `update`, read the digest with
/// `finalize`. A value type: copying a hasher forks the computation.
public struct SHA256Hasher: Sendable {
    private var context: DigestContext
    private var isFinalized = false

    public init() throws(CryptoError) {
        context = try DigestContext()
    }

    /// Adds `bytes` to the message being hashed.
    public mutating func update(_ bytes: some Collection<UInt8>) throws(CryptoError) {
        precondition(!isFinalized, "SHA256Hasher.update after finalize")
        try makeContextUnique()
        let pointer = context.pointer
        let succeeded = withContiguousBytes(bytes) { input in
            EVP_DigestUpdate(pointer, input.baseAddress, input.count)
        }
        guard succeeded == 1 else { throw .libraryFailure(operation: "EVP_DigestUpdate") }
    }

    /// The digest of everything fed so far. The hasher cannot be used afterwards.
    public mutating func finalize() throws(CryptoError) -> Hash32 {
        precondition(!isFinalized, "SHA256Hasher.finalize called twice")
        try makeContextUnique()
        isFinalized = true
        var digest = InlineBytes32()
        let pointer = context.pointer
        let succeeded = digest.withUnsafeMutableBytes { output in
            EVP_DigestFinal_ex(pointer, output.baseAddress!.assumingMemoryBound(to: UInt8.self), nil)
        }
        guard succeeded == 1 else { throw .libraryFailure(operation: "EVP_DigestFinal_ex") }
        return digest.withUnsafeBytes { Hash32(unsafeBytes: $0) }
    }

    /// Copy-on-write: a copied hasher shares the C context until one of the copies writes.
    private mutating func makeContextUnique() throws(CryptoError) {
        if !isKnownUniquelyReferenced(&context) {
            context = try context.copy()
        }
    }
}

/// Owns one EVP_MD_CTX set up for SHA-256; frees it in `deinit`.
private final class DigestContext: @unchecked Sendable {
    // Not shared across threads while mutable: SHA256Hasher copies it before any write
    // unless it holds the only reference, so a context is only ever mutated by one owner.
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let pointer = EVP_MD_CTX_new() else { throw .libraryFailure(operation: "EVP_MD_CTX_new") }
        guard EVP_DigestInit_ex2(pointer, OpenSSLAlgorithms.shared.sha256, nil) == 1 else {
            EVP_MD_CTX_free(pointer)
            throw .libraryFailure(operation: "EVP_DigestInit_ex2(SHA256)")
        }
        self.pointer = pointer
    }

    private init(taking pointer: OpaquePointer) {
        self.pointer = pointer
    }

    func copy() throws(CryptoError) -> DigestContext {
        guard let duplicate = EVP_MD_CTX_new() else { throw .libraryFailure(operation: "EVP_MD_CTX_new") }
        guard EVP_MD_CTX_copy_ex(duplicate, pointer) == 1 else {
            EVP_MD_CTX_free(duplicate)
            throw .libraryFailure(operation: "EVP_MD_CTX_copy_ex")
        }
        return DigestContext(taking: duplicate)
    }

    deinit {
        EVP_MD_CTX_free(pointer)
    }
}
