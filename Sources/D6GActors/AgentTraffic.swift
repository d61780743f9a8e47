// An agent's encrypted traffic with its pipeline peers (PROTOCOL.md §Key exchange, Traffic): UDP
// on loopback as the stand-in for the overlay, frames sealed with the session key of the agent's
// latest group key, and a receiver that drops replays, old epochs past their grace, frames of
// members the next epoch removed, non-members and forgeries — counting each reason.
import D6GProtocol
import Foundation
import LedgerCrypto
import LedgerPrimitives

#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket bound to 127.0.0.1:port; receives with a short timeout so its loop can stop.
final class UDPSocket: @unchecked Sendable {
    let descriptor: Int32
    let port: Int

    init(port: Int) throws(ActorError) {
        guard (1...65_535).contains(port) else { throw ActorError("UDP port \(port) is outside 1…65535") }
        #if canImport(Glibc)
        let kind = Int32(SOCK_DGRAM.rawValue)
        #else
        let kind = SOCK_DGRAM
        #endif
        descriptor = socket(AF_INET, kind, 0)
        guard descriptor >= 0 else { throw ActorError("cannot open a UDP socket") }
        self.port = port
        var address = Self.loopback(port)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(descriptor)
            throw ActorError("cannot bind UDP 127.0.0.1:\(port): it is in use, or give the agent another port")
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    static func loopback(_ port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7F00_0001).bigEndian)
        return address
    }

    func send(_ bytes: [UInt8], to port: Int) {
        var address = Self.loopback(port)
        _ = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, buffer.baseAddress, buffer.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// One datagram, or nil after the timeout.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? Array(buffer[0..<count]) : nil
    }
}

public final class AgentTraffic: @unchecked Sendable {
    public let group: UInt256
    let me: Address
    let socket: UDPSocket
    let peerPorts: [Int]
    let lock = NSLock()
    var receiver: TrafficReceiver
    var sender: TrafficSender?
    var accepted = 0
    var dropped: [String: Int] = [:]
    var nextPeer = 0
    let session: UInt64

    /// Binds `port` and sends to `peerPorts`; frames of a replaced epoch are accepted for `graceMs`.
    public init(group: UInt256, me: Address, port: Int, peerPorts: [Int], graceMs: UInt64 = 5_000) throws(ActorError) {
        self.group = group
        self.me = me
        self.socket = try UDPSocket(port: port)
        self.peerPorts = peerPorts
        self.receiver = TrafficReceiver(group: group, graceMs: graceMs)
        // A fresh session at each start: a restarted agent never reuses a (key, nonce) pair.
        guard let session = try? TrafficSender.randomSession() else { throw ActorError("no secure randomness for a session") }
        self.session = session
    }

    static var nowMs: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    public var epoch: UInt64? { lock.withLock { receiver.currentEpoch } }

    /// A newer epoch's key and members: frames are sent under it from now on.
    public func install(epoch: UInt64, key: GroupKey, members: Set<Address>) throws(ActorError) {
        guard let fresh = try? TrafficSender(groupKey: key, group: group, epoch: epoch, sender: me, session: session) else {
            throw ActorError("cannot derive the traffic key of epoch \(epoch)")
        }
        lock.withLock {
            receiver.install(epoch: epoch, key: key, members: members, nowMs: Self.nowMs)
            sender = fresh
        }
    }

    /// One frame to the next peer in turn (nothing before the first key): the agent's traffic
    /// grows with the agents, not with the links between them (replicas of consecutive functions
    /// are all linked).
    public func sendToNextPeer(_ payload: [UInt8]) {
        guard !peerPorts.isEmpty else { return }
        let frame: [UInt8]? = lock.withLock { try? sender?.seal(payload) }
        let port = lock.withLock { () -> Int in
            defer { nextPeer = (nextPeer + 1) % peerPorts.count }
            return peerPorts[nextPeer]
        }
        if let frame { socket.send(frame, to: port) }
    }

    /// Receives until the task is cancelled (run it off the cooperative pool: it blocks).
    public func receiveLoop(while running: @escaping @Sendable () -> Bool) {
        while running() {
            guard let frame = socket.receive() else { continue }
            handle(frame)
        }
    }

    func handle(_ frame: [UInt8]) {
        lock.withLock {
            let outcome = Result { () throws(TrafficError) in try receiver.open(frame, nowMs: Self.nowMs) }
            switch outcome {
            case .success: accepted += 1
            case .failure(let error): dropped[Self.reason(error), default: 0] += 1
            }
        }
    }

    static func reason(_ error: TrafficError) -> String {
        switch error {
        case .replayed: "replay"
        case .unknownEpoch: "unknown-epoch"
        case .notAMember: "not-member"
        case .removedMember: "removed-member"
        case .authenticationFailed: "forged"
        case .otherGroup: "other-group"
        case .tooShort, .unknownVersion, .sequenceExhausted, .crypto: "malformed"
        }
    }

    /// The counts since the last call (and resets them).
    public func takeCounts() -> (accepted: Int, dropped: [String: Int]) {
        lock.withLock {
            defer { accepted = 0; dropped = [:] }
            return (accepted, dropped)
        }
    }
}
