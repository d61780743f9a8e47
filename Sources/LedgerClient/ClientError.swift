// The one error type of LedgerClient: what went wrong talking to a node, and what to do about it.
import LedgerCrypto
import LedgerJSON

/// A failed client call. `.transport` and `.timeout` mean the request may not have reached a
/// node (the client tries the next endpoint); `.rpc` is the node's own answer; `.decoding` means
/// the answer was not the shape an Ethereum JSON-RPC node gives.
public enum ClientError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The node answered with a JSON-RPC error object.
    case rpc(code: Int, message: String, data: JSONValue?)
    /// No HTTP exchange with `endpoint` completed (refused, reset, bad URL, HTTP error status).
    case transport(endpoint: String, reason: String)
    /// `endpoint` did not answer within the client's timeout, or a wait ran out of time.
    case timeout(endpoint: String, seconds: Double)
    /// The response was not valid JSON-RPC, or a result did not have the expected shape.
    case decoding(String)
    /// Signing a transaction failed (a key that is not a valid secp256k1 key).
    case signing(CryptoError)

    public var description: String {
        switch self {
        case .rpc(let code, let message, let data):
            let dataText = data.map { " data \($0.description)" } ?? ""
            return "node rejected the request (JSON-RPC error \(code)): \(message)\(dataText)\(Self.hint(for: message))"
        case .transport(let endpoint, let reason):
            return "cannot talk to \(endpoint): \(reason); check that the node runs and the URL is right, "
                + "or give more endpoints"
        case .timeout(let endpoint, let seconds):
            return "no answer from \(endpoint) within \(seconds) s; the node may be overloaded or stopped — "
                + "retry, raise the timeout, or try another endpoint"
        case .decoding(let what):
            return "unexpected response: \(what); is the endpoint an Ethereum JSON-RPC node?"
        case .signing(let error):
            return "cannot sign the transaction: \(error)"
        }
    }

    /// True when the node refused a transaction because its nonce was already used.
    public var isNonceTooLow: Bool { rpcMessageContains("nonce too low") }

    /// True when the node refused a transaction because earlier nonces are missing.
    public var isNonceGap: Bool { rpcMessageContains("nonce too high") || rpcMessageContains("nonce gap") }

    /// True when the node already holds this exact transaction (a resend after a lost answer).
    public var isAlreadyKnown: Bool { rpcMessageContains("already known") || rpcMessageContains("known transaction") }

    /// True when an eth_call or gas estimate reverted (JSON-RPC error 3, "execution reverted").
    public var isRevert: Bool {
        guard case .rpc(let code, let message, _) = self else { return false }
        return code == 3 || message.lowercased().hasPrefix("execution reverted")
    }

    /// True for failures that another endpoint might not have.
    public var isEndpointFailure: Bool {
        switch self {
        case .transport, .timeout: return true
        case .rpc, .decoding, .signing: return false
        }
    }

    private func rpcMessageContains(_ text: String) -> Bool {
        guard case .rpc(_, let message, _) = self else { return false }
        return message.lowercased().contains(text)
    }

    private static func hint(for message: String) -> String {
        let lowered = message.lowercased()
        if lowered.contains("nonce too low") {
            return " (the nonce was used already: resync the nonce from eth_getTransactionCount \"pending\")"
        }
        if lowered.contains("nonce too high") || lowered.contains("nonce gap") {
            return " (earlier nonces are missing: resend them or resync the nonce)"
        }
        if lowered.contains("insufficient funds") { return " (fund the sender or lower value and fees)" }
        if lowered.contains("underpriced") { return " (raise maxFeePerGas/maxPriorityFeePerGas)" }
        return ""
    }
}
