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
import ExecutionTestSupport

/// The chain of these tests: alice and bob funded, the VM as the contract runtime.
typealias Chain = TestChain

extension TestChain {
    convenience init(rules: ChainRules = ChainRules(chainId: chainId), permissions: Permissions.Settings? = nil) throws {
        try self.init(balances: [alice.address: funded, bob.address: funded], rules: rules, permissions: permissions,
                      runtime: VMContractRuntime())
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
