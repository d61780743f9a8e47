// What the three programs share when they act on chain: a signed sender that tries a call
// before it pays for it, and a log line format an operator can follow.
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

/// One program's way to the chain: its client, its key, and its log.
public struct ChainActor: Sendable {
    public let client: LedgerClient
    public let sender: TransactionSender
    public let address: Address
    public let log: @Sendable (String) -> Void
    public let receiptTimeout: Double

    public init(client: LedgerClient, key: PrivateKey, receiptTimeout: Double = 60, log: @escaping @Sendable (String) -> Void) {
        self.client = client
        self.sender = TransactionSender(client: client, signer: Signer(key))
        self.address = key.address
        self.receiptTimeout = receiptTimeout
        self.log = log
    }

    /// Whether `request` would succeed now (eth_call from this account); a revert is false, a
    /// node that cannot be reached is an error.
    public func wouldSucceed(_ request: TransactionRequest) async throws(ClientError) -> Bool {
        do {
            _ = try await client.call(CallRequest(from: address, to: request.to, value: request.value, data: request.data))
            return true
        } catch {
            if error.isRevert { return false }
            throw error
        }
    }

    /// Sends `request` and waits for its receipt; a transaction that ran and reverted is an error
    /// naming `what`.
    @discardableResult
    public func send(_ request: TransactionRequest, _ what: String) async throws -> TransactionReceipt {
        let receipt: TransactionReceipt
        do { receipt = try await sender.sendAndWait(request, timeout: receiptTimeout) } catch {
            throw ActorError("\(what) refused: \(explained(error))")
        }
        guard receipt.succeeded else { throw ActorError("\(what) reverted in block \(receipt.blockNumber)") }
        return receipt
    }

    /// `send` if a dry run says it would succeed; nil if it would not — also when it failed on
    /// chain because another program acted first (the dry run fails now too).
    public func sendIfValid(_ request: TransactionRequest, _ what: String) async throws -> TransactionReceipt? {
        guard try await wouldSucceed(request) else { return nil }
        do {
            return try await send(request, what)
        } catch {
            if try await !wouldSucceed(request) { return nil }
            throw error
        }
    }
}

/// "12:04:31.250 [secaas] message": a time of day to the millisecond, so that the logs of
/// several programs read as one timeline.
public func logLine(_ role: String, _ message: String) -> String {
    let now = Date().timeIntervalSince1970
    let seconds = Int(now) % 86_400
    let millis = Int((now - now.rounded(.down)) * 1000)
    let clock = String(format: "%02d:%02d:%02d.%03d", seconds / 3600, seconds / 60 % 60, seconds % 60, millis)
    return "\(clock) [\(role)] \(message)"
}

/// A short form of an address for logs: 0x1234…abcd.
public func short(_ address: Address) -> String {
    let text = address.description
    return String(text.prefix(6)) + "…" + String(text.suffix(4))
}
