// JSON-RPC over HTTP/1.1: a minimal keep-alive client over POSIX sockets, a connection pool,
// and failover across several endpoints. Plain http only (nodes bind 127.0.0.1 or sit behind a
// TLS-terminating proxy). Docs/client.md says why this is not URLSession.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Synchronization

/// Carries one JSON-RPC request body to a node and brings back the response body.
public protocol RPCTransport: Sendable {
    /// A name for messages (the URL, or the URLs of a failover set).
    var endpoint: String { get }
    func post(_ body: [UInt8]) async throws(ClientError) -> [UInt8]
}

/// `http://host[:port][/path]`, split once.
public struct HTTPEndpoint: Hashable, Sendable, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    public let path: String

    public init(_ url: String) throws(ClientError) {
        let prefix = "http://"
        guard url.lowercased().hasPrefix(prefix) else {
            let reason = url.lowercased().hasPrefix("https://")
                ? "the socket transport speaks plain http; use URLSessionTransport (LedgerClient(endpoints:) does) for https"
                : "the URL must start with http://"
            throw .transport(endpoint: url, reason: reason)
        }
        let rest = url.dropFirst(prefix.count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        var hostPart = Substring(authority)
        var port: UInt16 = 80
        if hostPart.hasPrefix("[") {
            // An IPv6 literal: [::1]:8545.
            guard let close = hostPart.firstIndex(of: "]") else { throw .transport(endpoint: url, reason: "unclosed '[' in the host") }
            let after = hostPart[hostPart.index(after: close)...]
            if after.hasPrefix(":") {
                guard let parsed = UInt16(after.dropFirst()) else { throw .transport(endpoint: url, reason: "bad port") }
                port = parsed
            }
            hostPart = hostPart[hostPart.index(after: hostPart.startIndex)..<close]
        } else if let colon = hostPart.lastIndex(of: ":") {
            guard let parsed = UInt16(hostPart[hostPart.index(after: colon)...]) else {
                throw .transport(endpoint: url, reason: "bad port")
            }
            port = parsed
            hostPart = hostPart[..<colon]
        }
        guard !hostPart.isEmpty else { throw .transport(endpoint: url, reason: "no host in the URL") }
        self.host = String(hostPart)
        self.port = port
        self.path = path.isEmpty ? "/" : String(path)
    }

    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "http://\(shownHost):\(port)\(path)"
    }
}

/// One node's HTTP endpoint with a pool of keep-alive connections. Each request takes an idle
/// connection (or opens one), so concurrent calls use concurrent connections. The blocking socket
/// work runs on a Dispatch queue, never on Swift's cooperative pool.
public final class HTTPTransport: RPCTransport {
    public let target: HTTPEndpoint
    /// Seconds to connect, and to wait for a response.
    public let timeout: Double
    private let idle: Mutex<[HTTPConnection]>
    private let maximumIdleConnections: Int

    public var endpoint: String { target.description }

    public init(url: String, timeout: Double = 30, maximumIdleConnections: Int = 16) throws(ClientError) {
        self.target = try HTTPEndpoint(url)
        self.timeout = timeout
        self.maximumIdleConnections = maximumIdleConnections
        self.idle = Mutex([])
    }

    public func post(_ body: [UInt8]) async throws(ClientError) -> [UInt8] {
        let (connection, reused) = checkOut()
        // Each connection has its own serial queue: serial queues draw on Dispatch's
        // overcommitting threads, so a call blocked in recv never holds up another connection
        // (a shared concurrent queue would be capped at one thread per core).
        let outcome: Result<[UInt8], ClientError> = await withCheckedContinuation { continuation in
            connection.queue.async {
                continuation.resume(returning: Result { () throws(ClientError) -> [UInt8] in
                    try self.exchange(body, on: connection, reused: reused)
                })
            }
        }
        return try outcome.get()
    }

    /// The same exchange on the calling thread, for callers that run their own threads.
    public func postBlocking(_ body: [UInt8]) throws(ClientError) -> [UInt8] {
        let (connection, reused) = checkOut()
        return try exchange(body, on: connection, reused: reused)
    }

    /// An idle connection, or a new one that connects on first use (no I/O here).
    private func checkOut() -> (HTTPConnection, reused: Bool) {
        if let idleConnection = idle.withLock({ $0.popLast() }) { return (idleConnection, true) }
        return (HTTPConnection(endpoint: target, timeout: timeout), false)
    }

    private func exchange(_ body: [UInt8], on connection: HTTPConnection, reused: Bool) throws(ClientError) -> [UInt8] {
        do {
            try connection.connectIfNeeded()
            let response = try connection.exchange(body)
            release(connection)
            return response
        } catch let failure {
            connection.close()
            // A kept-alive connection the server closed meanwhile fails before any response
            // byte: that request never ran, so one retry on a fresh connection is safe.
            guard reused, case .staleConnection = failure else { throw failure.clientError(endpoint) }
        }
        do {
            try connection.connectIfNeeded()
            let response = try connection.exchange(body)
            release(connection)
            return response
        } catch let failure {
            connection.close()
            throw failure.clientError(endpoint)
        }
    }

    private func release(_ connection: HTTPConnection) {
        guard connection.isReusable else { connection.close(); return }
        let kept = idle.withLock { connections -> Bool in
            guard connections.count < maximumIdleConnections else { return false }
            connections.append(connection)
            return true
        }
        if !kept { connection.close() }
    }

    deinit {
        idle.withLock { connections in
            for connection in connections { connection.close() }
            connections.removeAll()
        }
    }
}

/// Tries its endpoints in order and stays with the first that answers; on a transport failure
/// or timeout it moves on to the next (PROTOCOL.md: an agent asks more than one node). A node's
/// own JSON-RPC error is an answer, not a failure, and is returned as is.
public final class FailoverTransport: RPCTransport {
    public let transports: [any RPCTransport]
    private let preferred: Mutex<Int>

    public init(_ transports: [any RPCTransport]) {
        precondition(!transports.isEmpty, "FailoverTransport needs at least one endpoint")
        self.transports = transports
        self.preferred = Mutex(0)
    }

    public var endpoint: String { transports.map(\.endpoint).joined(separator: ", ") }

    public func post(_ body: [UInt8]) async throws(ClientError) -> [UInt8] {
        let start = preferred.withLock { $0 }
        var failures: [String] = []
        for step in 0..<transports.count {
            let index = (start + step) % transports.count
            do {
                let response = try await transports[index].post(body)
                if step > 0 { preferred.withLock { $0 = index } }
                return response
            } catch let error {
                guard error.isEndpointFailure else { throw error }
                if transports.count == 1 { throw error }
                failures.append(error.description)
            }
        }
        throw .transport(endpoint: endpoint, reason: "every endpoint failed: " + failures.joined(separator: " | "))
    }
}

/// What can go wrong in one exchange, before it becomes a ClientError with the endpoint's name.
enum ExchangeFailure: Error {
    /// The peer closed or reset the connection before sending any byte of the response.
    case staleConnection(String)
    case broken(String)
    case timedOut(Double)

    func clientError(_ endpoint: String) -> ClientError {
        switch self {
        case .staleConnection(let reason), .broken(let reason): return .transport(endpoint: endpoint, reason: reason)
        case .timedOut(let seconds): return .timeout(endpoint: endpoint, seconds: seconds)
        }
    }
}

/// One blocking HTTP/1.1 connection. Used by one caller at a time (the pool hands it out under
/// a lock), hence `@unchecked Sendable`.
final class HTTPConnection: @unchecked Sendable {
    private var socket: Int32
    private let endpoint: HTTPEndpoint
    private let timeout: Double
    private let requestHead: [UInt8]
    private var buffer: [UInt8] = []
    private var position = 0
    private(set) var isReusable = true

    /// The serial queue this connection's blocking calls run on.
    let queue = DispatchQueue(label: "d6g.ledger-client.connection")

    init(endpoint: HTTPEndpoint, timeout: Double) {
        self.endpoint = endpoint
        self.timeout = timeout
        let hostHeader = endpoint.host.contains(":") ? "[\(endpoint.host)]:\(endpoint.port)" : "\(endpoint.host):\(endpoint.port)"
        self.requestHead = Array("POST \(endpoint.path) HTTP/1.1\r\nHost: \(hostHeader)\r\nContent-Type: application/json\r\nAccept: application/json\r\nConnection: keep-alive\r\nContent-Length: ".utf8)
        self.socket = -1
        buffer.reserveCapacity(1 << 16)
    }

    /// Opens the socket if it is closed (new, or closed after a failure).
    func connectIfNeeded() throws(ExchangeFailure) {
        guard socket < 0 else { return }
        do {
            socket = try Self.connect(to: endpoint, timeout: timeout)
        } catch {
            throw .broken(error.reason)
        }
        isReusable = true
    }

    func close() {
        if socket >= 0 { _ = Glibc.close(socket); socket = -1 }
        isReusable = false
    }

    deinit { if socket >= 0 { _ = Glibc.close(socket) } }

    struct ConnectFailure: Error { let reason: String }

    static func connect(to endpoint: HTTPEndpoint, timeout: Double) throws(ConnectFailure) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let first = list else {
            let reason = status == 0 ? "no address" : String(cString: gai_strerror(status))
            throw ConnectFailure(reason: "cannot resolve \(endpoint.host): \(reason)")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address to connect to"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let address = candidate {
            candidate = address.pointee.ai_next
            let fd = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard fd >= 0 else { lastError = errnoText("socket"); continue }
            // Linux applies SO_SNDTIMEO to connect() as well as to send().
            var limit = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1_000_000))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
            let code = errno
            lastError = code == EINPROGRESS || code == EAGAIN ? "connect timed out after \(timeout) s" : errnoText("connect")
            _ = Glibc.close(fd)
        }
        throw ConnectFailure(reason: lastError)
    }

    /// Sends one POST and returns the response body of a 2xx answer (or of an error status whose
    /// body is JSON, as some servers send JSON-RPC errors with 4xx/5xx).
    func exchange(_ body: [UInt8]) throws(ExchangeFailure) -> [UInt8] {
        guard socket >= 0 else { throw .staleConnection("connection closed") }
        var request = requestHead
        request.reserveCapacity(requestHead.count + 16 + body.count)
        request.append(contentsOf: String(body.count).utf8)
        request.append(contentsOf: "\r\n\r\n".utf8)
        request.append(contentsOf: body)
        try sendAll(request)
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeout * 1e9)
        buffer.removeAll(keepingCapacity: true)
        position = 0
        let (status, headers) = try readHead(deadline: deadline)
        let responseBody: [UInt8]
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            responseBody = try readChunkedBody(deadline: deadline)
        } else if let lengthText = headers["content-length"] {
            guard let length = Int(lengthText.trimmingSpaces), length >= 0 else { throw .broken("bad Content-Length \(lengthText)") }
            guard length <= Self.maximumResponseBytes else { throw .broken("response of \(length) bytes is over the client's limit") }
            responseBody = try readExactly(length, deadline: deadline)
        } else {
            responseBody = try readToEnd(deadline: deadline)
            isReusable = false
        }
        if headers["connection"]?.lowercased() == "close" { isReusable = false }
        guard (200..<300).contains(status) || responseBody.first == UInt8(ascii: "{") || responseBody.first == UInt8(ascii: "[") else {
            let excerpt = String(decoding: responseBody.prefix(200), as: UTF8.self)
            throw .broken("HTTP status \(status): \(excerpt)")
        }
        return responseBody
    }

    private func sendAll(_ bytes: [UInt8]) throws(ExchangeFailure) {
        var sent = 0
        let failure: ExchangeFailure? = bytes.withUnsafeBytes { raw in
            while sent < raw.count {
                let count = Glibc.send(socket, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if count < 0 {
                    let code = errno
                    if code == EINTR { continue }
                    if code == EAGAIN || code == EWOULDBLOCK { return .timedOut(timeout) }
                    // A reset or broken pipe on send: the server closed the kept-alive connection.
                    return .staleConnection(errnoText("send"))
                }
                sent += count
            }
            return nil
        }
        if let failure { throw failure }
    }

    /// Reads more bytes into the buffer; false at end of stream.
    private func fill(deadline _: UInt64) throws(ExchangeFailure) -> Bool {
        if position > 0 && position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        }
        let chunk = 1 << 16
        let oldCount = buffer.count
        buffer.reserveCapacity(oldCount + chunk)
        while true {
            var received = 0
            buffer.append(contentsOf: repeatElement(0, count: chunk))
            let code: Int32 = buffer.withUnsafeMutableBytes { raw in
                received = Glibc.recv(socket, raw.baseAddress! + oldCount, chunk, 0)
                return received < 0 ? errno : 0
            }
            buffer.removeLast(chunk - max(received, 0))
            if received > 0 { return true }
            if received == 0 { return false }
            if code == EINTR { continue }
            if code == EAGAIN || code == EWOULDBLOCK { throw .timedOut(timeout) }
            if code == ECONNRESET && oldCount == 0 && position == 0 { throw .staleConnection(errnoText("recv", code)) }
            throw .broken(errnoText("recv", code))
        }
    }

    private func checkDeadline(_ deadline: UInt64) throws(ExchangeFailure) {
        if DispatchTime.now().uptimeNanoseconds > deadline { throw .timedOut(timeout) }
    }

    private func readHead(deadline: UInt64) throws(ExchangeFailure) -> (Int, [String: String]) {
        var searchFrom = 0
        while true {
            if let end = headEnd(from: searchFrom) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                position = end + 4
                var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
                let statusLine = lines.removeFirst()
                let parts = statusLine.split(separator: " ", maxSplits: 2)
                guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
                    throw .broken("not an HTTP/1.x response: \(statusLine.prefix(80))")
                }
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingSpaces
                }
                if parts[0] == "HTTP/1.0" && headers["connection"]?.lowercased() != "keep-alive" { isReusable = false }
                return (status, headers)
            }
            searchFrom = max(0, buffer.count - 3)
            guard buffer.count < 1 << 20 else { throw .broken("response headers larger than 1 MiB") }
            let hadBytes = !buffer.isEmpty
            guard try fill(deadline: deadline) else {
                throw hadBytes ? .broken("connection closed inside the response head")
                               : .staleConnection("connection closed by the server")
            }
            try checkDeadline(deadline)
        }
    }

    private func headEnd(from start: Int) -> Int? {
        guard buffer.count >= 4 else { return nil }
        var index = start
        while index + 3 < buffer.count {
            if buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
                return index
            }
            index += 1
        }
        return nil
    }

    private func readExactly(_ count: Int, deadline: UInt64) throws(ExchangeFailure) -> [UInt8] {
        while buffer.count - position < count {
            guard try fill(deadline: deadline) else { throw .broken("connection closed inside the response body") }
            try checkDeadline(deadline)
        }
        let bytes = Array(buffer[position..<(position + count)])
        position += count
        return bytes
    }

    private func readLine(deadline: UInt64) throws(ExchangeFailure) -> String {
        while true {
            var index = position
            while index + 1 < buffer.count {
                if buffer[index] == 13 && buffer[index + 1] == 10 {
                    let line = String(decoding: buffer[position..<index], as: UTF8.self)
                    position = index + 2
                    return line
                }
                index += 1
            }
            guard buffer.count - position < 1 << 16 else { throw .broken("chunk header line too long") }
            guard try fill(deadline: deadline) else { throw .broken("connection closed inside a chunk header") }
            try checkDeadline(deadline)
        }
    }

    private func readChunkedBody(deadline: UInt64) throws(ExchangeFailure) -> [UInt8] {
        var body: [UInt8] = []
        while true {
            let sizeLine = try readLine(deadline: deadline)
            let sizeText = sizeLine.prefix { $0 != ";" }.trimmingSpaces
            guard let size = Int(sizeText, radix: 16), size >= 0 else { throw .broken("bad chunk size \(sizeLine.prefix(20))") }
            if size == 0 {
                // Trailers, if any, end with an empty line.
                while try !readLine(deadline: deadline).isEmpty {}
                return body
            }
            guard size <= Self.maximumResponseBytes - body.count else { throw .broken("chunked response over the client's limit") }
            body += try readExactly(size, deadline: deadline)
            guard try readLine(deadline: deadline).isEmpty else { throw .broken("chunk not followed by CRLF") }
        }
    }

    /// The largest response body the client reads (a node's own limits keep answers far smaller).
    static let maximumResponseBytes = 256 * 1024 * 1024

    private func readToEnd(deadline: UInt64) throws(ExchangeFailure) -> [UInt8] {
        while try fill(deadline: deadline) {
            try checkDeadline(deadline)
            guard buffer.count - position <= Self.maximumResponseBytes else { throw .broken("response over the client's limit") }
        }
        let bytes = Array(buffer[position...])
        position = buffer.count
        return bytes
    }
}

private func errnoText(_ call: String, _ code: Int32 = errno) -> String {
    "\(call): \(String(cString: strerror(code)))"
}

extension StringProtocol {
    var trimmingSpaces: String {
        let trimmed = drop { $0 == " " || $0 == "\t" }
        return String(trimmed.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
