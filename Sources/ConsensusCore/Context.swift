// The seams of the consensus core: what a value, a validator and a signature are, and who signs
// and checks signatures. The core is generic over these so it never depends on the ledger.

/// A height of the chain: one instance of consensus decides one value per height.
public typealias Height = UInt64

/// The types one deployment of the consensus core plugs in (Malachite calls this the context).
public protocol ConsensusContext: Sendable {
    /// What is decided: for the node, a block hash plus what it needs to fetch and check the block.
    associatedtype Value: Hashable & Sendable
    /// What votes carry: a short identifier of a value (the paper's `id(v)`).
    associatedtype ValueID: Hashable & Sendable
    /// Who votes. `Comparable` gives a deterministic order for proposer ties and certificates.
    associatedtype ValidatorID: Hashable & Comparable & Sendable
    associatedtype Signature: Hashable & Sendable

    /// The identifier votes carry for `value` (Alg.1's `id(v)`).
    static func id(of value: Value) -> ValueID
    /// Appends the canonical, unambiguous encoding of `id` to `bytes`; it is part of what is signed.
    static func appendCanonicalBytes(of id: ValueID, to bytes: inout [UInt8])
}

/// Signs the canonical bytes of this validator's own proposals and votes (see `SigningBytes`).
/// A remote signer implements this by forwarding the bytes; it should keep its own
/// high-water mark (height, round, step) as a second guard against double signing.
public protocol ConsensusSigner<Context>: Sendable {
    associatedtype Context: ConsensusContext
    /// The validator whose key this signer holds.
    var validator: Context.ValidatorID { get }
    func sign(_ message: [UInt8]) -> Context.Signature
}

/// Checks a signature over canonical bytes against a validator's public key.
/// The node plugs secp256k1 in here; the tests use a deterministic fake scheme.
public protocol SignatureVerifier<Context>: Sendable {
    associatedtype Context: ConsensusContext
    func isValid(_ signature: Context.Signature, of message: [UInt8], by validator: Context.ValidatorID) -> Bool
}
