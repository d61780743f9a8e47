// A block: its header, its transactions and the commit certificate of the previous height
// (ADR 0002). The certificate's format belongs to the consensus layer; here it is opaque bytes
// (its RLP), committed to by the header's lastCommitHash. Encoded as
// rlp([header, [transactions…], lastCommit]) with transactions as in an Ethereum block body:
// legacy ones inline as lists, typed ones as byte strings holding type ‖ payload.
import LedgerPrimitives

public struct Block: Hashable, Sendable {
    public var header: BlockHeader
    public var transactions: [SignedTransaction]
    /// The RLP of the certificate that committed height − 1; empty at heights 0 and 1.
    public var lastCommit: [UInt8]

    public init(header: BlockHeader, transactions: [SignedTransaction], lastCommit: [UInt8] = []) {
        self.header = header
        self.transactions = transactions
        self.lastCommit = lastCommit
    }

    public var hash: Hash32 { header.hash }
    public var number: UInt64 { header.number }

    /// What the header's lastCommitHash must be for this certificate: keccak-256 of its bytes, or
    /// zero when there is none (height 1 has no previous commit; genesis has no previous block).
    public static func lastCommitHash(of certificate: [UInt8]) -> Hash32 {
        certificate.isEmpty ? .zero : Keccak256.hash(certificate)
    }

    public var encoded: [UInt8] {
        var transactionsPayload: [UInt8] = []
        for transaction in transactions {
            if transaction.type == .legacy {
                transactionsPayload += transaction.encoded
            } else {
                RLP.appendString(transaction.encoded, to: &transactionsPayload)
            }
        }
        let header = header.encoded
        var body: [UInt8] = []
        RLP.appendListHeader(payloadLength: transactionsPayload.count, to: &body)
        body += transactionsPayload
        RLP.appendString(lastCommit, to: &body)
        var out: [UInt8] = []
        RLP.appendListHeader(payloadLength: header.count + body.count, to: &out)
        return out + header + body
    }

    public init(decoding raw: [UInt8]) throws(BlockDecodingError) {
        let parts: [RLP.Item]
        let transactionItems: [RLP.Item]
        do {
            parts = try RLP.decode(raw).list(count: 3)
            transactionItems = try parts[1].list()
            lastCommit = try parts[2].bytes()
        } catch { throw .malformedBody(error) }
        header = try BlockHeader(rlpItem: parts[0])
        var transactions: [SignedTransaction] = []
        transactions.reserveCapacity(transactionItems.count)
        for (index, item) in transactionItems.enumerated() {
            let envelope: [UInt8]
            switch item {
            case .list:
                envelope = item.encoded
            case .bytes(let bytes):
                // A legacy transaction wrapped as a string would give one transaction two encodings.
                guard let first = bytes.first, first < 0xc0 else {
                    throw .invalidTransaction(index: index, .notAList)
                }
                envelope = bytes
            }
            do { transactions.append(try SignedTransaction(decoding: envelope)) } catch {
                throw .invalidTransaction(index: index, error)
            }
        }
        self.transactions = transactions
    }
}
