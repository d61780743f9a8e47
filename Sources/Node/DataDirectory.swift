// A node's data directory: the RocksDB database (chaindata/), the consensus write-ahead log,
// the genesis file it was initialised with, and a lock file so that two processes never open
// the same directory (DESIGN.md §9). Docs/operator-guide.md §Data directory.
import Execution
import Foundation
import StorageRocksDB

public enum NodeStartError: Error, CustomStringConvertible {
    case genesis(file: String, GenesisError)
    case io(String)
    case locked(String)
    case notInitialized(String)
    case chain(ChainStoreError)
    case node(NodeError)
    case rpc(String)

    public var description: String {
        switch self {
        case .genesis(let file, let error): return "genesis \(file): \(error)"
        case .io(let detail): return detail
        case .locked(let detail): return detail
        case .notInitialized(let path):
            return "\(path) holds no chain; run `d6g-node init --genesis FILE --datadir \(path)` first"
        case .chain(let error): return error.description
        case .node(let error): return error.description
        case .rpc(let detail): return "cannot start the RPC server: \(detail)"
        }
    }
}

/// An exclusive `flock` on a file, released when the object goes away (or the process dies,
/// so a kill -9 never leaves a stale lock behind).
public final class FileLock: Sendable {
    public let path: String
    private let descriptor: Int32

    /// Locks `path` (created if missing). `purpose` names what is locked in the error.
    public init(path: String, create: Bool, purpose: String) throws(NodeStartError) {
        let descriptor = create ? open(path, O_RDWR | O_CREAT, 0o600) : open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .io("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .locked("\(purpose) is in use by another d6g-node process (\(path) is locked); stop it first")
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }
}

public struct DataDirectory: Sendable {
    public let path: String

    public init(path: String) { self.path = (path as NSString).standardizingPath }

    public static let chaindataName = "chaindata"
    public static let consensusLogName = "consensus.wal"
    public static let genesisFileName = "genesis.json"

    public var chaindata: String { path + "/" + Self.chaindataName }
    public var consensusLog: String { path + "/" + Self.consensusLogName }
    public var genesisFile: String { path + "/" + Self.genesisFileName }
    public var lockFile: String { path + "/node.lock" }

    public var isInitialized: Bool { FileManager.default.fileExists(atPath: genesisFile) }

    /// Creates the directory if needed and takes its lock.
    public func lock() throws(NodeStartError) -> FileLock {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw .io("cannot create the data directory \(path): \(error.localizedDescription)")
        }
        return try FileLock(path: lockFile, create: true, purpose: "the data directory \(path)")
    }

    /// Opens the database (creating an empty one if missing).
    public func openStore() throws(NodeStartError) -> RocksDBStore {
        do { return try RocksDBStore(path: chaindata, families: ChainSchema.families) } catch {
            throw .chain(.storage(error))
        }
    }

    /// The genesis this directory was initialised with.
    public func storedGenesis() throws(NodeStartError) -> Genesis {
        guard let data = FileManager.default.contents(atPath: genesisFile) else { throw .notInitialized(path) }
        do { return try Genesis(json: [UInt8](data)) } catch { throw .genesis(file: genesisFile, error) }
    }

    /// Writes block 0 and its state from `genesisJSON` (one batch) and keeps a copy of the file.
    /// Initialising again with the same genesis changes nothing; with another one it fails.
    /// The caller holds the directory's lock.
    @discardableResult
    public func initialize(genesisJSON: [UInt8], source: String) throws(NodeStartError) -> (Genesis, ChainHead) {
        let genesis: Genesis
        do { genesis = try Genesis(json: genesisJSON) } catch { throw .genesis(file: source, error) }
        let store = try openStore()
        defer { store.close() }
        let head: ChainHead
        do { head = try ChainStore(storage: store).initialize(with: genesis) } catch { throw .chain(error) }
        if !isInitialized {
            // Written after the database batch: a directory with the file is a usable one.
            let temporary = genesisFile + ".tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(genesisJSON)),
                  rename(temporary, genesisFile) == 0 else {
                throw .io("cannot write \(genesisFile): \(String(cString: strerror(errno)))")
            }
        }
        return (genesis, head)
    }

    /// Deletes everything the node keeps here (`d6g-node dev --reset`).
    public func remove() throws(NodeStartError) {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw .io("cannot remove \(path): \(error.localizedDescription)")
        }
    }
}
