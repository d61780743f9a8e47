// An in-memory chain implementing ChainLogSource for the log, filter and subscription tests, and
// the method table that serves them.
import ChainQueries
import EthereumAPI
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import NIOConcurrencyHelpers
import RPCServer
import RPCTestSupport

/// A thread-safe in-memory chain; `append` commits a block and returns it for `didCommit`.
final class TestChain: ChainLogSource {
    private let blocks = NIOLockedValueBox<[BlockReceipts]>([])

    init(emptyBlocks: Int = 1) {
        for _ in 0..<emptyBlocks { append([]) }
    }

    @discardableResult
    func append(_ logsPerTransaction: [[Log]]) -> BlockReceipts {
        blocks.withLockedValue { blocks in
            let number = UInt64(blocks.count)
            let receipts = logsPerTransaction.enumerated().map { index, logs in
                Receipt(type: .dynamicFee, succeeded: true, cumulativeGasUsed: UInt64(30_000 * (index + 1)), logs: logs)
            }
            var bloom = Bloom()
            for receipt in receipts { bloom.formUnion(receipt.logsBloom) }
            let header = BlockHeader(parentHash: blocks.last?.hash ?? .zero, stateRoot: .zero, transactionsRoot: .zero,
                                     receiptsRoot: .zero, logsBloom: bloom, number: number, gasLimit: 30_000_000,
                                     gasUsed: 21_000, timestamp: 1_700_000_000 + number, baseFeePerGas: UInt256(7),
                                     extraData: [], proposer: testAddress(0x99), round: 0, validatorsHash: .zero,
                                     nextValidatorsHash: .zero, lastCommitHash: .zero, timestampMs: (1_700_000_000 + number) * 1000)
            let hashes = receipts.indices.map { Keccak256.hash(Array("tx \(number) \($0)".utf8)) }
            let block = BlockReceipts(header: header, transactionHashes: hashes, receipts: receipts)
            blocks.append(block)
            return block
        }
    }

    func block(_ number: Int) -> BlockReceipts { blocks.withLockedValue { $0[number] } }

    func headNumber() async throws -> UInt64 { blocks.withLockedValue { UInt64($0.count - 1) } }

    func header(number: UInt64) async throws -> BlockHeader? {
        blocks.withLockedValue { number < $0.count ? $0[Int(number)].header : nil }
    }

    func blockNumber(hash: Hash32) async throws -> UInt64? {
        blocks.withLockedValue { blocks in blocks.first { $0.hash == hash }?.header.number }
    }

    func blockReceipts(number: UInt64) async throws -> BlockReceipts? {
        blocks.withLockedValue { number < $0.count ? $0[Int(number)] : nil }
    }
}

func testAddress(_ byte: UInt8) -> Address { Address(bytes: [UInt8](repeating: byte, count: 20))! }
func testTopic(_ byte: UInt8) -> Hash32 { Hash32(bytes: [UInt8](repeating: byte, count: 32))! }

/// The test method table plus the log, filter and subscription methods over `chain` and `hub`.
func logMethods(chain: TestChain, hub: SubscriptionHub) -> RPCMethodTable {
    var table = testMethods()
    table.registerFilterMethods(source: chain, hub: hub)
    return table
}

