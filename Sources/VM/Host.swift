// The seam between the VM and the state (Docs/vm.md §Host). The node's execution layer
// implements `Host` over its accounts and storage; `TestHost` implements it in memory. The VM
// never journals state itself: every call opens a host checkpoint and commits or reverts it.
import Bytecode
import LedgerPrimitives

public struct BlockContext: Sendable, Equatable {
    public var number: UInt64
    /// Seconds since the Unix epoch, from the block header.
    public var timestamp: UInt64
    public var chainID: UInt64

    public init(number: UInt64 = 0, timestamp: UInt64 = 0, chainID: UInt64 = 1) {
        (self.number, self.timestamp, self.chainID) = (number, timestamp, chainID)
    }
}

/// An event emitted by LOG0…LOG4: Ethereum's log shape.
public struct Log: Sendable, Equatable {
    public var address: Address
    public var topics: [Hash32]
    public var data: [UInt8]

    public init(address: Address, topics: [Hash32], data: [UInt8]) {
        (self.address, self.topics, self.data) = (address, topics, data)
    }
}

/// A position in the host's journal, returned by `checkpoint()`.
public struct Checkpoint: Sendable, Hashable {
    public let rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
}

/// What the VM needs from the world. Calls come from one thread at a time; a host is not
/// shared between concurrent executions.
public protocol Host: AnyObject {
    var block: BlockContext { get }

    /// The verified program of the code at `address`, nil for an account without code.
    /// Hosts cache programs by code hash (`ProgramCache`), so verification happens once.
    func program(at address: Address) -> Program?

    func balance(of address: Address) -> UInt256
    /// Moves `value`; false (and nothing moved) if `from` holds less.
    func transfer(_ value: UInt256, from: Address, to: Address) -> Bool

    func storage(of address: Address, at key: UInt256) -> UInt256
    func setStorage(_ value: UInt256, of address: Address, at key: UInt256)

    func emit(_ log: Log)

    /// Opens a nested journal level; everything after it can be undone by `revert(to:)`.
    func checkpoint() -> Checkpoint
    /// Keeps the changes since `checkpoint`, folding them into the enclosing level.
    func commit(_ checkpoint: Checkpoint)
    /// Undoes storage writes, transfers and logs made since `checkpoint`.
    func revert(to checkpoint: Checkpoint)

    /// SHA-256 and signer recovery live behind the host so that the VM's core carries no C
    /// library; `StandardCryptography` gives implementations to forward to.
    func sha256(_ bytes: [UInt8]) -> Hash32
    /// The address that signed `digest` with (v, r, s), v being 27/28 or 0/1; nil if none.
    func recoverSigner(digest: Hash32, v: UInt256, r: UInt256, s: UInt256) -> Address?

    /// Asked every `Gas.stopCheckInterval` gas: true stops the run with `Failure.interrupted`.
    /// Simulations (eth_call, eth_estimateGas) answer from their time limit; block execution
    /// must never stop, so its hosts keep the default, false.
    func shouldStop() -> Bool
}

extension Host {
    public func shouldStop() -> Bool { false }
}
