// What a validator checks in a block from another validator before executing it (DESIGN.md §7):
// the consensus fields of its header against the parent and the validator set, and the commit
// certificate of the parent it carries. Execution then checks the roots (BlockExecutor.validate).
// Pure: the parent, the set and the rules come in as values, so every rule is tested alone.
import ConsensusCore
import Execution
import LedgerPrimitives
import LedgerTypes

/// Why a block's consensus fields are not acceptable on its parent.
public enum BlockCheckError: Error, Equatable, Sendable, CustomStringConvertible {
    case parentHash(expected: Hash32, found: Hash32)
    case number(expected: UInt64, found: UInt64)
    /// The round in the header is beyond what any run of consensus reaches (2^32 − 1).
    case round(UInt64)
    case proposer(expected: Address, found: Address)
    /// `timestampMs` is not after the parent's.
    case timestampNotAfterParent(parentMs: UInt64, found: UInt64)
    /// `timestamp` (seconds) is not `timestampMs / 1000`.
    case timestampSeconds(expected: UInt64, found: UInt64)
    case gasLimit(expected: UInt64, found: UInt64)
    case baseFee(expected: UInt256, found: UInt256)
    case validatorsHash(expected: Hash32, found: Hash32)
    case nextValidatorsHash(expected: Hash32, found: Hash32)
    /// The node writes no extra data; a block that carries some was not built by this software.
    case extraData(bytes: Int)
    /// The parent's commit certificate in the block is missing, malformed or does not prove the parent.
    case lastCommit(String)

    public var description: String {
        switch self {
        case .parentHash(let expected, let found): return "parent hash is \(found), expected the head \(expected)"
        case .number(let expected, let found): return "block number is \(found), expected \(expected)"
        case .round(let round): return "round \(round) is out of range"
        case .proposer(let expected, let found): return "proposer is \(found), but the round's proposer is \(expected)"
        case .timestampNotAfterParent(let parentMs, let found):
            return "timestampMs \(found) is not after the parent's \(parentMs)"
        case .timestampSeconds(let expected, let found): return "timestamp is \(found), expected timestampMs / 1000 = \(expected)"
        case .gasLimit(let expected, let found): return "gas limit is \(found), expected \(expected)"
        case .baseFee(let expected, let found): return "base fee is \(found), expected \(expected)"
        case .validatorsHash(let expected, let found): return "validatorsHash is \(found), expected \(expected)"
        case .nextValidatorsHash(let expected, let found): return "nextValidatorsHash is \(found), expected \(expected)"
        case .extraData(let count): return "extraData holds \(count) bytes; blocks carry none"
        case .lastCommit(let detail): return "last commit: \(detail)"
        }
    }
}

/// The validator sets a block of height H is checked against (Docs/adr/0009): the set that signs
/// H (its proposer and validatorsHash), the hash of the set that signs H + 1 (nextValidatorsHash)
/// and the set that signed the parent (the certificate the block carries).
public struct HeightValidators: Sendable {
    public var signers: ValidatorSet<LedgerConsensus>
    public var hash: Hash32
    public var nextHash: Hash32
    public var parentSigners: ValidatorSet<LedgerConsensus>

    public init(signers: ValidatorSet<LedgerConsensus>, hash: Hash32, nextHash: Hash32,
                parentSigners: ValidatorSet<LedgerConsensus>) {
        self.signers = signers
        self.hash = hash
        self.nextHash = nextHash
        self.parentSigners = parentSigners
    }
}

/// The rules a block's consensus fields follow, for one chain.
public struct BlockChecks: Sendable {
    public let genesis: Genesis
    public let consensus: ConsensusConfiguration
    /// How far ahead of this node's clock a proposed block's timestamp may be.
    public let maximumClockDriftMs: UInt64

    public init(genesis: Genesis, consensus: ConsensusConfiguration, maximumClockDriftMs: UInt64 = 1_000) {
        self.genesis = genesis
        self.consensus = consensus
        self.maximumClockDriftMs = maximumClockDriftMs
    }

    /// Checks everything in `block`'s header that execution does not: its place after `parent`,
    /// its proposer, timestamps, gas limit, base fee, validator hashes, and the parent's commit
    /// certificate it carries. No clock: see `waitsForClock`.
    public func check(_ block: Block, parent: BlockHeader, parentHash: Hash32,
                      validators: HeightValidators) throws(BlockCheckError) {
        let header = block.header
        guard header.parentHash == parentHash else { throw .parentHash(expected: parentHash, found: header.parentHash) }
        guard header.number == parent.number &+ 1 else { throw .number(expected: parent.number &+ 1, found: header.number) }
        guard header.round <= UInt64(UInt32.max) else { throw .round(header.round) }
        let proposer = validators.signers.proposer(height: header.number, round: Int(header.round))
        guard header.proposer == proposer else { throw .proposer(expected: proposer, found: header.proposer) }
        guard header.timestampMs > parent.timestampMs else {
            throw .timestampNotAfterParent(parentMs: parent.timestampMs, found: header.timestampMs)
        }
        guard header.timestamp == header.timestampMs / 1_000 else {
            throw .timestampSeconds(expected: header.timestampMs / 1_000, found: header.timestamp)
        }
        guard header.gasLimit == genesis.gasLimit else { throw .gasLimit(expected: genesis.gasLimit, found: header.gasLimit) }
        let baseFee = BaseFee.next(after: parent, floats: genesis.settings.baseFeeFloats)
        guard header.baseFeePerGas == baseFee else { throw .baseFee(expected: baseFee, found: header.baseFeePerGas) }
        guard header.validatorsHash == validators.hash else {
            throw .validatorsHash(expected: validators.hash, found: header.validatorsHash)
        }
        guard header.nextValidatorsHash == validators.nextHash else {
            throw .nextValidatorsHash(expected: validators.nextHash, found: header.nextValidatorsHash)
        }
        guard header.extraData.isEmpty else { throw .extraData(bytes: header.extraData.count) }
        try checkLastCommit(block.lastCommit, parent: parent, parentHash: parentHash, signers: validators.parentSigners)
    }

    /// Block 1 carries no certificate (genesis is not voted on); every later block carries one
    /// that proves its parent: more than 2/3 of the power precommitted the parent's hash.
    public func checkLastCommit(_ bytes: [UInt8], parent: BlockHeader, parentHash: Hash32,
                                signers: ValidatorSet<LedgerConsensus>) throws(BlockCheckError) {
        guard parent.number > 0 else {
            guard bytes.isEmpty else { throw .lastCommit("block 1 must carry none") }
            return
        }
        let certificate: CommitCertificate<LedgerConsensus>
        do { certificate = try ConsensusEncoding.decodeCertificate(bytes) } catch {
            throw .lastCommit(error.description)
        }
        guard certificate.height == parent.number, certificate.valueID == parentHash else {
            throw .lastCommit("it certifies \(certificate.valueID) at height \(certificate.height), not the parent")
        }
        do {
            try certificate.verify(against: signers, verifier: ConsensusSignatureVerifier(),
                                   domain: consensus.signingDomain)
        } catch { throw .lastCommit("\(error)") }
    }

    /// When a proposed block stamped later than this node's clock allows may be accepted (ms), or
    /// nil if it may be now. A block from the future is waited for, never refused: consensus keeps
    /// a verdict for the whole height, and the block may well be decided by the others.
    public func waitsForClock(_ block: Block, nowMilliseconds now: UInt64) -> UInt64? {
        let earliest = block.header.timestampMs.subtractingReportingOverflow(maximumClockDriftMs)
        guard !earliest.overflow, earliest.partialValue > now else { return nil }
        return earliest.partialValue
    }
}
