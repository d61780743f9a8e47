// The one error type every store throws, so callers handle RocksDB and the in-memory store alike.

public enum StorageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The table's column family was not declared when the store was opened.
    case unknownTable(String)
    /// A stored value could not be decoded by the table's value codec.
    case corruptValue(table: String, CodecError)
    /// A stored key could not be decoded by the table's key codec.
    case corruptKey(table: String, CodecError)
    /// The database could not be opened at `path`; `message` is the engine's reason.
    case openFailed(path: String, message: String)
    /// An operation failed inside the engine (I/O error, corruption, full disk…).
    case engine(operation: String, message: String)
    /// The store was closed; open it again to use it.
    case closed
    /// The (simulated) process died during this call: only a restart brings the data back.
    case crashed

    public var description: String {
        switch self {
        case .unknownTable(let name):
            return "table \"\(name)\" is not a column family of this store; declare it when opening the store"
        case .corruptValue(let table, let error): return "corrupt value in table \"\(table)\": \(error)"
        case .corruptKey(let table, let error): return "corrupt key in table \"\(table)\": \(error)"
        case .openFailed(let path, let message): return "cannot open the database at \(path): \(message)"
        case .engine(let operation, let message): return "storage \(operation) failed: \(message)"
        case .closed: return "the store is closed"
        case .crashed: return "the process crashed (simulated); restart the store"
        }
    }
}
