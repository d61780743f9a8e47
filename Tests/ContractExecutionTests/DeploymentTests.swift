// Contract creation transactions through the VM: address, constructor, stored runtime container,
// rejected code, allowlist.
import Bytecode
import ContractExecution
import Execution
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport
import ExecutionTestSupport

struct DeploymentTests {
    @Test func creationDeploysTheRuntimeContainerAtTheCreateAddress() throws {
        let chain = try Chain()
        let payload = try StoreContract.payload(initial: UInt256(77))
        let executed = try chain.run(transaction(alice, nonce: 0, to: nil, data: payload))
        let address = Address.contractAddress(creator: alice.address, nonce: 0)
        #expect(executed.receipt.succeeded, "\(executed.failureReason ?? "")")
        #expect(executed.contractAddress == address)

        let code = try chain.state.code(at: address)
        let stored = try Container.decodeExactly(code)
        #expect(stored.initFunctions.isEmpty)
        #expect(stored.runtimeFunctions == (try Assembler.assemble(StoreContract.source)).runtimeFunctions)
        #expect(try chain.state.account(at: address)?.codeHash == Keccak256.hash(code))
        #expect(try chain.state.account(at: address)?.nonce == 1)
        #expect(try chain.slot(0, of: address) == UInt256(77))
        #expect(try chain.nonce(alice.address) == 1)
        // Intrinsic gas, then the VM's: more than intrinsic, less than the limit.
        let intrinsic = IntrinsicGas.cost(data: payload, isContractCreation: true, accessList: [])
        #expect(executed.gasUsed > intrinsic && executed.gasUsed < 1_000_000)
        #expect(try chain.balance(alice.address) == funded - gwei * UInt256(executed.gasUsed))
    }

    @Test func codeThatDoesNotVerifyFailsConsumingNonceAndGas() throws {
        let chain = try Chain()
        // The runtime's ADD has nothing to add: the verifier rejects the stack underflow.
        let bad = try Container(initFunctions: [Function(code: [Opcode.stop.rawValue])],
                                runtimeFunctions: [Function(code: [Opcode.add.rawValue, Opcode.stop.rawValue])]).encoded()
        let executed = try chain.run(transaction(alice, nonce: 0, to: nil, gas: 200_000, data: bad))
        let address = Address.contractAddress(creator: alice.address, nonce: 0)
        #expect(!executed.receipt.succeeded)
        #expect(executed.gasUsed == 200_000)
        #expect(executed.failureReason?.contains("stack") == true)
        #expect(try chain.state.account(at: address) == nil)
        #expect(try chain.nonce(alice.address) == 1)
        #expect(try chain.balance(alice.address) == funded - gwei * UInt256(200_000))
    }

    @Test func garbagePayloadFailsLikeRejectedCode() throws {
        let chain = try Chain()
        let executed = try chain.run(transaction(alice, nonce: 0, to: nil, gas: 100_000, data: [0x60, 0x2a, 0x60, 0x00]))
        #expect(!executed.receipt.succeeded && executed.gasUsed == 100_000)
        #expect(executed.failureReason?.contains("malformed container") == true)
    }

    @Test func revertingConstructorStoresNothingButUsesNonceAndGas() throws {
        let chain = try Chain()
        let source = ".init\n PUSH 1\n PUSH 1\n SSTORE\n PUSH 0\n PUSH 0\n REVERT\n.runtime\n STOP\n"
        let executed = try chain.run(transaction(alice, nonce: 0, to: nil, value: UInt256(9), gas: 200_000,
                                                 data: try Assembler.assemble(source).encoded()))
        let address = Address.contractAddress(creator: alice.address, nonce: 0)
        #expect(!executed.receipt.succeeded && executed.gasUsed < 200_000)
        #expect(try chain.state.account(at: address) == nil)
        #expect(try chain.nonce(alice.address) == 1)
        #expect(try chain.balance(alice.address) == funded - gwei * UInt256(executed.gasUsed))
    }

    @Test func deployAllowlistRejectsOtherSenders() throws {
        let chain = try Chain(permissions: Permissions.Settings(deployers: [bob.address]))
        let builder = BlockBuilder(executor: chain.executor, context: chain.context(), state: chain.state)
        let payload = try StoreContract.payload()
        #expect(try builder.include(transaction(alice, nonce: 0, to: nil, data: payload)) == .deployerNotAllowed(alice.address))
        #expect(try builder.include(transaction(bob, nonce: 0, to: nil, data: payload)) == nil)
        #expect(builder.executed.count == 1 && builder.executed[0].receipt.succeeded)
    }

    @Test func valueSentWithCreationStaysWithTheContract() throws {
        let chain = try Chain()
        let executed = try chain.run(transaction(alice, nonce: 0, to: nil, value: UInt256(1_234),
                                                 data: try StoreContract.payload()))
        let address = Address.contractAddress(creator: alice.address, nonce: 0)
        #expect(executed.receipt.succeeded)
        #expect(try chain.balance(address) == UInt256(1_234))
        #expect(try chain.balance(alice.address) == funded - UInt256(1_234) - gwei * UInt256(executed.gasUsed))
    }
}
