// An in-memory Host for tests and for running contracts off-chain (the DSL's test harness):
// balances, storage, code and logs in dictionaries, with a flat undo journal for checkpoints.
import Bytecode
import LedgerPrimitives

public final class TestHost: Host {
    public var block: BlockContext
    public private(set) var logs: [Log] = []
    private var balances: [Address: UInt256] = [:]
    private var slots: [Address: [UInt256: UInt256]] = [:]
    private var programs: [Address: Program] = [:]
    private var codes: [Address: [UInt8]] = [:]
    private let cache: ProgramCache

    private enum Undo {
        case storage(Address, UInt256, previous: UInt256)
        case balance(Address, previous: UInt256)
        case log
    }
    private var journal: [Undo] = []

    public init(block: BlockContext = BlockContext(), cache: ProgramCache = ProgramCache()) {
        self.block = block
        self.cache = cache
    }

    // MARK: Setting up a world

    public func setBalance(_ value: UInt256, of address: Address) { balances[address] = value }

    public func setStorage(_ value: UInt256, of address: Address, at key: UInt256, journaled: Bool) {
        if journaled { journal.append(.storage(address, key, previous: storage(of: address, at: key))) }
        slots[address, default: [:]][key] = value
    }

    /// Installs a runtime container at `address`, verifying it as a deployment would.
    public func installCode(_ runtimeContainer: [UInt8], at address: Address) throws(ProgramCache.LoadError) {
        programs[address] = try cache.program(forRuntimeContainer: runtimeContainer)
        codes[address] = runtimeContainer
    }

    /// Runs a deploy payload and, on success, stores the runtime container at `address`.
    @discardableResult
    public func deploy(_ payload: [UInt8], at address: Address, from sender: Address, value: UInt256 = .zero,
                       gas: Int64 = 10_000_000) -> DeploymentResult {
        let result = VM.deploy(payload: payload, message: Message(caller: sender, recipient: address, value: value, gas: gas),
                               host: self)
        if let code = result.runtimeCode, let program = result.program {
            codes[address] = code
            programs[address] = program
        }
        return result
    }

    public func code(at address: Address) -> [UInt8]? { codes[address] }

    /// Every nonzero slot a contract holds (differential tests compare whole storages).
    public func storageSlots(of address: Address) -> [UInt256: UInt256] { (slots[address] ?? [:]).filter { !$0.value.isZero } }

    public func clearLogs() { logs.removeAll() }

    /// Asked between slices of gas whether to stop the run (a harness's time limit); nil runs to the end.
    public var stopCondition: (() -> Bool)?

    // MARK: Host

    public func program(at address: Address) -> Program? { programs[address] }

    public func shouldStop() -> Bool { stopCondition?() ?? false }

    public func balance(of address: Address) -> UInt256 { balances[address] ?? .zero }

    public func transfer(_ value: UInt256, from: Address, to: Address) -> Bool {
        let source = balance(of: from)
        guard source >= value else { return false }
        journal.append(.balance(from, previous: source))
        balances[from] = source &- value
        let destination = balance(of: to)
        journal.append(.balance(to, previous: destination))
        balances[to] = destination &+ value
        return true
    }

    public func storage(of address: Address, at key: UInt256) -> UInt256 { slots[address]?[key] ?? .zero }

    public func setStorage(_ value: UInt256, of address: Address, at key: UInt256) {
        setStorage(value, of: address, at: key, journaled: true)
    }

    public func emit(_ log: Log) {
        logs.append(log)
        journal.append(.log)
    }

    public func checkpoint() -> Checkpoint { Checkpoint(journal.count) }

    public func commit(_ checkpoint: Checkpoint) {}

    public func revert(to checkpoint: Checkpoint) {
        while journal.count > checkpoint.rawValue {
            switch journal.removeLast() {
            case .storage(let address, let key, let previous): slots[address, default: [:]][key] = previous
            case .balance(let address, let previous): balances[address] = previous
            case .log: logs.removeLast()
            }
        }
    }

    public func sha256(_ bytes: [UInt8]) -> Hash32 { StandardCryptography.sha256(bytes) }

    public func recoverSigner(digest: Hash32, v: UInt256, r: UInt256, s: UInt256) -> Address? {
        StandardCryptography.recoverSigner(digest: digest, v: v, r: r, s: s)
    }
}
