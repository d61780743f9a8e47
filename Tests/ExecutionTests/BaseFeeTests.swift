// The next block's base fee: fixed unless genesis lets it float, then EIP-1559's rule.
import Execution
import ExecutionTestSupport
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport

private func parent(baseFee: UInt64, gasUsed: UInt64, gasLimit: UInt64 = 30_000_000) -> BlockHeader {
    BlockHeader(parentHash: .zero, stateRoot: .zero, transactionsRoot: .zero, receiptsRoot: .zero, logsBloom: Bloom(),
                number: 1, gasLimit: gasLimit, gasUsed: gasUsed, timestamp: 1, baseFeePerGas: UInt256(baseFee),
                extraData: [], proposer: .zero, round: 0, validatorsHash: .zero, nextValidatorsHash: .zero,
                lastCommitHash: .zero, timestampMs: 1_000)
}

struct BaseFeeTests {
    @Test func fixedUnlessItFloats() {
        #expect(BaseFee.next(after: parent(baseFee: 1_000_000_000, gasUsed: 30_000_000), floats: false)
                == UInt256(1_000_000_000))
    }

    /// EIP-1559's figures: a full block raises the fee by 1/8, an empty one lowers it by 1/8,
    /// a block at target keeps it.
    @Test func floatsByAtMostAnEighth() {
        #expect(BaseFee.next(after: parent(baseFee: 1_000_000_000, gasUsed: 30_000_000), floats: true)
                == UInt256(1_125_000_000))
        #expect(BaseFee.next(after: parent(baseFee: 1_000_000_000, gasUsed: 0), floats: true) == UInt256(875_000_000))
        #expect(BaseFee.next(after: parent(baseFee: 1_000_000_000, gasUsed: 15_000_000), floats: true)
                == UInt256(1_000_000_000))
        // 3/4 full: +1/16 of the fee.
        #expect(BaseFee.next(after: parent(baseFee: 1_000_000_000, gasUsed: 22_500_000), floats: true)
                == UInt256(1_062_500_000))
        // A tiny fee still rises by at least 1 wei.
        #expect(BaseFee.next(after: parent(baseFee: 7, gasUsed: 15_000_001), floats: true) == UInt256(8))
    }
}
