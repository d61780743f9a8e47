// Backups of a data directory (DESIGN.md §8, Docs/operator-guide.md §Backups): a RocksDB
// checkpoint of chaindata/ (consistent at one committed head; hard links on the same file
// system), the consensus write-ahead log, the genesis file and a manifest. They are taken from a
// stopped node (`d6g-node backup`) or a running one (`admin_backup`, when enabled), and restored
// into an empty directory (`d6g-node restore`), which checks the copy before it says so.
import Execution
import Foundation
import LedgerJSON
import LedgerPrimitives
import RPCServer
import StorageRocksDB

/// What a backup holds, written beside it as backup.json.
public struct BackupManifest: Codable, Sendable, Equatable {
    public static let currentFormat = 1

    public var format: Int
    public var chainId: UInt64
    public var genesisHash: String
    public var headNumber: UInt64
    public var headHash: String
    /// ISO 8601, UTC.
    public var createdAt: String
    public var nodeVersion: String
}

public enum NodeBackup {
    public static let manifestName = "backup.json"

    /// Backs up the directory of a stopped node into `destination` (which must not exist).
    public static func backUpStopped(_ directory: DataDirectory, to destination: String) throws(NodeStartError) -> BackupManifest {
        let lock = try directory.lock()
        defer { _ = lock }
        guard directory.isInitialized else { throw .notInitialized(directory.path) }
        let store = try directory.openStore()
        defer { store.close() }
        return try backUp(directory, store: store, to: destination)
    }

    /// Backs up `directory` whose database `store` is open (in this process) into `destination`.
    /// The write-ahead log is copied before the checkpoint, so it is never ahead of the copied
    /// chain by more than the height in progress (a log behind the head is ignored on start).
    public static func backUp(_ directory: DataDirectory, store: RocksDBStore,
                              to destination: String) throws(NodeStartError) -> BackupManifest {
        let files = FileManager.default
        guard !files.fileExists(atPath: destination) else {
            throw .io("\(destination) already exists; a backup goes into a new directory")
        }
        do { try files.createDirectory(atPath: destination, withIntermediateDirectories: true) } catch {
            throw .io("cannot create \(destination): \(error.localizedDescription)")
        }
        let target = DataDirectory(path: destination)
        do {
            if files.fileExists(atPath: directory.consensusLog) {
                try files.copyItem(atPath: directory.consensusLog, toPath: target.consensusLog)
            }
            try files.copyItem(atPath: directory.genesisFile, toPath: target.genesisFile)
        } catch {
            throw .io("cannot copy into \(destination): \(error.localizedDescription)")
        }
        do { try store.checkpoint(to: target.chaindata) } catch { throw .chain(.storage(error)) }
        try sync([target.consensusLog, target.genesisFile])
        // The manifest describes the copy, read back from it.
        let manifest = try describe(target)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(manifest).write(to: URL(fileURLWithPath: destination + "/" + manifestName), options: .atomic)
        } catch {
            throw .io("cannot write the manifest: \(error.localizedDescription)")
        }
        // The manifest last, and the directory after it: a backup with a manifest is whole on disk.
        try sync([destination + "/" + manifestName, destination])
        return manifest
    }

    /// Restores `backup` into `directory`, which must not exist or be empty, then opens the copy
    /// and checks it against the manifest and the genesis it carries.
    public static func restore(from backup: String, to directory: DataDirectory) throws(NodeStartError) -> BackupManifest {
        let files = FileManager.default
        guard let data = files.contents(atPath: backup + "/" + manifestName) else {
            throw .io("\(backup) is not a backup: no \(manifestName)")
        }
        let manifest: BackupManifest
        do { manifest = try JSONDecoder().decode(BackupManifest.self, from: data) } catch {
            throw .io("\(backup)/\(manifestName) is not a backup manifest: \(error)")
        }
        guard manifest.format == BackupManifest.currentFormat else {
            throw .io("\(backup) has backup format \(manifest.format); this node reads \(BackupManifest.currentFormat)")
        }
        if let existing = try? files.contentsOfDirectory(atPath: directory.path), !existing.isEmpty {
            throw .io("\(directory.path) is not empty; restore into a new or empty directory")
        }
        let lock = try directory.lock()
        defer { _ = lock }
        do {
            for name in [DataDirectory.chaindataName, DataDirectory.consensusLogName, DataDirectory.genesisFileName]
            where files.fileExists(atPath: backup + "/" + name) {
                try files.copyItem(atPath: backup + "/" + name, toPath: directory.path + "/" + name)
            }
        } catch {
            throw .io("cannot copy the backup into \(directory.path): \(error.localizedDescription)")
        }
        let restored = try describe(directory)
        guard restored.chainId == manifest.chainId, restored.genesisHash == manifest.genesisHash,
              restored.headNumber == manifest.headNumber, restored.headHash == manifest.headHash else {
            throw .io("the restored chain (head \(restored.headNumber) \(restored.headHash)) is not the one the manifest names (head \(manifest.headNumber) \(manifest.headHash)); the backup is damaged")
        }
        return manifest
    }

    /// fsyncs each path that exists (files and directories alike).
    static func sync(_ paths: [String]) throws(NodeStartError) {
        for path in paths where FileManager.default.fileExists(atPath: path) {
            let descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { throw .io("cannot open \(path) to sync it: \(String(cString: strerror(errno)))") }
            defer { close(descriptor) }
            guard fsync(descriptor) == 0 else { throw .io("cannot sync \(path): \(String(cString: strerror(errno)))") }
        }
    }

    /// Opens the data directory's database and reads what a manifest says of it.
    static func describe(_ directory: DataDirectory) throws(NodeStartError) -> BackupManifest {
        let genesis = try directory.storedGenesis()
        let store = try directory.openStore()
        defer { store.close() }
        let chain = ChainStore(storage: store)
        do {
            let head = try chain.open(expecting: genesis)
            return BackupManifest(format: BackupManifest.currentFormat, chainId: genesis.chainId,
                                  genesisHash: (try chain.genesisHash() ?? head.hash).description,
                                  headNumber: head.number, headHash: head.hash.description,
                                  createdAt: ISO8601DateFormatter().string(from: Date()), nodeVersion: NodeVersion.version)
        } catch { throw .chain(error) }
    }
}

extension RPCMethodTable {
    /// `admin_backup`: a live backup into a new directory under `root`, named after the head
    /// (`backup-<number>-<unix ms>`); answers the manifest and the path. Off unless the operator
    /// gives a backup directory; the client never chooses the path.
    mutating func registerBackup(of directory: DataDirectory, store: RocksDBStore, node: LedgerNode, into root: String,
                                 log: NodeLog) {
        register("admin_backup", arguments: 0...0) { _ in
            let name = "backup-\(node.status.head.number)-\(SystemClock().nowMilliseconds())"
            let destination = (root as NSString).appendingPathComponent(name)
            let manifest = try await node.read { _ in
                // RocksDB and file copies block: run on the node's read queue.
                do {
                    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
                    return try NodeBackup.backUp(directory, store: store, to: destination)
                } catch {
                    throw RPCError(code: RPCError.serverErrorCode, message: "backup failed: \(error)")
                }
            }
            log(.info, "backup written", ["path": destination, "head": manifest.headNumber])
            return .object(["path": .string(destination), "chainId": .quantity(manifest.chainId),
                            "headNumber": .quantity(manifest.headNumber), "headHash": .string(manifest.headHash),
                            "createdAt": .string(manifest.createdAt)])
        }
    }
}
