// Sending as one account: fill in chain id, nonce, fees and gas, sign, submit, recover from
// nonce refusals, and optionally wait for the receipt.
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Synchronization

/// Sends transactions from one signer through a client, with a shared nonce manager so several
/// senders (or tasks) can keep many transactions in flight.
///
/// ```swift
/// let sender = TransactionSender(client: client, signer: try Signer(keystoreFile: path, password: pw))
/// let receipt = try await sender.sendAndWait(TransactionRequest(to: recipient, value: UInt256(1_000)))
/// ```
public final class TransactionSender: Sendable {
    public let client: LedgerClient
    public let signer: Signer
    public let nonces: NonceManager
    private let cachedChainId = Mutex<UInt64?>(nil)

    public init(client: LedgerClient, signer: Signer, nonces: NonceManager? = nil, chainId: UInt64? = nil) {
        self.client = client
        self.signer = signer
        self.nonces = nonces ?? NonceManager(client: client)
        cachedChainId.withLock { $0 = chainId }
    }

    /// The chain id, asked of the node once.
    public func chainId() async throws(ClientError) -> UInt64 {
        if let known = cachedChainId.withLock({ $0 }) { return known }
        let fetched = try await client.chainId()
        cachedChainId.withLock { $0 = fetched }
        return fetched
    }

    /// Signs `request` with the next nonce and default fees (unless `fees` is given) and submits
    /// it. After a nonce refusal it resyncs the nonce and tries once more.
    public func send(_ request: TransactionRequest, fees: FeeSuggestion? = nil) async throws(ClientError) -> Hash32 {
        let chainId = try await chainId()
        let chosenFees: FeeSuggestion
        if let fees { chosenFees = fees } else { chosenFees = try await client.suggestedFees() }
        let gasLimit = try await gasLimit(for: request, fees: chosenFees)
        var attempt = 0
        while true {
            attempt += 1
            let nonce = try await nonces.next(for: signer.address)
            let signed: SignedTransaction
            do {
                signed = try signer.sign(request.unsigned(chainId: chainId, nonce: nonce, gasLimit: gasLimit, fees: chosenFees))
            } catch {
                await nonces.release(nonce, for: signer.address)
                throw .signing(error)
            }
            do {
                return try await client.send(signed)
            } catch let error {
                if error.isAlreadyKnown { return signed.hash }
                if attempt == 1, try await nonces.recover(from: error, for: signer.address) { continue }
                if case .rpc = error { await nonces.release(nonce, for: signer.address) }
                throw error
            }
        }
    }

    /// `send`, then waits up to `timeout` seconds for the receipt.
    public func sendAndWait(_ request: TransactionRequest, fees: FeeSuggestion? = nil, timeout: Double = 60)
        async throws(ClientError) -> TransactionReceipt {
        let hash = try await send(request, fees: fees)
        return try await client.waitForReceipt(hash, timeout: timeout)
    }

    private func gasLimit(for request: TransactionRequest, fees: FeeSuggestion) async throws(ClientError) -> UInt64 {
        if let given = request.gasLimit { return given }
        if request.to != nil && request.data.isEmpty { return IntrinsicGas.transaction }
        return try await client.estimateGas(CallRequest(from: signer.address, to: request.to, value: request.value,
                                                        data: request.data))
    }
}
