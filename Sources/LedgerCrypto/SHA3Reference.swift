// OpenSSL's SHA3-256, kept only as the reference `d6g-bench keccak` measures keccak-256 against
// in the same run (the same Keccak-f[1600] permutation; only the padding byte differs). The
// ledger never hashes with SHA3-256. It lives here so that LedgerCrypto alone imports OpenSSL.
import COpenSSL
import LedgerPrimitives

/// SHA3-256 with one EVP context reused by every call, so a measurement sees the permutation
/// plus EVP's per-call cost rather than a context allocation per hash. One instance per thread.
public final class SHA3_256Reference {
    private let algorithm: OpaquePointer
    private let context: OpaquePointer

    public init() throws(CryptoError) {
        guard let algorithm = EVP_MD_fetch(nil, "SHA3-256", nil) else {
            throw .libraryFailure(operation: "EVP_MD_fetch(SHA3-256)")
        }
        guard let context = EVP_MD_CTX_new() else {
            EVP_MD_free(algorithm)
            throw .libraryFailure(operation: "EVP_MD_CTX_new")
        }
        (self.algorithm, self.context) = (algorithm, context)
    }

    deinit {
        EVP_MD_CTX_free(context)
        EVP_MD_free(algorithm)
    }

    /// The SHA3-256 digest of `bytes`.
    public func hash(_ bytes: [UInt8]) throws(CryptoError) -> Hash32 {
        var digest = InlineBytes32()
        let (context, algorithm) = (self.context, self.algorithm)
        let succeeded = withContiguousBytes(bytes) { input in
            digest.withUnsafeMutableBytes { output in
                EVP_DigestInit_ex(context, algorithm, nil) == 1
                    && EVP_DigestUpdate(context, input.baseAddress, input.count) == 1
                    && EVP_DigestFinal_ex(context, output.baseAddress!.assumingMemoryBound(to: UInt8.self), nil) == 1
            }
        }
        guard succeeded else { throw .libraryFailure(operation: "EVP_Digest*(SHA3-256)") }
        return digest.withUnsafeBytes { Hash32(unsafeBytes: $0) }
    }
}
