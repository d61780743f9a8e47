// The mempool's only window on chain state: the nonce, balance and permissions of a sender at
// the head.
// A protocol rather than Execution's state reader, so the pool depends on no storage or VM.
import LedgerPrimitives

/// What admission needs to know about a sender at the current head.
public struct MempoolAccount: Hashable, Sendable {
    /// The next nonce the chain expects from the account.
    public var nonce: UInt64
    public var balance: UInt256
    /// Whether the chain's permissions let the account send transactions, and create contracts
    /// (the node reads them from the Permissions system contract).
    public var maySend: Bool
    public var mayDeploy: Bool

    public init(nonce: UInt64 = 0, balance: UInt256 = .zero, maySend: Bool = true, mayDeploy: Bool = true) {
        self.nonce = nonce
        self.balance = balance
        self.maySend = maySend
        self.mayDeploy = mayDeploy
    }

    /// An account that does not exist yet: nonce 0, no funds.
    public static let empty = MempoolAccount()
}

/// Read access to head state for the pool. The node adapts its state reader to this; an
/// absent account reads as `MempoolAccount.empty`. Reads are not allowed to fail: the node
/// serves them from its head state and decides itself what a storage failure means.
public protocol MempoolAccountView {
    func mempoolAccount(of address: Address) -> MempoolAccount
}

/// A view over a dictionary: for tests, benchmarks and tools that hold state in memory.
public struct MempoolAccountTable: MempoolAccountView, Sendable {
    public var accounts: [Address: MempoolAccount]

    public init(_ accounts: [Address: MempoolAccount] = [:]) {
        self.accounts = accounts
    }

    public func mempoolAccount(of address: Address) -> MempoolAccount {
        accounts[address] ?? .empty
    }

    public subscript(address: Address) -> MempoolAccount {
        get { accounts[address] ?? .empty }
        set { accounts[address] = newValue }
    }
}
