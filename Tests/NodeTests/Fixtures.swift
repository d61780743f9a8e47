// Shared fixtures: the devnet in an in-memory store, a clock the tests move, signed transfers.
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Node
import StorageAPI
import Synchronization

let gwei = UInt256(1_000_000_000)
let devGenesis = DevNetwork.genesis()
let devAccounts = DevNetwork.accountKeys
let recipient = Address(bytes: [UInt8](repeating: 0xd6, count: 20))!

/// Time that moves only when a test says so.
typealias FakeClock = ManualClock

/// A devnet store holding block 0.
func initializedStore() throws -> MemoryStore {
    let store = MemoryStore(families: ChainSchema.families)
    try ChainStore(storage: store).initialize(with: devGenesis)
    return store
}

/// A validator node over `store` that produces blocks only when asked (`produceBlock()`).
func makeNode(store: MemoryStore, consensusLog: MemoryConsensusLog = MemoryConsensusLog(),
              clock: FakeClock = FakeClock()) throws -> LedgerNode {
    let node = try LedgerNode(
        configuration: NodeConfiguration(genesis: devGenesis, validatorKey: DevNetwork.validatorKey,
                                         producesBlocksAutomatically: false),
        store: ChainStore(storage: store), consensusLog: consensusLog, clock: clock, log: .silent)
    node.start()
    return node
}

/// A signed EIP-1559 transfer from `key`.
func transfer(from key: PrivateKey, nonce: UInt64, value: UInt64 = 1, to: Address = recipient,
              maxFee: UInt256 = UInt256(2_000_000_000), tip: UInt256 = .zero, chainId: UInt64 = 1337) throws -> SignedTransaction {
    try UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
        chainId: chainId, nonce: nonce, maxPriorityFeePerGas: tip, maxFeePerGas: maxFee, gasLimit: 21_000,
        to: to, value: UInt256(value))).signed(with: key)
}

func recovered(_ transaction: SignedTransaction) throws -> RecoveredTransaction {
    try transaction.recovered(onChain: 1337)
}
