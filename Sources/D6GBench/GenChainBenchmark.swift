// d6g-bench gen-chain: builds a long chain offline for P6 (restart time and memory over 100,000
// blocks) and the eth_getLogs benchmark. The blocks are real: a `LedgerNode` runs each height
// through consensus with the devnet's validator key, executes Contracts/SimpleStore `set` calls
// that emit events, and commits them with their certificates — only the fsyncs are left out
// (batches are written unsynced, the consensus log kept in memory), since a generated chain
// need not survive a power cut while it is made. The data directory then opens with
// `d6g-node dev --datadir` or `run` like any other.
import ArgumentParser
import Bytecode
import Dispatch
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Node
import StorageAPI
import StorageRocksDB

struct GenChainBenchmark: AsyncBenchmark {
    static let configuration = CommandConfiguration(
        commandName: "gen-chain",
        abstract: "Build a devnet chain of N real blocks offline (P6), each with contract calls that log.",
        discussion: "Example: d6g-bench gen-chain --datadir /tmp/p6 --blocks 100000 --calls 2")

    @Option(help: "New data directory (refused if it exists).")
    var datadir: String

    @Option(help: "Blocks to build after block 0.")
    var blocks = 100_000

    @Option(help: "SimpleStore.set calls per block (each logs one ValueSet event).")
    var calls = 2

    @Option(help: "Source of the contract whose set(uint256) the blocks call.")
    var contract = "Contracts/SimpleStore.asm"

    func validate() throws {
        guard blocks >= 1, blocks <= 10_000_000 else { throw ValidationError("--blocks must be between 1 and 10,000,000") }
        guard calls >= 0, calls <= 1_000 else { throw ValidationError("--calls must be between 0 and 1,000") }
    }

    func measure() async throws {
        guard !FileManager.default.fileExists(atPath: datadir) else { throw ValidationError("\(datadir) exists; give a new directory") }
        let directory = DataDirectory(path: datadir)
        let lock = try directory.lock()
        defer { _ = lock }
        try directory.initialize(genesisJSON: Array(DevNetwork.genesisJSON.utf8), source: "devnet.json (built in)")
        let store = try directory.openStore()
        defer { store.close() }
        let genesis = DevNetwork.genesis()
        let clock = ManualClock(UInt64(genesis.timestamp) * 1_000 + 1_000)
        let node = try LedgerNode(configuration: NodeConfiguration(genesis: genesis, validatorKey: DevNetwork.validatorKey,
                                                                   producesBlocksAutomatically: false),
                                  store: ChainStore(storage: UnsyncedStorage(base: store)),
                                  consensusLog: MemoryConsensusLog(), clock: clock, log: .silent)
        node.start()
        let sender = DevNetwork.accountKeys[0]
        var nonce: UInt64 = 0
        func signed(to: Address?, data: [UInt8], gas: UInt64) throws -> RecoveredTransaction {
            defer { nonce += 1 }
            return try UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
                chainId: genesis.chainId, nonce: nonce, maxPriorityFeePerGas: .zero, maxFeePerGas: genesis.baseFeePerGas,
                gasLimit: gas, to: to, value: .zero, data: data)).signed(with: sender).recovered(onChain: genesis.chainId)
        }
        let source = try String(contentsOfFile: contract, encoding: .utf8)
        let deployment = try signed(to: nil, data: try Assembler.assemble(source).encoded(), gas: 1_000_000)
        let target = Address.contractAddress(creator: sender.address, nonce: 0)
        let selector = Array(Keccak256.hash(Array("set(uint256)".utf8)).bytes[0..<4])

        let started = ContinuousClock.now
        var lastReport = started
        for height in 1...UInt64(blocks) {
            var batch: [RecoveredTransaction] = height == 1 ? [deployment] : []
            if height > 1 {
                for call in 0..<calls {
                    batch.append(try signed(to: target, data: selector + UInt256(height &* 1_000 &+ UInt64(call)).bigEndianBytes,
                                            gas: 100_000))
                }
            }
            if !batch.isEmpty {
                for result in await node.submit(batch) { _ = try result.get() }
            }
            clock.advance(by: 1_000)
            let header = try await node.produceBlock()
            guard header.number == height, header.gasUsed > 0 || batch.isEmpty else {
                throw ValidationError("block \(height) came out as \(header.number) with \(header.gasUsed) gas")
            }
            if ContinuousClock.now - lastReport > .seconds(10) {
                lastReport = .now
                let rate = Double(height) / seconds(ContinuousClock.now - started)
                FileHandle.standardError.write(Data(String(format: "  block %llu of %d, %.0f blocks/s\n", height, blocks, rate).utf8))
            }
        }
        await node.stop()
        let elapsed = seconds(ContinuousClock.now - started)
        let size = (try? store.approximateSize) ?? 0
        let logged = blocks > 1 ? (blocks - 1) * calls : 0
        print("built \(blocks) blocks (\(logged) contract calls, as many logs) into \(directory.path) in "
              + String(format: "%.1f s (%.0f blocks/s); database %.1f MiB", elapsed, Double(blocks) / elapsed,
                       Double(size) / 1_048_576))
        print("contract \(target.checksummed); open with: d6g-node dev --datadir \(directory.path)")
    }
}

/// The database with every batch written without fsync: a generated chain is rebuilt, not
/// recovered, if the machine dies while it is made. Closing the store flushes it.
struct UnsyncedStorage: ChainStorage {
    let base: RocksDBStore

    func value(forKey key: [UInt8], in family: ColumnFamily) throws(StorageError) -> [UInt8]? {
        try base.value(forKey: key, in: family)
    }

    func scan(_ family: ColumnFamily, from lowerBound: [UInt8]?, to upperBound: [UInt8]?,
              _ visit: (_ key: [UInt8], _ value: [UInt8]) throws(StorageError) -> IterationDecision) throws(StorageError) {
        try base.scan(family, from: lowerBound, to: upperBound, visit)
    }

    func write(_ batch: WriteBatch, sync: Bool) throws(StorageError) {
        try base.write(batch, sync: false)
    }
}
