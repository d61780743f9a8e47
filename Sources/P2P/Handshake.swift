// The handshake that opens every connection between nodes (DESIGN.md §7, Docs/p2p.md): fresh
// ephemeral secp256k1 keys on both sides, each side's static node key proven by a signature
// over the transcript (which holds both ephemerals, so it cannot be replayed into another
// session), and one AES-256-GCM key per direction derived from the ephemeral ECDH secret with
// the transcript as salt. Pure: bytes in, bytes and keys out, so every step is tested without
// sockets.
//
//   1. initiator → responder: "d6g1" ‖ chainId (8, big-endian) ‖ ephemeral_i (33)
//   2. responder → initiator: ephemeral_r (33) ‖ static_r (33) ‖ sig_r (65)
//      sig_r signs h2 = keccak256("d6g-p2p-v1" ‖ message 1 ‖ ephemeral_r ‖ static_r)
//   3. initiator → responder: static_i (33) ‖ sig_i (65)
//      sig_i signs h3 = keccak256(h2 ‖ static_i)
//   keys: prk = HKDF-Extract(salt: h3, ikm: x(ephemeral_i · ephemeral_r));
//         initiator→responder = HKDF-Expand(prk, "d6g-p2p i2r", 32), responder→initiator "d6g-p2p r2i".
import LedgerCrypto
import LedgerPrimitives

/// Why a handshake failed. The connection is closed; a peer that sent malformed or forged
/// handshake bytes is banned for a while.
public enum HandshakeError: Error, Equatable, Sendable, CustomStringConvertible {
    case malformed(String)
    case wrongMagic
    case wrongChain(expected: UInt64, found: UInt64)
    /// A signature does not recover to the static key the peer presented.
    case badSignature
    /// The peer presented this node's own key (a loop back to ourselves).
    case selfConnection
    /// The peer's node key is not in the allowlist.
    case notAllowed(String)
    case crypto(String)

    public var description: String {
        switch self {
        case .malformed(let detail): return "malformed handshake: \(detail)"
        case .wrongMagic: return "not a d6g peer (wrong handshake magic)"
        case .wrongChain(let expected, let found): return "peer is on chain \(found), this node on \(expected)"
        case .badSignature: return "the peer's handshake signature does not match its node key"
        case .selfConnection: return "connected to itself"
        case .notAllowed(let key): return "node key \(key) is not allowed to connect"
        case .crypto(let detail): return "handshake crypto failed: \(detail)"
        }
    }
}

/// The keys of an established session, one per direction, and who the peer is.
public struct SessionKeys: Sendable {
    public let peer: PublicKey
    public let sending: [UInt8]
    public let receiving: [UInt8]
}

/// The three messages' sizes (the transport reads exactly these many bytes at each step).
public enum HandshakeSizes {
    public static let first = 4 + 8 + 33
    public static let second = 33 + 33 + 65
    public static let third = 33 + 65
}

private let magic: [UInt8] = Array("d6g1".utf8)
private let transcriptLabel: [UInt8] = Array("d6g-p2p-v1".utf8)

/// The side that dialled.
public struct InitiatorHandshake {
    private let nodeKey: PrivateKey
    private let chainId: UInt64
    private let ephemeral: PrivateKey
    private let allows: (PublicKey) -> Bool
    public let firstMessage: [UInt8]

    /// `allows` decides whether the responder's node key may be talked to.
    public init(nodeKey: PrivateKey, chainId: UInt64, ephemeral: PrivateKey = .generate(),
                allows: @escaping (PublicKey) -> Bool) {
        self.nodeKey = nodeKey
        self.chainId = chainId
        self.ephemeral = ephemeral
        self.allows = allows
        firstMessage = magic + chainId.bigEndianBytes + ephemeral.publicKey.compressedBytes
    }

    /// Reads the responder's message; returns the third message and the session's keys.
    public func respond(to second: [UInt8]) throws(HandshakeError) -> (thirdMessage: [UInt8], keys: SessionKeys) {
        guard second.count == HandshakeSizes.second else { throw .malformed("second message of \(second.count) bytes") }
        let responderEphemeral = try publicKey(second[0..<33], "responder ephemeral key")
        let responderStatic = try publicKey(second[33..<66], "responder node key")
        let h2 = Keccak256.hash(transcriptLabel + firstMessage + Array(second[0..<66]))
        try verify(Array(second[66..<131]), of: h2, by: responderStatic)
        guard responderStatic.compressedBytes != nodeKey.publicKey.compressedBytes else { throw .selfConnection }
        guard allows(responderStatic) else { throw .notAllowed(Hex.encode(responderStatic.compressedBytes)) }
        let ownStatic = nodeKey.publicKey.compressedBytes
        let h3 = Keccak256.hash(h2.bytes + ownStatic)
        let signature = try sign(h3, with: nodeKey)
        let keys = try sessionKeys(ephemeral: ephemeral, peerEphemeral: responderEphemeral, h3: h3,
                                   peer: responderStatic, initiator: true)
        return (ownStatic + signature, keys)
    }
}

/// The side that accepted.
public struct ResponderHandshake {
    private let nodeKey: PrivateKey
    private let chainId: UInt64
    private let ephemeral: PrivateKey
    private let allows: (PublicKey) -> Bool
    private var h2: Hash32?
    private var initiatorEphemeral: PublicKey?

    public init(nodeKey: PrivateKey, chainId: UInt64, ephemeral: PrivateKey = .generate(),
                allows: @escaping (PublicKey) -> Bool) {
        self.nodeKey = nodeKey
        self.chainId = chainId
        self.ephemeral = ephemeral
        self.allows = allows
    }

    /// Reads the initiator's first message; returns the second.
    public mutating func respond(to first: [UInt8]) throws(HandshakeError) -> [UInt8] {
        guard first.count == HandshakeSizes.first else { throw .malformed("first message of \(first.count) bytes") }
        guard Array(first[0..<4]) == magic else { throw .wrongMagic }
        let theirChain = UInt64(bigEndianBytes: first[4..<12])
        guard theirChain == chainId else { throw .wrongChain(expected: chainId, found: theirChain) }
        initiatorEphemeral = try publicKey(first[12..<45], "initiator ephemeral key")
        let body = ephemeral.publicKey.compressedBytes + nodeKey.publicKey.compressedBytes
        let hash = Keccak256.hash(transcriptLabel + first + body)
        h2 = hash
        return body + (try sign(hash, with: nodeKey))
    }

    /// Reads the initiator's third message; returns the session's keys.
    public func finish(with third: [UInt8]) throws(HandshakeError) -> SessionKeys {
        guard let h2, let initiatorEphemeral else { throw .malformed("third message before the first") }
        guard third.count == HandshakeSizes.third else { throw .malformed("third message of \(third.count) bytes") }
        let initiatorStatic = try publicKey(third[0..<33], "initiator node key")
        let h3 = Keccak256.hash(h2.bytes + Array(third[0..<33]))
        try verify(Array(third[33..<98]), of: h3, by: initiatorStatic)
        guard initiatorStatic.compressedBytes != nodeKey.publicKey.compressedBytes else { throw .selfConnection }
        guard allows(initiatorStatic) else { throw .notAllowed(Hex.encode(initiatorStatic.compressedBytes)) }
        return try sessionKeys(ephemeral: ephemeral, peerEphemeral: initiatorEphemeral, h3: h3,
                               peer: initiatorStatic, initiator: false)
    }
}

private func publicKey(_ bytes: ArraySlice<UInt8>, _ what: String) throws(HandshakeError) -> PublicKey {
    guard bytes.count == 33, bytes.first == 2 || bytes.first == 3 else { throw .malformed("\(what) is not a compressed key") }
    do { return try PublicKey(bytes: Array(bytes)) } catch { throw .malformed("\(what): \(error)") }
}

private func sign(_ hash: Hash32, with key: PrivateKey) throws(HandshakeError) -> [UInt8] {
    do { return try key.signature(for: hash).bytes } catch { throw .crypto("\(error)") }
}

private func verify(_ signature: [UInt8], of hash: Hash32, by key: PublicKey) throws(HandshakeError) {
    guard let recoverable = try? RecoverableSignature(bytes: signature), recoverable.isLowS,
          let signer = try? recoverable.recoverPublicKey(for: hash),
          signer.compressedBytes == key.compressedBytes else { throw .badSignature }
}

private func sessionKeys(ephemeral: PrivateKey, peerEphemeral: PublicKey, h3: Hash32, peer: PublicKey,
                         initiator: Bool) throws(HandshakeError) -> SessionKeys {
    do {
        let secret = try ephemeral.sharedSecret(with: peerEphemeral)
        let prk = try HKDF.extract(inputKeyMaterial: secret, salt: h3.bytes)
        let i2r = try HKDF.expand(pseudorandomKey: prk, info: Array("d6g-p2p i2r".utf8), outputByteCount: 32)
        let r2i = try HKDF.expand(pseudorandomKey: prk, info: Array("d6g-p2p r2i".utf8), outputByteCount: 32)
        return initiator ? SessionKeys(peer: peer, sending: i2r, receiving: r2i)
            : SessionKeys(peer: peer, sending: r2i, receiving: i2r)
    } catch { throw .crypto("\(error)") }
}

extension UInt64 {
    var bigEndianBytes: [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: self >> (56 - 8 * $0)) } }

    init(bigEndianBytes bytes: ArraySlice<UInt8>) {
        self = bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
