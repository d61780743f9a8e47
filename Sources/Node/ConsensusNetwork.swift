// What a validator's driver sends to the other nodes. Votes carry only a block hash (the value),
// so blocks travel on their own: the proposer sends its block before its proposal, and a node
// that is asked to validate a hash it has not seen asks its peers for the block. The P2P layer
// implements this over TCP; the tests connect nodes in memory; a lone validator sends nothing.
import ConsensusCore
import LedgerPrimitives
import LedgerTypes

public protocol ConsensusNetwork: Sendable {
    /// A proposal or vote this validator signed (already in its write-ahead log), or, when a
    /// round does not move, one of the others' prevotes that make the polka of its valid value.
    func broadcast(_ message: ConsensusMessage<LedgerConsensus>)
    /// A validator's proposal or vote of the current height that came from a peer, checked
    /// (signed by a member): sent on to every peer, once per node, so that validators that
    /// cannot reach each other directly still hear each other through the rest.
    func relay(_ message: ConsensusMessage<LedgerConsensus>)
    /// A block this validator proposes (or re-proposes), sent before its proposal.
    func broadcast(_ block: Block)
    /// The decision of a height (its proposal and commit certificate), for peers a height behind;
    /// its block is broadcast just before.
    func broadcast(commit decision: Decision<LedgerConsensus>)
    /// Evidence that a validator signed two conflicting messages.
    func broadcast(_ evidence: Evidence<LedgerConsensus>)
    /// Transactions this node admitted from its own clients, so that every proposer has them.
    func broadcast(transactions: [SignedTransaction])
    /// Asks peers for the block with this hash at `height`; it arrives through `LedgerNode.receive(block:)`.
    func requestBlock(_ hash: Hash32, height: UInt64)
    /// Asks one peer, a different one each time while there are several (or, with
    /// `fromEveryPeer`, all of them: a batch that did not come), for committed blocks from
    /// `height` on with their certificates (this node is behind); they arrive through
    /// `LedgerNode.receive(committed:certificate:)`, in order.
    func requestCommittedBlocks(from height: UInt64, fromEveryPeer: Bool)
}

/// The network of a single validator: nobody to send to.
public struct NoPeers: ConsensusNetwork {
    public init() {}
    public func broadcast(_ message: ConsensusMessage<LedgerConsensus>) {}
    public func relay(_ message: ConsensusMessage<LedgerConsensus>) {}
    public func broadcast(_ block: Block) {}
    public func broadcast(commit decision: Decision<LedgerConsensus>) {}
    public func broadcast(_ evidence: Evidence<LedgerConsensus>) {}
    public func broadcast(transactions: [SignedTransaction]) {}
    public func requestBlock(_ hash: Hash32, height: UInt64) {}
    public func requestCommittedBlocks(from height: UInt64, fromEveryPeer: Bool) {}
}
