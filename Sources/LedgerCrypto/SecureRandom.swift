// Random bytes from OpenSSL's CSPRNG, for keys, nonces and secrets.
import COpenSSL

/// Cryptographically secure random bytes (OpenSSL's DRBG, seeded by the operating system).
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(count: Int) throws(CryptoError) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "SecureRandom.bytes: count out of range")
        var bytes = [UInt8](repeating: 0, count: count)
        guard count > 0 else { return bytes }
        let succeeded = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard succeeded == 1 else { throw .libraryFailure(operation: "RAND_bytes") }
        return bytes
    }
}
