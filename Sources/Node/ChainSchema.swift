// The node's column families, each declared once with its key and value codecs (STYLE.md
// habit 5, Docs/storage.md §Column families). Stored values carry what RPC needs besides the
// consensus encodings: senders beside the transactions, and per-transaction gas, price and
// contract address beside each receipt, so nothing is recovered or recomputed on a read.
import ChainQueries
import Execution
import LedgerPrimitives
import LedgerTypes
import StorageAPI

// The records' codecs. The records themselves are declared in ChainQueries, beside the queries
// that read them.

extension StoredBody {
    /// rlp([[envelope…], [sender…], lastCommit]); the hashes are recomputed on decoding
    /// (cheap next to the disk read, and it keeps the row small).
    var encoded: [UInt8] {
        RLP.Item.list([
            .list(transactions.map { .bytes($0.transaction.encoded) }),
            .list(transactions.map { .address($0.sender) }),
            .bytes(lastCommit),
        ]).encoded
    }

    init(decoding raw: [UInt8]) throws(CodecError) {
        do {
            let fields = try RLP.decode(raw).list(count: 3)
            let envelopes = try fields[0].list()
            let senders = try fields[1].list()
            guard envelopes.count == senders.count else { throw CodecError.malformed("senders and transactions differ in count") }
            var transactions: [RecoveredTransaction] = []
            transactions.reserveCapacity(envelopes.count)
            for (envelope, sender) in zip(envelopes, senders) {
                let signed = try SignedTransaction(decoding: try envelope.bytes())
                transactions.append(RecoveredTransaction(transaction: signed, sender: try sender.address(), hash: signed.hash))
            }
            self.init(transactions: transactions, lastCommit: try fields[2].bytes())
        } catch let error as CodecError {
            throw error
        } catch {
            throw .malformed("block body: \(error)")
        }
    }
}

extension StoredReceipt {
    init(_ executed: ExecutedTransaction) {
        self.init(receipt: executed.receipt, gasUsed: executed.gasUsed, effectiveGasPrice: executed.effectiveGasPrice,
                  contractAddress: executed.receipt.succeeded ? executed.contractAddress : nil)
    }

    var rlpItem: RLP.Item {
        .list([.bytes(receipt.encoded), .uint64(gasUsed), .bytes(effectiveGasPrice.minimalBigEndianBytes),
               .bytes(contractAddress?.bytes ?? [])])
    }

    init(rlpItem item: RLP.Item) throws(CodecError) {
        do {
            let fields = try item.list(count: 4)
            let address = try fields[3].bytes()
            let contractAddress = address.isEmpty ? nil : Address(bytes: address)
            if !address.isEmpty, contractAddress == nil { throw CodecError.malformed("contract address of \(address.count) bytes") }
            self.init(receipt: try Receipt(decoding: try fields[0].bytes()), gasUsed: try fields[1].uint64(),
                      effectiveGasPrice: UInt256(bigEndianBytes: try fields[2].integerBytes(maxBytes: 32))!,
                      contractAddress: contractAddress)
        } catch let error as CodecError {
            throw error
        } catch {
            throw .malformed("receipt: \(error)")
        }
    }
}

/// The committed head: the last block whose batch completed.
public struct ChainHead: Sendable, Hashable {
    public var number: UInt64
    public var hash: Hash32

    public init(number: UInt64, hash: Hash32) {
        self.number = number
        self.hash = hash
    }
}

/// The tables of the node's database.
public enum ChainSchema {
    public static let headers = Table("headers", key: UInt64Codec(), value: headerCodec, access: .scans)
    public static let headerNumbers = Table("headerNumbers", key: Hash32Codec(), value: UInt64Codec())
    public static let bodies = Table("bodies", key: UInt64Codec(), value: bodyCodec, access: .scans)
    public static let receipts = Table("receipts", key: UInt64Codec(), value: receiptsCodec, access: .scans)
    public static let certificates = Table("certificates", key: UInt64Codec(), value: BytesCodec(), access: .scans)
    public static let transactionIndex = Table("transactionIndex", key: Hash32Codec(), value: locationCodec)
    public static let trieNodes = Table("trieNodes", key: Hash32Codec(), value: BytesCodec())
    public static let code = Table("code", key: Hash32Codec(), value: BytesCodec())
    public static let metadata = Table("metadata", key: StringCodec(), value: BytesCodec())

    /// Every column family, for opening a store.
    public static let families: [ColumnFamily] = [
        headers.family, headerNumbers.family, bodies.family, receipts.family, certificates.family,
        transactionIndex.family, trieNodes.family, code.family, metadata.family,
    ]

    /// Keys of the metadata table.
    enum MetadataKey {
        /// rlp([number, hash]) of the committed head; written last in every block's batch.
        static let head = "head"
        static let genesisHash = "genesisHash"
        static let chainId = "chainId"
        static let schemaVersion = "schemaVersion"
    }

    static let schemaVersion: UInt64 = 1

    static let headerCodec = ClosureCodec<BlockHeader>(encode: { $0.encoded }) { bytes throws(CodecError) in
        do { return try BlockHeader(decoding: bytes) } catch { throw .malformed("\(error)") }
    }

    static let bodyCodec = ClosureCodec<StoredBody>(encode: { $0.encoded }) { bytes throws(CodecError) in
        try StoredBody(decoding: bytes)
    }

    static let receiptsCodec = ClosureCodec<[StoredReceipt]>(encode: { RLP.Item.list($0.map(\.rlpItem)).encoded }) {
        bytes throws(CodecError) in
        let items: [RLP.Item]
        do { items = try RLP.decode(bytes).list() } catch { throw .malformed("receipts: \(error)") }
        var receipts: [StoredReceipt] = []
        receipts.reserveCapacity(items.count)
        for item in items { receipts.append(try StoredReceipt(rlpItem: item)) }
        return receipts
    }

    /// number (8 bytes, big-endian) ‖ index (4 bytes, big-endian).
    static let locationCodec = ClosureCodec<TransactionLocation>(encode: { location in
        var bytes = UInt64Codec().encode(location.blockNumber)
        let index = UInt32(location.index)
        bytes += [UInt8(index >> 24), UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8),
                  UInt8(truncatingIfNeeded: index)]
        return bytes
    }) { bytes throws(CodecError) in
        guard bytes.count == 12 else { throw .wrongLength(expected: 12, actual: bytes.count) }
        let number = try UInt64Codec().decode(Array(bytes[0..<8]))
        let index = bytes[8..<12].reduce(0) { ($0 << 8) | Int($1) }
        return TransactionLocation(blockNumber: number, index: index)
    }

    static func encodeHead(_ head: ChainHead) -> [UInt8] {
        RLP.Item.list([.uint64(head.number), .hash(head.hash)]).encoded
    }

    static func decodeHead(_ bytes: [UInt8]) throws(CodecError) -> ChainHead {
        do {
            let fields = try RLP.decode(bytes).list(count: 2)
            return ChainHead(number: try fields[0].uint64(), hash: try fields[1].hash())
        } catch { throw .malformed("head pointer: \(error)") }
    }
}
