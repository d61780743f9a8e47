// Header and block encoding: the ADR 0002 field order, round trips, strict decoding, hashing.
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Testing

func sampleHeader(number: UInt64 = 7) -> BlockHeader {
    var bloom = Bloom()
    bloom.insert([1, 2, 3])
    return BlockHeader(
        parentHash: Keccak256.hash([1]), stateRoot: Keccak256.hash([2]), transactionsRoot: Keccak256.hash([3]),
        receiptsRoot: Keccak256.hash([4]), logsBloom: bloom, number: number, gasLimit: 30_000_000,
        gasUsed: 21_000, timestamp: 1_700_000_123, baseFeePerGas: UInt256(1_000_000_000),
        extraData: Array("d6g".utf8), proposer: Address(bytes: [UInt8](repeating: 0xab, count: 20))!,
        round: 2, validatorsHash: Keccak256.hash([5]), nextValidatorsHash: Keccak256.hash([6]),
        lastCommitHash: Keccak256.hash([7]), timestampMs: 1_700_000_123_456)
}

struct BlockHeaderTests {
    @Test func roundTripsAndHashesItsEncoding() throws {
        let header = sampleHeader()
        let encoded = header.encoded
        #expect(try BlockHeader(decoding: encoded) == header)
        #expect(header.hash == Keccak256.hash(encoded))
        // Fields in ADR order: the list's items re-read one by one.
        let fields = try RLP.decode(encoded).list(count: 17)
        #expect(try fields[0].hash() == header.parentHash)
        #expect(try fields[4].bytes() == header.logsBloom.bytes)
        #expect(try fields[9].bytes() == [0x3b, 0x9a, 0xca, 0x00])
        #expect(try fields[11].address() == header.proposer)
        #expect(try fields[16].uint64() == header.timestampMs)
    }

    @Test func everyFieldChangesTheHash() {
        let header = sampleHeader()
        var changed: [BlockHeader] = []
        for index in 0..<17 {
            var copy = header
            switch index {
            case 0: copy.parentHash = .zero
            case 1: copy.stateRoot = .zero
            case 2: copy.transactionsRoot = .zero
            case 3: copy.receiptsRoot = .zero
            case 4: copy.logsBloom = Bloom()
            case 5: copy.number += 1
            case 6: copy.gasLimit += 1
            case 7: copy.gasUsed += 1
            case 8: copy.timestamp += 1
            case 9: copy.baseFeePerGas = .zero
            case 10: copy.extraData = []
            case 11: copy.proposer = .zero
            case 12: copy.round += 1
            case 13: copy.validatorsHash = .zero
            case 14: copy.nextValidatorsHash = .zero
            case 15: copy.lastCommitHash = .zero
            default: copy.timestampMs += 1
            }
            changed.append(copy)
        }
        #expect(Set(changed.map(\.hash) + [header.hash]).count == 18)
    }

    @Test func decodingNamesTheBadField() throws {
        var fields = try RLP.decode(sampleHeader().encoded).list()
        fields[6] = .bytes([0, 1])
        #expect(throws: BlockDecodingError.invalidHeaderField(.gasLimit, .integerWithLeadingZero)) {
            try BlockHeader(decoding: RLP.Item.list(fields).encoded)
        }
        fields[6] = .uint64(1)
        fields[10] = .bytes([UInt8](repeating: 1, count: 33))
        #expect(throws: BlockDecodingError.extraDataTooLong(33)) { try BlockHeader(decoding: RLP.Item.list(fields).encoded) }
        #expect(throws: BlockDecodingError.wrongHeaderFieldCount(expected: 17, actual: 16)) {
            try BlockHeader(decoding: RLP.Item.list(Array(fields.dropLast())).encoded)
        }
        var encoded = sampleHeader().encoded
        encoded.append(0)
        #expect(throws: BlockDecodingError.malformedRLP(.trailingBytes(count: 1))) { try BlockHeader(decoding: encoded) }
    }

    @Test func blockRoundTripsWithLegacyAndTypedTransactions() throws {
        let key = try PrivateKey(bytes: [UInt8](repeating: 0x46, count: 32))
        let to = Address(bytes: [UInt8](repeating: 0x35, count: 20))!
        let legacy = try UnsignedTransaction.legacy(LegacyTransaction(
            chainId: 1337, nonce: 0, gasPrice: UInt256(1), gasLimit: 21_000, to: to)).signed(with: key)
        let typed = try UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
            chainId: 1337, nonce: 1, maxPriorityFeePerGas: UInt256(1), maxFeePerGas: UInt256(2),
            gasLimit: 21_000, to: to)).signed(with: key)
        let certificate: [UInt8] = [0xc3, 1, 2, 3]
        let block = Block(header: sampleHeader(), transactions: [legacy, typed], lastCommit: certificate)
        let decoded = try Block(decoding: block.encoded)
        #expect(decoded == block)
        #expect(decoded.hash == block.header.hash)
        // Ethereum body layout: the legacy transaction inline as a list, the typed one as a string.
        let parts = try RLP.decode(block.encoded).list(count: 3)
        let bodies = try parts[1].list(count: 2)
        #expect(bodies[0].encoded == legacy.encoded)
        #expect(try bodies[1].bytes() == typed.encoded)
        #expect(Block.lastCommitHash(of: certificate) == Keccak256.hash(certificate))
        #expect(Block.lastCommitHash(of: []) == .zero)
    }

    @Test func blockRejectsAWrappedLegacyTransaction() throws {
        let key = try PrivateKey(bytes: [UInt8](repeating: 0x46, count: 32))
        let legacy = try UnsignedTransaction.legacy(LegacyTransaction(
            chainId: 1, nonce: 0, gasPrice: UInt256(1), gasLimit: 21_000, to: nil)).signed(with: key)
        let encoded = RLP.Item.list([sampleHeader().rlpItem, .list([.bytes(legacy.encoded)]), .bytes([])]).encoded
        #expect(throws: BlockDecodingError.invalidTransaction(index: 0, .notAList)) { try Block(decoding: encoded) }
    }
}
