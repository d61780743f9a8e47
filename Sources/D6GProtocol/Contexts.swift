// The byte layouts of the D6G protocol (PROTOCOL.md §Notation and encodings; Docs/protocol.md
// has a test vector for each). Every context is a sequence of 32-byte words, so it has exactly
// one byte layout: `w(x)` is x as one big-endian word (an address left-padded, as in the
// Ethereum ABI) and `tag("s")` is keccak-256 of the ASCII string s.
import LedgerCrypto
import LedgerPrimitives

/// One 32-byte word of a context or commitment.
public enum Word {
    public static func of(_ value: UInt64) -> [UInt8] { UInt256(value).bigEndianBytes }
    public static func of(_ value: UInt256) -> [UInt8] { value.bigEndianBytes }
    public static func of(_ address: Address) -> [UInt8] { UInt256(address).bigEndianBytes }
    public static func of(_ hash: Hash32) -> [UInt8] { hash.bytes }
    public static func of(_ flag: Bool) -> [UInt8] { UInt256(flag ? 1 : 0).bigEndianBytes }
}

/// The domain tags: keccak-256 of a fixed ASCII string, one per kind of message, so that no
/// byte string means two things.
public enum ProtocolTag {
    public static let step = tag("d6g-step-v1")
    public static let challenge = tag("d6g-challenge-v1")
    public static let groupKey = tag("d6g-groupkey-v1")
    public static let encryptionKey = tag("d6g-encpub-v1")
    public static let plan = tag("d6g-plan-v1")
    public static let nonce = tag("d6g-nonce-v1")
    public static let evidence = tag("d6g-evidence-v1")
    public static let rootOfTrust = tag("d6g-rot-v1")

    public static func tag(_ text: String) -> Hash32 { Keccak256.hash(Array(text.utf8)) }
}

/// Where a protocol instance lives: the chain and the two contracts. Every context names them,
/// so nothing signed, sealed or committed for one deployment is valid on another.
public struct Deployment: Sendable, Hashable {
    public var chainId: UInt64
    public var registry: Address
    public var keyExchange: Address

    public init(chainId: UInt64, registry: Address, keyExchange: Address) {
        self.chainId = chainId
        self.registry = registry
        self.keyExchange = keyExchange
    }

    /// `stepCtx(round, i, P)`: what a prover's evidence and the step's commitment are bound to.
    public func stepContext(round: UInt64, step: UInt64, prover: Address) -> [UInt8] {
        Word.of(ProtocolTag.step) + Word.of(chainId) + Word.of(registry) + Word.of(round) + Word.of(step) + Word.of(prover)
    }

    /// `challengeCtx(round, i, V)`: what a sealed challenge for challenger V is bound to.
    public func challengeContext(round: UInt64, step: UInt64, challenger: Address) -> [UInt8] {
        Word.of(ProtocolTag.challenge) + Word.of(chainId) + Word.of(registry) + Word.of(round) + Word.of(step)
            + Word.of(challenger)
    }

    /// `keyCtx(group, e, M, encPub)`: what a member's sealed group key is bound to.
    public func keyContext(group: UInt256, epoch: UInt64, member: Address, encryptionKey: PublicKey) -> [UInt8] {
        Word.of(ProtocolTag.groupKey) + Word.of(chainId) + Word.of(keyExchange) + Word.of(group) + Word.of(epoch)
            + Word.of(member) + Word.of(Keccak256.hash(encryptionKey.compressedBytes))
    }

    /// `encPubMsg(agent, encPub)`: what an agent signs with its account key to vouch for its
    /// encryption key (at registration and at each rotation).
    public func encryptionKeyMessage(agent: Address, encryptionKey: PublicKey) -> [UInt8] {
        Word.of(ProtocolTag.encryptionKey) + Word.of(chainId) + Word.of(registry) + Word.of(agent)
            + Word.of(Keccak256.hash(encryptionKey.compressedBytes))
    }
}
