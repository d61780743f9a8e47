// AttestationRegistry: the D6G attestation contract (PROTOCOL.md §Rounds, Docs/adr/0011,
// Docs/protocol.md). The admin (the MLFO) registers agents with their encryption keys; the SECaaS
// posts rounds of sealed, committed steps; each step's prover answers the challenge its root of
// trust (RoT) relays, and the contract — not the challenger — decides pass or fail by comparing
// the evidence with the SECaaS's commitment. Rounds run one at a time and steps one at a time;
// deadlines count blocks; misses, failures and revocations take agents out of key eligibility.
// Every check is on the authenticated sender.
import ContractDSL

// Statuses of an agent.
private let unregistered: Expression = 0, pending: Expression = 1, trusted: Expression = 2, revoked: Expression = 3,
            unreachable: Expression = 4
// States of a step.
private let posted: Expression = 1, challenged: Expression = 2, passedStep: Expression = 3, failedStep: Expression = 4,
            missedStep: Expression = 5, skippedStep: Expression = 6
// The domain tags of Docs/protocol.md (keccak-256 of their names).
private let tagStep = literal("0x79a93e61b1bf4c345c63d230e155c3443bd53a6913d7ea7f72d54a5e3baa5fee")
private let tagEncryptionKey = literal("0x04a9962398772963e0a9e6c4ddef6c2d9224a71ee0b3104dd676e331c9f1e808")
private let tagPlan = literal("0x2621250dddfb2f846c21aaa89fdc9e6dd8846f240ae7c019d4c2ac0f4bae94a0")
private let tagNonce = literal("0x99e5c4853e56d84e881907197036c2b402ad1bad8f2ad3333ea1905a84c5b0f3")
private let tagEvidence = literal("0x2d4b4a7b84e835ee3a3bcc6078d049b5043e249f1070567d9899e5721ec06c53")
private let tagRootOfTrust = literal("0x46e0f15f42a959cb44b977b53955c263f3614c40fdc549423cc8113556d0ad12")

private func stepKey(_ round: Expression, _ step: Expression) -> Expression { keccak256(round, step) }

/// PROTOCOL.md §Eligibility: TRUSTED, no unresolved miss or re-check, and attested within
/// `maxAgeBlocks`.
private func eligible(_ agent: Expression) -> Expression {
    state.agents[agent].status == trusted && !state.agents[agent].unresolvedMiss && !state.agents[agent].recheck
        && state.agents[agent].lastAttested.as(.uint256) + state.maxAgeBlocks.as(.uint256) >= blockNumber
}

/// The RoT challenges only while it is eligible itself: after a miss, a re-check or ageing out,
/// the SECaaS takes its place until someone passes again.
private let rootOfTrustActs = state.rootOfTrust != 0 && eligible(state.rootOfTrust)

/// Whether the due step of `round` is the SECaaS's to challenge (besides a PENDING prover's,
/// which is always the SECaaS's).
private func dueToSecaas(_ round: Expression, _ step: Expression) -> Expression {
    state.steps[stepKey(round, step)].fallbackOnly || !rootOfTrustActs
}

/// The agent takes a miss; at `maxMisses` in a row it is UNREACHABLE for good.
@StatementBuilder private func miss(_ agent: Expression, _ round: Expression, _ step: Expression) -> [Statement] {
    Increase(state.agents[agent].misses, by: 1)
    Assign(state.agents[agent].unresolvedMiss, true)
    Emit("AgentMissed", agent, round, step)
    If(state.agents[agent].misses >= state.maxMisses
       && (state.agents[agent].status == trusted || state.agents[agent].status == pending)) {
        withdrawTrust(agent, unreachable, text("unreachable"))
    }
}

/// REVOKED or UNREACHABLE: final. Whoever it challenged in the latest round it challenged in
/// needs a re-check — unless attested again in a later round — and it stops being the RoT.
@StatementBuilder private func withdrawTrust(_ agent: Expression, _ status: Expression, _ reason: Expression) -> [Statement] {
    Assign(state.agents[agent].status, status)
    Emit("AgentRevoked", agent, reason)
    Let("vouchedRound", state.agents[agent].vouchedRound)
    If(local.vouchedRound != 0) {
        Let("vouchedKey", keccak256(local.vouchedRound - 1, agent))
        For("v", from: 0, to: state.challengedIn[local.vouchedKey].length, atMost: 128) {
            Let("vouchedFor", state.challengedIn[local.vouchedKey][local.v])
            If(state.agents[local.vouchedFor].attestedRound <= local.vouchedRound) {
                Assign(state.agents[local.vouchedFor].recheck, true)
            }
        }
    }
    If(state.rootOfTrust == agent) { Assign(state.rootOfTrust, 0) }
}

/// The due step is resolved (`passed` or not): the next one is due from this block — and, after
/// anything but a pass, fallback only, since its blob was sealed to this step's prover — or the
/// round is over and the next begun round (if any) is current.
@StatementBuilder private func advance(_ round: Expression, passed: Expression) -> [Statement] {
    Assign(state.lastStepPassed, passed)
    If(!passed && state.rounds[round].nextStep + 1 < state.rounds[round].stepCount) {
        Assign(state.steps[stepKey(round, state.rounds[round].nextStep + 1)].fallbackOnly, true)
    }
    Increase(state.rounds[round].nextStep, by: 1)
    If(state.rounds[round].nextStep == state.rounds[round].stepCount) {
        // The next round's step 0 was sealed to the prover the SECaaS expected to be the RoT:
        // the last one, if it passed. Otherwise only the SECaaS can challenge it.
        startNextRound(stepZeroToSecaas: !state.lastStepPassed)
    } otherwise: {
        Assign(state.rounds[round].dueAt, blockNumber.as(.uint64))
    }
}

/// The round at the queue's head is over (or cancelled): the next begun round that is not
/// cancelled becomes current, due from this block, or no round runs.
@StatementBuilder private func startNextRound(stepZeroToSecaas: Expression) -> [Statement] {
    Increase(state.queueHead, by: 1)
    // At most `maxQueuedRounds` wait, so this passes over every cancelled one. A round passed
    // over was the one the next round's step 0 was sealed after: that step is the SECaaS's.
    Let("passedOver", false)
    For("waiting", from: 0, to: queuedRoundsLimit, atMost: maxQueuedRounds) {
        If(state.queueHead < state.roundQueue.length) {
            If(state.rounds[state.roundQueue[state.queueHead]].cancelled) {
                Increase(state.queueHead, by: 1)
                Assign(local.passedOver, true)
            }
        }
    }
    If(state.queueHead < state.roundQueue.length) {
        Assign(state.currentRound, state.roundQueue[state.queueHead])
        Assign(state.rounds[state.currentRound].dueAt, blockNumber.as(.uint64))
        If(stepZeroToSecaas || local.passedOver) { Assign(state.steps[stepKey(state.currentRound, 0)].fallbackOnly, true) }
    } otherwise: {
        Assign(state.roundActive, false)
    }
}

/// Rounds begun and not over, the running one included.
private let maxQueuedRounds = 16
private let queuedRoundsLimit: Expression = 16

/// Step `step` of the current round is challenged by the sender, revealing its prover, salt and
/// nonce; checked against the commitments, the sender's right to challenge, and the deadline.
@StatementBuilder private func challengeStep(_ round: Expression, _ step: Expression, _ prover: Expression,
                                             _ salt: Expression, _ nonce: Expression) -> [Statement] {
    Require(state.roundActive && round == state.currentRound, error: "NotCurrent", round)
    Require(step == state.rounds[round].nextStep, error: "NotDue", round, step)
    Require(state.steps[stepKey(round, step)].state == posted, error: "NotOpen", round, step)
    Require(blockNumber <= state.rounds[round].dueAt.as(.uint256) + state.rounds[round].deadlineBlocks.as(.uint256),
            error: "TooLate", round, step)
    Require(prover != sender, error: "SelfChallenge", prover)
    If(state.agents[prover].status == pending) {
        Require(sender == state.secaas, error: "NotChallenger", sender)
    } otherwise: {
        Require(state.agents[prover].status == trusted, error: "NotChallengeable", prover)
        Require(state.agents[prover].attestedRound != round + 1, error: "AlreadyAttested", prover, round)
        If(dueToSecaas(round, step)) {
            Require(sender == state.secaas, error: "NotChallenger", sender)
        } otherwise: {
            Require(sender == state.rootOfTrust, error: "NotChallenger", sender)
        }
    }
    Require(keccak256(tagPlan, round, step, prover, salt) == state.steps[stepKey(round, step)].planCommit,
            error: "WrongPlan", round, step)
    Require(keccak256(tagNonce, round, step, nonce) == state.steps[stepKey(round, step)].nonceHash,
            error: "WrongNonce", round, step)
    Require(state.challengedIn[keccak256(round, sender)].length < 128, error: "TooManyChallenges", sender)
    Assign(state.steps[stepKey(round, step)].prover, prover)
    Assign(state.steps[stepKey(round, step)].challenger, sender)
    Assign(state.steps[stepKey(round, step)].challengedAt, blockNumber.as(.uint64))
    Assign(state.steps[stepKey(round, step)].state, challenged)
    Append(state.challengedIn[keccak256(round, sender)], prover)
    If(sender != state.secaas) { Assign(state.agents[sender].vouchedRound, round + 1) }
    // The nonce is public once revealed; the event carries it so that the prover need not parse
    // the challenger's call data (which the challenger controls).
    Emit("ChallengeIssued", round, step, prover, sender, nonce)
}

/// The sender's response to its challenged step: the contract decides, records, extends the
/// RoT chain and moves on. Leaves the verdict in `local.passed`.
@StatementBuilder private func respondToStep(_ round: Expression, _ step: Expression, _ evidence: Expression) -> [Statement] {
    Require(state.steps[stepKey(round, step)].state == challenged && state.steps[stepKey(round, step)].prover == sender,
            error: "NotYourStep", round, step)
    // Revoked (by the admin, say) while challenged: its answer no longer counts.
    Require(state.agents[sender].status == pending || state.agents[sender].status == trusted, error: "NotActive", sender)
    Require(blockNumber <= state.steps[stepKey(round, step)].challengedAt.as(.uint256) + state.rounds[round].deadlineBlocks.as(.uint256),
            error: "TooLate", round, step)
    Let("passed", keccak256(tagEvidence, tagStep, chainID, contractAddress, round, step, sender, evidence)
        == state.steps[stepKey(round, step)].evidenceCommit)
    Let("challenger", state.steps[stepKey(round, step)].challenger)
    Assign(state.rotChain, keccak256(state.rotChain, round, step, sender, local.challenger, local.passed, blockNumber))
    If(local.passed) {
        Assign(state.steps[stepKey(round, step)].state, passedStep)
        Assign(state.agents[sender].status, trusted)
        Assign(state.agents[sender].lastAttested, blockNumber.as(.uint64))
        Assign(state.agents[sender].attestedRound, round + 1)
        Assign(state.agents[sender].misses, 0)
        Assign(state.agents[sender].unresolvedMiss, false)
        // A pass on the challenge of an agent revoked since still leaves a re-check to do.
        Assign(state.agents[sender].recheck, state.agents[local.challenger].status == revoked
                                             || state.agents[local.challenger].status == unreachable)
        Assign(state.rootOfTrust, sender)
    } otherwise: {
        Assign(state.steps[stepKey(round, step)].state, failedStep)
        withdrawTrust(sender, revoked, text("evidence"))
    }
    Emit("AttestationRecorded", round, step, sender, local.challenger, local.passed, blockTimestamp, state.rootOfTrust)
    advance(round, passed: local.passed)
}

public let attestationRegistry = Contract("AttestationRegistry") {
    twoStepAdmin()
    Storage("secaas", .address)
    Storage("minDeadlineBlocks", .uint64)
    Storage("maxMisses", .uint64)
    Storage("maxAgeBlocks", .uint64)
    Record("Agent", ("status", .uint8), ("agentId", .bytes32), ("pipelineId", .bytes32), ("encPub", .bytes),
           ("lastAttested", .uint64), ("attestedRound", .uint64), ("misses", .uint64), ("unresolvedMiss", .bool),
           ("recheck", .bool), ("vouchedRound", .uint64))
    Storage("agents", .map(.address, to: .record("Agent")))
    Storage("agentList", .array(of: .address))
    Record("Round", ("stepCount", .uint64), ("deadlineBlocks", .uint64), ("nextStep", .uint64), ("dueAt", .uint64),
           ("cancelled", .bool))
    Storage("rounds", .map(.uint64, to: .record("Round")))
    Record("Step", ("planCommit", .bytes32), ("nonceHash", .bytes32), ("evidenceCommit", .bytes32), ("sealed", .bytes),
           ("prover", .address), ("challenger", .address), ("challengedAt", .uint64), ("state", .uint8),
           ("fallbackOnly", .bool))
    Storage("steps", .map(.bytes32, to: .record("Step")))
    Storage("usedNonceHashes", .map(.bytes32, to: .bool))
    Storage("roundQueue", .array(of: .uint64))
    Storage("queueHead", .uint256)
    Storage("currentRound", .uint64)
    Storage("roundActive", .bool)
    Storage("anyRoundBegun", .bool)
    Storage("lastBegunRound", .uint64)
    Storage("rootOfTrust", .address)
    /// Whether the last resolved step passed (then its prover is the RoT its successor's blob
    /// was sealed to).
    Storage("lastStepPassed", .bool)
    Storage("rotChain", .bytes32)
    /// keccak256(round, challenger) → the provers it challenged in that round.
    Storage("challengedIn", .map(.bytes32, to: .array(of: .address)))

    Event("AgentRegistered", .indexed("agent", .address), .field("agentId", .bytes32), .field("pipelineId", .bytes32))
    Event("RoundBegun", .indexed("round", .uint64), .field("steps", .uint256))
    Event("ChallengeIssued", .indexed("round", .uint64), .field("step", .uint64), .indexed("prover", .address),
          .field("challenger", .address), .field("nonce", .bytes32))
    Event("AttestationRecorded", .indexed("round", .uint64), .field("step", .uint64), .indexed("measured", .address),
          .field("verifier", .address), .field("passed", .bool), .field("timestamp", .uint256), .field("newRoT", .address))
    Event("AgentMissed", .indexed("agent", .address), .indexed("round", .uint64), .field("step", .uint64))
    Event("AgentRevoked", .indexed("agent", .address), .field("reason", .string))
    Event("EncryptionKeyRotated", .indexed("agent", .address))
    Event("RoundCancelled", .indexed("round", .uint64), .field("reason", .string))

    CustomError("AlreadyRegistered", ("agent", .address))
    CustomError("BadEncryptionKey", ("length", .uint256))
    CustomError("BadSignature", ("signer", .address))
    CustomError("NotActive", ("agent", .address))
    CustomError("RoundNotNew", ("round", .uint64))
    CustomError("BadSteps", ("count", .uint256))
    CustomError("DeadlineTooShort", ("blocks", .uint64), ("minimum", .uint64))
    CustomError("NonceReused", ("nonceHash", .bytes32))
    CustomError("NotCurrent", ("round", .uint64))
    CustomError("NotDue", ("round", .uint64), ("step", .uint64))
    CustomError("NotOpen", ("round", .uint64), ("step", .uint64))
    CustomError("TooLate", ("round", .uint64), ("step", .uint64))
    CustomError("NotLate", ("round", .uint64), ("step", .uint64))
    CustomError("SelfChallenge", ("prover", .address))
    CustomError("NotChallenger", ("sender", .address))
    CustomError("NotChallengeable", ("prover", .address))
    CustomError("AlreadyAttested", ("prover", .address), ("round", .uint64))
    CustomError("WrongPlan", ("round", .uint64), ("step", .uint64))
    CustomError("WrongNonce", ("round", .uint64), ("step", .uint64))
    CustomError("NotYourStep", ("round", .uint64), ("step", .uint64))
    CustomError("NoFallbackNeeded", ("round", .uint64), ("step", .uint64))
    CustomError("TooManyChallenges", ("challenger", .address))
    CustomError("TooManyRounds", ("waiting", .uint256))
    CustomError("NotCancellable", ("round", .uint64))

    /// `minDeadlineBlocks` must cover f + 2 blocks of the network it is deployed on.
    Constructor(("secaas", .address), ("minDeadlineBlocks", .uint64), ("maxMisses", .uint64), ("maxAgeBlocks", .uint64)) {
        Require(local.minDeadlineBlocks >= 3 && local.maxMisses >= 1 && local.maxAgeBlocks >= 1, "bad parameters")
        Assign(state.admin, sender)
        Assign(state.secaas, local.secaas)
        Assign(state.minDeadlineBlocks, local.minDeadlineBlocks)
        Assign(state.maxMisses, local.maxMisses)
        Assign(state.maxAgeBlocks, local.maxAgeBlocks)
        Assign(state.rotChain, tagRootOfTrust)
    }

    // MARK: Roles

    Function("setSecaas", ("secaas", .address), only: [state.admin]) { Assign(state.secaas, local.secaas) }

    // MARK: Agents

    /// The agent's signature (r ‖ s ‖ v, v 27 or 28) over keccak256(encPubMsg(agent, encPub))
    /// proves it holds the account and vouches for the key. An account registered once can
    /// never be registered again (revocation is final).
    Function("registerAgent", ("agent", .address), ("agentId", .bytes32), ("pipelineId", .bytes32), ("encPub", .bytes),
             ("signature", .bytes), only: [state.admin]) {
        Require(state.agents[local.agent].status == unregistered && local.agent != 0, error: "AlreadyRegistered", local.agent)
        Require(local.encPub.length == 33, error: "BadEncryptionKey", local.encPub.length)
        Let("signer", recoverSigner(digest: keccak256(tagEncryptionKey, chainID, contractAddress, local.agent, keccak256(local.encPub)),
                                    signature: local.signature))
        Require(local.signer == local.agent, error: "BadSignature", local.signer)
        Assign(state.agents[local.agent].status, pending)
        Assign(state.agents[local.agent].agentId, local.agentId)
        Assign(state.agents[local.agent].pipelineId, local.pipelineId)
        Assign(state.agents[local.agent].encPub, local.encPub)
        Append(state.agentList, local.agent)
        Emit("AgentRegistered", local.agent, local.agentId, local.pipelineId)
    }

    Function("rotateEncryptionKey", ("encPub", .bytes), ("signature", .bytes)) {
        Require(state.agents[sender].status == pending || state.agents[sender].status == trusted, error: "NotActive", sender)
        Require(local.encPub.length == 33, error: "BadEncryptionKey", local.encPub.length)
        Let("signer", recoverSigner(digest: keccak256(tagEncryptionKey, chainID, contractAddress, sender, keccak256(local.encPub)),
                                    signature: local.signature))
        Require(local.signer == sender, error: "BadSignature", local.signer)
        Assign(state.agents[sender].encPub, local.encPub)
        Emit("EncryptionKeyRotated", sender)
    }

    Function("revokeAgent", ("agent", .address), ("reason", .string), only: [state.admin]) {
        Require(state.agents[local.agent].status == pending || state.agents[local.agent].status == trusted,
                error: "NotActive", local.agent)
        withdrawTrust(local.agent, revoked, local.reason)
    }

    // MARK: Rounds

    Function("beginRound", ("round", .uint64), ("deadlineBlocks", .uint64), ("planCommits", .array(.bytes32)),
             ("nonceHashes", .array(.bytes32)), ("evidenceCommits", .array(.bytes32)), ("sealed", .array(.bytes)),
             only: [state.secaas]) {
        Require((!state.anyRoundBegun || local.round > state.lastBegunRound) && local.round < literal("18446744073709551615"),
                error: "RoundNotNew", local.round)
        Let("count", local.planCommits.length)
        Require(local.count >= 1 && local.count <= 128 && local.nonceHashes.length == local.count
                && local.evidenceCommits.length == local.count && local.sealed.length == local.count,
                error: "BadSteps", local.count)
        Require(local.deadlineBlocks >= state.minDeadlineBlocks && local.deadlineBlocks <= 1_000_000, error: "DeadlineTooShort",
                local.deadlineBlocks, state.minDeadlineBlocks)
        Require(state.roundQueue.length - state.queueHead < queuedRoundsLimit, error: "TooManyRounds",
                state.roundQueue.length - state.queueHead)
        For("i", from: 0, to: local.count, atMost: 128) {
            Require(!state.usedNonceHashes[local.nonceHashes[local.i]], error: "NonceReused", local.nonceHashes[local.i])
            Assign(state.usedNonceHashes[local.nonceHashes[local.i]], true)
            Let("key", stepKey(local.round, local.i.as(.uint64)))
            Assign(state.steps[local.key].planCommit, local.planCommits[local.i])
            Assign(state.steps[local.key].nonceHash, local.nonceHashes[local.i])
            Assign(state.steps[local.key].evidenceCommit, local.evidenceCommits[local.i])
            Assign(state.steps[local.key].sealed, local.sealed[local.i])
            Assign(state.steps[local.key].state, posted)
            // No blob: the SECaaS keeps the step (an initial attestation, a newcomer); the RoT,
            // with nothing to open, is never blamed for it.
            If(local.sealed[local.i].length == 0) { Assign(state.steps[local.key].fallbackOnly, true) }
        }
        Assign(state.rounds[local.round].stepCount, local.count.as(.uint64))
        Assign(state.rounds[local.round].deadlineBlocks, local.deadlineBlocks)
        Append(state.roundQueue, local.round)
        Assign(state.lastBegunRound, local.round)
        Assign(state.anyRoundBegun, true)
        If(!state.roundActive) {
            Assign(state.roundActive, true)
            Assign(state.currentRound, local.round)
            Assign(state.rounds[local.round].dueAt, blockNumber.as(.uint64))
            If(!state.lastStepPassed) { Assign(state.steps[stepKey(local.round, 0)].fallbackOnly, true) }
        }
        Emit("RoundBegun", local.round, local.count)
    }

    Function("challenge", ("round", .uint64), ("step", .uint64), ("prover", .address), ("salt", .bytes32), ("nonce", .bytes32)) {
        challengeStep(local.round, local.step, local.prover, local.salt, local.nonce)
    }

    Function("respond", ("round", .uint64), ("step", .uint64), ("evidence", .bytes32)) {
        respondToStep(local.round, local.step, local.evidence)
    }

    /// The response, and if it passes the challenge of the next step by the sender as the new
    /// RoT (a failed response is recorded and the challenge left out).
    Function("respondAndChallenge", ("round", .uint64), ("step", .uint64), ("evidence", .bytes32), ("nextProver", .address),
             ("salt", .bytes32), ("nonce", .bytes32)) {
        respondToStep(local.round, local.step, local.evidence)
        // Only a challenge the new RoT may make: none after the last step, none of a PENDING,
        // revoked or already attested prover (those need the SECaaS or declineStep), none when
        // the sender may not act as the RoT (a re-check kept: its challenger lost its trust);
        // the pass stands either way.
        If(local.passed && state.roundActive && local.round == state.currentRound
           && local.step + 1 == state.rounds[local.round].nextStep
           && state.agents[local.nextProver].status == trusted && state.agents[local.nextProver].attestedRound != local.round + 1
           && local.nextProver != sender && !dueToSecaas(local.round, local.step + 1)) {
            challengeStep(local.round, local.step + 1, local.nextProver, local.salt, local.nonce)
        }
    }

    /// After a failure or a miss (or with no RoT), the SECaaS posts fresh commitments for the
    /// due step and challenges it at once.
    Function("fallbackChallenge", ("round", .uint64), ("step", .uint64), ("planCommit", .bytes32), ("nonceHash", .bytes32),
             ("evidenceCommit", .bytes32), ("prover", .address), ("salt", .bytes32), ("nonce", .bytes32), only: [state.secaas]) {
        Require(state.roundActive && local.round == state.currentRound && local.step == state.rounds[local.round].nextStep,
                error: "NotDue", local.round, local.step)
        Require(dueToSecaas(local.round, local.step) || state.agents[local.prover].status == pending,
                error: "NoFallbackNeeded", local.round, local.step)
        Require(!state.usedNonceHashes[local.nonceHash], error: "NonceReused", local.nonceHash)
        Assign(state.usedNonceHashes[local.nonceHash], true)
        Assign(state.steps[stepKey(local.round, local.step)].planCommit, local.planCommit)
        Assign(state.steps[stepKey(local.round, local.step)].nonceHash, local.nonceHash)
        Assign(state.steps[stepKey(local.round, local.step)].evidenceCommit, local.evidenceCommit)
        Assign(state.steps[stepKey(local.round, local.step)].fallbackOnly, true)
        challengeStep(local.round, local.step, local.prover, local.salt, local.nonce)
    }

    /// The due step's prover (shown by the plan commitment's salt) cannot be challenged by the
    /// RoT: a PENDING prover goes to the SECaaS (due from now); a revoked, unreachable or
    /// already attested one is skipped. Nobody takes a miss for either.
    Function("declineStep", ("round", .uint64), ("step", .uint64), ("prover", .address), ("salt", .bytes32)) {
        Require(state.roundActive && local.round == state.currentRound && local.step == state.rounds[local.round].nextStep,
                error: "NotDue", local.round, local.step)
        Let("key", stepKey(local.round, local.step))
        Require(state.steps[local.key].state == posted, error: "NotOpen", local.round, local.step)
        Require(keccak256(tagPlan, local.round, local.step, local.prover, local.salt) == state.steps[local.key].planCommit,
                error: "WrongPlan", local.round, local.step)
        If(state.agents[local.prover].status == pending) {
            // Once: declining again must not push the SECaaS's deadline back.
            Require(!state.steps[local.key].fallbackOnly, error: "NoFallbackNeeded", local.round, local.step)
            Assign(state.steps[local.key].fallbackOnly, true)
            Assign(state.rounds[local.round].dueAt, blockNumber.as(.uint64))
        } otherwise: {
            Require(state.agents[local.prover].status != trusted || state.agents[local.prover].attestedRound == local.round + 1,
                    error: "NoFallbackNeeded", local.round, local.step)
            Assign(state.steps[local.key].state, skippedStep)
            advance(local.round, passed: false)
        }
    }

    /// Anyone, after a deadline: an unanswered challenge is the prover's miss; an unchallenged
    /// step the RoT's (then only the SECaaS may challenge it); a step the SECaaS let pass too
    /// is skipped, blaming nobody.
    Function("markMissed", ("round", .uint64), ("step", .uint64)) {
        Require(state.roundActive && local.round == state.currentRound && local.step == state.rounds[local.round].nextStep,
                error: "NotDue", local.round, local.step)
        Let("key", stepKey(local.round, local.step))
        If(state.steps[local.key].state == challenged) {
            Require(blockNumber > state.steps[local.key].challengedAt.as(.uint256) + state.rounds[local.round].deadlineBlocks.as(.uint256),
                    error: "NotLate", local.round, local.step)
            Assign(state.steps[local.key].state, missedStep)
            miss(state.steps[local.key].prover, local.round, local.step)
            advance(local.round, passed: false)
        } otherwise: {
            Require(blockNumber > state.rounds[local.round].dueAt.as(.uint256) + state.rounds[local.round].deadlineBlocks.as(.uint256),
                    error: "NotLate", local.round, local.step)
            If(dueToSecaas(local.round, local.step)) {
                Assign(state.steps[local.key].state, skippedStep)
                advance(local.round, passed: false)
            } otherwise: {
                miss(state.rootOfTrust, local.round, local.step)
                Assign(state.steps[local.key].fallbackOnly, true)
                Assign(state.rounds[local.round].dueAt, blockNumber.as(.uint64))
            }
        }
    }

    /// The admin or the SECaaS withdraws a begun round that is not over (bad commitments, a
    /// wrong plan): its open steps are never challenged, an answer to its challenged step no
    /// longer counts, and nobody is blamed. A running round gives way to the next begun one,
    /// whose step 0 is then the SECaaS's.
    Function("cancelRound", ("round", .uint64), ("reason", .string), only: [state.admin, state.secaas]) {
        Require(state.rounds[local.round].stepCount != 0 && !state.rounds[local.round].cancelled
                && state.rounds[local.round].nextStep < state.rounds[local.round].stepCount, error: "NotCancellable", local.round)
        Assign(state.rounds[local.round].cancelled, true)
        Emit("RoundCancelled", local.round, local.reason)
        If(state.roundActive && local.round == state.currentRound) {
            Assign(state.lastStepPassed, false)
            Assign(state.steps[stepKey(local.round, state.rounds[local.round].nextStep)].state, skippedStep)
            startNextRound(stepZeroToSecaas: true)
        }
    }

    // MARK: Views

    Function("isEligible", ("agent", .address), returns: .bool, .view) { Return(eligible(local.agent)) }
    /// Who may challenge the due step now: the SECaaS or the RoT (a PENDING prover, known only
    /// from the plan, is always the SECaaS's).
    Function("dueChallenger", returns: .address, .view) {
        Require(state.roundActive, "no round is running")
        If(dueToSecaas(state.currentRound, state.rounds[state.currentRound].nextStep)) { Return(state.secaas) }
        Return(state.rootOfTrust)
    }
    Function("isRoundCancelled", ("round", .uint64), returns: .bool, .view) { Return(state.rounds[local.round].cancelled) }
    Function("statusOf", ("agent", .address), returns: .uint8, .view) { Return(state.agents[local.agent].status) }
    Function("encryptionKeyOf", ("agent", .address), returns: .bytes, .view) { Return(state.agents[local.agent].encPub) }
    Function("lastAttestedOf", ("agent", .address), returns: .uint64, .view) { Return(state.agents[local.agent].lastAttested) }
    Function("missesOf", ("agent", .address), returns: .uint64, .view) { Return(state.agents[local.agent].misses) }
    Function("agentCount", returns: .uint256, .view) { Return(state.agentList.length) }
    Function("agentAt", ("index", .uint256), returns: .address, .view) { Return(state.agentList[local.index]) }
    Function("rootOfTrust", returns: .address, .view) { Return(state.rootOfTrust) }
    Function("rotChainHead", returns: .bytes32, .view) { Return(state.rotChain) }
    Function("activeRound", returns: .uint64, .view) {
        Require(state.roundActive, "no round is running")
        Return(state.currentRound)
    }
    Function("dueStep", returns: .uint64, .view) {
        Require(state.roundActive, "no round is running")
        Return(state.rounds[state.currentRound].nextStep)
    }
    Function("stepCountOf", ("round", .uint64), returns: .uint64, .view) { Return(state.rounds[local.round].stepCount) }
    Function("stepStateOf", ("round", .uint64), ("step", .uint64), returns: .uint8, .view) {
        Return(state.steps[stepKey(local.round, local.step)].state)
    }
    Function("sealedChallengeOf", ("round", .uint64), ("step", .uint64), returns: .bytes, .view) {
        Return(state.steps[stepKey(local.round, local.step)].sealed)
    }
    Function("planCommitOf", ("round", .uint64), ("step", .uint64), returns: .bytes32, .view) {
        Return(state.steps[stepKey(local.round, local.step)].planCommit)
    }
    Function("nonceHashOf", ("round", .uint64), ("step", .uint64), returns: .bytes32, .view) {
        Return(state.steps[stepKey(local.round, local.step)].nonceHash)
    }
    Function("proverOf", ("round", .uint64), ("step", .uint64), returns: .address, .view) {
        Return(state.steps[stepKey(local.round, local.step)].prover)
    }
}
