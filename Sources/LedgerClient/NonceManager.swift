// Local nonce counters for senders with many transactions in flight: asking the node for every
// nonce would serialize a sender on round trips, so the client counts itself and only goes back
// to the node's "pending" count when the node says the count went wrong.
import LedgerPrimitives

/// Hands out consecutive nonces per sender. A counter starts from the node's
/// `eth_getTransactionCount(address, "pending")` and is resynced from it after a "nonce too low"
/// or "nonce too high / gap" refusal.
public actor NonceManager {
    public typealias Source = @Sendable (Address) async throws(ClientError) -> UInt64

    private let source: Source
    private var nextNonces: [Address: UInt64] = [:]

    /// `source` reports a sender's next nonce (the node's pending transaction count).
    public init(source: @escaping Source) {
        self.source = source
    }

    /// Counters read from `client`'s pending transaction counts.
    public init(client: LedgerClient) {
        self.source = { address async throws(ClientError) -> UInt64 in
            try await client.transactionCount(of: address, at: .pending)
        }
    }

    /// The next nonce of `address`, consumed.
    public func next(for address: Address) async throws(ClientError) -> UInt64 {
        try await reserve(1, for: address).lowerBound
    }

    /// `count` consecutive nonces of `address`, consumed (for pre-signing a run of transactions).
    public func reserve(_ count: Int, for address: Address) async throws(ClientError) -> Range<UInt64> {
        precondition(count >= 0, "cannot reserve a negative number of nonces")
        let start: UInt64
        if let known = nextNonces[address] {
            start = known
        } else {
            let fetched = try await source(address)
            // Another caller may have initialised the counter while this one waited.
            start = nextNonces[address] ?? fetched
        }
        // The starting nonce comes from the server; a count past 2^64 is refused, not trapped on.
        let (end, overflow) = start.addingReportingOverflow(UInt64(count))
        guard !overflow else { throw .decoding("nonce \(start) of \(address) leaves no room for \(count) more transactions") }
        nextNonces[address] = end
        return start..<end
    }

    /// Sets the counter of `address` back to the node's pending count and returns it.
    @discardableResult
    public func resync(_ address: Address) async throws(ClientError) -> UInt64 {
        let fetched = try await source(address)
        nextNonces[address] = fetched
        return fetched
    }

    /// Resyncs `address` if `error` is a nonce refusal; true if it did (the caller re-signs and
    /// resends), false for any other error.
    public func recover(from error: ClientError, for address: Address) async throws(ClientError) -> Bool {
        guard error.isNonceTooLow || error.isNonceGap else { return false }
        try await resync(address)
        return true
    }

    /// Gives back the most recently handed-out nonce when its transaction was never accepted, so
    /// the next one does not leave a gap. Does nothing if later nonces were handed out since.
    public func release(_ nonce: UInt64, for address: Address) {
        if nextNonces[address] == nonce + 1 { nextNonces[address] = nonce }
    }

    /// The nonce the next `next(for:)` would return, if the counter is initialised.
    public func peek(_ address: Address) -> UInt64? { nextNonces[address] }

    /// Forgets `address`; the next request asks the node again.
    public func forget(_ address: Address) { nextNonces[address] = nil }
}
