// State roots against an independent computation: a from-scratch recursive Merkle Patricia root
// (the Yellow Paper's definition, written here without StateTrie) over the same accounts and
// storage, plus the well-known empty root and a one-account root spelled out by hand.
import Execution
import ExecutionTestSupport
import LedgerPrimitives
import LedgerTypes
import TestSupport
import Testing

/// The root of `entries` (keys already hashed), computed recursively from the definition.
private func referenceRoot(_ entries: [[UInt8]: [UInt8]]) -> Hash32 {
    guard !entries.isEmpty else { return Keccak256.hash(RLP.Item.bytes([]).encoded) }
    let items = entries.map { (key: $0.key.flatMap { [$0 >> 4, $0 & 0x0f] }, value: $0.value) }
    return Keccak256.hash(referenceNode(items, depth: 0).encoded)
}

private func compact(_ nibbles: ArraySlice<UInt8>, leaf: Bool) -> [UInt8] {
    let flag: UInt8 = (leaf ? 2 : 0) + UInt8(nibbles.count % 2)
    var padded = Array(nibbles)
    padded.insert(contentsOf: nibbles.count % 2 == 1 ? [flag] : [flag, 0], at: 0)
    return stride(from: 0, to: padded.count, by: 2).map { padded[$0] << 4 | padded[$0 + 1] }
}

/// A child reference: the node itself when its encoding is under 32 bytes, else its hash.
private func reference(_ node: RLP.Item) -> RLP.Item {
    let encoded = node.encoded
    return encoded.count < 32 ? node : .bytes(Keccak256.hash(encoded).bytes)
}

private func referenceNode(_ items: [(key: [UInt8], value: [UInt8])], depth: Int) -> RLP.Item {
    if items.count == 1 {
        return .list([.bytes(compact(items[0].key[depth...], leaf: true)), .bytes(items[0].value)])
    }
    var shared = 0
    while items.allSatisfy({ $0.key.count > depth + shared && $0.key[depth + shared] == items[0].key[depth + shared] }) {
        shared += 1
    }
    if shared > 0 {
        let child = referenceNode(items, depth: depth + shared)
        return .list([.bytes(compact(items[0].key[depth..<(depth + shared)], leaf: false)), reference(child)])
    }
    var branch = [RLP.Item](repeating: .bytes([]), count: 17)
    for nibble in 0..<16 {
        let group = items.filter { $0.key.count > depth && $0.key[depth] == UInt8(nibble) }
        if !group.isEmpty { branch[nibble] = reference(referenceNode(group, depth: depth + 1)) }
    }
    if let terminal = items.first(where: { $0.key.count == depth }) { branch[16] = .bytes(terminal.value) }
    return .list(branch)
}

struct StateRootTests {
    @Test func emptyStateHasTheWellKnownRoot() throws {
        let diff = try WorldState(base: .empty()).commit()
        #expect(diff.stateRoot.hexString == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
        #expect(Account.emptyCodeHash.hexString == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
    }

    /// One account: the root is keccak(rlp([0x20 ‖ keccak(address), rlp(account)])), a single leaf
    /// whose compact path flag 0x20 marks an even-length leaf path.
    @Test func singleAccountRootByHand() throws {
        let world = WorldState(base: .empty())
        try world.updateAccount(at: alice.address) { $0.nonce = 5; $0.balance = ether }
        let diff = try world.commit()
        let account = Account(nonce: 5, balance: ether)
        let leaf = RLP.Item.list([.bytes([0x20] + Keccak256.hash(alice.address.bytes).bytes), .bytes(account.encoded)])
        #expect(diff.stateRoot == Keccak256.hash(leaf.encoded))
        #expect(diff.accounts == [alice.address: account])
        #expect(diff.trieNodes[diff.stateRoot] == leaf.encoded)
    }

    @Test func rootsAgreeWithTheReferenceComputation() throws {
        var random = SplitMix64(seed: 0xd6_6e_0005)
        let world = WorldState(base: .empty())
        var expected: [[UInt8]: [UInt8]] = [:]
        for index in 0..<80 {
            var addressBytes = [UInt8](repeating: 0, count: 20)
            for position in addressBytes.indices { addressBytes[position] = UInt8.random(in: 0...255, using: &random) }
            let address = Address(bytes: addressBytes)!
            var account = Account(nonce: UInt64.random(in: 0...1_000, using: &random),
                                  balance: UInt256(UInt64.random(in: 1...UInt64.max, using: &random)))
            try world.updateAccount(at: address) { [account] in $0 = account }
            if index % 4 == 0 {
                var slots: [[UInt8]: [UInt8]] = [:]
                for _ in 0..<Int.random(in: 1...12, using: &random) {
                    let slot = UInt256(UInt64.random(in: 0...40, using: &random))
                    let value = UInt256(UInt64.random(in: 1...UInt64.max, using: &random))
                    try world.setStorageValue(value, at: slot, of: address)
                    slots[Keccak256.hash(slot.bigEndianBytes).bytes] = RLP.Item.bytes(value.minimalBigEndianBytes).encoded
                }
                account.storageRoot = referenceRoot(slots)
            }
            expected[Keccak256.hash(address.bytes).bytes] = account.encoded
        }
        let diff = try world.commit()
        #expect(diff.stateRoot == referenceRoot(expected))
    }

    @Test func storageClearedBackToZeroLeavesTheEmptyStorageRoot() throws {
        let chain = try TestChain(balances: [alice.address: ether])
        let world = WorldState(base: chain.state)
        try world.setStorageValue(UInt256(9), at: UInt256(1), of: alice.address)
        try chain.persist(world.commit())
        #expect(try chain.state.account(at: alice.address)?.storageRoot != Account.emptyStorageRoot)
        let clearing = WorldState(base: chain.state)
        try clearing.setStorageValue(.zero, at: UInt256(1), of: alice.address)
        let diff = try clearing.commit()
        #expect(diff.storage[alice.address] == [UInt256(1): .zero])
        #expect(diff.accounts[alice.address]?.storageRoot == Account.emptyStorageRoot)
    }

    @Test func revertUndoesWritesAndLogs() throws {
        let world = WorldState(base: .empty())
        try world.setBalance(UInt256(10), of: alice.address)
        let snapshot = world.snapshot()
        try world.setBalance(UInt256(99), of: alice.address)
        try world.setStorageValue(UInt256(1), at: .zero, of: alice.address)
        world.emit(Log(address: alice.address))
        world.revert(to: snapshot)
        #expect(try world.balance(of: alice.address) == UInt256(10))
        #expect(try world.storageValue(at: .zero, of: alice.address) == .zero)
        #expect(world.logs.isEmpty)
        #expect(try world.commit().storage.isEmpty)
    }
}
