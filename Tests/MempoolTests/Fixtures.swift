// Signed test transactions from fixed keys, a head state and a pool configuration for the tests.
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Mempool

enum Fixture {
    static let chainId: UInt64 = 1337

    /// Fixed keys 1…16, so failures reproduce.
    static let keys: [PrivateKey] = (1...16).map { index in
        try! PrivateKey(bytes: [UInt8](repeating: 0, count: 31) + [UInt8(index)])
    }
    static let recipient = try! Address(hex: "0x00000000000000000000000000000000000000aa")

    static func configuration(maximumTransactions: Int = 1_000, maximumPerSender: Int = 64,
                              maximumQueuedPerSender: Int = 16) -> MempoolConfiguration {
        MempoolConfiguration(chainId: chainId, blockGasLimit: 1_000_000, baseFee: UInt256(1),
                             maximumTransactions: maximumTransactions, maximumPerSender: maximumPerSender,
                             maximumQueuedPerSender: maximumQueuedPerSender)
    }

    /// Every key funded with 10^18 at nonce 0.
    static func funded(nonce: UInt64 = 0) -> MempoolAccountTable {
        var table = MempoolAccountTable()
        for key in keys { table[key.address] = MempoolAccount(nonce: nonce, balance: UInt256(1_000_000_000_000_000_000)) }
        return table
    }

    /// A signed, recovered EIP-1559 transaction; fees in wei per gas.
    static func transaction(from key: PrivateKey = keys[0], nonce: UInt64, tip: UInt64 = 1, feeCap: UInt64 = 10,
                            gas: UInt64 = 21_000, value: UInt64 = 1, to: Address? = recipient,
                            data: [UInt8] = [], chainId: UInt64 = chainId) -> RecoveredTransaction {
        let unsigned = UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
            chainId: chainId, nonce: nonce, maxPriorityFeePerGas: UInt256(tip), maxFeePerGas: UInt256(feeCap),
            gasLimit: gas, to: to, value: UInt256(value), data: data))
        return try! unsigned.signed(with: key).recovered(onChain: chainId)
    }

    /// A legacy transaction; `chainId` nil signs without replay protection.
    static func legacy(from key: PrivateKey = keys[0], nonce: UInt64, gasPrice: UInt64 = 10,
                       chainId: UInt64? = chainId) -> RecoveredTransaction {
        let unsigned = UnsignedTransaction.legacy(LegacyTransaction(
            chainId: chainId, nonce: nonce, gasPrice: UInt256(gasPrice), gasLimit: 21_000, to: recipient,
            value: UInt256(1)))
        let signed = try! unsigned.signed(with: key)
        return RecoveredTransaction(transaction: signed, sender: try! signed.recoverSender(), hash: signed.hash)
    }
}

extension Mempool {
    /// Nonces of `address`'s pending and queued transactions.
    func nonces(of address: Address) -> (pending: [UInt64], queued: [UInt64]) {
        let content = transactions(from: address)
        return (content.pending.map(\.transaction.nonce), content.queued.map(\.transaction.nonce))
    }
}
