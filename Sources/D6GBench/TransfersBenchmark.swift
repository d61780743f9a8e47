// d6g-bench transfers: load generator for TARGETS.md P3/P4. Pre-signs N EIP-1559 transfers from
// K senders (funded first from dev or given keys), submits them in JSON-RPC batches over several
// connections, watches the chain for the blocks that include them, and reports sustained
// throughput and submit→inclusion latency against P4 (≥ 10,000 transfers/s on one dev node).
// Works against any Ethereum JSON-RPC node.
import ArgumentParser
import Dispatch
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import Synchronization

struct TransfersBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transfers",
        abstract: "Offer signed transfers to a node over JSON-RPC; report tx/s and submit→receipt latency (P3/P4).",
        discussion: """
        Example against a dev node: d6g-bench transfers --dev --senders 64 --count 100000 --batch 500
        Everything is signed before the timed phase. Latency is measured to the moment a watcher
        (polling eth_blockNumber every --poll-ms) sees the including block, which is when the
        receipt becomes available on a node where receipts exist only for committed blocks.
        """
    )

    static let targetP4 = 10_000.0

    @Option(help: "JSON-RPC endpoint(s), comma-separated for failover.")
    var rpc = "http://127.0.0.1:8545"

    @Option(help: "File of funded private keys, one hex key per line.")
    var keys: String?

    @Flag(help: "Use the dev accounts of the devnet genesis (keys keccak(\"d6g-dev-account-<i>\")).")
    var dev = false

    @Option(help: "Genesis file whose alloc tells which dev accounts exist (with --dev).")
    var genesis = "Genesis/devnet.json"

    @Option(help: "Transfers to submit in the timed phase.")
    var count = 20_000

    @Option(help: "Fresh sender accounts to fund first (0: send from the funded keys themselves).")
    var senders = 32

    @Option(help: "Transactions per JSON-RPC batch.")
    var batch = 500

    @Option(help: "Concurrent HTTP connections submitting batches.")
    var connections = 4

    @Option(help: "Offered load in transfers per second (0: as fast as possible).")
    var rate = 0.0

    @Option(help: "Seconds of offered load; with --rate, sets --count to rate × duration.")
    var duration: Double?

    @Option(help: "Seconds to wait for the last transfer's block after the last submission.")
    var timeout = 120.0

    @Option(help: "Milliseconds between the block watcher's polls.")
    var pollMs = 20

    @Option(help: "Wei sent per transfer.")
    var value: UInt64 = 1

    @Option(help: "Receipts fetched at the end to check status (0: none).")
    var verify = 1_000

    @Option(help: "HTTP client: sockets (LedgerClient's own HTTP/1.1) or urlsession (Foundation, libcurl).")
    var transport = "sockets"

    func validate() throws {
        guard dev || keys != nil else { throw ValidationError("give --dev or --keys FILE: the accounts that pay for the run") }
        guard count >= 1 || duration != nil, batch >= 1, connections >= 1, senders >= 0, rate >= 0, pollMs >= 1 else {
            throw ValidationError("--count, --batch, --connections, --poll-ms must be positive; --senders, --rate not negative")
        }
        if duration != nil && rate == 0 { throw ValidationError("--duration needs --rate (the count is rate × duration)") }
        guard ["sockets", "urlsession"].contains(transport) else { throw ValidationError("--transport is sockets or urlsession") }
    }

    func run() throws {
        let settings = self
        let outcome = Mutex<Result<Void, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        // The command runs synchronously; the load runs on the concurrency runtime while the main
        // thread waits here.
        Task.detached {
            do { try await settings.runLoad(); outcome.withLock { $0 = .success(()) } }
            catch { outcome.withLock { $0 = .failure(error) } }
            done.signal()
        }
        done.wait()
        try outcome.withLock { $0 }!.get()
    }

    // MARK: - The run

    func runLoad() async throws {
        let endpoints = rpc.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        var transports: [any RPCTransport] = []
        for url in endpoints {
            transports.append(transport == "urlsession" ? try URLSessionTransport(url: url, timeout: 60)
                                                        : try HTTPTransport(url: url, timeout: 60))
        }
        let client = LedgerClient(transport: transports.count == 1 ? transports[0] : FailoverTransport(transports))
        let total = duration.map { Int(rate * $0) } ?? count
        let chainId = try await client.chainId()
        let fees = try await client.suggestedFees()
        let funders = try loadFunders()
        print("d6g-bench transfers: \(total) transfers, \(senders == 0 ? funders.count : senders) senders, batches of \(batch), "
              + "\(connections) connections, offered \(rate == 0 ? "as fast as possible" : "\(Int(rate)) tx/s"); "
              + "chain \(chainId) at \(client.transport.endpoint), fees \(fees)")

        let accounts: [PrivateKey]
        if senders == 0 {
            accounts = funders
        } else {
            accounts = (0..<senders).map { _ in PrivateKey.generate() }
            try await fund(accounts, from: funders, transfersEach: (total + senders - 1) / senders,
                           client: client, chainId: chainId, fees: fees)
        }

        // Pre-sign everything.
        let firstNonces = try await pendingNonces(of: accounts.map(\.address), client: client)
        let schedule = TransferSchedule(count: total, firstNonces: firstNonces, connections: connections, batchSize: batch)
        let signStart = wallSeconds()
        let prepared = try presign(schedule, accounts: accounts, chainId: chainId, fees: fees)
        let signSeconds = wallSeconds() - signStart
        print("pre-signed \(total) transfers in \(format(signSeconds)) s (\(Int(Double(total) / signSeconds)) /s on \(ProcessInfo.processInfo.activeProcessorCount) cores)")

        // Timed phase.
        let startHeight = try await client.blockNumber()
        let watch = BlockWatch(expected: Set(prepared.flatMap { $0.flatMap(\.hashes) }))
        let cpuStart = processCPUSeconds()
        let t0 = wallSeconds()
        async let watched: Void = watch.run(client: client, after: startHeight, origin: t0,
                                            pollSeconds: Double(pollMs) / 1000, timeout: timeout)
        let submissions = try await submitAll(prepared, client: client, origin: t0, watch: watch)
        watch.finishSubmitting(rejected: submissions.rejected)
        try await watched
        let cpu = processCPUSeconds() - cpuStart
        report(submissions: submissions, watch: watch, total: total)
        print("client CPU in the timed phase (\(transport), submit + block watch): \(format(cpu)) s, "
              + "\(format(cpu / Double(max(1, submissions.submittedAt.count)) * 1e6)) µs per transfer")
        try await checkBlocksAndReceipts(watch: watch, client: client, startHeight: startHeight)
    }

    private func loadFunders() throws -> [PrivateKey] {
        if let keys {
            let text = try String(contentsOfFile: keys, encoding: .utf8)
            return try text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !$0.hasPrefix("#") }
                .map { try Signer(privateKeyHex: $0).key }
        }
        // The devnet's documented accounts (Genesis/README.md): key i = keccak("d6g-dev-account-<i>").
        let candidates = try (0..<64).map { try PrivateKey(bytes: Keccak256.hash(Array("d6g-dev-account-\($0)".utf8)).bytes) }
        guard let data = FileManager.default.contents(atPath: genesis) else {
            print("note: \(genesis) not found; using dev accounts 0–4")
            return Array(candidates.prefix(5))
        }
        let alloc = try JSONValue(parsing: [UInt8](data))["alloc"]
        guard case .object(let members)? = alloc else { throw ValidationError("\(genesis) has no alloc object") }
        let funded = Set(members.keys.compactMap { try? Address(hex: $0.hasPrefix("0x") ? $0 : "0x" + $0) })
        let present = candidates.filter { funded.contains($0.address) }
        guard !present.isEmpty else { throw ValidationError("no dev account key matches an alloc entry of \(genesis)") }
        return present
    }

    private func pendingNonces(of addresses: [Address], client: LedgerClient) async throws -> [UInt64] {
        var nonces: [UInt64] = []
        for start in stride(from: 0, to: addresses.count, by: 1_000) {
            let chunk = addresses[start..<min(addresses.count, start + 1_000)]
            let outcomes = try await client.batch(chunk.map { RPCRequest("eth_getTransactionCount", [.string($0.hexString), .string("pending")]) })
            for outcome in outcomes { nonces.append(try Quantity.uint64(try outcome.get(), "eth_getTransactionCount")) }
        }
        return nonces
    }

    /// Sends each fresh account enough for its transfers (value + gas at the max fee, with 50%
    /// headroom), from the funders in turn, in batches, and waits for every receipt.
    private func fund(_ accounts: [PrivateKey], from funders: [PrivateKey], transfersEach: Int,
                      client: LedgerClient, chainId: UInt64, fees: FeeSuggestion) async throws {
        let perTransfer = UInt256(value) &+ UInt256(IntrinsicGas.transaction) &* fees.maximumPricePerGas
        let amount = perTransfer &* UInt256(UInt64(transfersEach + 1)) &* UInt256(3) / UInt256(2)
        let nonces = NonceManager(client: client)
        var raws: [[UInt8]] = []
        var hashes: [Hash32] = []
        for (index, account) in accounts.enumerated() {
            let funder = funders[index % funders.count]
            let nonce = try await nonces.next(for: funder.address)
            let request = TransactionRequest(to: account.address, value: amount, gasLimit: IntrinsicGas.transaction)
            let signed = try request.unsigned(chainId: chainId, nonce: nonce, gasLimit: IntrinsicGas.transaction, fees: fees).signed(with: funder)
            raws.append(signed.encoded)
            hashes.append(signed.hash)
        }
        let start = wallSeconds()
        for first in stride(from: 0, to: raws.count, by: batch) {
            let outcomes = try await client.sendRawTransactions(Array(raws[first..<min(raws.count, first + batch)]))
            for outcome in outcomes {
                if case .failure(let error) = outcome, !error.isAlreadyKnown { throw error }
            }
        }
        let receipts = try await client.waitForReceipts(hashes, timeout: timeout)
        let failed = receipts.values.filter { !$0.succeeded }.count
        guard failed == 0 else { throw ValidationError("\(failed) funding transfers failed; are the funders funded?") }
        print("funded \(accounts.count) senders with \(amount) wei each in \(format(wallSeconds() - start)) s")
    }

    struct PreparedBatchWithHashes: Sendable {
        let batch: PreparedBatch
        let hashes: [Hash32]
    }

    /// Signs every scheduled transfer, on all cores; `result[connection][batch]`.
    private func presign(_ schedule: TransferSchedule, accounts: [PrivateKey], chainId: UInt64,
                         fees: FeeSuggestion) throws -> [[PreparedBatchWithHashes]] {
        let jobs = schedule.batches.enumerated().flatMap { connection, batches in
            batches.indices.map { (connection: connection, index: $0) }
        }
        let results = Mutex<[Int: PreparedBatchWithHashes]>([:])
        let failure = Mutex<(any Error)?>(nil)
        let value = UInt256(self.value)
        DispatchQueue.concurrentPerform(iterations: jobs.count) { job in
            let (connection, index) = jobs[job]
            do {
                var raws: [[UInt8]] = []
                var hashes: [Hash32] = []
                for transfer in schedule.batches[connection][index] {
                    let recipient = accounts[(transfer.sender + 1) % accounts.count].address
                    let request = TransactionRequest(to: recipient, value: value)
                    let signed = try request.unsigned(chainId: chainId, nonce: transfer.nonce, gasLimit: IntrinsicGas.transaction,
                                                      fees: fees).signed(with: accounts[transfer.sender])
                    raws.append(signed.encoded)
                    hashes.append(signed.hash)
                }
                let prepared = PreparedBatchWithHashes(batch: PreparedBatch(rawTransactions: raws), hashes: hashes)
                results.withLock { $0[job] = prepared }
            } catch {
                failure.withLock { $0 = error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        let byJob = results.withLock { $0 }
        var out: [[PreparedBatchWithHashes]] = schedule.batches.map { _ in [] }
        for (job, slot) in jobs.enumerated() { out[slot.connection].append(byJob[job]!) }
        return out
    }

    struct Submissions: Sendable {
        /// Per hash accepted by the node: seconds from the origin when its batch was posted.
        var submittedAt: [Hash32: Double] = [:]
        var rejected = 0
        var rejectionSamples: [String: Int] = [:]
        var firstSubmit = Double.infinity
        var lastSubmitDone = 0.0
    }

    /// One task per connection posts its batches in order, paced to `rate` if set.
    private func submitAll(_ prepared: [[PreparedBatchWithHashes]], client: LedgerClient, origin: Double,
                           watch: BlockWatch) async throws -> Submissions {
        let perConnectionRate = rate / Double(prepared.count)
        return try await withThrowingTaskGroup(of: Submissions.self) { group in
            for batches in prepared {
                group.addTask {
                    var mine = Submissions()
                    var sentSoFar = 0
                    for item in batches {
                        if perConnectionRate > 0 {
                            let due = origin + Double(sentSoFar) / perConnectionRate
                            let wait = due - wallSeconds()
                            if wait > 0 { try await Task.sleep(nanoseconds: UInt64(wait * 1e9)) }
                        }
                        let postedAt = wallSeconds() - origin
                        mine.firstSubmit = min(mine.firstSubmit, postedAt)
                        let outcomes = try await client.submit(item.batch)
                        mine.lastSubmitDone = max(mine.lastSubmitDone, wallSeconds() - origin)
                        for (hash, outcome) in zip(item.hashes, outcomes) {
                            switch outcome {
                            case .success:
                                mine.submittedAt[hash] = postedAt
                            case .failure(let error) where error.isAlreadyKnown:
                                mine.submittedAt[hash] = postedAt
                            case .failure(let error):
                                mine.rejected += 1
                                let key: String
                                if case .rpc(_, let message, _) = error { key = message } else { key = error.description }
                                mine.rejectionSamples[String(key.prefix(100)), default: 0] += 1
                            }
                        }
                        sentSoFar += item.hashes.count
                    }
                    return mine
                }
            }
            var all = Submissions()
            for try await part in group {
                all.submittedAt.merge(part.submittedAt) { first, _ in first }
                all.rejected += part.rejected
                all.rejectionSamples.merge(part.rejectionSamples, uniquingKeysWith: +)
                all.firstSubmit = min(all.firstSubmit, part.firstSubmit)
                all.lastSubmitDone = max(all.lastSubmitDone, part.lastSubmitDone)
            }
            return all
        }
    }

    private func report(submissions: Submissions, watch: BlockWatch, total: Int) {
        let state = watch.snapshot()
        let accepted = submissions.submittedAt.count
        print("submitted \(accepted) accepted, \(submissions.rejected) rejected, in \(format(submissions.lastSubmitDone - submissions.firstSubmit)) s "
              + "(\(rateText(accepted, submissions.firstSubmit, submissions.lastSubmitDone)) tx/s offered)")
        for (message, times) in submissions.rejectionSamples.sorted(by: { $0.value > $1.value }).prefix(5) {
            print("  rejected ×\(times): \(message)")
        }
        var latencies: [Double] = []
        latencies.reserveCapacity(accepted)
        var lastSeen = 0.0
        for (hash, submittedAt) in submissions.submittedAt {
            guard let seen = state.seenAt[hash] else { continue }
            latencies.append(seen - submittedAt)
            lastSeen = max(lastSeen, seen)
        }
        let included = latencies.count
        if included < accepted {
            print("WARNING: \(accepted - included) accepted transfers were not included within \(Int(timeout)) s after the last submission")
        }
        let sustained = Throughput.rate(count: included, from: submissions.firstSubmit, to: lastSeen)
        let percentiles = Percentiles(latencies)
        print("included \(included) in \(state.blocks.count) blocks; first submit → last inclusion \(format(lastSeen - submissions.firstSubmit)) s")
        if let sustained {
            print("throughput (first submit → last receipt): \(Int(sustained.rounded())) tx/s   "
                  + "ratio to P4 target \(Int(Self.targetP4)) tx/s: \(format(sustained / Self.targetP4))")
        }
        if let p50 = percentiles.median, let p99 = percentiles.p99 {
            print("submit → receipt latency: p50 \(Int(p50 * 1000)) ms, p99 \(Int(p99 * 1000)) ms, max \(Int((percentiles.sorted.last ?? 0) * 1000)) ms")
        }
    }

    /// Throughput by block timestamps, and a sample of receipts checked for success.
    private func checkBlocksAndReceipts(watch: BlockWatch, client: LedgerClient, startHeight: UInt64) async throws {
        let state = watch.snapshot()
        let ours = state.blocks.filter { $0.ours > 0 }
        if let first = ours.map(\.number).min(), let parent = try await client.block(.number(first - 1)) {
            let rate = Throughput.byBlockTimestamps(blocks: ours.map { ($0.timestamp, $0.ours) }, parentTimestamp: parent.timestamp)
            let span = (ours.map(\.timestamp).max() ?? parent.timestamp) - parent.timestamp
            if let rate {
                print("throughput by block timestamps: \(Int(rate.rounded())) tx/s over \(span) s (whole seconds), "
                      + "ratio to P4: \(format(rate / Self.targetP4)); largest block \(ours.map(\.ours).max() ?? 0) of ours")
            } else {
                print("throughput by block timestamps: all blocks share one second; run longer for this figure")
            }
        }
        guard verify > 0 else { return }
        let sample = Array(state.seenAt.keys.shuffled().prefix(verify))
        var failed = 0
        var errors: [String: Int] = [:]
        // Small batches: the check runs after the measurement and must not time out a busy node.
        for start in stride(from: 0, to: sample.count, by: 100) {
            do {
                let outcomes = try await client.receipts(for: Array(sample[start..<min(sample.count, start + 100)]))
                for outcome in outcomes {
                    switch outcome {
                    case .success(let receipt?): if !receipt.succeeded { failed += 1 }
                    case .success(nil): failed += 1
                    case .failure(let error): errors[error.description, default: 0] += 1
                    }
                }
            } catch {
                errors[error.description, default: 0] += min(100, sample.count - start)
            }
        }
        print("receipts checked: \(sample.count), \(failed) missing or failed"
              + (errors.isEmpty ? "" : ", \(errors.values.reduce(0, +)) not checked (\(errors.keys.first!))"))
    }
}

/// Watches new blocks and records when each of the expected transactions was first seen.
final class BlockWatch: Sendable {
    struct Block: Sendable {
        let number: UInt64
        let timestamp: UInt64
        let ours: Int
        let seenAt: Double
    }

    struct State: Sendable {
        var seenAt: [Hash32: Double] = [:]
        var blocks: [Block] = []
        var doneSubmitting = false
        var rejected = 0
    }

    let expected: Set<Hash32>
    private let state = Mutex(State())

    init(expected: Set<Hash32>) { self.expected = expected }

    func finishSubmitting(rejected: Int) {
        state.withLock { $0.doneSubmitting = true; $0.rejected = rejected }
    }

    func snapshot() -> State { state.withLock { $0 } }

    /// Polls until every expected transaction that was not rejected is seen, or `timeout`
    /// seconds after submission finished.
    func run(client: LedgerClient, after startHeight: UInt64, origin: Double, pollSeconds: Double, timeout: Double) async throws {
        var height = startHeight
        var submissionEnded: Double?
        while true {
            let head = try await client.blockNumber()
            if head > height {
                let blocks = try await client.blocks(Array((height + 1)...head))
                let seen = wallSeconds() - origin
                state.withLock { state in
                    for block in blocks {
                        var ours = 0
                        for hash in block.transactionHashes where expected.contains(hash) && state.seenAt[hash] == nil {
                            state.seenAt[hash] = seen
                            ours += 1
                        }
                        state.blocks.append(Block(number: block.number, timestamp: block.timestamp, ours: ours, seenAt: seen))
                    }
                }
                height = head
            }
            let (complete, done) = state.withLock { state in
                (state.seenAt.count + state.rejected >= expected.count, state.doneSubmitting)
            }
            if done && complete { return }
            if done {
                let ended = submissionEnded ?? wallSeconds()
                submissionEnded = ended
                if wallSeconds() - ended > timeout { return }
            }
            try await Task.sleep(nanoseconds: UInt64(pollSeconds * 1e9))
        }
    }
}

private func format(_ value: Double) -> String { String(format: "%.2f", value) }

private func rateText(_ count: Int, _ start: Double, _ end: Double) -> String {
    Throughput.rate(count: count, from: start, to: end).map { String(Int($0.rounded())) } ?? "—"
}
