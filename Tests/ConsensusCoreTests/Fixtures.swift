// Helpers for the step tables: a 4-validator set, messages signed by any validator, and a compact
// text form of actions so each table row reads like the paper.

import ConsensusCore
import ConsensusSimulation

typealias Core = ConsensusCore<SimulatedContext>
typealias Context = SimulatedContext

enum Fixture {
    static let scheme = FakeSignatureScheme()
    static let domain = ConsensusConfiguration().signingDomain
    /// Four validators of power 1: proposer(h, r) = (h + r) mod 4; quorum 3, f + 1 = 2.
    static let validators = try! ValidatorSet<Context>((0..<4).map { Validator(id: $0, power: 1) })
    static let timeouts = TimeoutPolicy()

    static let a = SimulatedValue(height: 1, round: 0, proposer: 1, isValid: true, nonce: 0xA)
    static let b = SimulatedValue(height: 1, round: 1, proposer: 2, isValid: true, nonce: 0xB)
    static let bad = SimulatedValue(height: 1, round: 0, proposer: 1, isValid: false, nonce: 0xBAD)

    static func name(_ value: SimulatedValue?) -> String {
        switch value {
        case nil: "nil"
        case a?: "A"
        case b?: "B"
        case bad?: "BAD"
        case let other?: "v\(other.nonce)"
        }
    }

    /// A core for validator `me` that started height 1 (its start actions are dropped).
    static func core(me: Int = 0, height: Height = 1) -> Core {
        var core = Core(signer: FakeSigner(validator: me, scheme: scheme), verifier: FakeVerifier(scheme: scheme))
        _ = core.handle(.startHeight(height, validators: validators))
        return core
    }

    static func vote(_ type: VoteType, by validator: Int, round: Int, _ value: SimulatedValue?, height: Height = 1) -> Vote<Context> {
        let bytes = SigningBytes.vote(Context.self, domain: domain, type: type, height: height, round: round, valueID: value)
        return Vote(type: type, height: height, round: round, valueID: value, validator: validator,
                    signature: FakeSigner(validator: validator, scheme: scheme).sign(bytes))
    }

    static func proposal(_ value: SimulatedValue, round: Int, validRound: Int = -1, height: Height = 1) -> Proposal<Context> {
        let proposer = validators.proposer(height: height, round: round)
        let bytes = SigningBytes.proposal(Context.self, domain: domain, height: height, round: round,
                                          valueID: value, validRound: validRound)
        return Proposal(height: height, round: round, value: value, validRound: validRound, proposer: proposer,
                        signature: FakeSigner(validator: proposer, scheme: scheme).sign(bytes))
    }

    static func describe(_ action: Core.Action) -> String {
        switch action {
        case .persist: "persist"
        case .broadcast(.proposal(let p)): "propose r\(p.round) \(name(p.value)) vr\(p.validRound)"
        case .broadcast(.vote(let v)): "\(v.type) r\(v.round) \(name(v.valueID))"
        case .requestValue(_, let round): "getValue r\(round)"
        case .validate(let value, _, _): "validate \(name(value))"
        case .scheduleTimeout(let t, _): "timeout \(t.kind) r\(t.round)"
        case .decide(let d): "decide r\(d.certificate.round) \(name(d.value))"
        case .reportEvidence(let e): "evidence \(e.validator)"
        }
    }
}

/// Input helpers that read like the paper.
extension Core.Input {
    static func proposalFor(_ value: SimulatedValue, round: Int, validRound: Int = -1) -> Core.Input {
        .receive(.proposal(Fixture.proposal(value, round: round, validRound: validRound)))
    }
    static func prevote(by validator: Int, round: Int, _ value: SimulatedValue?) -> Core.Input {
        .receive(.vote(Fixture.vote(.prevote, by: validator, round: round, value)))
    }
    static func precommit(by validator: Int, round: Int, _ value: SimulatedValue?) -> Core.Input {
        .receive(.vote(Fixture.vote(.precommit, by: validator, round: round, value)))
    }
    static func valid(_ value: SimulatedValue) -> Core.Input {
        .validationResult(value, height: 1, isValid: value.isValid)
    }
    static func timeout(_ kind: TimeoutKind, round: Int) -> Core.Input {
        .timeoutExpired(Timeout(kind: kind, height: 1, round: round))
    }
}

/// One row of a step table: an input, the actions it must produce, and the state after it.
struct StepRow {
    let input: Core.Input
    let actions: [String]
    var round: Int?
    var step: Step?
    var lockedRound: Int?
    var validRound: Int?

    init(_ input: Core.Input, _ actions: [String] = [], round: Int? = nil, step: Step? = nil,
         lockedRound: Int? = nil, validRound: Int? = nil) {
        self.input = input
        self.actions = actions
        self.round = round
        self.step = step
        self.lockedRound = lockedRound
        self.validRound = validRound
    }
}
