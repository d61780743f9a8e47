// Group keys (PROTOCOL.md §Key exchange): a fresh random 32-byte key per group and epoch, never
// derived from the one before, sealed to each eligible member's newest encryption key.
import LedgerCrypto
import LedgerPrimitives

/// `K_e`: the key of one group for one epoch.
public struct GroupKey: Sendable, Hashable {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else { throw .invalidLength(what: "group key", expected: "32", actual: bytes.count) }
        self.bytes = bytes
    }

    /// A fresh key from the operating system's generator.
    public static func random() throws(CryptoError) -> GroupKey { try GroupKey(bytes: try SecureRandom.bytes(count: 32)) }
}

extension Deployment {
    /// `seal(encPub_j, K_e, keyCtx(group, e, member_j, encPub_j))`: one entry of `publishEpoch`.
    public func sealGroupKey(_ key: GroupKey, group: UInt256, epoch: UInt64, member: Address,
                             memberKey: PublicKey) throws(CryptoError) -> [UInt8] {
        try Sealing.seal(key.bytes, to: memberKey,
                         context: keyContext(group: group, epoch: epoch, member: member, encryptionKey: memberKey))
    }

    /// The member's group key from its blob, or a typed error if the blob is not for this key,
    /// group, epoch and member (any tampering included).
    public func openGroupKey(_ sealed: [UInt8], group: UInt256, epoch: UInt64, member: Address,
                             key: PrivateKey) throws(CryptoError) -> GroupKey {
        let context = keyContext(group: group, epoch: epoch, member: member, encryptionKey: key.publicKey)
        return try GroupKey(bytes: try Sealing.open(sealed, with: key, context: context))
    }
}
