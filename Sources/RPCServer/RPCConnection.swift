// One WebSocket client as the subscription side sees it: a way to push `eth_subscription`
// notifications from any thread, with a bound on what may wait unsent (a subscriber that
// does not read is disconnected, not buffered for), and callbacks run when it closes.
// Methods learn their connection from the task-local `RPCConnection.current`, which the
// WebSocket handler sets while it runs a request (nil over HTTP).
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket

public final class RPCConnection: Sendable {
    /// The connection whose request is being answered; nil over HTTP.
    @TaskLocal public static var current: RPCConnection?

    private struct State {
        var closed = false
        /// Bytes handed to the channel and not yet written to the socket.
        var pendingBytes = 0
        /// Subscriptions created by the request being answered: their notifications wait until
        /// the response carrying their id is written, so a client never sees one before its id.
        var held: Set<String> = []
        var heldMessages: [[UInt8]] = []
        var heldBytes = 0
        var onClose: [@Sendable () -> Void] = []
    }

    let channel: any Channel
    /// Most notification bytes that may wait unsent before the client is dropped.
    let maxPendingBytes: Int
    private let state = NIOLockedValueBox(State())

    init(channel: any Channel, maxPendingBytes: Int) {
        self.channel = channel
        self.maxPendingBytes = maxPendingBytes
    }

    public var isClosed: Bool { state.withLockedValue { $0.closed } }

    /// Runs `callback` once when the connection closes (at once if it already has).
    public func onClose(_ callback: @escaping @Sendable () -> Void) {
        let runNow = state.withLockedValue { state -> Bool in
            if state.closed { return true }
            state.onClose.append(callback)
            return false
        }
        if runNow { callback() }
    }

    /// Sends one notification (a complete JSON-RPC message). False when the connection is
    /// closed, or has just been closed for falling too far behind (close code 1008).
    @discardableResult
    public func send(_ message: [UInt8], subscription: String) -> Bool {
        enum Action { case write, held, drop, closed }
        let action = state.withLockedValue { state -> Action in
            if state.closed { return .closed }
            if state.held.contains(subscription) {
                guard state.heldBytes + message.count <= maxPendingBytes else { return .drop }
                state.heldBytes += message.count
                state.heldMessages.append(message)
                return .held
            }
            guard state.pendingBytes + message.count <= maxPendingBytes else { return .drop }
            state.pendingBytes += message.count
            return .write
        }
        switch action {
        case .write:
            write(message)
            return true
        case .held:
            return true
        case .drop:
            close(code: .policyViolation, reason: "subscriber too slow")
            return false
        case .closed:
            return false
        }
    }

    /// Holds notifications of `subscription` until `releaseHeld()`.
    public func hold(_ subscription: String) {
        state.withLockedValue { _ = $0.held.insert(subscription) }
    }

    /// After a response is written (on the event loop): sends what was held, in order.
    func releaseHeld() {
        let messages = state.withLockedValue { state -> [[UInt8]] in
            let messages = state.heldMessages
            state.held.removeAll()
            state.heldMessages.removeAll()
            state.heldBytes = 0
            state.pendingBytes += messages.reduce(0) { $0 + $1.count }
            return messages
        }
        for message in messages { write(message) }
    }

    private func write(_ message: [UInt8]) {
        let count = message.count
        let frame = WebSocketFrame(fin: true, opcode: .text, data: channel.allocator.buffer(bytes: message))
        channel.writeAndFlush(frame).whenComplete { [state] _ in
            state.withLockedValue { $0.pendingBytes -= count }
        }
    }

    /// Sends a close frame with `code` and closes the connection once it is written.
    func close(code: WebSocketErrorCode, reason: String) {
        guard markClosed() else { return }
        var data = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        data.write(webSocketErrorCode: code)
        data.writeString(reason)
        let channel = self.channel
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: data)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// Marks the connection closed and runs the close callbacks; false if it already was.
    @discardableResult
    func markClosed() -> Bool {
        let callbacks = state.withLockedValue { state -> [@Sendable () -> Void]? in
            guard !state.closed else { return nil }
            state.closed = true
            state.heldMessages.removeAll()
            defer { state.onClose.removeAll() }
            return state.onClose
        }
        guard let callbacks else { return false }
        for callback in callbacks { callback() }
        return true
    }
}
