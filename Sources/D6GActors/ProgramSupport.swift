// What the three programs' command lines share: an account key sealed in the program's data
// directory, and a loop that keeps looking at the chain through node outages.
import ContractCompiler
import Contracts
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

/// The account of the MLFO or the SECaaS: `DIR/account.sealed`, sealed with the store key.
public enum AccountFile {
    static let purpose = "d6g-account-key"

    public static func path(in directory: String) -> String { directory + "/account.sealed" }

    /// Makes the file from `imported` (a hex key file, e.g. a funded dev key) or a fresh key.
    public static func create(in directory: String, importing imported: String?, key: StoreKey) throws(ActorError) -> Address {
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw ActorError("cannot create \(directory): \(error)")
        }
        guard !FileManager.default.fileExists(atPath: path(in: directory)) else {
            throw ActorError("\(path(in: directory)) exists already: this directory has an account")
        }
        let account: PrivateKey
        if let imported {
            guard let text = try? String(contentsOfFile: imported, encoding: .utf8),
                  let bytes = try? Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  let key = try? PrivateKey(bytes: bytes) else { throw ActorError("\(imported) does not hold a private key in hex") }
            account = key
        } else {
            account = PrivateKey.generate()
        }
        try SealedFile.write(account.bytes, to: path(in: directory), purpose: purpose, key: key)
        return account.address
    }

    public static func read(in directory: String, key: StoreKey) throws(ActorError) -> PrivateKey {
        let bytes = try SealedFile.read(path(in: directory), purpose: purpose, key: key)
        guard let account = try? PrivateKey(bytes: bytes) else { throw ActorError("\(path(in: directory)) is damaged") }
        return account
    }
}

/// Calls `tick` as soon as `heads` announces a block, and at least every `interval` seconds,
/// until the task is cancelled. A failed look (a node down, a reverted transaction) is logged
/// and the loop goes on; the next look starts afresh.
public func keepLooking(every interval: Double, heads: HeadWatcher? = nil, log: @Sendable (String) -> Void,
                        _ tick: () async throws -> Void) async throws(ConfigurationError) {
    var lastSaid: [String: Date] = [:]
    while !Task.isCancelled {
        let seen = heads?.announced ?? 0
        do {
            try await tick()
        } catch let error as ConfigurationError {
            throw error
        } catch {
            let text = explained(error)
            // The same failure again and again is said once a minute.
            if Date().timeIntervalSince(lastSaid[text] ?? .distantPast) >= 60 {
                log("warning: \(text)")
                lastSaid[text] = Date()
            }
        }
        // Wait for the next block's announcement (a local read every 10 ms) or the interval.
        let deadline = Date().addingTimeInterval(interval)
        while Date() < deadline, !Task.isCancelled, (heads?.announced ?? 0) == seen {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }
}

/// Follows the nodes' `newHeads` over WebSocket on a thread of its own, trying each endpoint in
/// turn and reconnecting after a failure; `announced` counts the blocks announced so far.
public final class HeadWatcher: @unchecked Sendable {
    private let lock = NSLock()
    private var count: UInt64 = 0
    private var head: UInt64 = 0

    public var announced: UInt64 { lock.withLock { count } }
    public var latestHead: UInt64 { lock.withLock { head } }

    public init(endpoints: [String], log: @escaping @Sendable (String) -> Void) {
        // No endpoint: nothing to follow (the loop then polls alone).
        guard !endpoints.isEmpty else { return }
        Thread.detachNewThread { [self] in
            var index = 0
            var failures = 0
            while true {
                let url = endpoints[index % endpoints.count]
                do {
                    let subscription = try HeadSubscription(url: url)
                    if failures > 0 { log("following new blocks at \(url) again") }
                    failures = 0
                    while true {
                        let number = try subscription.nextHead()
                        lock.withLock {
                            count &+= 1
                            head = number
                        }
                    }
                } catch {
                    if failures == 0 { log("warning: no block announcements from \(url) (\(error)); polling until they come back") }
                    failures += 1
                    index += 1
                    Thread.sleep(forTimeInterval: 1)
                }
            }
        }
    }
}

/// Writes one line to standard output at once (no buffering: several programs' logs interleave
/// in order when an operator or a test follows them).
public func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The program's events as JSON lines (`--events FILE`), for the demo's timeline and the
/// attestation benchmark: {"t": Unix seconds, "role": …, "event": …, fields…}. Without a file it
/// records nothing. Values are public (addresses, rounds, latencies), never keys.
public final class EventLog: @unchecked Sendable {
    let handle: FileHandle?
    let role: String
    let lock = NSLock()

    public init(path: String?, role: String) throws(ActorError) {
        self.role = role
        guard let path else {
            handle = nil
            return
        }
        // Appends: a restarted program continues the same timeline.
        if !FileManager.default.fileExists(atPath: path) { FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ActorError("cannot write the event log \(path)") }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    private init() {
        handle = nil
        role = ""
    }

    /// Records nothing.
    public static let none = EventLog()

    public func record(_ event: String, _ fields: [String: Any] = [:]) {
        guard let handle else { return }
        var object = fields
        object["t"] = Date().timeIntervalSince1970
        object["role"] = role
        object["event"] = event
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        lock.lock()
        handle.write(data + Data([0x0a]))
        lock.unlock()
    }
}

/// A setting that cannot work (it will fail the same way at every look): the program stops and
/// says what to change.
public struct ConfigurationError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The D6G contracts' ABIs, to name what a reverted call refused.
let contractABIs: [ABIEntry] = ((try? ContractCompiler.compile(attestationRegistry))?.abi ?? [])
    + ((try? ContractCompiler.compile(keyExchange))?.abi ?? [])

/// An error as an operator should read it: a revert by the contracts' error names and values
/// (`reverted: DeadlineTooShort(2, 3)`), anything else as it describes itself.
public func explained(_ error: any Error) -> String {
    if case .rpc(_, let message, let data)? = error as? ClientError, let text = data?.stringValue, let bytes = try? Hex.decode(text) {
        return "\(message.hasPrefix("execution reverted") ? "" : message + ": ")\(RevertReason(output: bytes, abi: contractABIs))"
    }
    return "\(error)"
}

/// The revert reason of `error`, if it is a revert.
public func revertReason(_ error: any Error) -> RevertReason? {
    guard case .rpc(_, _, let data)? = error as? ClientError, let text = data?.stringValue, let bytes = try? Hex.decode(text) else { return nil }
    return RevertReason(output: bytes, abi: contractABIs)
}
