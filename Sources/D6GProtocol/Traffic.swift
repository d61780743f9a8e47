// Encrypted traffic between the members of a group (PROTOCOL.md §Key exchange, "Traffic"): a key
// per sender session derived from the group key, AES-256-GCM frames with the header as associated
// data, and a receiver that drops what is not for it — frames of non-members before any
// decryption, forged and replayed frames, old epochs after their grace, and frames of members the
// newer epoch removed.
import LedgerCrypto
import LedgerPrimitives

public enum TrafficError: Error, Sendable, Equatable, CustomStringConvertible {
    case tooShort(Int)
    case unknownVersion(UInt8)
    case otherGroup
    /// No key for this epoch here: not installed yet, too old, or past its grace.
    case unknownEpoch(UInt64)
    case notAMember(Address)
    /// The sender was removed by the epoch after the frame's.
    case removedMember(Address)
    case authenticationFailed
    /// A sequence number already seen, or older than the replay window.
    case replayed(sequence: UInt64)
    /// This sender session has sent 2^64 − 1 frames: it must start a new session.
    case sequenceExhausted
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case .tooShort(let count): "a frame of \(count) bytes is shorter than a header and a tag (93)"
        case .unknownVersion(let version): "frame version \(version) is not 1"
        case .otherGroup: "the frame is for another group"
        case .unknownEpoch(let epoch): "no key for epoch \(epoch) here"
        case .notAMember(let sender): "\(sender) is not a member of the frame's epoch"
        case .removedMember(let sender): "\(sender) was removed by the next epoch"
        case .authenticationFailed: "the frame failed authentication (forged, damaged or another key)"
        case .replayed(let sequence): "sequence \(sequence) was seen already or is older than the replay window"
        case .sequenceExhausted: "this session's sequence numbers are used up; start a new session"
        case .crypto(let error): error.description
        }
    }
}

/// version (1) ‖ group (32) ‖ epoch (8) ‖ sender (20) ‖ session (8) ‖ seq (8), big-endian.
public struct TrafficHeader: Sendable, Hashable {
    public static let version: UInt8 = 1
    public static let byteCount = 77

    public var group: UInt256
    public var epoch: UInt64
    public var sender: Address
    public var session: UInt64
    public var sequence: UInt64

    public init(group: UInt256, epoch: UInt64, sender: Address, session: UInt64, sequence: UInt64) {
        self.group = group
        self.epoch = epoch
        self.sender = sender
        self.session = session
        self.sequence = sequence
    }

    public var encoded: [UInt8] {
        [Self.version] + group.bigEndianBytes + bigEndian(epoch) + sender.bytes + bigEndian(session) + bigEndian(sequence)
    }

    /// The header at the start of `frame` (which must be long enough).
    init(decoding frame: [UInt8]) throws(TrafficError) {
        guard frame.count >= Self.byteCount + AESGCM.tagByteCount else { throw .tooShort(frame.count) }
        guard frame[0] == Self.version else { throw .unknownVersion(frame[0]) }
        guard let group = UInt256(bigEndianBytes: frame[1..<33]), let sender = Address(bytes: frame[41..<61]) else {
            throw .tooShort(frame.count)
        }
        self.init(group: group, epoch: readBigEndian(frame, at: 33), sender: sender,
                  session: readBigEndian(frame, at: 61), sequence: readBigEndian(frame, at: 69))
    }
}

private func bigEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * $0)) } }

private func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt64 {
    bytes[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) }
}

public enum TrafficKeys {
    public static let infoPrefix: [UInt8] = Array("d6g-traffic-v1".utf8)

    /// `k_s = HKDF-SHA256(ikm = K_e, salt = w(group) ‖ w(e), info = "d6g-traffic-v1" ‖ sender ‖ session)`.
    public static func sessionKey(_ groupKey: GroupKey, group: UInt256, epoch: UInt64, sender: Address,
                                  session: UInt64) throws(CryptoError) -> [UInt8] {
        try HKDF.deriveKey(inputKeyMaterial: groupKey.bytes, salt: Word.of(group) + Word.of(epoch),
                           info: infoPrefix + sender.bytes + bigEndian(session), outputByteCount: 32)
    }

    /// 0x00000000 ‖ uint64BE(seq).
    static func nonce(_ sequence: UInt64) -> [UInt8] { [0, 0, 0, 0] + bigEndian(sequence) }
}

/// One sender session: its key and the next sequence number (from 0, never wrapping).
public struct TrafficSender: Sendable {
    public let group: UInt256
    public let epoch: UInt64
    public let sender: Address
    public let session: UInt64
    public private(set) var nextSequence: UInt64 = 0
    private let key: [UInt8]

    public init(groupKey: GroupKey, group: UInt256, epoch: UInt64, sender: Address, session: UInt64) throws(CryptoError) {
        self.group = group
        self.epoch = epoch
        self.sender = sender
        self.session = session
        key = try TrafficKeys.sessionKey(groupKey, group: group, epoch: epoch, sender: sender, session: session)
    }

    /// A random session id: a process picks one at start, so two processes of one agent never
    /// share a key and a sequence.
    public static func randomSession() throws(CryptoError) -> UInt64 {
        try SecureRandom.bytes(count: 8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// header ‖ AES-256-GCM(k_s, nonce, payload, aad = header) ‖ tag.
    public mutating func seal(_ payload: some Collection<UInt8>) throws(TrafficError) -> [UInt8] {
        guard nextSequence < UInt64.max else { throw .sequenceExhausted }
        let header = TrafficHeader(group: group, epoch: epoch, sender: sender, session: session, sequence: nextSequence).encoded
        let sealed: [UInt8]
        do {
            sealed = try AESGCM.encrypt(payload, key: key, nonce: TrafficKeys.nonce(nextSequence), associatedData: header)
        } catch { throw .crypto(error) }
        nextSequence += 1
        return header + sealed
    }
}

/// Sequence numbers seen of one sender session: the highest, and the `size` below it.
public struct ReplayWindow: Sendable {
    public static let size: UInt64 = 1_024
    private var highest: UInt64?
    /// Bit k of word k / 64: sequence highest − k was seen.
    private var seen = [UInt64](repeating: 0, count: Int(size / 64))

    public init() {}

    /// Whether `sequence` is new and inside the window; records it if so.
    public mutating func accept(_ sequence: UInt64) -> Bool {
        guard let top = highest else {
            highest = sequence
            mark(0)
            return true
        }
        if sequence > top {
            shift(by: sequence - top)
            highest = sequence
            mark(0)
            return true
        }
        let age = top - sequence
        guard age < Self.size, !isMarked(age) else { return false }
        mark(age)
        return true
    }

    private func isMarked(_ age: UInt64) -> Bool { seen[Int(age / 64)] >> (age % 64) & 1 == 1 }
    private mutating func mark(_ age: UInt64) { seen[Int(age / 64)] |= 1 << (age % 64) }

    private mutating func shift(by distance: UInt64) {
        guard distance < Self.size else { return seen = [UInt64](repeating: 0, count: seen.count) }
        let words = Int(distance / 64), bits = distance % 64
        var shifted = [UInt64](repeating: 0, count: seen.count)
        for index in seen.indices.reversed() where index >= words {
            var word = seen[index - words] << bits
            if bits > 0, index - words - 1 >= 0 { word |= seen[index - words - 1] >> (64 - bits) }
            shifted[index] = word
        }
        seen = shifted
    }
}

/// What a member accepts: frames of its group under the current epoch's key from that epoch's
/// members, and under the previous epoch's key for `graceMs` after the current one was
/// installed, except from members the current epoch removed.
public struct TrafficReceiver: Sendable {
    public let group: UInt256
    public let graceMs: UInt64
    private var current: EpochKeys?
    private var previous: EpochKeys?
    private var previousUntilMs: UInt64 = 0
    private var windows: [SessionID: ReplayWindow] = [:]
    private var sessionKeys: [SessionID: [UInt8]] = [:]
    /// Sender sessions tracked at once; beyond it the oldest epoch's are dropped first.
    public static let sessionLimit = 4_096

    private struct EpochKeys: Sendable {
        var epoch: UInt64
        var key: GroupKey
        var members: Set<Address>
    }

    private struct SessionID: Hashable, Sendable {
        var epoch: UInt64
        var sender: Address
        var session: UInt64
    }

    public init(group: UInt256, graceMs: UInt64 = 5_000) {
        self.group = group
        self.graceMs = graceMs
    }

    public var currentEpoch: UInt64? { current?.epoch }

    /// Installs a newer epoch's key and members; the one it replaces stays usable for the grace.
    /// An epoch not newer than the current one is ignored.
    public mutating func install(epoch: UInt64, key: GroupKey, members: Set<Address>, nowMs: UInt64) {
        if let current, epoch <= current.epoch { return }
        previous = current
        previousUntilMs = nowMs &+ graceMs
        current = EpochKeys(epoch: epoch, key: key, members: members)
        let kept = Set([current?.epoch, previous?.epoch].compactMap { $0 })
        windows = windows.filter { kept.contains($0.key.epoch) }
        sessionKeys = sessionKeys.filter { kept.contains($0.key.epoch) }
    }

    /// The sender and payload of `frame`, or why it was dropped. Nothing is decrypted for a
    /// non-member, and the replay window moves only for frames that authenticate.
    public mutating func open(_ frame: [UInt8], nowMs: UInt64) throws(TrafficError) -> (sender: Address, payload: [UInt8]) {
        let header = try TrafficHeader(decoding: frame)
        guard header.group == group else { throw .otherGroup }
        let keys: EpochKeys
        if let current, header.epoch == current.epoch {
            keys = current
        } else if let previous, let current, header.epoch == previous.epoch, nowMs <= previousUntilMs {
            guard current.members.contains(header.sender) || !previous.members.contains(header.sender) else {
                throw .removedMember(header.sender)
            }
            keys = previous
        } else {
            throw .unknownEpoch(header.epoch)
        }
        guard keys.members.contains(header.sender) else { throw .notAMember(header.sender) }
        let id = SessionID(epoch: header.epoch, sender: header.sender, session: header.session)
        let key: [UInt8]
        if let known = sessionKeys[id] {
            key = known
        } else {
            do {
                key = try TrafficKeys.sessionKey(keys.key, group: group, epoch: header.epoch, sender: header.sender,
                                                 session: header.session)
            } catch { throw .crypto(error) }
        }
        let headerBytes = Array(frame[0..<TrafficHeader.byteCount])
        guard let payload = try? AESGCM.decrypt(frame[TrafficHeader.byteCount...], key: key,
                                                nonce: TrafficKeys.nonce(header.sequence),
                                                associatedData: headerBytes) else { throw .authenticationFailed }
        if sessionKeys[id] == nil {
            if sessionKeys.count >= Self.sessionLimit { evictOldest() }
            sessionKeys[id] = key
        }
        guard windows[id, default: ReplayWindow()].accept(header.sequence) else { throw .replayed(sequence: header.sequence) }
        return (header.sender, payload)
    }

    private mutating func evictOldest() {
        guard let oldest = sessionKeys.keys.min(by: { ($0.epoch, $0.session) < ($1.epoch, $1.session) }) else { return }
        sessionKeys[oldest] = nil
        windows[oldest] = nil
    }
}
