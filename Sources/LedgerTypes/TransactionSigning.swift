// Signing hashes, signing with a private key, and sender recovery. Recovery costs ~30 µs, the
// largest single cost of admitting a transaction, so it happens once: `RecoveredTransaction`
// carries the sender and hash with the transaction through mempool, block building and execution.
import LedgerCrypto
import LedgerPrimitives

extension UnsignedTransaction {
    /// The preimage of the signing hash (exposed for tests and tools that sign elsewhere).
    public var signingPayload: [UInt8] { TransactionCodec.signingPayload(self) }

    /// What the sender signs: keccak-256 of `signingPayload`.
    public var signingHash: Hash32 { Keccak256.hash(signingPayload) }

    /// Signs with `key`. libsecp256k1 signs low-s, as EIP-2 demands.
    public func signed(with key: PrivateKey) throws(CryptoError) -> SignedTransaction {
        let recoverable = try key.signature(for: signingHash)
        let signature = TransactionSignature(yParity: recoverable.recoveryID,
                                             r: UInt256(bigEndianBytes: recoverable.r)!,
                                             s: UInt256(bigEndianBytes: recoverable.s)!)!
        return SignedTransaction(self, signature: signature)
    }
}

extension SignedTransaction {
    /// Equal to `unsigned.signingHash`, but hashed straight from `encoded`.
    public var signingHash: Hash32 { TransactionCodec.signingHash(of: self) }

    /// The address whose key signed this transaction. Checks nothing else; `recovered(onChain:)`
    /// is the admission path that validates first.
    public func recoverSender() throws(TransactionValidationError) -> Address {
        guard !r.isZero, r < Secp256k1Order.n, !s.isZero, s < Secp256k1Order.n else { throw .invalidSender }
        do {
            let recoverable = try RecoverableSignature(r: r.bigEndianBytes, s: s.bigEndianBytes,
                                                       recoveryID: signature.yParity)
            return try recoverable.recoverAddress(for: signingHash)
        } catch {
            throw .invalidSender
        }
    }

    /// Checks intrinsic validity on chain `chainId`, then recovers the sender.
    public func recovered(onChain chainId: UInt64, options: TransactionValidationOptions = .init())
        throws(TransactionValidationError) -> RecoveredTransaction {
        try checkIntrinsicValidity(chainId: chainId, options: options)
        return RecoveredTransaction(transaction: self, sender: try recoverSender(), hash: hash)
    }
}

/// A transaction whose sender has been recovered and whose hash is known: what the node passes
/// around after admission so neither is ever computed twice.
public struct RecoveredTransaction: Hashable, Sendable {
    public let transaction: SignedTransaction
    public let sender: Address
    public let hash: Hash32

    /// Trusts the caller that `sender` and `hash` belong to `transaction` (e.g. read back from
    /// the node's own storage). Untrusted bytes go through `init(decoding:chainId:options:)`.
    public init(transaction: SignedTransaction, sender: Address, hash: Hash32) {
        self.transaction = transaction
        self.sender = sender
        self.hash = hash
    }

    /// The admission path for raw bytes: decode, check intrinsic validity, recover the sender.
    public init(decoding raw: [UInt8], chainId: UInt64,
                options: TransactionValidationOptions = .init()) throws(TransactionError) {
        let transaction: SignedTransaction
        do { transaction = try SignedTransaction(decoding: raw) } catch { throw .decoding(error) }
        do { self = try transaction.recovered(onChain: chainId, options: options) } catch { throw .validation(error) }
    }

    /// The address a creation deploys to: keccak(rlp([sender, nonce]))[12:]; nil for a call.
    public var contractAddress: Address? {
        guard transaction.isContractCreation else { return nil }
        return Address(contractDeployedBy: sender, nonce: transaction.nonce)
    }

    /// Equal hashes mean equal transactions.
    public static func == (a: RecoveredTransaction, b: RecoveredTransaction) -> Bool { a.hash == b.hash }
    public func hash(into hasher: inout Swift.Hasher) { hasher.combine(hash) }
}

extension Address {
    /// Where `sender`'s creation with `nonce` deploys (DESIGN.md §2, as in Ethereum).
    public init(contractDeployedBy sender: Address, nonce: UInt64) {
        let encoded = RLP.encode(.list([.address(sender), .uint64(nonce)]))
        self = Address(bytes: Keccak256.hash(encoded).bytes[12...])!
    }
}
