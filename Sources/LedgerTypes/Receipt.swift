// The consensus part of a transaction receipt, as Ethereum encodes it for the receipts trie
// (post-Byzantium: a status instead of an intermediate state root). Typed transactions' receipts
// are type byte ‖ rlp, like the transactions themselves (EIP-2718). The figures RPC adds
// (gas used by this one transaction, effective gas price, contract address) are execution
// outputs kept beside the receipt, not part of it.
import LedgerPrimitives

public struct Receipt: Hashable, Sendable {
    /// The type of the transaction this receipt belongs to: it decides the encoding.
    public var type: TransactionType
    /// true = success (status 1), false = failure or revert (status 0).
    public var succeeded: Bool
    /// Gas used by this transaction and all before it in the block.
    public var cumulativeGasUsed: UInt64
    public var logsBloom: Bloom
    public var logs: [Log]

    /// The bloom is computed from the logs.
    public init(type: TransactionType, succeeded: Bool, cumulativeGasUsed: UInt64, logs: [Log]) {
        self.type = type
        self.succeeded = succeeded
        self.cumulativeGasUsed = cumulativeGasUsed
        self.logs = logs
        self.logsBloom = Bloom(logs: logs)
    }

    /// The status as JSON-RPC shows it: 1 or 0.
    public var status: UInt64 { succeeded ? 1 : 0 }

    /// The receipts-trie value: rlp([status, cumulativeGasUsed, bloom, logs]), prefixed with the
    /// type byte for typed transactions.
    public var encoded: [UInt8] {
        let body = RLP.Item.list([
            .bytes(succeeded ? [1] : []),
            .uint64(cumulativeGasUsed),
            .bytes(logsBloom.bytes),
            .list(logs.map(\.rlpItem)),
        ]).encoded
        return type == .legacy ? body : [type.rawValue] + body
    }

    /// Strict decoding of `encoded`: canonical RLP, a status of 0 or 1 (pre-Byzantium state roots
    /// are refused), a 256-byte bloom that must match the logs.
    public init(decoding raw: [UInt8]) throws(ReceiptDecodingError) {
        guard let first = raw.first else { throw .malformedRLP(.emptyInput) }
        var body = raw[...]
        if first < 0xc0 {
            guard let type = TransactionType(rawValue: first), type != .legacy else {
                throw .unsupportedType(first)
            }
            self.type = type
            body = raw.dropFirst()
        } else {
            self.type = .legacy
        }
        let status: [UInt8]
        do {
            let fields = try RLP.decode(Array(body)).list(count: 4)
            status = try fields[0].bytes()
            cumulativeGasUsed = try fields[1].uint64()
            logsBloom = Bloom(bytes: try fields[2].fixedBytes(count: Bloom.byteCount))!
            var logs: [Log] = []
            for item in try fields[3].list() { logs.append(try Log(rlpItem: item)) }
            self.logs = logs
        } catch { throw .malformedRLP(error) }
        switch status {
        case []: succeeded = false
        case [1]: succeeded = true
        default: throw .invalidStatus
        }
        guard logsBloom == Bloom(logs: logs) else { throw .bloomMismatch }
    }
}

public enum ReceiptDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedType(UInt8)
    case malformedRLP(RLPError)
    /// A status other than empty (0) or 0x01 (1), e.g. a pre-Byzantium state root.
    case invalidStatus
    /// The bloom is not the bloom of the receipt's logs.
    case bloomMismatch

    public var description: String {
        switch self {
        case .unsupportedType(let type): return "receipt: unsupported type 0x\(String(type, radix: 16))"
        case .malformedRLP(let error): return "receipt: \(error)"
        case .invalidStatus: return "receipt: status must be 0 or 1"
        case .bloomMismatch: return "receipt: logs bloom does not match the logs"
        }
    }
}
