// d6g-bench gas (TARGETS.md P8): nanoseconds per gas for every class of operation, measured the
// way a validator pays for them — a transaction in a block built by BlockBuilder over a state of
// ≥ 1,000,000 accounts in RocksDB, state commit and roots included — then the worst case: a full
// block (the devnet gas limit) made only of the class with the most time per gas. The schedule
// is priced from these figures (Docs/vm.md §Gas, Docs/benchmarks.md §Gas).
import ArgumentParser
import Bytecode
import ContractExecution
import Execution
import Foundation
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import Node
import StorageRocksDB
import VM

struct GasBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gas",
        abstract: "Nanoseconds per gas of each operation class on a 1M-account RocksDB state, and the worst-case full block."
    )

    @Option(help: "Accounts in the state (besides the benchmark contracts).")
    var accounts = 1_000_000

    // tmpfs by default: reads then cost what they cost on a server whose page cache holds the
    // database. This sandbox keeps no page cache for its disk, where every block that misses
    // RocksDB's own cache is a 1–2 ms read (Docs/benchmarks.md §Gas).
    @Option(help: "Where the state database is kept between runs (built on first use).")
    var datadir = "/dev/shm/d6g-bench-gas"

    @Option(help: "RocksDB block cache, MiB (the node's default is 64).")
    var cacheMegabytes = 64

    @Option(help: "Timed runs per class; the median is reported.")
    var runs = 3

    @Option(help: "Gas per measured transaction.")
    var gas: UInt64 = 10_000_000

    @Option(help: "Only these classes (comma-separated names); all by default.")
    var only: String?

    func validate() throws {
        guard accounts >= 1_000, runs >= 1, gas >= 1_000_000 else {
            throw ValidationError("accounts ≥ 1000, runs ≥ 1, gas ≥ 1,000,000")
        }
    }

    func run() throws {
        let world = try GasWorld(accounts: accounts, datadir: datadir, cacheMegabytes: cacheMegabytes)
        var results: [(GasClass, GasMeasurement)] = []
        let chosen = only.map { Set($0.split(separator: ",").map(String.init)) }
        let classes = GasClass.all.filter { chosen?.contains($0.name) ?? true }
        print("class                 gas used    ms (median)   ns/gas")
        for gasClass in classes {
            var samples: [GasMeasurement] = []
            for run in 0..<UInt64(runs) {
                // Each run starts at fresh keys (each class has its own), so cold reads stay cold.
                samples.append(try world.measure(gasClass, gas: gas, startIndex: run * GasWorld.runStride))
            }
            let middle = samples.sorted { $0.nanosecondsPerGas < $1.nanosecondsPerGas }[samples.count / 2]
            results.append((gasClass, middle))
            print("\(gasClass.name.padding(toLength: 20, withPad: " ", startingAt: 0)) \(String(middle.gasUsed).leftPadded(10))"
                  + "  \(String(format: "%10.1f", middle.milliseconds))   \(String(format: "%6.2f", middle.nanosecondsPerGas))"
                  + (middle.outcome == "ok" ? "" : "  (\(middle.outcome))"))
        }
        guard !results.isEmpty else { return }
        let median = Self.median(results.map(\.1.nanosecondsPerGas))
        let worst = results.max { $0.1.nanosecondsPerGas < $1.1.nanosecondsPerGas }!
        print(String(format: "median %.2f ns/gas; worst %@ at %.2f ns/gas = %.2f× the median (target ≤ 2×)",
                     median, worst.0.name, worst.1.nanosecondsPerGas, worst.1.nanosecondsPerGas / median))
        let block = try world.fullBlock(of: worst.0, startIndex: UInt64(runs) * GasWorld.runStride)
        print(String(format: "worst-case block: %d transactions of %@, %d gas, built in %.0f ms wall (target ≤ 1000 ms)",
                     block.transactions, worst.0.name, block.gasUsed, block.milliseconds))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}

struct GasMeasurement {
    var gasUsed: UInt64
    var milliseconds: Double
    var outcome: String
    var nanosecondsPerGas: Double { milliseconds * 1e6 / Double(max(gasUsed, 1)) }
}

/// One class of operation: a contract that repeats it until less than `reserve` gas is left, then
/// stops (so its writes commit). Call data word 0 is a start index for loops over fresh keys.
struct GasClass {
    let name: String
    /// Runtime code of function 0 (the loop), and extra functions if any.
    let functions: [Function]
    var gasCap: UInt64 = .max
    var data: [UInt8] = []

    static let reserve: UInt64 = 60_000

    /// `setup` then the loop `body` until gas runs low.
    static func looping(_ name: String, gasCap: UInt64 = .max, setup: (CodeBuilder) -> CodeBuilder = { $0 },
                        _ body: (CodeBuilder) -> CodeBuilder) -> GasClass {
        let code = body(setup(CodeBuilder()).label("top")).push(UInt256(reserve)).op(.gas, .gt).jumpIf(to: "top").op(.stop)
        // Assembling fixed code cannot fail; a broken class shows as a failed run.
        return GasClass(name: name, functions: [Function(code: (try? code.assembled()) ?? [Opcode.invalid.rawValue])], gasCap: gasCap)
    }

    /// Code that leaves the address of account `i` (the low 20 bytes of keccak(i)) in place of i.
    static func addressOfIndex(_ code: CodeBuilder) -> CodeBuilder {
        code.push(0).op(.mstore).push(32).push(0).op(.keccak256)
    }

    /// Built once: the ecrecover class signs its constant digest.
    static let all: [GasClass] = {
        let key = DevNetwork.key(seed: "d6g-bench gas")
        let digest = Keccak256.hash(Array("d6g-bench gas".utf8))
        let signature = try? key.signature(for: digest)
        let r = UInt256(bigEndianBytes: signature?.signature.r ?? []) ?? .zero
        let s = UInt256(bigEndianBytes: signature?.signature.s ?? []) ?? .zero
        let v = UInt256(UInt64(27 + (signature?.recoveryID ?? 0)))
        return [
            looping("arithmetic") { $0.push(7).op(.wmul).push(1_000_003).op(.mod) }.startingWith(1),
            looping("stack") { $0.op(.dup1, .dup2, .swap1, .pop, .pop) }.startingWith(1),
            looping("memory-expansion", setup: { $0.push(0) }) { $0.op(.dup1, .dup1, .mstore).push(32).op(.add) },
            looping("copy") { $0.push(4096).push(0).push(8192).op(.mcopy) },
            looping("keccak-32B") { $0.push(32).push(0).op(.keccak256, .pop) },
            looping("keccak-per-word") { $0.push(32768).push(0).op(.keccak256, .pop) },
            looping("sha256-per-word") { $0.push(32768).push(0).op(.sha256, .pop) },
            looping("ecrecover") { $0.push(s).push(r).push(v).push(UInt256(digest)).op(.ecrecover, .pop) },
            looping("sload-warm") { $0.push(0).op(.sload, .pop) },
            looping("sload-cold", setup: { $0.push(0).op(.calldataload) }) { $0.op(.dup1, .sload, .pop).push(1).op(.add) },
            looping("sstore-new", setup: { $0.push(0).op(.calldataload) }) {
                $0.op(.dup1, .dup1).push(UInt256.one << 200).op(.add, .sstore).push(1).op(.add)
            },
            looping("balance-cold", setup: { $0.push(0).op(.calldataload) }) {
                addressOfIndex($0.op(.dup1)).op(.balance, .pop).push(1).op(.add)
            },
            looping("call-cold-code", gasCap: 4_000_000, setup: { $0.push(0).op(.calldataload) }) {
                // STATICCALL(gas, address of coded account (i mod codedCount), 0, 0, 0, 0)
                addressOfIndex($0.push(0).push(0).push(0).push(0).op(.dup5).push(UInt256(UInt64(GasWorld.codedCount)))
                    .op(.swap1, .mod).push(UInt256(GasWorld.codedBase)).op(.add))
                    .op(.gas, .staticcall, .pop).push(1).op(.add)
            },
            looping("log", gasCap: 900_000) { $0.push(UInt256(digest)).push(32).push(0).op(.log1) },
        ]
    }()

    func startingWith(_ value: UInt64) -> GasClass {
        // The arithmetic and stack loops need one item to work on.
        let code = (try? CodeBuilder().push(UInt256(value)).assembled()) ?? []
        return GasClass(name: name, functions: [Function(code: code + functions[0].code)], gasCap: gasCap)
    }

    var runtimeContainer: [UInt8] { (try? Container(runtimeFunctions: functions).encoded()) ?? [] }
}

/// The benchmark's chain: devnet settings, `accounts` funded accounts at keccak(i)'s low 20 bytes,
/// `codedCount` contracts of 24 KiB each at keccak(codedBase + i), one contract per class at
/// keccak("class name"), and a class contract's storage of `slots` slots for cold reads.
final class GasWorld {
    static let codedBase: UInt64 = 1 << 40
    /// Where consecutive runs and the transactions of one run start in a class's keys: far enough
    /// apart that no key is read twice, and not multiples of `codedCount`, so the modular range of
    /// coded contracts moves too.
    static let runStride: UInt64 = 20_173
    static let transactionStride: UInt64 = 1_009
    static let codedCount = 2_000
    static let slots = 400_000

    let store: ChainStore
    let rocks: RocksDBStore
    let genesis: Genesis
    let head: BlockHeader
    let sender: PrivateKey
    private var nonce: UInt64 = 0

    static func indexAddress(_ index: UInt64) -> Address {
        Address(truncating: UInt256(Keccak256.hash(UInt256(index).bigEndianBytes)))
    }

    static func classAddress(_ name: String) -> Address {
        Address(truncating: UInt256(Keccak256.hash(Array("d6g-bench gas \(name)".utf8))))
    }

    init(accounts: Int, datadir: String, cacheMegabytes: Int) throws {
        sender = DevNetwork.accountKeys[0]
        // The marker names what was built (the account count, the class contracts' code), so a
        // different --accounts or changed classes build afresh.
        let marker = datadir + "/.complete"
        let identity = "\(accounts) \(Keccak256.hash(GasClass.all.flatMap(\.runtimeContainer)).hexString)"
        let built = (try? String(contentsOfFile: marker, encoding: .utf8)) == identity
        if !built { try? FileManager.default.removeItem(atPath: datadir) }
        var configuration = RocksDBConfiguration()
        configuration.blockCacheBytes = cacheMegabytes << 20
        rocks = try RocksDBStore(path: datadir, families: ChainSchema.families, configuration: configuration)
        store = ChainStore(storage: rocks)
        if !built {
            print("building the state: \(accounts) accounts, \(Self.codedCount) contracts of 24 KiB, \(Self.slots) storage slots …")
            let started = wallSeconds()
            _ = try store.initialize(with: Self.stateGenesis(accounts: accounts))
            FileManager.default.createFile(atPath: marker, contents: Data(identity.utf8))
            print(String(format: "state built in %.1f s", wallSeconds() - started))
        }
        // Chain id, rules and gas limit are the devnet's; the allocation lives in the database.
        genesis = DevNetwork.genesis()
        guard let head = try store.block(number: 0)?.block.header else { throw ValidationError("no block 0 in \(datadir)") }
        self.head = head
    }

    /// The devnet with the benchmark's accounts, coded contracts and class contracts allocated.
    static func stateGenesis(accounts: Int) -> Genesis {
        var genesis = DevNetwork.genesis()
        for index in 0..<UInt64(accounts) { genesis.alloc[indexAddress(index)] = GenesisAccount(balance: UInt256(1)) }
        for index in 0..<UInt64(codedCount) {
            genesis.alloc[indexAddress(codedBase + index)] = GenesisAccount(balance: .zero, code: codedContainer(index))
        }
        for gasClass in GasClass.all {
            var account = GenesisAccount(balance: .zero, code: gasClass.runtimeContainer)
            if gasClass.name == "sload-cold" {
                for slot in 0..<UInt64(slots) { account.storage[UInt256(slot)] = UInt256(slot + 1) }
            }
            genesis.alloc[classAddress(gasClass.name)] = account
        }
        return genesis
    }

    /// A 24 KiB runtime container: function 0 STOPs; function 1, never run, is GAS POP pairs (the
    /// densest decoding), made distinct by a PUSH4 of `index`.
    static func codedContainer(_ index: UInt64) -> [UInt8] {
        var filler: [UInt8] = [Opcode.push4.rawValue] + UInt256(index).bigEndianBytes.suffix(4) + [Opcode.pop.rawValue]
        while filler.count < Limits.runtimeSize - 64 { filler += [Opcode.gas.rawValue, Opcode.pop.rawValue] }
        filler.append(Opcode.retf.rawValue)
        let container = Container(runtimeFunctions: [Function(code: [Opcode.stop.rawValue]), Function(code: filler)])
        return (try? container.encoded()) ?? []
    }

    private func context() -> Execution.BlockContext {
        Execution.BlockContext(number: 1, timestamp: head.timestamp + 1, gasLimit: genesis.gasLimit, baseFeePerGas: head.baseFeePerGas,
                     feeRecipient: DevNetwork.accountKeys[1].address)
    }

    private func transaction(to gasClass: GasClass, gas: UInt64, startIndex: UInt64) throws -> RecoveredTransaction {
        defer { nonce += 1 }
        let signed = try UnsignedTransaction.dynamicFee(DynamicFeeTransaction(
            chainId: genesis.chainId, nonce: nonce, maxPriorityFeePerGas: .zero, maxFeePerGas: UInt256(1_000_000_000_000),
            gasLimit: gas, to: Self.classAddress(gasClass.name), value: .zero,
            data: UInt256(startIndex).bigEndianBytes)).signed(with: sender)
        return try signed.recovered(onChain: genesis.chainId)
    }

    /// `gas` worth of `gasClass` in a fresh block on the stored state — one transaction, or
    /// several where the class caps a transaction's gas (so every class is timed over about the
    /// same work) — with a fresh program cache (code loading is measured, as after a restart):
    /// wall time of include + finish.
    func measure(_ gasClass: GasClass, gas: UInt64, startIndex: UInt64) throws -> GasMeasurement {
        nonce = 0
        let perTransaction = min(gas, gasClass.gasCap)
        let transactions = try (0..<max(1, gas / perTransaction)).map { index in
            try transaction(to: gasClass, gas: perTransaction, startIndex: startIndex + index * Self.transactionStride)
        }
        let executor = BlockExecutor(rules: genesis.rules, runtime: VMContractRuntime(programs: ProgramCache()))
        let started = wallSeconds()
        let builder = BlockBuilder(executor: executor, context: context(), state: try store.state(at: head))
        for transaction in transactions {
            if let rejection = try builder.include(transaction) { throw ValidationError("\(gasClass.name): \(rejection)") }
        }
        let execution = try builder.finish()
        let elapsed = wallSeconds() - started
        return GasMeasurement(gasUsed: execution.gasUsed, milliseconds: elapsed * 1000,
                              outcome: execution.receipts.allSatisfy(\.succeeded) ? "ok" : "failed")
    }

    /// A block filled to the gas limit with transactions of `gasClass`, built and finished.
    func fullBlock(of gasClass: GasClass, startIndex: UInt64) throws -> (transactions: Int, gasUsed: UInt64, milliseconds: Double) {
        nonce = 0
        let perTransaction = min(gasClass.gasCap, 10_000_000)
        let count = Int(genesis.gasLimit / perTransaction)
        var transactions: [RecoveredTransaction] = []
        for index in 0..<count {
            transactions.append(try transaction(to: gasClass, gas: perTransaction,
                                                startIndex: startIndex + UInt64(index) * Self.transactionStride))
        }
        let executor = BlockExecutor(rules: genesis.rules, runtime: VMContractRuntime(programs: ProgramCache()))
        let started = wallSeconds()
        let builder = BlockBuilder(executor: executor, context: context(), state: try store.state(at: head))
        _ = try builder.include(transactions)
        let execution = try builder.finish()
        return (execution.transactions.count, execution.gasUsed, (wallSeconds() - started) * 1000)
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
