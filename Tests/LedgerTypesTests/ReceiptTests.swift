// Receipt encoding for the receipts trie: legacy as a bare list, typed with the type byte first;
// strict decoding.
import LedgerPrimitives
import LedgerTypes
import Testing

private let log = Log(address: Address(bytes: [UInt8](repeating: 0x11, count: 20))!,
                      topics: [Keccak256.hash(Array("emit".utf8))], data: [1, 2, 3])

struct ReceiptTests {
    @Test func legacyReceiptIsABareList() throws {
        let receipt = Receipt(type: .legacy, succeeded: true, cumulativeGasUsed: 21_000, logs: [])
        // rlp([0x01, 0x5208, 256 zero bytes, []]): payload 1 + 3 + 259 + 1 = 0x108 bytes.
        let encoded = receipt.encoded
        #expect(Array(encoded.prefix(7)) == [0xf9, 0x01, 0x08, 0x01, 0x82, 0x52, 0x08])
        #expect(Array(encoded[7..<10]) == [0xb9, 0x01, 0x00])
        #expect(encoded.last == 0xc0 && encoded.count == 3 + 0x108)
        #expect(try Receipt(decoding: encoded) == receipt)
    }

    @Test(arguments: [TransactionType.accessList, .dynamicFee])
    func typedReceiptStartsWithItsType(type: TransactionType) throws {
        let receipt = Receipt(type: type, succeeded: false, cumulativeGasUsed: 90_000, logs: [log, log])
        let encoded = receipt.encoded
        #expect(encoded.first == type.rawValue)
        #expect(Array(encoded.dropFirst()) == Receipt(type: .legacy, succeeded: false, cumulativeGasUsed: 90_000,
                                                      logs: [log, log]).encoded)
        let decoded = try Receipt(decoding: encoded)
        #expect(decoded == receipt && decoded.status == 0 && decoded.logsBloom == Bloom(logs: [log, log]))
    }

    @Test func decodingRejectsStatusRootAndForgedBloom() throws {
        var fields: [RLP.Item] = [.bytes([2]), .uint64(1), .bytes(Bloom().bytes), .list([])]
        #expect(throws: ReceiptDecodingError.invalidStatus) { try Receipt(decoding: RLP.Item.list(fields).encoded) }
        fields[0] = .bytes([1])
        fields[3] = .list([log.rlpItem])
        #expect(throws: ReceiptDecodingError.bloomMismatch) { try Receipt(decoding: RLP.Item.list(fields).encoded) }
        #expect(throws: ReceiptDecodingError.unsupportedType(0x05)) { try Receipt(decoding: [0x05, 0xc0]) }
    }
}
