// ECDSA signatures on secp256k1: plain (r, s) and recoverable (r, s, recovery id),
// with the low-s rule that Ethereum transactions require.
import CSecp256k1
import LedgerPrimitives

/// The group order n of secp256k1 and n/2, big-endian: r and s must lie in [1, n-1], and a
/// signature is "low-s" when s ≤ n/2.
enum CurveOrder {
    static let n = InlineBytes32([UInt8](
        hexDigits: "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"))!
    static let halfN = InlineBytes32([UInt8](
        hexDigits: "7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0"))!

    /// A scalar from a big-endian integer of up to 32 bytes, checked to lie in [1, n-1].
    static func scalar(_ bytes: some Collection<UInt8>, named name: String) throws(CryptoError) -> InlineBytes32 {
        guard bytes.count <= 32 else { throw .invalidSignature("\(name) is longer than 32 bytes") }
        var padded = InlineBytes32()
        padded.withUnsafeMutableBytes { buffer in
            UnsafeMutableRawBufferPointer(rebasing: buffer[(32 - bytes.count)...]).copyBytes(from: bytes)
        }
        guard !padded.isZero else { throw .invalidSignature("\(name) is zero") }
        guard padded.isLess(than: n) else { throw .invalidSignature("\(name) is not below the group order") }
        return padded
    }
}

private extension Array where Element == UInt8 {
    /// Only for the two constants above, which are known to be valid hex.
    init(hexDigits: StaticString) {
        let text = "\(hexDigits)"
        self = try! Hex.decode(text)
    }
}

/// An ECDSA signature (r, s), each a 32-byte big-endian integer in [1, n-1].
public struct ECDSASignature: Sendable, Hashable {
    let rScalar: InlineBytes32
    let sScalar: InlineBytes32

    /// From big-endian r and s of up to 32 bytes each (shorter values, as RLP integers come,
    /// are left-padded); throws `.invalidSignature` unless both lie in [1, n-1].
    public init(r: some Collection<UInt8>, s: some Collection<UInt8>) throws(CryptoError) {
        rScalar = try CurveOrder.scalar(r, named: "r")
        sScalar = try CurveOrder.scalar(s, named: "s")
    }

    init(r: InlineBytes32, s: InlineBytes32) {
        rScalar = r
        sScalar = s
    }

    /// From the 64-byte compact form r ‖ s.
    public init(compactBytes: some Collection<UInt8>) throws(CryptoError) {
        guard compactBytes.count == 64 else {
            throw .invalidLength(what: "compact signature", expected: "64", actual: compactBytes.count)
        }
        let split = compactBytes.index(compactBytes.startIndex, offsetBy: 32)
        try self.init(r: compactBytes[..<split], s: compactBytes[split...])
    }

    /// From strict DER (`SEQUENCE { INTEGER r, INTEGER s }`, minimal lengths and integers,
    /// nothing trailing); BER variants are refused with `.malformedDER`.
    public init(derEncoded: some Collection<UInt8>) throws(CryptoError) {
        let (r, s) = try DER.parseSignature(Array(derEncoded))
        try self.init(r: r, s: s)
    }

    public var r: [UInt8] { rScalar.array }
    public var s: [UInt8] { sScalar.array }

    /// r ‖ s, 64 bytes.
    public var compactBytes: [UInt8] { rScalar.array + sScalar.array }

    /// The strict DER encoding.
    public var derEncoded: [UInt8] { DER.encodeSignature(r: rScalar.array, s: sScalar.array) }

    /// True when s ≤ n/2, the only form Ethereum transactions (EIP-2) and libsecp256k1's
    /// verifier accept.
    public var isLowS: Bool { !CurveOrder.halfN.isLess(than: sScalar) }

    /// The same signature with s replaced by n - s when s > n/2; both verify for the same key.
    public var normalized: ECDSASignature {
        guard !isLowS else { return self }
        var highS = libraryForm
        var form = secp256k1_ecdsa_signature()
        _ = secp256k1_ecdsa_signature_normalize(Secp256k1Context.shared.pointer, &form, &highS)
        return withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
            _ = secp256k1_ecdsa_signature_serialize_compact(
                Secp256k1Context.shared.pointer, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), &form)
            let compact = UnsafeRawBufferPointer(buffer)
            return ECDSASignature(r: InlineBytes32(copying: compact),
                                  s: InlineBytes32(copying: UnsafeRawBufferPointer(rebasing: compact[32...])))
        }
    }

    /// libsecp256k1's parsed form. r and s are already checked to lie in [1, n-1], the only
    /// condition under which parsing fails, so this cannot fail.
    var libraryForm: secp256k1_ecdsa_signature {
        var form = secp256k1_ecdsa_signature()
        withCompactBytes { compact in
            _ = secp256k1_ecdsa_signature_parse_compact(Secp256k1Context.shared.pointer, &form, compact)
        }
        return form
    }

    /// r ‖ s in a stack buffer.
    func withCompactBytes<Value>(_ body: (UnsafePointer<UInt8>) -> Value) -> Value {
        withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
            rScalar.withUnsafeBytes { buffer.copyMemory(from: $0) }
            sScalar.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[32...]).copyMemory(from: $0) }
            return body(UnsafePointer(buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)))
        }
    }
}

/// An ECDSA signature with its recovery id (0 or 1: the parity of the y-coordinate of the
/// nonce point R), from which the signer's public key can be recovered.
public struct RecoverableSignature: Sendable, Hashable {
    /// The (r, s) part.
    public let signature: ECDSASignature
    /// 0 or 1.
    public let recoveryID: UInt8

    /// From r and s (big-endian, up to 32 bytes each) and a recovery id of 0 or 1.
    public init(r: some Collection<UInt8>, s: some Collection<UInt8>, recoveryID: UInt8) throws(CryptoError) {
        try self.init(signature: ECDSASignature(r: r, s: s), recoveryID: recoveryID)
    }

    /// From an (r, s) signature and a recovery id of 0 or 1.
    public init(signature: ECDSASignature, recoveryID: UInt8) throws(CryptoError) {
        // Ids 2 and 3 stand for an R whose x-coordinate is ≥ n: probability about 2^-128, and
        // Ethereum (v = 27/28, or y-parity 0/1) cannot express them, so they are refused.
        guard recoveryID <= 1 else { throw .invalidSignature("recovery id \(recoveryID) is not 0 or 1") }
        self.signature = signature
        self.recoveryID = recoveryID
    }

    /// From the 65-byte form r ‖ s ‖ v, v being the recovery id 0 or 1 (not 27/28).
    public init(bytes: some Collection<UInt8>) throws(CryptoError) {
        guard bytes.count == 65 else {
            throw .invalidLength(what: "recoverable signature", expected: "65", actual: bytes.count)
        }
        let array = Array(bytes)
        try self.init(r: array[0..<32], s: array[32..<64], recoveryID: array[64])
    }

    /// r ‖ s ‖ v, 65 bytes, v = the recovery id.
    public var bytes: [UInt8] { signature.compactBytes + [recoveryID] }

    public var r: [UInt8] { signature.r }
    public var s: [UInt8] { signature.s }
    public var isLowS: Bool { signature.isLowS }

    /// The low-s form. Negating s negates the nonce point R, whose y parity flips, so the
    /// recovery id flips with it: the normalized signature recovers the same key.
    public var normalized: RecoverableSignature {
        guard !isLowS else { return self }
        return RecoverableSignature(checkedSignature: signature.normalized, recoveryID: recoveryID ^ 1)
    }

    private init(checkedSignature: ECDSASignature, recoveryID: UInt8) {
        signature = checkedSignature
        self.recoveryID = recoveryID
    }

    /// Reads what libsecp256k1's signer produced.
    init(serializing form: secp256k1_ecdsa_recoverable_signature) throws(CryptoError) {
        var form = form
        var recoveryID: Int32 = 0
        let signature = withUnsafeTemporaryAllocation(byteCount: 64, alignment: 8) { buffer in
            _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(
                Secp256k1Context.shared.pointer, buffer.baseAddress!.assumingMemoryBound(to: UInt8.self),
                &recoveryID, &form)
            let compact = UnsafeRawBufferPointer(buffer)
            return ECDSASignature(r: InlineBytes32(copying: compact),
                                  s: InlineBytes32(copying: UnsafeRawBufferPointer(rebasing: compact[32...])))
        }
        // The signer picks a nonce whose R has x < n, so ids 2 and 3 cannot come out of it.
        guard recoveryID == 0 || recoveryID == 1 else {
            throw .libraryFailure(operation: "secp256k1_ecdsa_sign_recoverable (recovery id \(recoveryID))")
        }
        self.init(checkedSignature: signature, recoveryID: UInt8(recoveryID))
    }

    /// The public key that made this signature over `digest`.
    public func recoverPublicKey(for digest: Hash32) throws(CryptoError) -> PublicKey {
        try PublicKey(recoveringFrom: self, digest: digest)
    }

    /// The address of the signer of `digest` (the transaction sender's rule: callers that
    /// need low-s check `isLowS` first).
    public func recoverAddress(for digest: Hash32) throws(CryptoError) -> Address {
        try recoverPublicKey(for: digest).address
    }

    /// libsecp256k1's parsed form; cannot fail, as r and s were range-checked.
    var libraryForm: secp256k1_ecdsa_recoverable_signature {
        var form = secp256k1_ecdsa_recoverable_signature()
        let recoveryID = Int32(recoveryID)
        signature.withCompactBytes { compact in
            _ = secp256k1_ecdsa_recoverable_signature_parse_compact(
                Secp256k1Context.shared.pointer, &form, compact, recoveryID)
        }
        return form
    }
}
