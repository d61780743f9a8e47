// The VM's `Host` over the execution layer's `WorldState` (Docs/execution.md §Contract execution):
// storage on the accounts' storage tries, balances, code by hash through a `ProgramCache`, logs
// into the transaction's receipt, and VM checkpoints mapped onto world-state snapshots, so a
// reverted or failed frame takes its storage writes, transfers and logs with it.
import Bytecode
import Execution
import LedgerPrimitives
import LedgerTypes
import VM

final class WorldStateHost: Host {
    let state: WorldState
    let block: VMBlockContext
    private let programs: ProgramCache
    private let stop: StopCondition?
    /// World-state snapshots of the open checkpoints, innermost last (the VM nests them strictly).
    private var snapshots: [WorldState.Snapshot] = []
    /// The first state read that failed. `Host` cannot throw, so a failing read answers as an
    /// empty state would and the runtime throws this after the VM returns, discarding the run.
    private(set) var fault: StateError?

    init(state: WorldState, environment: ExecutionEnvironment, programs: ProgramCache) {
        self.state = state
        self.block = VMBlockContext(number: environment.block.number, timestamp: environment.block.timestamp,
                                    chainID: environment.chainId)
        self.programs = programs
        self.stop = environment.stop
    }

    func shouldStop() -> Bool { stop?.shouldStop ?? false }

    private func reading<T>(_ fallback: T, _ read: () throws(StateError) -> T) -> T {
        do { return try read() } catch {
            if fault == nil { fault = error }
            return fallback
        }
    }

    /// The program stored at `address`, by its code hash. Code that does not load (only genesis
    /// can place such code) runs as a program that fails at once, so calling it is a failure
    /// rather than a plain transfer.
    func program(at address: Address) -> Program? {
        reading(nil) { () throws(StateError) -> Program? in
            guard let account = try state.account(at: address), account.hasCode else { return nil }
            return try loadProgram(codeHash: account.codeHash).program
        }
    }

    /// The program of the code with `codeHash`, or why it does not load (with a stand-in that fails).
    func loadProgram(codeHash: Hash32) throws(StateError) -> (program: Program, error: ProgramCache.LoadError?) {
        if let cached = programs.cachedProgram(forCodeHash: codeHash) { return (cached, nil) }
        let code = try state.code(withHash: codeHash)
        do {
            return (try programs.program(forRuntimeContainer: code, codeHash: codeHash), nil)
        } catch {
            return (Self.failingProgram, error)
        }
    }

    /// One INVALID instruction: what unloadable stored code runs as.
    static let failingProgram: Program = {
        let container = Container(runtimeFunctions: [Function(code: [Opcode.invalid.rawValue])])
        return try! Verifier.runtimeProgram(of: container)
    }()

    func balance(of address: Address) -> UInt256 {
        reading(.zero) { () throws(StateError) in try state.balance(of: address) }
    }

    func transfer(_ value: UInt256, from: Address, to: Address) -> Bool {
        reading(false) { () throws(StateError) in try state.transfer(value, from: from, to: to) }
    }

    func storage(of address: Address, at key: UInt256) -> UInt256 {
        reading(.zero) { () throws(StateError) in try state.storageValue(at: key, of: address) }
    }

    func setStorage(_ value: UInt256, of address: Address, at key: UInt256) {
        reading(()) { () throws(StateError) in try state.setStorageValue(value, at: key, of: address) }
    }

    func emit(_ log: VMLog) {
        state.emit(LedgerTypes.Log(address: log.address, topics: log.topics, data: log.data))
    }

    func checkpoint() -> Checkpoint {
        snapshots.append(state.snapshot())
        return Checkpoint(snapshots.count - 1)
    }

    func commit(_ checkpoint: Checkpoint) {
        snapshots.removeSubrange(checkpoint.rawValue...)
    }

    func revert(to checkpoint: Checkpoint) {
        state.revert(to: snapshots[checkpoint.rawValue])
        snapshots.removeSubrange(checkpoint.rawValue...)
    }

    func sha256(_ bytes: [UInt8]) -> Hash32 { StandardCryptography.sha256(bytes) }

    func recoverSigner(digest: Hash32, v: UInt256, r: UInt256, s: UInt256) -> Address? {
        StandardCryptography.recoverSigner(digest: digest, v: v, r: r, s: s)
    }
}
