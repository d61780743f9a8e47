// A seeded random walk of admissions, blocks and resets, checked step by step against a plain
// reference model: a dictionary of nonces per sender, with eviction and proposal order found by
// brute force. A failure names its seed and step.
import LedgerPrimitives
import LedgerTypes
import Mempool
import Testing
import TestSupport

/// The reference: what the pool must hold, computed the slow, obvious way.
struct ReferencePool {
    struct Entry {
        let transaction: RecoveredTransaction
        let sequence: Int
        var nonce: UInt64 { transaction.transaction.nonce }
        var cost: UInt256 {
            let signed = transaction.transaction
            return signed.maxFeePerGas &* UInt256(signed.gasLimit) &+ signed.value
        }
        func tip(baseFee: UInt256) -> UInt256 {
            let signed = transaction.transaction
            return min(signed.maxPriorityFeePerGas, signed.maxFeePerGas &- baseFee)
        }
    }

    let configuration: MempoolConfiguration
    var state: MempoolAccountTable
    var entries: [Address: [UInt64: Entry]] = [:]
    var sequence = 0

    var count: Int { entries.values.reduce(0) { $0 + $1.count } }

    /// Nonces of `sender`'s transactions: the run from its state nonce, then the rest.
    func partition(of sender: Address) -> (pending: [UInt64], queued: [UInt64]) {
        let nonces = (entries[sender] ?? [:]).keys.sorted()
        var next = state[sender].nonce
        var pending: [UInt64] = []
        for nonce in nonces where nonce == next {
            pending.append(nonce)
            next += 1
        }
        return (pending, Array(nonces.dropFirst(pending.count)))
    }

    /// Every sender's last transaction; the first in eviction order (queued before pending,
    /// lowest tip, newest) is what a full pool drops.
    func evictionVictim() -> Entry? {
        var best: (key: (Int, UInt256, Int), entry: Entry)?
        for (sender, byNonce) in entries {
            guard let tailNonce = byNonce.keys.max(), let tail = byNonce[tailNonce] else { continue }
            let isQueued = partition(of: sender).queued.contains(tailNonce)
            let key = (isQueued ? 0 : 1, tail.tip(baseFee: configuration.baseFee), -tail.sequence)
            if best == nil || key < best!.key { best = (key, tail) }
        }
        return best?.entry
    }

    /// The proposal by brute force: at each step the sender whose next pending transaction has
    /// the highest tip, earliest arrival on ties.
    func proposal(maxCount: Int) -> [RecoveredTransaction] {
        var positions: [Address: Int] = [:]
        var runs: [Address: [Entry]] = [:]
        for sender in entries.keys {
            runs[sender] = partition(of: sender).pending.map { entries[sender]![$0]! }
        }
        var selected: [RecoveredTransaction] = []
        var gasLeft = configuration.blockGasLimit
        while selected.count < maxCount {
            var best: (tip: UInt256, sequence: Int, sender: Address)?
            for (sender, run) in runs {
                let position = positions[sender, default: 0]
                guard position < run.count else { continue }
                let entry = run[position]
                let tip = entry.tip(baseFee: configuration.baseFee)
                if best == nil || tip > best!.tip || (tip == best!.tip && entry.sequence < best!.sequence) {
                    best = (tip, entry.sequence, sender)
                }
            }
            guard let best else { break }
            let entry = runs[best.sender]![positions[best.sender, default: 0]]
            guard entry.transaction.transaction.gasLimit <= gasLeft else { break }
            gasLeft -= entry.transaction.transaction.gasLimit
            selected.append(entry.transaction)
            positions[best.sender, default: 0] += 1
        }
        return selected
    }

    /// What the pool must answer for `transaction`, or nil where only eviction decides.
    func predictedError(for transaction: RecoveredTransaction) -> MempoolError? {
        let sender = transaction.sender
        let signed = transaction.transaction
        let account = state[sender]
        let mine = entries[sender] ?? [:]
        if mine.values.contains(where: { $0.transaction.hash == transaction.hash }) { return .alreadyKnown }
        if signed.nonce < account.nonce {
            return .nonceTooLow(sender: sender, nonce: signed.nonce, stateNonce: account.nonce)
        }
        let cost = Entry(transaction: transaction, sequence: 0).cost
        let others = mine.values.filter { $0.nonce != signed.nonce }.reduce(UInt256.zero) { $0 &+ $1.cost }
        if cost > account.balance {
            return .insufficientFunds(sender: sender, balance: account.balance, cost: cost)
        }
        if let old = mine[signed.nonce] {
            let percent = UInt256(100 + configuration.priceBumpPercent)
            let oldSigned = old.transaction.transaction
            func bumped(_ new: UInt256, _ old: UInt256) -> Bool { old < new && new &* UInt256(100) >= old &* percent }
            guard bumped(signed.maxFeePerGas, oldSigned.maxFeePerGas),
                  bumped(signed.maxPriorityFeePerGas, oldSigned.maxPriorityFeePerGas) else { return .replacementUnderpriced }
        }
        if others &+ cost > account.balance {
            return .insufficientFunds(sender: sender, balance: account.balance, cost: others &+ cost)
        }
        guard mine[signed.nonce] == nil else { return nil }
        if mine.count >= configuration.maximumPerSender {
            return .accountLimitExceeded(sender: sender, limit: configuration.maximumPerSender)
        }
        let partition = partition(of: sender)
        let nextPending = account.nonce + UInt64(partition.pending.count)
        if signed.nonce != nextPending, partition.queued.count >= configuration.maximumQueuedPerSender {
            return .accountLimitExceeded(sender: sender, limit: configuration.maximumQueuedPerSender)
        }
        return nil
    }

    mutating func insert(_ transaction: RecoveredTransaction) {
        sequence += 1
        entries[transaction.sender, default: [:]][transaction.transaction.nonce] =
            Entry(transaction: transaction, sequence: sequence)
    }

    mutating func remove(_ transaction: RecoveredTransaction) {
        entries[transaction.sender]?[transaction.transaction.nonce] = nil
        if entries[transaction.sender]?.isEmpty == true { entries[transaction.sender] = nil }
    }

    /// The pool's rule after a block: drop what is below the nonce or above the balance.
    mutating func resynchronize(_ sender: Address) {
        let account = state[sender]
        for entry in (entries[sender] ?? [:]).values where entry.nonce < account.nonce || entry.cost > account.balance {
            remove(entry.transaction)
        }
    }
}

@Test(arguments: [1, 2, 3, 0xD6C] as [UInt64])
func randomWalkMatchesTheReference(seed: UInt64) throws {
    var random = SplitMix64(seed: seed)
    let configuration = MempoolConfiguration(chainId: Fixture.chainId, blockGasLimit: 200_000, baseFee: UInt256(1),
                                             maximumTransactions: 20, maximumPerSender: 7,
                                             maximumQueuedPerSender: 3)
    let keys = Array(Fixture.keys[0..<8])
    var state = MempoolAccountTable()
    for (index, key) in keys.enumerated() {
        // Two poor senders, so balances bind.
        let balance: UInt64 = index < 6 ? 1_000_000_000_000 : 2_500_000
        state[key.address] = MempoolAccount(nonce: UInt64(index), balance: UInt256(balance))
    }
    var reference = ReferencePool(configuration: configuration, state: state)
    var pool = Mempool(configuration: configuration)
    let tips: [UInt64] = [1, 2, 3, 5, 8]

    for step in 0..<500 {
        let context: Comment = "seed \(seed) step \(step)"
        let roll = random.next() % 100
        if roll < 77 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            let stateNonce = reference.state[key.address].nonce
            var nonce = stateNonce + random.next() % 6
            if random.next() % 10 == 0, stateNonce > 0 { nonce = stateNonce - 1 }
            let tip = tips[Int(random.next() % UInt64(tips.count))]
            let feeCap = tip + [0, 4, 20][Int(random.next() % 3)]
            let transaction = Fixture.transaction(from: key, nonce: nonce, tip: tip, feeCap: feeCap,
                                                  value: random.next() % 1_000)
            let predicted = reference.predictedError(for: transaction)
            let replaced = reference.entries[key.address]?[nonce]?.transaction
            let outcome = Result { () throws(MempoolError) in try pool.admit(transaction, state: reference.state) }
            switch outcome {
            case .success(let admission):
                #expect(predicted == nil, "seed \(seed) step \(step): admitted, expected \(String(describing: predicted))")
                #expect(admission.replaced == replaced, context)
                if let replaced { reference.remove(replaced) }
                let wasFull = reference.count >= configuration.maximumTransactions
                reference.insert(transaction)
                if wasFull {
                    let victim = try #require(reference.evictionVictim(), context)
                    #expect(admission.evicted == [victim.transaction], context)
                    reference.remove(victim.transaction)
                } else {
                    #expect(admission.evicted.isEmpty, context)
                }
            case .failure(let error):
                if let predicted {
                    #expect(error == predicted, context)
                } else {
                    // Only a full pool may refuse what the rules allow, when the newcomer would go first.
                    #expect(error == .txpoolFull, context)
                    var trial = reference
                    trial.insert(transaction)
                    #expect(reference.count >= configuration.maximumTransactions, context)
                    #expect(trial.evictionVictim()?.transaction == transaction, context)
                }
            }
        } else if roll < 85 {
            let maxCount = Int(1 + random.next() % 12)
            let block = pool.pendingTransactions(maxCount: maxCount)
            #expect(block == reference.proposal(maxCount: maxCount), context)
            for transaction in block {
                let signed = transaction.transaction
                reference.state[transaction.sender].nonce += 1
                let spent = signed.maxFeePerGas &* UInt256(signed.gasLimit) &+ signed.value
                reference.state[transaction.sender].balance = reference.state[transaction.sender].balance &- spent
            }
            pool.removeIncluded(block, headState: reference.state)
            for sender in Set(block.map(\.sender)) { reference.resynchronize(sender) }
        } else if roll < 97 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            let run = reference.partition(of: key.address).pending.count
            #expect(pool.pendingNonce(of: key.address, state: reference.state)
                        == reference.state[key.address].nonce + UInt64(run), context)
        } else {
            // Funds move without the pool being told per block; a reset catches up.
            let key = keys[Int(random.next() % UInt64(keys.count))]
            reference.state[key.address].balance = UInt256(random.next() % 3_000_000)
            pool.reset(headState: reference.state)
            for sender in keys.map(\.address) { reference.resynchronize(sender) }
        }

        // Invariants: same contents, same pending/queued split, limits held, no duplicates.
        var pending = 0, queued = 0
        for key in keys {
            let expected = reference.partition(of: key.address)
            let actual = pool.nonces(of: key.address)
            #expect(actual.pending == expected.pending && actual.queued == expected.queued,
                    "seed \(seed) step \(step) \(key.address): \(actual) vs \(expected)")
            #expect(actual.pending.count + actual.queued.count <= configuration.maximumPerSender, context)
            pending += expected.pending.count
            queued += expected.queued.count
        }
        #expect(pool.pendingCount == pending && pool.queuedCount == queued, context)
        #expect(pool.count <= configuration.maximumTransactions, context)
        for byNonce in reference.entries.values {
            for entry in byNonce.values {
                #expect(pool.transaction(hash: entry.transaction.hash) == entry.transaction, context)
            }
        }
    }
}
