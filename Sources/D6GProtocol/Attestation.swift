// The attestation steps' off-chain pieces (PROTOCOL.md §Rounds): what the SECaaS commits to and
// seals for a step, what the prover computes, what the contract checks, and the root-of-trust
// hash chain. The contract (Contracts/AttestationRegistry) recomputes the keccak-256 parts; the
// SHA-256 over the image is computed only off chain (by the SECaaS for the expected value, by
// the prover for its evidence).
import LedgerCrypto
import LedgerPrimitives

public enum AttestationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A sealed challenge that opened but does not hold prover ‖ salt ‖ nonce (20 + 32 + 32 bytes).
    case malformedChallenge(byteCount: Int)
    case crypto(CryptoError)
    /// An encryption-key signature that is not 65 bytes r ‖ s ‖ v with v 27 or 28.
    case malformedSignature(String)

    public var description: String {
        switch self {
        case .malformedChallenge(let count): "a sealed challenge holds \(count) bytes, not 84 (prover ‖ salt ‖ nonce)"
        case .crypto(let error): error.description
        case .malformedSignature(let detail): "encryption-key signature: \(detail)"
        }
    }
}

/// The secret part of one step, known to the SECaaS and, once it opens the sealed challenge,
/// to the challenger: who proves, and the salt and nonce that open the step's commitments.
public struct StepSecret: Sendable, Hashable {
    public var prover: Address
    public var salt: Hash32
    public var nonce: Hash32

    public init(prover: Address, salt: Hash32, nonce: Hash32) {
        self.prover = prover
        self.salt = salt
        self.nonce = nonce
    }

    /// Fresh random salt and nonce for `prover`.
    public static func random(prover: Address) throws(CryptoError) -> StepSecret {
        StepSecret(prover: prover, salt: try randomWord(), nonce: try randomWord())
    }

    /// prover (20) ‖ salt (32) ‖ nonce (32): the plaintext of a sealed challenge.
    public var sealedPlaintext: [UInt8] { prover.bytes + salt.bytes + nonce.bytes }

    public init(sealedPlaintext bytes: [UInt8]) throws(AttestationError) {
        guard bytes.count == 84, let prover = Address(bytes: bytes[0..<20]), let salt = Hash32(bytes: bytes[20..<52]),
              let nonce = Hash32(bytes: bytes[52..<84]) else { throw .malformedChallenge(byteCount: bytes.count) }
        self.init(prover: prover, salt: salt, nonce: nonce)
    }
}

/// 32 random bytes from the operating system's generator.
func randomWord() throws(CryptoError) -> Hash32 {
    guard let word = Hash32(bytes: try SecureRandom.bytes(count: 32)) else {
        throw .invalidLength(what: "random word", expected: "32", actual: 0)
    }
    return word
}

/// What `beginRound` stores for one step: nothing in it names the prover or lets anyone compute
/// a passing answer without the prover's wrapped image.
public struct StepCommitments: Sendable, Hashable {
    public var planCommit: Hash32
    public var nonceHash: Hash32
    public var evidenceCommit: Hash32
    public var sealedChallenge: [UInt8]

    public init(planCommit: Hash32, nonceHash: Hash32, evidenceCommit: Hash32, sealedChallenge: [UInt8]) {
        self.planCommit = planCommit
        self.nonceHash = nonceHash
        self.evidenceCommit = evidenceCommit
        self.sealedChallenge = sealedChallenge
    }
}

extension Deployment {
    /// `planCommit_i = keccak256(w(tag("d6g-plan-v1")) ‖ w(round) ‖ w(i) ‖ w(P_i) ‖ salt_i)`.
    public func planCommit(round: UInt64, step: UInt64, prover: Address, salt: Hash32) -> Hash32 {
        Keccak256.hash(Word.of(ProtocolTag.plan) + Word.of(round) + Word.of(step) + Word.of(prover) + salt.bytes)
    }

    /// `nonceHash_i = keccak256(w(tag("d6g-nonce-v1")) ‖ w(round) ‖ w(i) ‖ n_i)`.
    public func nonceHash(round: UInt64, step: UInt64, nonce: Hash32) -> Hash32 {
        Keccak256.hash(Word.of(ProtocolTag.nonce) + Word.of(round) + Word.of(step) + nonce.bytes)
    }

    /// `SHA-256(n ‖ stepCtx(round, i, P) ‖ image)`: the prover's evidence, and the SECaaS's
    /// expected value when `image` is the wrapped image it keeps. The nonce comes first, so no
    /// part of the hash can be computed before the challenge reveals it. `image` is read in
    /// chunks (a file of any size).
    public func evidence(nonce: Hash32, round: UInt64, step: UInt64, prover: Address,
                         image: some Sequence<[UInt8]>) throws(CryptoError) -> Hash32 {
        var hasher = try SHA256Hasher()
        try hasher.update(nonce.bytes)
        try hasher.update(stepContext(round: round, step: step, prover: prover))
        for chunk in image { try hasher.update(chunk) }
        return try hasher.finalize()
    }

    /// `keccak256(w(tag("d6g-evidence-v1")) ‖ stepCtx ‖ evidence)`: the commitment the SECaaS
    /// stores (over the expected value) and what the contract computes over the response; the
    /// step passes iff they are equal.
    public func evidenceCommit(round: UInt64, step: UInt64, prover: Address, evidence: Hash32) -> Hash32 {
        Keccak256.hash(Word.of(ProtocolTag.evidence) + stepContext(round: round, step: step, prover: prover) + evidence.bytes)
    }

    /// The four values of a step, for `beginRound` or `fallbackChallenge`: `expected` is the
    /// evidence the prover's genuine wrapped image gives; the challenge is sealed to the
    /// challenger's encryption key.
    public func commitments(round: UInt64, step: UInt64, secret: StepSecret, expected: Hash32,
                            challenger: Address, challengerKey: PublicKey) throws(CryptoError) -> StepCommitments {
        StepCommitments(
            planCommit: planCommit(round: round, step: step, prover: secret.prover, salt: secret.salt),
            nonceHash: nonceHash(round: round, step: step, nonce: secret.nonce),
            evidenceCommit: evidenceCommit(round: round, step: step, prover: secret.prover, evidence: expected),
            sealedChallenge: try Sealing.seal(secret.sealedPlaintext, to: challengerKey,
                                              context: challengeContext(round: round, step: step, challenger: challenger)))
    }

    /// Opens a sealed challenge of step `step` addressed to `challenger`, or nil if it is not
    /// for this key (agents try every blob of a round; a wrong key or context fails to open).
    public func openChallenge(_ sealed: [UInt8], round: UInt64, step: UInt64, challenger: Address,
                              key: PrivateKey) -> StepSecret? {
        guard let plaintext = try? Sealing.open(sealed, with: key,
                                                context: challengeContext(round: round, step: step, challenger: challenger))
        else { return nil }
        return try? StepSecret(sealedPlaintext: plaintext)
    }

    /// The agent's signature vouching for `encryptionKey`: r ‖ s ‖ v (v = 27 or 28, as
    /// eth-account's `unsafe_sign_hash` makes it) over keccak-256 of `encPubMsg`, which the
    /// registry checks with ecrecover.
    public func encryptionKeySignature(agentKey: PrivateKey, encryptionKey: PublicKey) throws(CryptoError) -> [UInt8] {
        let digest = Keccak256.hash(encryptionKeyMessage(agent: agentKey.address, encryptionKey: encryptionKey))
        let signature = try agentKey.signature(for: digest)
        return signature.signature.compactBytes + [27 + signature.recoveryID]
    }

    /// Whether `signature` is `agent`'s over `encPubMsg(agent, encryptionKey)` (what the registry checks).
    public func isValidEncryptionKeySignature(_ signature: [UInt8], agent: Address, encryptionKey: PublicKey) -> Bool {
        guard signature.count == 65, signature[64] == 27 || signature[64] == 28,
              let recoverable = try? RecoverableSignature(r: signature[0..<32], s: signature[32..<64],
                                                          recoveryID: signature[64] - 27),
              let signer = try? PublicKey(recoveringFrom: recoverable,
                                          digest: Keccak256.hash(encryptionKeyMessage(agent: agent, encryptionKey: encryptionKey)))
        else { return false }
        return signer.address == agent
    }
}

/// The root-of-trust hash chain: every recorded step extends it, so the order and outcome of a
/// round can be checked from the chain's last value alone.
public enum RootOfTrustChain {
    /// `w(tag("d6g-rot-v1"))`.
    public static let start = ProtocolTag.rootOfTrust

    /// `keccak256(rotChain_{i−1} ‖ w(round) ‖ w(i) ‖ w(P) ‖ w(V) ‖ w(passed) ‖ w(blockNumber))`.
    public static func next(after previous: Hash32, round: UInt64, step: UInt64, prover: Address, challenger: Address,
                            passed: Bool, blockNumber: UInt64) -> Hash32 {
        Keccak256.hash(previous.bytes + Word.of(round) + Word.of(step) + Word.of(prover) + Word.of(challenger)
                       + Word.of(passed) + Word.of(blockNumber))
    }
}
