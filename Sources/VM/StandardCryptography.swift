// SHA-256 and ecrecover for hosts, over LedgerCrypto (OpenSSL and libsecp256k1).
import LedgerCrypto
import LedgerPrimitives

public enum StandardCryptography {
    public static func sha256(_ bytes: [UInt8]) -> Hash32 {
        // SHA-256 over OpenSSL only fails if the library itself is broken; the VM must still
        // answer deterministically, so that case traps rather than returning a made-up digest.
        do { return try SHA256.hash(bytes) } catch { fatalError("SHA-256 failed: \(error)") }
    }

    /// Ethereum's ecrecover: v is 27 or 28 (0 or 1 accepted too); high s is accepted, as the
    /// precompile does. Any invalid input gives nil.
    public static func recoverSigner(digest: Hash32, v: UInt256, r: UInt256, s: UInt256) -> Address? {
        guard let small = v.exactUInt64 else { return nil }
        let recoveryID: UInt8
        switch small {
        case 27, 28: recoveryID = UInt8(small - 27)
        case 0, 1: recoveryID = UInt8(small)
        default: return nil
        }
        do {
            let signature = try RecoverableSignature(r: r.bigEndianBytes, s: s.bigEndianBytes, recoveryID: recoveryID)
            return try signature.recoverAddress(for: digest)
        } catch {
            return nil
        }
    }
}
