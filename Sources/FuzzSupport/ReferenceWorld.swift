// The world of a differential run: accounts' balances, storage, code and the logs, in plain
// dictionaries. Snapshots copy the whole struct, so rollback is obviously right; `WorldHost`
// lets the real VM run against the same kind of world, so final states compare with `==`.
import Bytecode
import LedgerPrimitives
import VM

/// Balances, storage and logs (what a run may change), plus code (what it may not).
public struct ReferenceWorld: Equatable, Sendable {
    public var balances: [Address: UInt256] = [:]
    /// Only nonzero slots are kept, so a slot written back to zero compares equal to one never written.
    public var storage: [Address: [UInt256: UInt256]] = [:]
    public var logs: [Log] = []
    /// Runtime containers, as stored.
    public var code: [Address: [UInt8]] = [:]

    public init() {}

    public func balance(of address: Address) -> UInt256 { balances[address] ?? .zero }

    public func storage(of address: Address, at key: UInt256) -> UInt256 { storage[address]?[key] ?? .zero }

    public mutating func setStorage(_ value: UInt256, of address: Address, at key: UInt256) {
        storage[address, default: [:]][key] = value.isZero ? nil : value
        if storage[address]?.isEmpty == true { storage[address] = nil }
    }

    /// Moves `value`; false (and nothing moved) if `from` holds less. A transfer to oneself
    /// debits then credits, leaving the balance as it was.
    public mutating func transfer(_ value: UInt256, from: Address, to: Address) -> Bool {
        let (remaining, short) = balance(of: from).subtractingReportingOverflow(value)
        guard !short else { return false }
        balances[from] = remaining
        balances[to] = balance(of: to) &+ value
        return true
    }
}

/// A `Host` over a `ReferenceWorld` for the real VM: checkpoints are whole copies of the world.
public final class WorldHost: Host {
    public let block: BlockContext
    public private(set) var world: ReferenceWorld
    private var snapshots: [ReferenceWorld] = []
    private var programs: [Address: Program] = [:]

    /// Verifies every container of `world` with `cache` (fusing or not); nil if one does not verify.
    public init?(world: ReferenceWorld, block: BlockContext, cache: ProgramCache) {
        self.world = world
        self.block = block
        for (address, bytes) in world.code {
            guard let program = try? cache.program(forRuntimeContainer: bytes) else { return nil }
            programs[address] = program
        }
    }

    public func program(at address: Address) -> Program? { programs[address] }
    public func balance(of address: Address) -> UInt256 { world.balance(of: address) }
    public func transfer(_ value: UInt256, from: Address, to: Address) -> Bool { world.transfer(value, from: from, to: to) }
    public func storage(of address: Address, at key: UInt256) -> UInt256 { world.storage(of: address, at: key) }
    public func setStorage(_ value: UInt256, of address: Address, at key: UInt256) { world.setStorage(value, of: address, at: key) }
    public func emit(_ log: Log) { world.logs.append(log) }

    public func checkpoint() -> Checkpoint {
        snapshots.append(world)
        return Checkpoint(snapshots.count - 1)
    }

    public func commit(_ checkpoint: Checkpoint) {
        snapshots.removeSubrange(checkpoint.rawValue...)
    }

    public func revert(to checkpoint: Checkpoint) {
        world = snapshots[checkpoint.rawValue]
        snapshots.removeSubrange(checkpoint.rawValue...)
    }

    public func sha256(_ bytes: [UInt8]) -> Hash32 { StandardCryptography.sha256(bytes) }

    public func recoverSigner(digest: Hash32, v: UInt256, r: UInt256, s: UInt256) -> Address? {
        StandardCryptography.recoverSigner(digest: digest, v: v, r: r, s: s)
    }
}
