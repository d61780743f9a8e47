// An in-memory chain for the log-query tests: blocks of receipts with headers whose blooms are
// the union of their receipts' blooms, as the node builds them.
import ChainQueries
import LedgerPrimitives
import LedgerTypes
import TestSupport

final class FakeChain: ChainLogSource, @unchecked Sendable {
    private(set) var blocks: [BlockReceipts] = []
    /// Calls to blockReceipts, to see what the bloom pre-check saved.
    private(set) var receiptReads = 0

    init(blockLogs: [[[Log]]]) {
        for logsPerTransaction in blockLogs { append(logsPerTransaction) }
    }

    func append(_ logsPerTransaction: [[Log]]) {
        let number = UInt64(blocks.count)
        let receipts = logsPerTransaction.enumerated().map { index, logs in
            Receipt(type: .legacy, succeeded: true, cumulativeGasUsed: UInt64(21_000 * (index + 1)), logs: logs)
        }
        var bloom = Bloom()
        for receipt in receipts { bloom.formUnion(receipt.logsBloom) }
        let header = BlockHeader(parentHash: blocks.last?.hash ?? .zero, stateRoot: .zero, transactionsRoot: .zero,
                                 receiptsRoot: .zero, logsBloom: bloom, number: number, gasLimit: 30_000_000,
                                 gasUsed: 0, timestamp: number, baseFeePerGas: .zero, extraData: [],
                                 proposer: .zero, round: 0, validatorsHash: .zero, nextValidatorsHash: .zero,
                                 lastCommitHash: .zero, timestampMs: number * 1000)
        let hashes = receipts.indices.map { Keccak256.hash(Array("tx \(number) \($0)".utf8)) }
        blocks.append(BlockReceipts(header: header, transactionHashes: hashes, receipts: receipts))
    }

    func headNumber() async throws -> UInt64 { UInt64(blocks.count - 1) }

    func header(number: UInt64) async throws -> BlockHeader? {
        number < blocks.count ? blocks[Int(number)].header : nil
    }

    func blockNumber(hash: Hash32) async throws -> UInt64? {
        blocks.first { $0.hash == hash }?.header.number
    }

    func blockReceipts(number: UInt64) async throws -> BlockReceipts? {
        receiptReads += 1
        return number < blocks.count ? blocks[Int(number)] : nil
    }
}

func address(_ byte: UInt8) -> Address { Address(bytes: [UInt8](repeating: byte, count: 20))! }
func topic(_ byte: UInt8) -> Hash32 { Hash32(bytes: [UInt8](repeating: byte, count: 32))! }
