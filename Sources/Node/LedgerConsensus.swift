// How the ledger plugs into the generic consensus core: a value is a block hash, a validator is
// its consensus-key address, a signature is a 65-byte recoverable secp256k1 signature over the
// keccak-256 of the core's canonical bytes. Also the byte formats of what consensus leaves
// behind: commit certificates (carried in block H + 1, ADR 0002) and the write-ahead log record.
import ConsensusCore
import Execution
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes

public enum LedgerConsensus: ConsensusContext {
    public typealias Value = Hash32
    public typealias ValueID = Hash32
    public typealias ValidatorID = Address
    /// r ‖ s ‖ recovery id.
    public typealias Signature = [UInt8]

    public static func id(of value: Hash32) -> Hash32 { value }

    public static func appendCanonicalBytes(of id: Hash32, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: id.bytes)
    }

    /// The set that signs every height, from the genesis file (validator-set changes come later).
    public static func validatorSet(of genesis: Genesis) throws(ValidatorSetError) -> ValidatorSet<LedgerConsensus> {
        try ValidatorSet(genesis.settings.validators.map { Validator(id: $0.address, power: Int(clamping: $0.power)) })
    }

    /// The signing domain: the chain id, so votes cannot be replayed on another network.
    public static func configuration(chainId: UInt64) -> ConsensusConfiguration {
        ConsensusConfiguration(signingDomain: Array("d6g-consensus/\(chainId)".utf8))
    }
}

/// Signs with the validator's consensus key.
public struct ConsensusKeySigner: ConsensusSigner {
    public typealias Context = LedgerConsensus
    private let key: PrivateKey

    public init(key: PrivateKey) { self.key = key }

    public var validator: Address { key.address }

    public func sign(_ message: [UInt8]) -> [UInt8] {
        do { return try key.signature(for: Keccak256.hash(message)).bytes } catch {
            // A valid private key signs any digest; failing here means the crypto stack is broken.
            preconditionFailure("consensus signing failed: \(error)")
        }
    }
}

/// Checks that a signature recovers to the validator's address.
public struct ConsensusSignatureVerifier: SignatureVerifier {
    public typealias Context = LedgerConsensus

    public init() {}

    public func isValid(_ signature: [UInt8], of message: [UInt8], by validator: Address) -> Bool {
        guard let recoverable = try? RecoverableSignature(bytes: signature), recoverable.isLowS,
              let signer = try? recoverable.recoverAddress(for: Keccak256.hash(message)) else { return false }
        return signer == validator
    }
}

/// Why bytes are not a certificate or a log record.
public struct ConsensusEncodingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var detail: String
    public var description: String { "consensus record: \(detail)" }
}

/// Byte formats, all RLP. Rounds that may be -1 are stored as round + 1.
public enum ConsensusEncoding {
    /// rlp([height, round, blockHash, [[validator, signature], …]]): what block H + 1 carries as
    /// lastCommit and what the certificates table holds for H.
    public static func encode(_ certificate: CommitCertificate<LedgerConsensus>) -> [UInt8] {
        RLP.Item.list([
            .uint64(certificate.height), .uint64(UInt64(certificate.round)), .hash(certificate.valueID),
            .list(certificate.signatures.map { .list([.address($0.validator), .bytes($0.signature)]) }),
        ]).encoded
    }

    public static func decodeCertificate(_ bytes: [UInt8]) throws(ConsensusEncodingError)
        -> CommitCertificate<LedgerConsensus> {
        do {
            let fields = try RLP.decode(bytes).list(count: 4)
            var signatures: [CommitSignature<LedgerConsensus>] = []
            for entry in try fields[3].list() {
                let pair = try entry.list(count: 2)
                signatures.append(CommitSignature(validator: try pair[0].address(), signature: try pair[1].bytes()))
            }
            return CommitCertificate(height: try fields[0].uint64(), round: try fields[1].round(),
                                     valueID: try fields[2].hash(), signatures: signatures)
        } catch { throw ConsensusEncodingError(detail: "certificate: \(error)") }
    }

    static func item(_ proposal: Proposal<LedgerConsensus>) -> RLP.Item {
        .list([.uint64(proposal.height), .uint64(UInt64(proposal.round)), .hash(proposal.value),
               .uint64(UInt64(proposal.validRound + 1)), .address(proposal.proposer), .bytes(proposal.signature)])
    }

    static func proposal(_ item: RLP.Item) throws(RLPError) -> Proposal<LedgerConsensus> {
        let fields = try item.list(count: 6)
        return Proposal(height: try fields[0].uint64(), round: try fields[1].round(), value: try fields[2].hash(),
                        validRound: try fields[3].roundOrNone(), proposer: try fields[4].address(),
                        signature: try fields[5].bytes())
    }

    static func item(_ vote: Vote<LedgerConsensus>) -> RLP.Item {
        .list([.uint64(UInt64(vote.type.rawValue)), .uint64(vote.height), .uint64(UInt64(vote.round)),
               .bytes(vote.valueID?.bytes ?? []), .address(vote.validator), .bytes(vote.signature)])
    }

    static func vote(_ item: RLP.Item) throws(ConsensusEncodingError) -> Vote<LedgerConsensus> {
        do {
            let fields = try item.list(count: 6)
            guard let type = VoteType(rawValue: UInt8(truncatingIfNeeded: try fields[0].uint64())) else {
                throw ConsensusEncodingError(detail: "unknown vote type")
            }
            let id = try fields[3].bytes()
            let valueID: Hash32? = id.isEmpty ? nil : Hash32(bytes: id)
            guard id.isEmpty || valueID != nil else { throw ConsensusEncodingError(detail: "vote value id of \(id.count) bytes") }
            return Vote(type: type, height: try fields[1].uint64(), round: try fields[2].round(), valueID: valueID,
                        validator: try fields[4].address(), signature: try fields[5].bytes())
        } catch let error as ConsensusEncodingError {
            throw error
        } catch {
            throw ConsensusEncodingError(detail: "vote: \(error)")
        }
    }

    /// The write-ahead log record: the core's persistent state and the blocks of this
    /// validator's own proposals, so after a restart it can re-send (and commit) exactly the
    /// block it signed instead of building another.
    public static func encode(_ state: ConsensusPersistentState<LedgerConsensus>, proposedBlocks: [Block]) -> [UInt8] {
        RLP.Item.list([
            .uint64(state.height), .uint64(UInt64(state.round)), .uint64(UInt64(state.step.rawValue)),
            .bytes(state.lockedValue?.bytes ?? []), .uint64(UInt64(state.lockedRound + 1)),
            .bytes(state.validValue?.bytes ?? []), .uint64(UInt64(state.validRound + 1)),
            .list(state.ownProposals.map(item)), .list(state.ownVotes.map(item)),
            .list(proposedBlocks.map { .bytes($0.encoded) }),
        ]).encoded
    }

    public static func decodeLogRecord(_ bytes: [UInt8]) throws(ConsensusEncodingError)
        -> (state: ConsensusPersistentState<LedgerConsensus>, proposedBlocks: [Block]) {
        do {
            let fields = try RLP.decode(bytes).list(count: 10)
            func optionalHash(_ item: RLP.Item) throws -> Hash32? {
                let bytes = try item.bytes()
                if bytes.isEmpty { return nil }
                guard let hash = Hash32(bytes: bytes) else { throw ConsensusEncodingError(detail: "hash of \(bytes.count) bytes") }
                return hash
            }
            guard let step = Step(rawValue: UInt8(truncatingIfNeeded: try fields[2].uint64())) else {
                throw ConsensusEncodingError(detail: "unknown step")
            }
            var proposals: [Proposal<LedgerConsensus>] = []
            for item in try fields[7].list() { proposals.append(try proposal(item)) }
            var votes: [Vote<LedgerConsensus>] = []
            for item in try fields[8].list() { votes.append(try vote(item)) }
            var blocks: [Block] = []
            for item in try fields[9].list() { blocks.append(try Block(decoding: try item.bytes())) }
            let state = ConsensusPersistentState<LedgerConsensus>(
                height: try fields[0].uint64(), round: try fields[1].round(), step: step,
                lockedValue: try optionalHash(fields[3]), lockedRound: try fields[4].roundOrNone(),
                validValue: try optionalHash(fields[5]), validRound: try fields[6].roundOrNone(),
                ownProposals: proposals, ownVotes: votes)
            return (state, blocks)
        } catch let error as ConsensusEncodingError {
            throw error
        } catch {
            throw ConsensusEncodingError(detail: "\(error)")
        }
    }
}

extension RLP.Item {
    /// A consensus round from the wire or the log. Rounds past 2^32 − 1 would take centuries of
    /// timeouts to reach, so a larger value is malformed — and refusing it here keeps `round + 1`
    /// and the proposer rotation free of overflow.
    func round() throws(RLPError) -> Int {
        let value = try uint64()
        guard value <= UInt64(UInt32.max) else { throw .integerTooLarge(maxBytes: 4) }
        return Int(value)
    }

    /// A round encoded + 1 so that "none" (−1) is 0: lockedRound and validRound.
    func roundOrNone() throws(RLPError) -> Int {
        try round() - 1
    }
}

extension ConsensusEncoding {
    /// A proposal or vote on the wire: rlp([0, proposal]) or rlp([1, vote]).
    public static func encode(_ message: ConsensusMessage<LedgerConsensus>) -> [UInt8] {
        item(message).encoded
    }

    static func item(_ message: ConsensusMessage<LedgerConsensus>) -> RLP.Item {
        switch message {
        case .proposal(let proposal): .list([.uint64(0), item(proposal)])
        case .vote(let vote): .list([.uint64(1), item(vote)])
        }
    }

    public static func decodeMessage(_ bytes: [UInt8]) throws(ConsensusEncodingError) -> ConsensusMessage<LedgerConsensus> {
        do { return try message(RLP.decode(bytes)) } catch let error as ConsensusEncodingError { throw error } catch {
            throw ConsensusEncodingError(detail: "message: \(error)")
        }
    }

    static func message(_ item: RLP.Item) throws -> ConsensusMessage<LedgerConsensus> {
        let fields = try item.list(count: 2)
        switch try fields[0].uint64() {
        case 0: return .proposal(try proposal(fields[1]))
        case 1: return .vote(try vote(fields[1]))
        default: throw ConsensusEncodingError(detail: "unknown message kind")
        }
    }

    /// A decision: rlp([proposal, certificate bytes]).
    public static func encode(_ decision: Decision<LedgerConsensus>) -> [UInt8] {
        RLP.Item.list([item(decision.proposal), .bytes(encode(decision.certificate))]).encoded
    }

    public static func decodeDecision(_ bytes: [UInt8]) throws(ConsensusEncodingError) -> Decision<LedgerConsensus> {
        do {
            let fields = try RLP.decode(bytes).list(count: 2)
            return Decision(proposal: try proposal(fields[0]), certificate: try decodeCertificate(try fields[1].bytes()))
        } catch let error as ConsensusEncodingError { throw error } catch {
            throw ConsensusEncodingError(detail: "decision: \(error)")
        }
    }

    /// Evidence: rlp([0, vote, vote]) or rlp([1, proposal, proposal]).
    public static func encode(_ evidence: Evidence<LedgerConsensus>) -> [UInt8] {
        switch evidence {
        case .conflictingVotes(let first, let second): RLP.Item.list([.uint64(0), item(first), item(second)]).encoded
        case .conflictingProposals(let first, let second): RLP.Item.list([.uint64(1), item(first), item(second)]).encoded
        }
    }

    public static func decodeEvidence(_ bytes: [UInt8]) throws(ConsensusEncodingError) -> Evidence<LedgerConsensus> {
        do {
            let fields = try RLP.decode(bytes).list(count: 3)
            switch try fields[0].uint64() {
            case 0: return .conflictingVotes(try vote(fields[1]), try vote(fields[2]))
            case 1: return .conflictingProposals(try proposal(fields[1]), try proposal(fields[2]))
            default: throw ConsensusEncodingError(detail: "unknown evidence kind")
            }
        } catch let error as ConsensusEncodingError { throw error } catch {
            throw ConsensusEncodingError(detail: "evidence: \(error)")
        }
    }
}
