// Fixtures of the execution tests beside ExecutionTestSupport's chain: signing helpers and a
// scripted contract runtime standing in for the VM.
import Execution
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import StateTrie
import ExecutionTestSupport
import TestSupport

func address(_ seed: UInt8) -> Address { Address(bytes: [UInt8](repeating: seed, count: 20))! }

let carol = key(0x33)

func legacy(_ from: PrivateKey, nonce: UInt64, to: Address?, value: UInt256 = .zero, gasPrice: UInt256 = gwei,
            gas: UInt64 = 21_000, data: [UInt8] = []) -> RecoveredTransaction {
    let signed = try! UnsignedTransaction.legacy(LegacyTransaction(
        chainId: chainId, nonce: nonce, gasPrice: gasPrice, gasLimit: gas, to: to, value: value, data: data))
        .signed(with: from)
    return recovered(signed)
}

func dynamic(_ from: PrivateKey, nonce: UInt64, to: Address?, value: UInt256 = .zero, tip: UInt256,
             cap: UInt256, gas: UInt64 = 21_000, data: [UInt8] = []) -> RecoveredTransaction {
    let signed = try! UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
        chainId: chainId, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: cap, gasLimit: gas, to: to,
        value: value, data: data)).signed(with: from)
    return recovered(signed)
}

/// Recovers the sender without the intrinsic checks, so tests can hand execution invalid transactions.
func recovered(_ signed: SignedTransaction) -> RecoveredTransaction {
    RecoveredTransaction(transaction: signed, sender: try! signed.recoverSender(), hash: signed.hash)
}

/// A stand-in for the VM. Creation: stores slot 1 = 42, emits one log, deploys `input` as code
/// (input [0xfd] reverts, [0xfe] fails). Call: stores slot 0 = the input's length and emits a log;
/// input [0xfd] reverts after writing, [0xfe] fails after writing. Each run uses 10,000 gas.
struct ScriptedRuntime: ContractRuntime {
    static let topic = Keccak256.hash(Array("Scripted()".utf8))

    func create(_ message: ContractMessage, initCode: [UInt8], state: WorldState,
                environment: ExecutionEnvironment) throws(StateError) -> ContractOutcome {
        try moveValue(message, state: state)
        try state.setStorageValue(UInt256(42), at: UInt256(1), of: message.address)
        state.emit(Log(address: message.address, topics: [Self.topic], data: message.value.bigEndianBytes))
        return outcome(for: initCode, returning: initCode)
    }

    func call(_ message: ContractMessage, code: [UInt8], state: WorldState,
              environment: ExecutionEnvironment) throws(StateError) -> ContractOutcome {
        try moveValue(message, state: state)
        try state.setStorageValue(UInt256(UInt64(message.input.count)), at: .zero, of: message.address)
        state.emit(Log(address: message.address, topics: [Self.topic], data: message.input))
        return outcome(for: message.input, returning: [0x01])
    }

    /// A runtime moves the message's value itself (the seam's rule).
    private func moveValue(_ message: ContractMessage, state: WorldState) throws(StateError) {
        guard try state.transfer(message.value, from: message.caller, to: message.address) else {
            preconditionFailure("the executor checked the balance")
        }
    }

    private func outcome(for input: [UInt8], returning data: [UInt8]) -> ContractOutcome {
        switch input {
        case [0xfd]: return ContractOutcome(status: .revert, gasUsed: 10_000, returnData: [0xde, 0xad])
        case [0xfe]: return ContractOutcome(status: .failure(reason: "scripted failure"), gasUsed: 10_000)
        default: return ContractOutcome(status: .success, gasUsed: 10_000, returnData: data)
        }
    }
}

