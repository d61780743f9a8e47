// The consensus write-ahead log (DESIGN.md §7): before this validator's own proposal or vote
// leaves, its persistent state is on disk. One record, replaced whole: written to a temporary
// file, fsynced, renamed over the log and the directory fsynced, so a crash leaves either the
// old record or the new one, never a torn one. A checksum guards against a damaged file.
import Foundation
import LedgerPrimitives

public enum ConsensusLogError: Error, Equatable, Sendable, CustomStringConvertible {
    case io(path: String, operation: String, errno: Int32)
    case corrupt(path: String, detail: String)

    public var description: String {
        switch self {
        case .io(let path, let operation, let code):
            return "consensus log \(path): \(operation) failed: \(String(cString: strerror(code)))"
        case .corrupt(let path, let detail):
            return "consensus log \(path) is damaged (\(detail)); if this validator never signed at the head's next height, remove the file"
        }
    }
}

/// Where the consensus state is made durable.
public protocol ConsensusLog: Sendable {
    /// Replaces the stored record with `record`, durably, before returning.
    func write(_ record: [UInt8]) throws(ConsensusLogError)
    /// The last record written, or nil if none was.
    func read() throws(ConsensusLogError) -> [UInt8]?
}

/// The log kept in memory: for tests and tools that never restart the process.
public final class MemoryConsensusLog: ConsensusLog, @unchecked Sendable {
    private let lock = NSLock()
    private var record: [UInt8]?

    public init() {}

    public func write(_ record: [UInt8]) throws(ConsensusLogError) {
        lock.withLock { self.record = record }
    }

    public func read() throws(ConsensusLogError) -> [UInt8]? {
        lock.withLock { record }
    }
}

/// The log in a file: `keccak-256(record) ‖ record`.
public struct FileConsensusLog: ConsensusLog {
    public let path: String

    public init(path: String) { self.path = path }

    public func write(_ record: [UInt8]) throws(ConsensusLogError) {
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw .io(path: temporary, operation: "open", errno: errno) }
        let contents = Keccak256.hash(record).bytes + record
        var offset = 0
        while offset < contents.count {
            let written = contents[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else {
                let code = errno
                close(descriptor)
                throw .io(path: temporary, operation: "write", errno: code)
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            let code = errno
            close(descriptor)
            throw .io(path: temporary, operation: "fsync", errno: code)
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw .io(path: path, operation: "rename", errno: errno) }
        // The rename is durable only once the directory is: a failure here is a failed write.
        let parent = (path as NSString).deletingLastPathComponent
        let directoryPath = parent.isEmpty ? "." : parent
        let directory = open(directoryPath, O_RDONLY)
        guard directory >= 0 else { throw .io(path: directoryPath, operation: "open", errno: errno) }
        defer { close(directory) }
        guard fsync(directory) == 0 else { throw .io(path: directoryPath, operation: "fsync", errno: errno) }
    }

    public func read() throws(ConsensusLogError) -> [UInt8]? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) { throw .io(path: path, operation: "read", errno: EIO) }
            return nil
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 32 else { throw .corrupt(path: path, detail: "\(bytes.count) bytes") }
        let record = Array(bytes[32...])
        guard Keccak256.hash(record).bytes == Array(bytes[..<32]) else {
            throw .corrupt(path: path, detail: "checksum mismatch")
        }
        return record
    }
}
