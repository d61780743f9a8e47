// The execution tests' shared world: well-known keys and amounts, and a chain whose state lives in
// memory stores, advanced block by block as the node does (execute, persist the diff, reopen the
// state at the new root). Used by ExecutionTests and ContractExecutionTests.
import Execution
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import StateTrie
import TestSupport

public let chainId: UInt64 = 1337
public let gwei = UInt256(1_000_000_000)
public let ether = UInt256(1_000_000_000_000_000_000)
public let funded = ether * UInt256(10)
public let feeRecipient = Address(bytes: [UInt8](repeating: 0xfe, count: 20))!

/// A test key whose 32 bytes all equal `seed`.
public func key(_ seed: UInt8) -> PrivateKey { try! PrivateKey(bytes: [UInt8](repeating: seed, count: 32)) }

public let alice = key(0x11)
public let bob = key(0x22)

public final class TestChain {
    public let nodes = InMemoryTrieNodeStore()
    public let codes = InMemoryCodeStore()
    public private(set) var state: TrieStateReader
    public let executor: BlockExecutor
    public private(set) var number: UInt64 = 1

    /// `permissions` installs the Permissions system contract with those settings, as genesis
    /// does (nil: no contract, so anyone may send and deploy).
    public init(balances: [Address: UInt256], rules: ChainRules = ChainRules(chainId: chainId),
                permissions: Permissions.Settings? = nil, runtime: (any ContractRuntime)? = nil) throws {
        let world = WorldState(base: .empty())
        for (address, balance) in balances { try world.setBalance(balance, of: address) }
        if let permissions { try Permissions.install(permissions, in: world) }
        state = .empty()
        executor = BlockExecutor(rules: rules, runtime: runtime)
        try persist(world.commit(deletingEmptyAccounts: false))
    }

    public func persist(_ diff: StateDiff) throws {
        nodes.write(TrieCommit(rootHash: diff.stateRoot, nodes: diff.trieNodes))
        codes.write(diff)
        state = try TrieStateReader(stateRoot: diff.stateRoot, nodes: nodes, codes: codes)
    }

    /// The context of the next block.
    public func context(gasLimit: UInt64 = 30_000_000, baseFee: UInt256 = gwei) -> BlockContext {
        BlockContext(number: number, timestamp: 1_000 + number, gasLimit: gasLimit, baseFeePerGas: baseFee,
                     feeRecipient: feeRecipient)
    }

    /// Applies `transactions` as one block, as a validator would, and persists the result.
    @discardableResult
    public func apply(_ transactions: [RecoveredTransaction], gasLimit: UInt64 = 30_000_000,
                      baseFee: UInt256 = gwei) throws -> BlockExecution {
        let execution = try executor.apply(transactions, context: context(gasLimit: gasLimit, baseFee: baseFee),
                                           to: state)
        try persist(execution.diff)
        number += 1
        return execution
    }

    /// Applies one transaction as its own block and returns what it did.
    @discardableResult
    public func run(_ transaction: RecoveredTransaction) throws -> ExecutedTransaction {
        try apply([transaction]).transactions[0]
    }

    public func balance(_ address: Address) throws -> UInt256 { try state.balance(of: address) }
    public func nonce(_ address: Address) throws -> UInt64 { try state.nonce(of: address) }
    public func slot(_ slot: UInt64, of address: Address) throws -> UInt256 {
        try state.storageValue(at: UInt256(slot), of: address)
    }

    /// eth_call on the current state.
    public func simulate(from: Address = alice.address, to: Address?, value: UInt256 = .zero, data: [UInt8],
                         gas: UInt64? = nil) throws -> CallSimulation {
        try executor.simulateCall(from: from, to: to, value: value, data: data, gas: gas, context: context(),
                                  on: state).get()
    }
}
