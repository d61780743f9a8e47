// Frames after the handshake: length (4 bytes, big-endian) ‖ AES-256-GCM(ciphertext ‖ tag).
// The length is the associated data, so a changed length fails authentication; the nonce is a
// counter per direction (4 zero bytes ‖ counter, big-endian), so a replayed, dropped or
// reordered frame fails too. The plaintext is kind (1 byte) ‖ payload. Pure.
import LedgerCrypto

public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The announced length is above the cap (or below the tag): the peer is broken or hostile.
    case badLength(Int)
    /// Authentication failed: a forged, replayed, reordered or damaged frame.
    case unauthentic
    case empty
    /// 2^64 frames in one direction: never in practice; the connection is closed.
    case exhausted
    /// More frames a second than the per-peer limit.
    case rateExceeded

    public var description: String {
        switch self {
        case .badLength(let length): return "frame length \(length) is outside 17…\(FrameCipher.maximumFrameBytes)"
        case .unauthentic: return "frame failed authentication"
        case .empty: return "frame without a kind byte"
        case .exhausted: return "frame counter exhausted"
        case .rateExceeded: return "more frames a second than a peer may send"
        }
    }
}

/// One direction of a session.
public struct FrameCipher: Sendable {
    /// The most one frame may hold, tag included: 16 MiB holds the largest block the gas limit
    /// allows with room, and bounds what a peer can make this node buffer per connection.
    public static let maximumFrameBytes = 16 << 20
    public static let lengthBytes = 4

    private let key: [UInt8]
    private var counter: UInt64 = 0

    public init(key: [UInt8]) { self.key = key }

    private mutating func nextNonce() throws(FrameError) -> [UInt8] {
        guard counter < UInt64.max else { throw .exhausted }
        defer { counter += 1 }
        return [0, 0, 0, 0] + counter.bigEndianBytes
    }

    /// The whole frame (length prefix included) for `kind ‖ payload`.
    public mutating func seal(kind: UInt8, payload: [UInt8]) throws(FrameError) -> [UInt8] {
        let length = 1 + payload.count + AESGCM.tagByteCount
        guard length <= Self.maximumFrameBytes else { throw .badLength(length) }
        let prefix = UInt32(length).bigEndianBytes
        do {
            return prefix + (try AESGCM.encrypt([kind] + payload, key: key, nonce: try nextNonce(), associatedData: prefix))
        } catch let error as FrameError { throw error } catch { throw .unauthentic }
    }

    /// The body length a prefix announces, checked against the cap before anything is buffered.
    public static func bodyLength(prefix: some Collection<UInt8>) throws(FrameError) -> Int {
        let length = prefix.reduce(0) { $0 << 8 | Int($1) }
        guard length > AESGCM.tagByteCount, length <= maximumFrameBytes else { throw .badLength(length) }
        return length
    }

    /// Opens a frame's body (after its prefix): the kind and the payload.
    public mutating func open(prefix: [UInt8], body: [UInt8]) throws(FrameError) -> (kind: UInt8, payload: [UInt8]) {
        let plaintext: [UInt8]
        do { plaintext = try AESGCM.decrypt(body, key: key, nonce: try nextNonce(), associatedData: prefix) } catch {
            throw .unauthentic
        }
        guard let kind = plaintext.first else { throw .empty }
        return (kind, Array(plaintext.dropFirst()))
    }
}

extension UInt32 {
    var bigEndianBytes: [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: self >> (24 - 8 * $0)) } }
}
