// The end of the chain a node builds on: the committed head, the blocks of the next height
// (this validator's own candidates and the blocks peers sent), their verdicts, and the commit of
// the decided one. Confined to the node's queue; the consensus driver is its only caller.
import ConsensusCore
import Execution
import Foundation
import LedgerPrimitives
import LedgerTypes

/// A block of the next height that was executed on the head state and found valid.
struct ExecutedBlock {
    var block: Block
    var transactions: [RecoveredTransaction]
    var execution: BlockExecution
    /// What the builder left out (they leave the pool with the block's transactions).
    var skipped: [RecoveredTransaction]
}

/// The validator set that signs one height, as the chain holds it.
struct HeightSet {
    var members: [ValidatorMember]
    var set: ValidatorSet<LedgerConsensus>
    var hash: Hash32
}

/// What is known of a block hash the consensus core asked about.
enum BlockVerdict: Equatable {
    case valid
    case invalid(String)
    /// Not received yet: ask the peers and wait. Never an "invalid".
    case missing
    /// This node could not read its own state: a local fault, not the block's.
    case fault(String)
    /// Stamped ahead of this node's clock: ask again at this time (ms).
    case notBefore(UInt64)
}

final class ChainTip {
    let store: ChainStore
    let executor: BlockExecutor
    let checks: BlockChecks
    private let log: NodeLog

    private(set) var head: BlockHeader
    private(set) var headHash: Hash32
    /// The certificate of the head, carried by the next block.
    private(set) var lastCertificate: [UInt8]

    private var executed: [Hash32: ExecutedBlock] = [:]
    private var invalid: [Hash32: String] = [:]
    /// Peers' blocks of the next height not executed yet.
    private var received: [Hash32: Block] = [:]
    /// Unasked-for blocks kept, in all and per header round, with their encoded bytes: blocks
    /// are not signed, so anyone can send some; only a proposal makes one worth executing.
    static let receivedBlocksLimit = 32
    static let receivedBlocksPerRound = 2
    static let receivedBytesLimit = 64 << 20
    private var unaskedBytes = 0
    private var unaskedPerRound: [UInt64: Int] = [:]
    /// Where senders already recovered can be found (the node's pool), set once by the node.
    var knownSenders: (([SignedTransaction]) -> [RecoveredTransaction?])?
    /// Validator sets by the block whose state holds them (height − 2).
    private var sets: [UInt64: HeightSet] = [:]

    init(store: ChainStore, executor: BlockExecutor, checks: BlockChecks, log: NodeLog) throws(ChainStoreError) {
        self.store = store
        self.executor = executor
        self.checks = checks
        self.log = log
        let chainHead = try store.open(expecting: checks.genesis)
        guard let header = try store.header(number: chainHead.number) else {
            throw .inconsistent("no header for the head \(chainHead.number)")
        }
        head = header
        headHash = chainHead.hash
        lastCertificate = chainHead.number == 0 ? [] : try store.certificate(number: chainHead.number) ?? []
    }

    var nextHeight: UInt64 { head.number + 1 }

    // MARK: Validator sets (Docs/adr/0009)

    /// The set that signs `height`: the Permissions contract's set in the state after block
    /// height − 2 (after genesis for heights 1 and 2), so a change voted in block B signs from
    /// B + 2 on, and every node, a syncing one too, derives it from blocks it already holds.
    /// Known up to head + 2; nil beyond. Throws when this node cannot read its own state.
    func validators(forHeight height: UInt64) throws(NodeError) -> HeightSet? {
        let source = height >= 2 ? height - 2 : 0
        guard source <= head.number else { return nil }
        if let known = sets[source] { return known }
        do {
            guard let header = try store.header(number: source) else {
                throw NodeError.halted("no header for block \(source), whose state holds the validator set of \(height)")
            }
            let members = try Permissions.validators(in: try store.state(at: header))
            let set = try ValidatorSet(members.map { Validator<LedgerConsensus>(id: $0.address, power: Int(clamping: $0.power)) })
            let found = HeightSet(members: members, set: set, hash: ValidatorMember.setHash(of: members))
            sets[source] = found
            return found
        } catch let error as NodeError {
            throw error
        } catch {
            throw .halted("the validator set of height \(height) cannot be read: \(error)")
        }
    }

    /// The sets a block of the next height is checked against.
    func nextHeightValidators() throws(NodeError) -> HeightValidators {
        guard let signers = try validators(forHeight: nextHeight), let next = try validators(forHeight: nextHeight + 1),
              let parent = try validators(forHeight: max(head.number, 1)) else {
            throw .halted("the validator sets around height \(nextHeight) are not known")
        }
        return HeightValidators(signers: signers.set, hash: signers.hash, nextHash: next.hash, parentSigners: parent.set)
    }

    // MARK: Blocks of the next height

    /// Builds and executes this validator's block for (height, round) from the pool's proposal.
    func build(height: UInt64, round: Int, proposer: Address, nowMilliseconds: UInt64,
               proposal: [RecoveredTransaction]) throws -> Block {
        let genesis = checks.genesis
        let validators = try nextHeightValidators()
        let timestampMs = BlockSchedule.timestamp(nowMilliseconds: nowMilliseconds, parentMs: head.timestampMs)
        let baseFee = BaseFee.next(after: head, floats: genesis.settings.baseFeeFloats)
        let context = BlockContext(number: height, timestamp: timestampMs / 1_000, gasLimit: genesis.gasLimit,
                                   baseFeePerGas: baseFee, feeRecipient: genesis.settings.feeRecipient ?? proposer)
        let builder = BlockBuilder(executor: executor, context: context, state: try store.state(at: head))
        let skipped = try builder.include(proposal)
        let execution = try builder.finish()
        let included = execution.transactions.map(\.transaction)
        let header = BlockHeader(
            parentHash: headHash, stateRoot: execution.stateRoot, transactionsRoot: execution.transactionsRoot,
            receiptsRoot: execution.receiptsRoot, logsBloom: execution.logsBloom, number: height,
            gasLimit: genesis.gasLimit, gasUsed: execution.gasUsed, timestamp: timestampMs / 1_000,
            baseFeePerGas: baseFee, extraData: [], proposer: proposer, round: UInt64(round),
            validatorsHash: validators.hash, nextValidatorsHash: validators.nextHash,
            lastCommitHash: Block.lastCommitHash(of: lastCertificate), timestampMs: timestampMs)
        let block = Block(header: header, transactions: included.map(\.transaction), lastCommit: lastCertificate)
        for (transaction, reason) in skipped {
            log(.debug, "left out of the block", ["transaction": transaction.hash, "reason": reason])
        }
        executed[block.hash] = ExecutedBlock(block: block, transactions: included, execution: execution,
                                             skipped: skipped.map(\.transaction))
        return block
    }

    /// A block of the next height, executed or not.
    func block(_ hash: Hash32) -> Block? {
        executed[hash]?.block ?? received[hash]
    }

    /// Keeps a peer's block of the next height until consensus asks about it. `wanted` (consensus
    /// asked for this hash) passes the limits. A copy whose body does not match its header (the
    /// hash covers the header only) is dropped unseen, so a forged copy can never stand in for
    /// the real block nor make it "invalid". Returns whether the block is new here.
    @discardableResult
    func receive(_ block: Block, wanted: Bool) -> Bool {
        let hash = block.hash
        guard block.number == nextHeight, block.header.parentHash == headHash, executed[hash] == nil,
              invalid[hash] == nil, received[hash] == nil,
              block.header.lastCommitHash == Block.lastCommitHash(of: block.lastCommit),
              block.header.transactionsRoot == OrderedTrie.transactionsRoot(of: block.transactions) else { return false }
        if !wanted {
            let size = block.encoded.count
            let round = block.header.round
            guard received.count < Self.receivedBlocksLimit, unaskedBytes + size <= Self.receivedBytesLimit,
                  unaskedPerRound[round, default: 0] < Self.receivedBlocksPerRound else { return false }
            unaskedBytes += size
            unaskedPerRound[round, default: 0] += 1
        }
        received[hash] = block
        return true
    }

    /// Executes a block from the write-ahead log of an earlier run (its own proposal, or the
    /// block it locked on or held as valid), so it can re-send and commit exactly that block.
    func adoptLogged(_ block: Block) throws(NodeError) {
        guard block.header.parentHash == headHash, block.number == nextHeight else { return }
        let parentState: TrieStateReader
        do { parentState = try store.state(at: head) } catch { throw .chain(error) }
        let transactions: [RecoveredTransaction]
        let execution: BlockExecution
        do {
            transactions = try senders(of: block)
            execution = try executor.validate(block, recovered: transactions, feeRecipient: checks.genesis.settings.feeRecipient,
                                              parentState: parentState)
        } catch { throw .invalidBlock(error) }
        executed[block.hash] = ExecutedBlock(block: block, transactions: transactions, execution: execution, skipped: [])
    }

    /// valid(v) for a block hash: checks and executes a received block the first time.
    /// `certified` (a commit certificate for it was verified) skips the clock check.
    func verdict(on hash: Hash32, certified: Bool, nowMilliseconds: UInt64) -> BlockVerdict {
        if executed[hash] != nil { return .valid }
        if let reason = invalid[hash] { return .invalid(reason) }
        guard let block = received[hash] else { return .missing }
        if !certified, let wait = checks.waitsForClock(block, nowMilliseconds: nowMilliseconds) { return .notBefore(wait) }
        let validators: HeightValidators
        do { validators = try nextHeightValidators() } catch { return .fault(error.description) }
        do {
            try checks.check(block, parent: head, parentHash: headHash, validators: validators)
        } catch {
            received[hash] = nil
            return refuse(hash, error.description)
        }
        let parentState: TrieStateReader
        do { parentState = try store.state(at: head) } catch { return .fault("\(error)") }
        do {
            let transactions = try senders(of: block)
            let execution = try executor.validate(block, recovered: transactions, feeRecipient: checks.genesis.settings.feeRecipient,
                                                  parentState: parentState)
            received[hash] = nil
            executed[hash] = ExecutedBlock(block: block, transactions: transactions, execution: execution, skipped: [])
            return .valid
        } catch .execution(.state(let error)) {
            // Reading the state failed mid-block: this node's storage, not the block.
            return .fault(error.description)
        } catch {
            received[hash] = nil
            return refuse(hash, "\(error)")
        }
    }

    /// The block's transactions with their senders: the pool's copies where it has them, the
    /// rest recovered here.
    private func senders(of block: Block) throws(BlockValidationError) -> [RecoveredTransaction] {
        let known = knownSenders?(block.transactions) ?? []
        let rules = executor.rules
        var recovered: [RecoveredTransaction] = []
        recovered.reserveCapacity(block.transactions.count)
        for (index, transaction) in block.transactions.enumerated() {
            if index < known.count, let found = known[index] {
                recovered.append(found)
                continue
            }
            do {
                recovered.append(try transaction.recovered(onChain: rules.chainId, options: rules.transactionOptions))
            } catch { throw .invalidSignature(index: index, error) }
        }
        return recovered
    }

    private func refuse(_ hash: Hash32, _ reason: String) -> BlockVerdict {
        invalid[hash] = reason
        log(.warning, "invalid block proposed", ["hash": hash, "height": nextHeight, "reason": reason])
        return .invalid(reason)
    }

    // MARK: Commit

    /// Commits the decided (executed) block with its certificate in one synced batch and moves
    /// the head onto it.
    func commit(_ hash: Hash32, certificate: [UInt8]) throws(NodeError) -> ExecutedBlock {
        guard let decided = executed[hash] else {
            throw .halted("decided block \(hash) at height \(nextHeight) is not one this node executed")
        }
        let block = decided.block
        do {
            _ = try store.commit(block, transactions: decided.transactions, execution: decided.execution,
                                 certificate: certificate, onto: ChainHead(number: head.number, hash: headHash))
        } catch { throw .chain(error) }
        head = block.header
        headHash = block.hash
        lastCertificate = certificate
        executed = [:]
        invalid = [:]
        received = [:]
        unaskedBytes = 0
        unaskedPerRound = [:]
        sets = sets.filter { $0.key + 4 >= head.number }
        return decided
    }
}
