// Settings of the HTTP JSON-RPC server, with defaults that are safe on a shared machine:
// loopback only (TARGETS.md S3), geth's 5 MiB body and 1,000-request batch limits.
import LedgerJSON

public struct RPCServerConfiguration: Sendable {
    /// Interface to bind; 127.0.0.1 unless the operator asks for more.
    public var host: String
    /// TCP port; 0 picks a free one (tests), reported by `RPCHTTPServer.port`.
    public var port: Int
    /// Largest request body; bigger ones get HTTP 413 with a JSON-RPC error body.
    public var maxBodyBytes: Int
    /// Most requests in one JSON-RPC batch.
    public var maxBatchLength: Int
    /// Deepest JSON nesting accepted.
    public var maxJSONDepth: Int
    /// Largest response body; answers past it become -32003 "response too large".
    public var maxResponseBytes: Int = 25_000_000
    /// Open connections at once; the next one gets HTTP 503 and is closed.
    public var maxConnections: Int
    /// How long a request's methods may run before the client gets -32002 "request timed out".
    public var requestTimeout: Duration
    /// A connection with no request in flight and nothing read for this long is closed.
    public var idleTimeout: Duration
    /// Origins allowed by CORS; empty turns CORS off, "*" allows any origin.
    public var corsAllowedOrigins: [String]
    /// Event loop threads when the server makes its own group (no group given to `start`).
    public var eventLoopThreads: Int
    /// JSON-RPC over WebSocket on the same port (`GET /` with `Upgrade: websocket`); nil turns it off.
    public var webSocket: WebSocketConfiguration?

    public init(host: String = "127.0.0.1", port: Int = 8545, maxBodyBytes: Int = 5 * 1024 * 1024,
                maxBatchLength: Int = 1_000, maxJSONDepth: Int = 64, maxConnections: Int = 256,
                requestTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(120),
                corsAllowedOrigins: [String] = [], eventLoopThreads: Int = 1,
                webSocket: WebSocketConfiguration? = WebSocketConfiguration()) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchLength = maxBatchLength
        self.maxJSONDepth = maxJSONDepth
        self.maxConnections = maxConnections
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        self.corsAllowedOrigins = corsAllowedOrigins
        self.eventLoopThreads = eventLoopThreads
        self.webSocket = webSocket
    }

    var limits: RPCLimits {
        RPCLimits(maxBatchLength: maxBatchLength, json: JSONParser.Limits(maxDepth: maxJSONDepth, maxBytes: maxBodyBytes),
                  maxResponseBytes: maxResponseBytes)
    }

    /// The value for Access-Control-Allow-Origin, or nil when `origin` is not allowed.
    func allowedOrigin(_ origin: String?) -> String? {
        guard let origin, !corsAllowedOrigins.isEmpty else { return nil }
        if corsAllowedOrigins.contains("*") { return "*" }
        return corsAllowedOrigins.contains(origin) ? origin : nil
    }
}
