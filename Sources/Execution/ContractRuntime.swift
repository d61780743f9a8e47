// The seam where contract code runs. The executor handles everything Ethereum does around a call
// (nonce, gas purchase, value transfer, fees, receipts) and hands code to a `ContractRuntime`: for
// a creation (to = nil) and for a call to an address that has code. The VM (issue 5) implements
// it; until then a node runs with no runtime (Docs/execution.md §Contracts).
import LedgerPrimitives
import LedgerTypes

/// One message to a contract: a transaction's top-level call or creation.
public struct ContractMessage: Sendable, Hashable {
    /// The immediate caller (the transaction's sender at the top level).
    public var caller: Address
    /// The transaction's sender.
    public var origin: Address
    /// The contract being called, or the address being created.
    public var address: Address
    /// To be moved from `caller` to `address` by the runtime, as the first step of the run and
    /// inside the run's own checkpoint: it stays with the caller when the run reverts or fails.
    /// The executor checked that the caller holds it; it never moves it itself when code runs.
    public var value: UInt256
    /// Call data, or the constructor arguments' container for a creation.
    public var input: [UInt8]
    /// Gas available to the code: the transaction's gas limit minus intrinsic gas.
    public var gas: UInt64

    public init(caller: Address, origin: Address, address: Address, value: UInt256, input: [UInt8], gas: UInt64) {
        self.caller = caller
        self.origin = origin
        self.address = address
        self.value = value
        self.input = input
        self.gas = gas
    }
}

/// What a contract sees of its block and transaction.
public struct ExecutionEnvironment: Sendable, Hashable {
    public var block: BlockContext
    public var chainId: UInt64
    /// The transaction's effective gas price.
    public var gasPrice: UInt256
    /// Asked between slices of gas whether to stop: simulations only (their time limit). Block
    /// execution has none, so it always runs to the end its gas allows.
    public var stop: StopCondition?

    public init(block: BlockContext, chainId: UInt64, gasPrice: UInt256, stop: StopCondition? = nil) {
        self.block = block
        self.chainId = chainId
        self.gasPrice = gasPrice
        self.stop = stop
    }
}

/// When a simulation must stop, as its owner decides (the node: a deadline). The core only asks;
/// it reads no clock itself. Compared by identity.
public final class StopCondition: Sendable, Hashable {
    private let isMet: @Sendable () -> Bool

    public init(_ isMet: @escaping @Sendable () -> Bool) { self.isMet = isMet }

    public var shouldStop: Bool { isMet() }

    public static func == (a: StopCondition, b: StopCondition) -> Bool { a === b }
    public func hash(into hasher: inout Hasher) { hasher.combine(ObjectIdentifier(self)) }
}

/// How a contract execution ended.
public struct ContractOutcome: Sendable, Hashable {
    public enum Status: Sendable, Hashable {
        /// Changes stand; for a creation, `returnData` is the code to store at the new address.
        case success
        /// Explicit revert: changes are undone, `returnData` is the revert data, unused gas returns.
        case revert
        /// Exceptional halt (out of gas, invalid code, rejected deployment…): changes are undone and
        /// all gas given is consumed. `reason` is for logs and tooling.
        case failure(reason: String)
    }

    public var status: Status
    /// Gas used by the code, at most the message's gas (a failure uses all of it).
    public var gasUsed: UInt64
    public var returnData: [UInt8]

    public init(status: Status, gasUsed: UInt64, returnData: [UInt8] = []) {
        self.status = status
        self.gasUsed = gasUsed
        self.returnData = returnData
    }
}

/// Runs contract code against the world state. Storage, balances, code and logs are read and
/// written through `state`; nested calls within the runtime use `state.snapshot()` and
/// `state.revert(to:)` — logs included. The executor snapshots around the whole message and
/// reverts on `.revert` and `.failure`, so a runtime need not undo its top-level writes itself.
/// Errors thrown are node faults (a missing trie node), never a transaction's failure.
public protocol ContractRuntime: Sendable {
    /// Runs creation code `initCode` for `message.address` (already created with nonce 1; the
    /// runtime moves `message.value` to it).
    func create(_ message: ContractMessage, initCode: [UInt8], state: WorldState,
                environment: ExecutionEnvironment) throws(StateError) -> ContractOutcome

    /// Runs `code`, the code of `message.address`.
    func call(_ message: ContractMessage, code: [UInt8], state: WorldState,
              environment: ExecutionEnvironment) throws(StateError) -> ContractOutcome

    /// This runtime recording every instruction it runs into `trace` (debug_traceTransaction);
    /// a runtime that cannot trace returns itself and records nothing.
    func tracing(into trace: ExecutionTrace) -> any ContractRuntime
}

extension ContractRuntime {
    public func tracing(into trace: ExecutionTrace) -> any ContractRuntime { self }
}
