// The SECaaS's pure side: wrapping images and planning rounds (PROTOCOL.md §Rounds). No I/O here:
// `SecaasService` reads the chain, calls these, and sends what they return.
import D6GProtocol
import Foundation
import LedgerCrypto
import LedgerPrimitives

/// A wrapped image: the agent's image with a per-agent secret appended, so that no agent can
/// answer for another even when they run the same software.
public enum ImageWrapping {
    static let marker = Array("\nd6g-wrapped-v1\n".utf8)

    public static func wrap(_ image: [UInt8]) throws(ActorError) -> [UInt8] {
        guard let secret = try? SecureRandom.bytes(count: 32) else { throw ActorError("no secure randomness for the per-agent secret") }
        return image + marker + secret
    }
}

/// One planned step as the SECaaS keeps it (sealed at rest): the prover, the secret the
/// challenger will reveal, and whom its blob was sealed to (nil: the SECaaS's own step).
public struct PlannedStep: Codable, Equatable, Sendable {
    public var prover: String
    public var salt: String
    public var nonce: String
    public var sealedTo: String?

    public init(secret: StepSecret, sealedTo: Address?) {
        prover = secret.prover.description
        salt = secret.salt.hexString
        nonce = secret.nonce.hexString
        self.sealedTo = sealedTo?.description
    }

    public var secret: StepSecret {
        get throws(ActorError) {
            guard let salt = try? Hash32(hex: salt), let nonce = try? Hash32(hex: nonce) else { throw ActorError("a kept plan is damaged") }
            return StepSecret(prover: try address(prover, "prover"), salt: salt, nonce: nonce)
        }
    }
}

public struct PlannedRound: Codable, Equatable, Sendable {
    public var round: UInt64
    public var deadlineBlocks: UInt64
    public var steps: [PlannedStep]

    /// The prover of the last step: the RoT after this round if that step passes.
    public var lastProver: String? { steps.last?.prover }
}

/// An agent the SECaaS can plan: registered, PENDING or TRUSTED, with its wrapped image at hand.
public struct RoundCandidate: Sendable {
    public var address: Address
    public var encryptionKey: PublicKey
    public var pending: Bool
    public var image: [UInt8]

    public init(address: Address, encryptionKey: PublicKey, pending: Bool, image: [UInt8]) {
        self.address = address
        self.encryptionKey = encryptionKey
        self.pending = pending
        self.image = image
    }
}

public enum RoundPlanner {
    /// A round over every candidate in a fresh random order. Step 0's challenge is sealed to
    /// `expectedRoot` (the agent expected to be the RoT when the round starts), step i's to
    /// step i − 1's prover, who becomes the RoT when it passes; a PENDING prover's step, or a
    /// step with no one to seal to, has no blob and is the SECaaS's own.
    public static func plan(
        round: UInt64, deadlineBlocks: UInt64, candidates: [RoundCandidate], expectedRoot: (address: Address, key: PublicKey)?,
        deployment: Deployment, shuffle: ([RoundCandidate]) -> [RoundCandidate] = { $0.shuffled() }
    ) throws(ActorError) -> (plan: PlannedRound, commitments: [StepCommitments]) {
        var order = shuffle(candidates)
        // The RoT cannot challenge itself: never first.
        if let root = expectedRoot, order.count > 1, order[0].address == root.address { order.swapAt(0, 1) }
        var steps: [PlannedStep] = [], commitments: [StepCommitments] = []
        for (index, prover) in order.enumerated() {
            let step = UInt64(index)
            let challenger: (address: Address, key: PublicKey)?
            if prover.pending {
                challenger = nil
            } else if index == 0 {
                challenger = expectedRoot.flatMap { $0.address == prover.address ? nil : $0 }
            } else {
                challenger = (order[index - 1].address, order[index - 1].encryptionKey)
            }
            do {
                let secret = try StepSecret.random(prover: prover.address)
                let expected = try deployment.evidence(nonce: secret.nonce, round: round, step: step, prover: prover.address,
                                                       image: [prover.image])
                var values = try deployment.commitments(round: round, step: step, secret: secret, expected: expected,
                                                        challenger: challenger?.address ?? prover.address,
                                                        challengerKey: challenger?.key ?? prover.encryptionKey)
                if challenger == nil { values.sealedChallenge = [] }
                steps.append(PlannedStep(secret: secret, sealedTo: challenger?.address))
                commitments.append(values)
            } catch {
                throw ActorError("cannot plan step \(step) of round \(round): \(error)")
            }
        }
        return (PlannedRound(round: round, deadlineBlocks: deadlineBlocks, steps: steps), commitments)
    }

    /// Fresh values for a fallback challenge of `prover` at (round, step): the blob is not
    /// needed (the SECaaS opens the step itself), so none is made.
    public static func fallback(round: UInt64, step: UInt64, prover: Address, image: [UInt8],
                                deployment: Deployment) throws(ActorError) -> (secret: StepSecret, commitments: StepCommitments) {
        do {
            let secret = try StepSecret.random(prover: prover)
            let expected = try deployment.evidence(nonce: secret.nonce, round: round, step: step, prover: prover, image: [image])
            let values = StepCommitments(
                planCommit: deployment.planCommit(round: round, step: step, prover: prover, salt: secret.salt),
                nonceHash: deployment.nonceHash(round: round, step: step, nonce: secret.nonce),
                evidenceCommit: deployment.evidenceCommit(round: round, step: step, prover: prover, evidence: expected),
                sealedChallenge: [])
            return (secret, values)
        } catch {
            throw ActorError("cannot make a fallback challenge for step \(step) of round \(round): \(error)")
        }
    }
}
