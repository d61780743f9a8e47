// Waiting for receipts: poll with exponential backoff, many hashes per batch request, until
// every receipt is there or the time is up.
import Dispatch
import LedgerPrimitives

/// How often to poll for receipts.
public struct ReceiptPolling: Hashable, Sendable {
    /// Seconds before the first poll, and after a poll that found something.
    public var initialInterval: Double
    /// The longest pause between polls, in seconds.
    public var maximumInterval: Double
    /// Each empty poll multiplies the pause by this.
    public var backoffFactor: Double
    /// Hashes per batch request.
    public var batchSize: Int

    public init(initialInterval: Double = 0.05, maximumInterval: Double = 1.0, backoffFactor: Double = 2,
                batchSize: Int = 500) {
        self.initialInterval = initialInterval
        self.maximumInterval = maximumInterval
        self.backoffFactor = backoffFactor
        self.batchSize = max(1, batchSize)
    }

    /// The pause after one with `previous` seconds: longer after an empty poll, back to the
    /// start after progress.
    public func interval(after previous: Double, madeProgress: Bool) -> Double {
        madeProgress ? initialInterval : min(maximumInterval, max(initialInterval, previous * backoffFactor))
    }
}

extension LedgerClient {
    /// Polls until every hash in `hashes` has a receipt or `timeout` seconds pass. Calls
    /// `onReceipt` once per receipt as it arrives; returns the hashes still without one.
    public func pollReceipts(
        for hashes: [Hash32], timeout: Double, polling: ReceiptPolling = ReceiptPolling(),
        onReceipt: (TransactionReceipt) -> Void
    ) async throws(ClientError) -> [Hash32] {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, timeout) * 1e9)
        var missing = hashes
        var pause = polling.initialInterval
        while !missing.isEmpty {
            var stillMissing: [Hash32] = []
            var start = 0
            while start < missing.count {
                let chunk = Array(missing[start..<min(missing.count, start + polling.batchSize)])
                start += chunk.count
                let outcomes = try await receipts(for: chunk)
                for (hash, outcome) in zip(chunk, outcomes) {
                    guard let receipt = try outcome.get() else { stillMissing.append(hash); continue }
                    // A server that answers with another transaction's receipt is broken or lying.
                    guard receipt.transactionHash == hash else {
                        throw .decoding("asked for the receipt of \(hash), got one for \(receipt.transactionHash)")
                    }
                    onReceipt(receipt)
                }
            }
            let progressed = stillMissing.count < missing.count
            missing = stillMissing
            if missing.isEmpty { break }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { break }
            pause = polling.interval(after: pause, madeProgress: progressed)
            let sleep = min(UInt64(pause * 1e9), deadline - now)
            try? await Task.sleep(nanoseconds: sleep)
        }
        return missing
    }

    /// The receipts of all `hashes`, keyed by hash; `.timeout` if any is missing after `timeout` s.
    public func waitForReceipts(
        _ hashes: [Hash32], timeout: Double = 60, polling: ReceiptPolling = ReceiptPolling()
    ) async throws(ClientError) -> [Hash32: TransactionReceipt] {
        var found: [Hash32: TransactionReceipt] = [:]
        let missing = try await pollReceipts(for: hashes, timeout: timeout, polling: polling) { found[$0.transactionHash] = $0 }
        guard missing.isEmpty else {
            throw .timeout(endpoint: "\(transport.endpoint) (\(missing.count) of \(hashes.count) receipts missing, first \(missing[0]))",
                           seconds: timeout)
        }
        return found
    }

    /// The receipt of `hash`; `.timeout` if none arrives within `timeout` seconds.
    public func waitForReceipt(
        _ hash: Hash32, timeout: Double = 60, polling: ReceiptPolling = ReceiptPolling()
    ) async throws(ClientError) -> TransactionReceipt {
        guard let receipt = try await waitForReceipts([hash], timeout: timeout, polling: polling)[hash] else {
            throw .decoding("no receipt for \(hash)")
        }
        return receipt
    }
}
