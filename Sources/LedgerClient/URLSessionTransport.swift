// JSON-RPC over Foundation's URLSession (libcurl on Linux): the transport for https endpoints,
// which the socket transport does not speak. Costlier per request (Docs/client.md has figures).
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Posts request bodies with URLSession; used for `https://` endpoints.
public final class URLSessionTransport: RPCTransport {
    public let url: URL
    public let timeout: Double
    private let session: URLSession

    public var endpoint: String { url.absoluteString }

    public init(url text: String, timeout: Double = 30) throws(ClientError) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              url.host != nil else {
            throw .transport(endpoint: text, reason: "not an http(s) URL")
        }
        self.url = url
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.httpMaximumConnectionsPerHost = 16
        session = URLSession(configuration: configuration)
    }

    deinit { session.finishTasksAndInvalidate() }

    public func post(_ body: [UInt8]) async throws(ClientError) -> [UInt8] {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(body)
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch let error as URLError where error.code == .timedOut {
            throw .timeout(endpoint: endpoint, seconds: timeout)
        } catch {
            throw .transport(endpoint: endpoint, reason: error.localizedDescription)
        }
        let bytes = [UInt8](data)
        if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode),
           bytes.first != UInt8(ascii: "{") && bytes.first != UInt8(ascii: "[") {
            throw .transport(endpoint: endpoint, reason: "HTTP status \(http.statusCode): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
        }
        return bytes
    }
}
