// eth_getProof (EIP-1186): an account and some of its storage slots with their Merkle proofs
// against the stateRoot of the block the third argument names, so that a client that trusts
// only a header can check a balance, a nonce, code or a contract's storage.
import Execution
import LedgerJSON
import LedgerPrimitives
import RPCServer

extension EthereumAPI {
    /// Storage keys one eth_getProof may ask for (each costs a trie walk on the read queue).
    public static let maxProofStorageKeys = 1_024

    /// A storage key as geth reads it: hex with or without 0x, odd lengths padded, at most 32
    /// bytes, short keys left-padded (web3.py sends slots as quantities, "0x0").
    static func storageKey(_ value: JSONValue) -> UInt256? {
        guard case .string(let text) = value else { return nil }
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : Substring(text)
        // geth counts leading zeros too: at most 32 bytes as written. "0x" is slot zero.
        guard digits.utf8.count <= 64 else { return nil }
        return digits.isEmpty ? .zero : UInt256(hexString: text)
    }

    func proof(_ params: RPCParams) async throws -> JSONValue {
        let address = try params.required(0, as: Address.self)
        guard let given = try params.required(1, as: JSONValue.self).arrayValue else {
            throw RPCError.invalidArgument(1, "storage keys must be an array")
        }
        guard given.count <= Self.maxProofStorageKeys else {
            throw RPCError(code: RPCError.limitExceededCode,
                           message: "too many storage keys: \(given.count) (limit \(Self.maxProofStorageKeys))")
        }
        var slots: [UInt256] = []
        slots.reserveCapacity(given.count)
        for (index, key) in given.enumerated() {
            guard let slot = Self.storageKey(key) else {
                throw RPCError.invalidArgument(1, "storage key \(index): want a hex string of at most 32 bytes")
            }
            slots.append(slot)
        }
        let keys = slots
        let proven = try await withState(params, argument: 2) { try $0.proof(of: address, slots: keys) }
        // Keys are answered as the client wrote them (geth does the same).
        let storage: [JSONValue] = zip(given, proven.storage).map { key, slot in
            .object(["key": key, "value": .quantity(slot.value), "proof": .array(slot.proof.map(JSONValue.data))])
        }
        return .object([
            "address": .address(address),
            "accountProof": .array(proven.accountProof.map(JSONValue.data)),
            "balance": .quantity(proven.account.balance),
            "codeHash": .hash(proven.account.codeHash),
            "nonce": .quantity(proven.account.nonce),
            "storageHash": .hash(proven.account.storageRoot),
            "storageProof": .array(storage),
        ])
    }
}
