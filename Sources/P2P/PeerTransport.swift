// Connections between nodes over TCP with SwiftNIO (DESIGN.md §7, Docs/p2p.md): each opens with
// the handshake (Handshake.swift), then carries encrypted frames (FrameCipher.swift) of a kind
// byte and a payload this transport does not interpret. It keeps one connection per peer key,
// dials the configured addresses again with backoff when a connection drops, admits only node
// keys the allowlist accepts, limits each connection's frame rate, and bans a key that sent a
// frame that fails authentication or breaks the limits. What the frames mean is the node's
// business (Node/Gossip.swift).
import LedgerCrypto
import LedgerPrimitives
import NIOCore
import NIOPosix
import Synchronization

/// A peer's identity: its compressed node public key.
public struct PeerID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let key: [UInt8]

    public init(_ key: PublicKey) { self.key = key.compressedBytes }

    public static func < (lhs: PeerID, rhs: PeerID) -> Bool { lhs.key.lexicographicallyPrecedes(rhs.key) }

    public var description: String { Hex.encode(key) }
    /// The first 8 hex digits, for logs.
    public var short: String { String(Hex.encode(key, prefix: false).prefix(10)) }
}

/// What the transport tells its owner. Called on NIO's event loops: keep it quick.
public protocol PeerTransportDelegate: AnyObject, Sendable {
    func peerConnected(_ peer: PeerID)
    func peerDisconnected(_ peer: PeerID)
    /// A frame from an authenticated peer.
    func received(kind: UInt8, payload: [UInt8], from peer: PeerID)
    /// Something worth a log line: a refused or dropped connection, a ban.
    func transportNote(_ text: String, peer: PeerID?)
}

public struct PeerTransportConfiguration: Sendable {
    public var nodeKey: PrivateKey
    public var chainId: UInt64
    public var host: String
    public var port: Int
    /// Addresses (host:port) dialled and kept connected.
    public var peers: [String]
    /// Frames a peer may send per second (averaged over a second, bursts up to this many).
    public var framesPerSecond: Int
    /// How long a key that broke the rules is refused.
    public var banSeconds: Int64
    /// Connections at once (inbound and outbound).
    public var maximumConnections: Int

    public static let defaultFramesPerSecond = 5_000
    public static let defaultBanSeconds: Int64 = 300
    public static let defaultMaximumConnections = 128

    public init(nodeKey: PrivateKey, chainId: UInt64, host: String = "127.0.0.1", port: Int = 30_303,
                peers: [String] = [], framesPerSecond: Int = defaultFramesPerSecond, banSeconds: Int64 = defaultBanSeconds,
                maximumConnections: Int = defaultMaximumConnections) {
        self.nodeKey = nodeKey
        self.chainId = chainId
        self.host = host
        self.port = port
        self.peers = peers
        self.framesPerSecond = framesPerSecond
        self.banSeconds = banSeconds
        self.maximumConnections = maximumConnections
    }
}

public final class PeerTransport: Sendable {
    public let configuration: PeerTransportConfiguration
    public let id: PeerID
    private let allows: @Sendable (PublicKey) -> Bool
    private let group: any EventLoopGroup
    private let state = Mutex(State())
    /// Held strongly: the node's gossip owns the transport and lives as long (one per process).
    let delegate: (any PeerTransportDelegate)?

    private struct State {
        var listener: (any Channel)?
        /// Established sessions by peer.
        var sessions: [PeerID: Session] = [:]
        var bans: [PeerID: NIODeadline] = [:]
        var connections = 0
        var stopped = false
    }

    struct Session: @unchecked Sendable {
        let channel: any Channel
        let handler: PeerHandler
        let initiatedByUs: Bool
        let since = NIODeadline.now()
    }

    /// A session shorter than this does not reset the redial backoff: the initiator learns only
    /// after its last handshake message whether the responder admits it, so a peer that bans or
    /// does not list us shows up as sessions that end at once.
    static let stableSession = TimeAmount.seconds(10)

    /// `allows` admits node keys (the validator set's and the configured ones).
    public init(configuration: PeerTransportConfiguration, allows: @escaping @Sendable (PublicKey) -> Bool,
                delegate: any PeerTransportDelegate, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.configuration = configuration
        id = PeerID(configuration.nodeKey.publicKey)
        self.allows = allows
        self.group = group
        self.delegate = delegate
    }

    /// Listens, and starts dialling the configured peers. Returns the bound port.
    public func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [self] channel in
                setUp(channel, initiator: false)
            }
            .bind(host: configuration.host, port: configuration.port).get()
        state.withLock { $0.listener = channel }
        for address in configuration.peers { dial(address, attempt: 0) }
        return channel.localAddress?.port ?? configuration.port
    }

    public func stop() async {
        let (listener, sessions) = state.withLock { state in
            state.stopped = true
            return (state.listener, Array(state.sessions.values))
        }
        try? await listener?.close()
        for session in sessions { try? await session.channel.close() }
    }

    /// Peers with an established session.
    public var connectedPeers: [PeerID] { state.withLock { Array($0.sessions.keys).sorted() } }

    /// Sends a frame to one peer (dropped if it is not connected).
    public func send(kind: UInt8, payload: [UInt8], to peer: PeerID) {
        guard let session = state.withLock({ $0.sessions[peer] }) else { return }
        session.handler.send(kind: kind, payload: payload, on: session.channel)
    }

    /// Sends a frame to every connected peer.
    public func broadcast(kind: UInt8, payload: [UInt8]) {
        for session in state.withLock({ Array($0.sessions.values) }) {
            session.handler.send(kind: kind, payload: payload, on: session.channel)
        }
    }

    /// Refuses `peer` for the ban period and closes its connection.
    public func ban(_ peer: PeerID, reason: String) {
        let session = state.withLock { state in
            state.bans[peer] = .now() + .seconds(configuration.banSeconds)
            return state.sessions[peer]
        }
        delegate?.transportNote("banned for \(configuration.banSeconds) s: \(reason)", peer: peer)
        session?.channel.close(promise: nil)
    }

    /// Closes the sessions of peers the allowlist no longer admits (a validator voted out).
    public func dropPeersNoLongerAllowed() {
        let dropped = state.withLock { state in
            state.sessions.filter { peer, _ in
                guard let key = try? PublicKey(bytes: peer.key) else { return true }
                return !allows(key)
            }
        }
        for (peer, session) in dropped {
            delegate?.transportNote("the allowlist no longer admits this peer; session closed", peer: peer)
            session.channel.close(promise: nil)
        }
    }

    /// Dials `address` (host:port) and keeps it connected, like a configured peer.
    public func connect(to address: String) { dial(address, attempt: 0) }

    // MARK: Connections

    private func dial(_ address: String, attempt: Int) {
        guard !state.withLock({ $0.stopped }) else { return }
        guard let (host, port) = Self.split(address) else {
            delegate?.transportNote("peer address \(address) is not host:port; ignored", peer: nil)
            return
        }
        let connecting = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { [self] channel in setUp(channel, initiator: true, address: address, attempt: attempt) }
            .connect(host: host, port: port)
        connecting.whenFailure { [self] _ in redial(address, attempt: attempt + 1, peer: nil) }
    }

    /// Dials `address` again after a pause: 0.5 s doubling to 4 s while it fails (a link back
    /// after a partition is used within seconds; a dial every 4 s costs nothing). While the
    /// peer last met there is connected anyway (it dialled us: the pair keeps one session),
    /// only looks again every 4 s.
    private func redial(_ address: String, attempt: Int, peer: PeerID?) {
        guard !state.withLock({ $0.stopped }) else { return }
        let delay = min(500 << min(attempt, 3), 4_000)
        group.next().scheduleTask(in: .milliseconds(Int64(delay))) { [self] in
            if let peer, state.withLock({ $0.sessions[peer] != nil }) {
                redial(address, attempt: 3, peer: peer) // 4 s
            } else {
                dial(address, attempt: attempt)
            }
        }
    }

    static func split(_ address: String) -> (String, Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]),
              (1...65_535).contains(port) else { return nil }
        let host = String(address[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    /// `attempt` counts the dials of `address` since its last stable session: a peer that accepts
    /// TCP but refuses the handshake (it banned or does not list us) is dialled with the same
    /// backoff as one that refuses the connection, not every half second.
    private func setUp(_ channel: any Channel, initiator: Bool, address: String? = nil, attempt: Int = 0) -> EventLoopFuture<Void> {
        let admitted = state.withLock { state in
            guard !state.stopped, state.connections < configuration.maximumConnections else { return false }
            state.connections += 1
            return true
        }
        guard admitted else { return channel.close() }
        let handler = PeerHandler(transport: self, initiator: initiator)
        channel.closeFuture.whenComplete { [self] _ in
            let peer = handler.peer
            let ended = state.withLock { state -> Session? in
                state.connections -= 1
                guard let peer, let session = state.sessions[peer], session.handler === handler else { return nil }
                state.sessions[peer] = nil
                return session
            }
            if ended != nil, let peer { delegate?.peerDisconnected(peer) }
            let stable = ended.map { .now() - $0.since >= Self.stableSession } ?? false
            if let address { redial(address, attempt: stable ? 0 : attempt + 1, peer: peer) }
        }
        return channel.pipeline.addHandler(handler)
    }

    // MARK: From handlers

    func handshakeAllows(_ key: PublicKey) -> Bool {
        let peer = PeerID(key)
        let banned = state.withLock { state -> Bool in
            guard let until = state.bans[peer] else { return false }
            if until < .now() { state.bans[peer] = nil; return false }
            return true
        }
        return !banned && allows(key)
    }

    /// A handshake finished: keeps one session per peer. Two nodes that dial each other at
    /// once keep the connection dialled by the smaller key, on both sides.
    func established(_ handler: PeerHandler, channel: any Channel, peer: PeerID) -> Bool {
        let initiatedByUs = handler.initiator
        let outcome = state.withLock { state -> (keep: Bool, replaced: Session?) in
            guard !state.stopped else { return (false, nil) }
            if let existing = state.sessions[peer] {
                let dialledBySmaller: (Bool) -> Bool = { byUs in byUs ? self.id < peer : peer < self.id }
                guard dialledBySmaller(initiatedByUs), !dialledBySmaller(existing.initiatedByUs) else { return (false, nil) }
                state.sessions[peer] = Session(channel: channel, handler: handler, initiatedByUs: initiatedByUs)
                return (true, existing)
            }
            state.sessions[peer] = Session(channel: channel, handler: handler, initiatedByUs: initiatedByUs)
            return (true, nil)
        }
        if let replaced = outcome.replaced { replaced.channel.close(promise: nil) }
        if outcome.keep, outcome.replaced == nil { delegate?.peerConnected(peer) }
        return outcome.keep
    }
}

/// One connection: the handshake, then frames. Lives on its channel's event loop.
final class PeerHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum Phase {
        case awaitingFirst(ResponderHandshake)
        case awaitingSecond(InitiatorHandshake)
        case awaitingThird(ResponderHandshake)
        case established
        case closed
    }

    /// A connection that has not finished its handshake in this time is closed.
    static let handshakeTimeout = TimeAmount.seconds(5)

    private unowned let transport: PeerTransport
    let initiator: Bool
    private var phase: Phase
    private var buffer = ByteBuffer()
    private var sender: FrameCipher?
    private var receiver: FrameCipher?
    private var pendingBodyLength: Int?
    private(set) var peer: PeerID?
    private var tokens: Double
    private var lastRefill = NIODeadline.now()

    init(transport: PeerTransport, initiator: Bool) {
        self.transport = transport
        self.initiator = initiator
        let configuration = transport.configuration
        let allows: (PublicKey) -> Bool = { [unowned transport] in transport.handshakeAllows($0) }
        if initiator {
            phase = .awaitingSecond(InitiatorHandshake(nodeKey: configuration.nodeKey, chainId: configuration.chainId, allows: allows))
        } else {
            phase = .awaitingFirst(ResponderHandshake(nodeKey: configuration.nodeKey, chainId: configuration.chainId, allows: allows))
        }
        tokens = Double(configuration.framesPerSecond)
    }

    func channelActive(context: ChannelHandlerContext) {
        if case .awaitingSecond(let handshake) = phase { write(handshake.firstMessage, context: context) }
        let channel = context.channel
        context.eventLoop.scheduleTask(in: Self.handshakeTimeout) { [self] in
            if case .established = phase { return }
            channel.close(promise: nil)
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        buffer.writeBuffer(&incoming)
        do {
            while try step(context: context) {}
        } catch let error as HandshakeError {
            fail(context, error.description, ban: isForgery(error))
        } catch let error as FrameError {
            fail(context, error.description, ban: true)
        } catch {
            fail(context, "\(error)", ban: false)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        phase = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func isForgery(_ error: HandshakeError) -> Bool {
        if case .badSignature = error { return true }
        return false
    }

    private func fail(_ context: ChannelHandlerContext, _ reason: String, ban: Bool) {
        phase = .closed
        if ban, let peer {
            transport.ban(peer, reason: reason)
        } else {
            transport.delegate?.transportNote("connection closed: \(reason)", peer: peer)
        }
        context.close(promise: nil)
    }

    /// Takes one message off the buffer if it is complete; returns whether to look again.
    private func step(context: ChannelHandlerContext) throws -> Bool {
        switch phase {
        case .awaitingFirst(var handshake):
            guard let bytes = buffer.readBytes(length: HandshakeSizes.first) else { return false }
            write(try handshake.respond(to: bytes), context: context)
            phase = .awaitingThird(handshake)
            return true
        case .awaitingSecond(let handshake):
            guard let bytes = buffer.readBytes(length: HandshakeSizes.second) else { return false }
            let (third, keys) = try handshake.respond(to: bytes)
            write(third, context: context)
            return establish(keys, context: context)
        case .awaitingThird(let handshake):
            guard let bytes = buffer.readBytes(length: HandshakeSizes.third) else { return false }
            return establish(try handshake.finish(with: bytes), context: context)
        case .established:
            return try readFrame(context: context)
        case .closed:
            buffer.clear()
            return false
        }
    }

    private func establish(_ keys: SessionKeys, context: ChannelHandlerContext) -> Bool {
        sender = FrameCipher(key: keys.sending)
        receiver = FrameCipher(key: keys.receiving)
        let peer = PeerID(keys.peer)
        self.peer = peer
        phase = .established
        guard transport.established(self, channel: context.channel, peer: peer) else {
            phase = .closed
            context.close(promise: nil)
            return false
        }
        return true
    }

    private func readFrame(context: ChannelHandlerContext) throws -> Bool {
        if pendingBodyLength == nil {
            guard let prefix = buffer.readBytes(length: FrameCipher.lengthBytes) else { return false }
            pendingBodyLength = try FrameCipher.bodyLength(prefix: prefix)
        }
        guard let length = pendingBodyLength, let body = buffer.readBytes(length: length) else { return false }
        pendingBodyLength = nil
        guard var cipher = receiver, let peer else { return false }
        let prefix = UInt32(length).bigEndianBytes
        let (kind, payload) = try cipher.open(prefix: prefix, body: body)
        receiver = cipher
        try spendToken()
        buffer.discardReadBytes()
        transport.delegate?.received(kind: kind, payload: payload, from: peer)
        return true
    }

    /// Token bucket: `framesPerSecond` a second, bursts up to as many.
    private func spendToken() throws {
        let now = NIODeadline.now()
        let rate = Double(transport.configuration.framesPerSecond)
        tokens = min(rate, tokens + Double((now - lastRefill).nanoseconds) / 1e9 * rate)
        lastRefill = now
        guard tokens >= 1 else { throw FrameError.rateExceeded }
        tokens -= 1
    }

    /// Seals and writes a frame; from any thread (hops to the channel's loop).
    func send(kind: UInt8, payload: [UInt8], on channel: any Channel) {
        channel.eventLoop.execute { [self] in
            guard case .established = phase, var cipher = sender else { return }
            guard let frame = try? cipher.seal(kind: kind, payload: payload) else { return }
            sender = cipher
            channel.writeAndFlush(channel.allocator.buffer(bytes: frame), promise: nil)
        }
    }

    private func write(_ bytes: [UInt8], context: ChannelHandlerContext) {
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: bytes)), promise: nil)
    }
}
