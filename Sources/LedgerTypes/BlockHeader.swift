// The block header of Docs/adr/0002-block-header-and-certificates.md: Ethereum's execution fields
// followed by the consensus fields, one RLP list in the ADR's order; the block hash is keccak-256
// of that list, every field included. Decoding is strict (canonical RLP, exact field count and
// sizes) so one header has one encoding and therefore one hash.
import LedgerPrimitives

public struct BlockHeader: Hashable, Sendable {
    /// Ethereum's limit on extraData (DESIGN.md §2).
    public static let maximumExtraDataCount = 32
    public static let fieldCount = 17

    public var parentHash: Hash32
    /// The state root after executing this block's transactions.
    public var stateRoot: Hash32
    /// Trie root of rlp(index) → transaction encoding.
    public var transactionsRoot: Hash32
    /// Trie root of rlp(index) → receipt encoding (typed receipts prefixed by their type byte).
    public var receiptsRoot: Hash32
    public var logsBloom: Bloom
    public var number: UInt64
    public var gasLimit: UInt64
    public var gasUsed: UInt64
    /// Seconds: `timestampMs / 1000`, so it never decreases.
    public var timestamp: UInt64
    public var baseFeePerGas: UInt256
    /// At most 32 bytes.
    public var extraData: [UInt8]
    /// The consensus-key address of the validator that proposed the block (RPC `miner`).
    public var proposer: Address
    /// The round in which the block was decided.
    public var round: UInt64
    /// keccak-256 of the RLP of the validator set that signs this height.
    public var validatorsHash: Hash32
    /// The same for height + 1.
    public var nextValidatorsHash: Hash32
    /// keccak-256 of the commit certificate of height − 1 carried in the body; zero at height 1.
    public var lastCommitHash: Hash32
    /// Milliseconds; later than the parent's.
    public var timestampMs: UInt64

    public init(parentHash: Hash32, stateRoot: Hash32, transactionsRoot: Hash32, receiptsRoot: Hash32,
                logsBloom: Bloom, number: UInt64, gasLimit: UInt64, gasUsed: UInt64, timestamp: UInt64,
                baseFeePerGas: UInt256, extraData: [UInt8], proposer: Address, round: UInt64,
                validatorsHash: Hash32, nextValidatorsHash: Hash32, lastCommitHash: Hash32,
                timestampMs: UInt64) {
        self.parentHash = parentHash
        self.stateRoot = stateRoot
        self.transactionsRoot = transactionsRoot
        self.receiptsRoot = receiptsRoot
        self.logsBloom = logsBloom
        self.number = number
        self.gasLimit = gasLimit
        self.gasUsed = gasUsed
        self.timestamp = timestamp
        self.baseFeePerGas = baseFeePerGas
        self.extraData = extraData
        self.proposer = proposer
        self.round = round
        self.validatorsHash = validatorsHash
        self.nextValidatorsHash = nextValidatorsHash
        self.lastCommitHash = lastCommitHash
        self.timestampMs = timestampMs
    }

    public var rlpItem: RLP.Item {
        .list([
            .hash(parentHash), .hash(stateRoot), .hash(transactionsRoot), .hash(receiptsRoot),
            .bytes(logsBloom.bytes), .uint64(number), .uint64(gasLimit), .uint64(gasUsed),
            .uint64(timestamp), .bytes(baseFeePerGas.minimalBigEndianBytes), .bytes(extraData),
            .address(proposer), .uint64(round), .hash(validatorsHash), .hash(nextValidatorsHash),
            .hash(lastCommitHash), .uint64(timestampMs),
        ])
    }

    public var encoded: [UInt8] { rlpItem.encoded }

    /// The block hash: keccak-256 of the header's RLP.
    public var hash: Hash32 { Keccak256.hash(encoded) }

    public init(decoding raw: [UInt8]) throws(BlockDecodingError) {
        let item: RLP.Item
        do { item = try RLP.decode(raw) } catch { throw .malformedRLP(error) }
        try self.init(rlpItem: item)
    }

    public init(rlpItem item: RLP.Item) throws(BlockDecodingError) {
        guard case .list(let fields) = item else { throw .headerNotAList }
        guard fields.count == Self.fieldCount else {
            throw .wrongHeaderFieldCount(expected: Self.fieldCount, actual: fields.count)
        }
        // `field` names the field being read when a typed read fails.
        var field = HeaderField.parentHash
        do {
            parentHash = try fields[0].hash()
            field = .stateRoot; stateRoot = try fields[1].hash()
            field = .transactionsRoot; transactionsRoot = try fields[2].hash()
            field = .receiptsRoot; receiptsRoot = try fields[3].hash()
            field = .logsBloom; logsBloom = Bloom(bytes: try fields[4].fixedBytes(count: Bloom.byteCount))!
            field = .number; number = try fields[5].uint64()
            field = .gasLimit; gasLimit = try fields[6].uint64()
            field = .gasUsed; gasUsed = try fields[7].uint64()
            field = .timestamp; timestamp = try fields[8].uint64()
            field = .baseFeePerGas
            baseFeePerGas = UInt256(bigEndianBytes: try fields[9].integerBytes(maxBytes: 32))!
            field = .extraData; extraData = try fields[10].bytes()
            field = .proposer; proposer = try fields[11].address()
            field = .round; round = try fields[12].uint64()
            field = .validatorsHash; validatorsHash = try fields[13].hash()
            field = .nextValidatorsHash; nextValidatorsHash = try fields[14].hash()
            field = .lastCommitHash; lastCommitHash = try fields[15].hash()
            field = .timestampMs; timestampMs = try fields[16].uint64()
        } catch { throw .invalidHeaderField(field, error) }
        guard extraData.count <= Self.maximumExtraDataCount else {
            throw .extraDataTooLong(extraData.count)
        }
    }
}

/// A header field, named as in the JSON-RPC block object where it has one there.
public enum HeaderField: String, Sendable, Hashable {
    case parentHash, stateRoot, transactionsRoot, receiptsRoot, logsBloom, number, gasLimit, gasUsed
    case timestamp, baseFeePerGas, extraData, proposer, round, validatorsHash, nextValidatorsHash
    case lastCommitHash, timestampMs
}

/// Why bytes are not a well-formed header or block.
public enum BlockDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformedRLP(RLPError)
    case headerNotAList
    case wrongHeaderFieldCount(expected: Int, actual: Int)
    case invalidHeaderField(HeaderField, RLPError)
    case extraDataTooLong(Int)
    /// The block is not rlp([header, [transactions…], lastCommit]).
    case malformedBody(RLPError)
    case invalidTransaction(index: Int, TransactionDecodingError)

    public var description: String {
        switch self {
        case .malformedRLP(let error): return "block: \(error)"
        case .headerNotAList: return "block header: not an RLP list"
        case .wrongHeaderFieldCount(let expected, let actual):
            return "block header: \(actual) fields, expected \(expected)"
        case .invalidHeaderField(let field, let error): return "block header: \(error), decoding field \(field.rawValue)"
        case .extraDataTooLong(let count):
            return "block header: extraData is \(count) bytes, at most \(BlockHeader.maximumExtraDataCount) allowed"
        case .malformedBody(let error): return "block body: \(error)"
        case .invalidTransaction(let index, let error): return "block body: transaction \(index): \(error)"
        }
    }
}
