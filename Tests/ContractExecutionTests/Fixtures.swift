// The tests' world: keys, a chain whose state lives in memory stores and runs the VM as its
// contract runtime, signed transactions, and the contracts used, written in assembly.
import Bytecode
import ContractExecution
import Execution
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import StateTrie
import TestSupport

let chainId: UInt64 = 1337
let gwei = UInt256(1_000_000_000)
let ether = UInt256(1_000_000_000_000_000_000)
let feeRecipient = Address(bytes: [UInt8](repeating: 0xfe, count: 20))!
let funded = ether * UInt256(10)

func key(_ seed: UInt8) -> PrivateKey { try! PrivateKey(bytes: [UInt8](repeating: seed, count: 32)) }

let alice = key(0x11)
let bob = key(0x22)

/// A state in in-memory stores, advanced block by block as the node would: execute, persist the
/// diff, reopen the state at the new root.
final class Chain {
    let nodes = InMemoryTrieNodeStore()
    let codes = InMemoryCodeStore()
    private(set) var state: TrieStateReader
    let executor: BlockExecutor
    var number: UInt64 = 1

    init(balances: [Address: UInt256] = [alice.address: funded, bob.address: funded],
         rules: ChainRules = ChainRules(chainId: chainId), runtime: VMContractRuntime = VMContractRuntime()) throws {
        let world = WorldState(base: .empty())
        for (address, balance) in balances { try world.setBalance(balance, of: address) }
        state = .empty()
        executor = BlockExecutor(rules: rules, runtime: runtime)
        try persist(world.commit(deletingEmptyAccounts: false))
    }

    func persist(_ diff: StateDiff) throws {
        nodes.write(TrieCommit(rootHash: diff.stateRoot, nodes: diff.trieNodes))
        codes.write(diff)
        state = try TrieStateReader(stateRoot: diff.stateRoot, nodes: nodes, codes: codes)
    }

    var context: BlockContext {
        BlockContext(number: number, timestamp: 1_000 + number, gasLimit: 30_000_000, baseFeePerGas: gwei,
                     feeRecipient: feeRecipient)
    }

    /// Applies `transactions` as one block, as a validator would, and persists the result.
    @discardableResult
    func apply(_ transactions: [RecoveredTransaction]) throws -> BlockExecution {
        let execution = try executor.apply(transactions, context: context, to: state)
        try persist(execution.diff)
        number += 1
        return execution
    }

    /// Applies one transaction as its own block and returns what it did.
    @discardableResult
    func run(_ transaction: RecoveredTransaction) throws -> ExecutedTransaction {
        try apply([transaction]).transactions[0]
    }

    func nonce(_ address: Address) throws -> UInt64 { try state.nonce(of: address) }
    func balance(_ address: Address) throws -> UInt256 { try state.balance(of: address) }
    func slot(_ slot: UInt64, of address: Address) throws -> UInt256 { try state.storageValue(at: UInt256(slot), of: address) }

    /// eth_call on the current state.
    func simulate(from: Address = alice.address, to: Address?, value: UInt256 = .zero, data: [UInt8],
                  gas: UInt64? = nil) throws -> CallSimulation {
        try executor.simulateCall(from: from, to: to, value: value, data: data, gas: gas, context: context, on: state).get()
    }
}

/// A signed legacy transaction with its sender.
func transaction(_ from: PrivateKey, nonce: UInt64, to: Address?, value: UInt256 = .zero, gas: UInt64 = 1_000_000,
                 data: [UInt8] = []) -> RecoveredTransaction {
    let signed = try! UnsignedTransaction.legacy(LegacyTransaction(
        chainId: chainId, nonce: nonce, gasPrice: gwei, gasLimit: gas, to: to, value: value, data: data))
        .signed(with: from)
    return try! signed.recovered(onChain: chainId)
}

/// Call data: 32-byte words.
func words(_ values: UInt256...) -> [UInt8] { values.flatMap(\.bigEndianBytes) }

/// The store contract. The constructor stores its argument in slot 0. A call's first word selects:
/// 0 `store(key, value)`: slot[key] = value, log Stored(key) with the value as data;
/// 1 `load(key)`: returns slot[key]; 2: writes slot 1 then loops until out of gas;
/// 3: writes slot 1 then reverts with the word 0xdead; 4: stores CALLVALUE in slot 2;
/// 5: returns 2^256 − 1 + 1 with checked ADD (overflow). Anything else hits INVALID.
enum StoreContract {
    static let storedTopic = Keccak256.hash(Array("Stored(uint256)".utf8))

    static let source = """
        .init
          PUSH 0
          CALLDATALOAD
          PUSH 0
          SSTORE
          PUSH 0
          PUSH 0
          RETURN
        .runtime
          PUSH 0
          CALLDATALOAD
          RJUMPV store load spin fail paid overflow
          INVALID
        store:
          PUSH 64
          CALLDATALOAD
          PUSH 32
          CALLDATALOAD
          SSTORE
          PUSH 64
          CALLDATALOAD
          PUSH 0
          MSTORE
          PUSH 32
          CALLDATALOAD
          PUSH \(UInt256(storedTopic).hexString)
          PUSH 32
          PUSH 0
          LOG2
          STOP
        load:
          PUSH 32
          CALLDATALOAD
          SLOAD
          PUSH 0
          MSTORE
          PUSH 32
          PUSH 0
          RETURN
        spin:
          PUSH 1
          PUSH 1
          SSTORE
        again:
          RJUMP again
        fail:
          PUSH 7
          PUSH 1
          SSTORE
          PUSH 0xdead
          PUSH 0
          MSTORE
          PUSH 32
          PUSH 0
          REVERT
        paid:
          CALLVALUE
          PUSH 2
          SSTORE
          STOP
        overflow:
          PUSH 1
          PUSH 0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
          ADD
          POP
          STOP
        """

    /// The deploy payload: the container, then the constructor argument.
    static func payload(initial: UInt256 = UInt256(5)) throws -> [UInt8] {
        try Assembler.assemble(source).encoded() + initial.bigEndianBytes
    }

    static func store(_ key: UInt256, _ value: UInt256) -> [UInt8] { words(0, key, value) }
    static func load(_ key: UInt256) -> [UInt8] { words(1, key) }
    static let spin = words(2)
    static let fail = words(3)
    static let paid = words(4)
    static let overflow = words(5)
}

/// Static-calls the contract at word 0 of its call data with `store(1, 99)` (word 1 = 0) or
/// `load(1)` (word 1 = 1), and returns the call's success flag as a word.
enum StaticCaller {
    static let source = """
        .init
          PUSH 0
          PUSH 0
          RETURN
        .runtime
          PUSH 32
          CALLDATALOAD
          PUSH 0
          MSTORE
          PUSH 1
          PUSH 32
          MSTORE
          PUSH 99
          PUSH 64
          MSTORE
          PUSH 0
          PUSH 0
          PUSH 96
          PUSH 0
          PUSH 0
          CALLDATALOAD
          GAS
          STATICCALL
          PUSH 0
          MSTORE
          PUSH 32
          PUSH 0
          RETURN
        """

    static func payload() throws -> [UInt8] { try Assembler.assemble(source).encoded() }
}

/// Calls the contract at word 0 of its call data with the rest of the call data, stores the
/// call's success flag + 1 in its slot 0, emits LOG0, and returns the flag.
enum Forwarder {
    static let source = """
        .init
          PUSH 0
          PUSH 0
          RETURN
        .runtime
          CALLDATASIZE
          PUSH 32
          SWAP1
          SUB
          DUP1
          PUSH 32
          PUSH 0
          CALLDATACOPY
          PUSH 0
          PUSH 0
          SWAP2
          PUSH 0
          PUSH 0
          PUSH 0
          CALLDATALOAD
          GAS
          CALL
          DUP1
          PUSH 1
          ADD
          PUSH 0
          SSTORE
          PUSH 0
          PUSH 0
          LOG0
          PUSH 0
          MSTORE
          PUSH 32
          PUSH 0
          RETURN
        """

    static func payload() throws -> [UInt8] { try Assembler.assemble(source).encoded() }
}
