// `d6g-bench dsl`: TARGETS.md P5 at the language level — the same four programs written in the
// contract DSL and run on our VM, and written in Vyper and run on revm (scripts/bench_vyper.py,
// pyrevm and vyper in .venv-bench), in one run: ns per iteration or per call, gas per call and
// code size side by side. Also the compile time of every contract in Contracts/ and the
// instruction sequences the compiler emits most (the candidates for superinstructions, which
// are chosen from compiled contracts, never from these benchmark programs).
import ArgumentParser
import Bytecode
import ContractCompiler
import ContractDSL
import Contracts
import Foundation
import LedgerCrypto
import LedgerPrimitives
import VM

struct DSLBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dsl",
        abstract: "DSL programs on our VM beside the same programs in Vyper on revm (TARGETS.md P5), compile times, emitted sequences."
    )

    @Option(help: "Timed runs per workload; the median is reported.")
    var runs = 5

    @Option(help: "Python with pyrevm and vyper installed (make bench-dsl creates .venv-bench).")
    var python = ".venv-bench/bin/python"

    @Flag(help: "Skip the Vyper/revm side.")
    var noRevm = false

    @Flag(help: "Decode without superinstructions, for comparison.")
    var noFusion = false

    @Option(help: "Run only this workload (and skip compile times and sequences), e.g. for a profiler.")
    var only: String?

    /// P5: time ratios to Vyper on revm that the DSL on our VM must reach.
    static let targets: [String: Double] = ["arithmetic": 0.7, "transfer": 0.7, "keccak": 1.0, "ecrecover": 1.0]

    func run() throws {
        if let only {
            guard let workload = DSLWorkload.all.first(where: { $0.name == only }) else { throw ValidationError("no workload \(only)") }
            let result = try workload.measure(runs: runs, fusing: !noFusion)
            print("\(only): \(tableFormat(result.ns)) ns, gas \(result.gas), \(result.codeSize) bytes")
            return
        }
        try reportCompileTimes()
        try reportSequences()
        print("\nDSL on the d6g VM beside Vyper 0.4.3 on revm (pyrevm 0.3.7), median of \(runs) runs, thread CPU ns")
        // Each workload on both sides back to back, so that both see the same load on a shared box.
        var ours: [String: DSLWorkload.Result] = [:]
        var theirs: [String: [String: Any]] = [:]
        for workload in DSLWorkload.all {
            ours[workload.name] = try workload.measure(runs: runs, fusing: !noFusion)
            if !noRevm { theirs.merge(try runVyper([workload.name])) { $1 } }
        }
        let noop = (theirs["noop"]?["ns_per_iteration"] as? Double) ?? 0
        let ourNoop = ours["noop"]?.ns ?? 0
        print("workload     d6g ns   revm ns   ratio   net ratio  target     d6g gas  vyper gas  d6g bytes  vyper bytes")
        for workload in DSLWorkload.all where workload.name != "noop" {
            guard let mine = ours[workload.name] else { continue }
            var line = pad(workload.name, 11) + pad(tableFormat(mine.ns), 9, right: true)
            if let other = theirs[workload.name], let ns = other["ns_per_iteration"] as? Double {
                let ratio = mine.ns / ns
                // Per-call workloads: without the cost of an empty call on each side (pyrevm's
                // Python-to-Rust crossing, our call setup).
                let net = workload.perCall ? (mine.ns - ourNoop) / max(ns - noop, 1e-9) : ratio
                let target = Self.targets[workload.name] ?? 1
                let verdict = (workload.perCall ? net : ratio) <= target ? "met" : "missed"
                line += pad(tableFormat(ns), 10, right: true) + pad(tableFormat(ratio), 8, right: true) + pad(tableFormat(net), 11, right: true)
                line += "  ≤ \(tableFormat(target)) \(verdict)"
                line += pad("\(mine.gas)", 11, right: true) + pad("\(other["gas"] as? Int ?? 0)", 11, right: true)
                line += pad("\(mine.codeSize)", 11, right: true) + pad("\(other["code_size"] as? Int ?? 0)", 13, right: true)
                if let output = other["output"] as? String, output != Hex.encode(mine.output, prefix: false) { line += "  (outputs differ!)" }
            } else {
                line += "   (no revm figure)" + pad("\(mine.gas)", 11, right: true) + pad("\(mine.codeSize)", 11, right: true)
            }
            print(line)
        }
        if !noRevm { print("empty call: d6g \(tableFormat(ourNoop)) ns, revm through pyrevm \(tableFormat(noop)) ns") }
    }

    func validate() throws {
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1") }
    }

    private func reportCompileTimes() throws {
        print("compile time (ms, median of \(runs)), Contracts/ then the benchmark programs")
        for contract in Contracts.all + DSLWorkload.all.map(\.contract) {
            var samples: [Double] = []
            for _ in 0...runs {
                let start = threadCPUNanoseconds()
                _ = try ContractCompiler.compile(contract)
                samples.append(Double(threadCPUNanoseconds() - start) / 1e6)
            }
            print("  \(pad(contract.name, 22)) \(tableFormat(median(Array(samples.dropFirst())))) ms (target ≤ 1,000)")
        }
    }

    /// The most frequent opcode pairs and triples in the runtime code compiled from Contracts/.
    private func reportSequences() throws {
        var pairs: [String: Int] = [:], triples: [String: Int] = [:]
        for contract in Contracts.all {
            let artifact = try ContractCompiler.compile(contract)
            guard let container = try? Container.decodeExactly(try Hex.decode(artifact.deployedBytecode)) else { continue }
            for function in container.runtimeFunctions {
                let names = Disassembler.listing(of: function.code).map(\.text).filter { !$0.hasSuffix(":") }
                    .map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? "" }
                    .map { $0.hasPrefix("PUSH") && $0 != "PUSH0" ? "PUSHn" : $0 }
                for index in names.indices.dropLast() { pairs["\(names[index]) \(names[index + 1])", default: 0] += 1 }
                for index in names.indices.dropLast(2) { triples["\(names[index]) \(names[index + 1]) \(names[index + 2])", default: 0] += 1 }
            }
        }
        print("\nmost frequent sequences in the compiled runtime code of Contracts/ (static counts)")
        for (sequence, count) in pairs.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }).prefix(12) {
            print("  \(pad("\(count)", 5, right: true))  \(sequence)")
        }
        for (sequence, count) in triples.sorted(by: { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }).prefix(8) {
            print("  \(pad("\(count)", 5, right: true))  \(sequence)")
        }
    }

    private func runVyper(_ names: [String]) throws -> [String: [String: Any]] {
        try runPythonBenchmark(python: python, script: "scripts/bench_vyper.py", arguments: ["--runs", "\(runs)"] + names,
                               setup: "make bench-dsl creates .venv-bench with pyrevm and vyper")
    }
}

/// One program of the language-level benchmark.
struct DSLWorkload {
    struct Result {
        var ns: Double
        var gas: Int64
        var codeSize: Int
        var output: [UInt8]
    }

    let name: String
    let contract: Contract
    let constructorArguments: [ABIValue]
    let signature: String
    let arguments: [ABIValue]
    /// Loop iterations per call, or calls per timed run for per-call workloads.
    let iterations: Int
    let perCall: Bool

    static let caller = Address(truncating: UInt256(0x5e))
    static let receiver = Address(truncating: UInt256(0xb0b))
    static let contractAddress = Address(truncating: UInt256(0xc0))

    static let arithmetic = Contract("BenchArithmetic") {
        Function("run", ("n", .uint256), returns: .uint256, .view) {
            Let("acc", .uint256, 1)
            For("i", from: 0, to: local.n, atMost: 10_000_000) {
                Assign(local.acc, (local.acc * 3 + 7) % 1_000_000_007)
            }
            Return(local.acc)
        }
    }

    static let keccak = Contract("BenchKeccak") {
        Function("chain", ("seed", .bytes32), ("n", .uint256), returns: .bytes32, .view) {
            Let("h", local.seed)
            For("i", from: 0, to: local.n, atMost: 10_000_000) {
                Assign(local.h, keccak256(local.h))
            }
            Return(local.h)
        }
    }

    static let transfer = Contract("BenchToken") {
        Storage("balanceOf", .map(.address, to: .uint256))
        Event("Transfer", .indexed("sender", .address), .indexed("receiver", .address), .field("value", .uint256))
        Constructor(("supply", .uint256)) { Assign(state.balanceOf[sender], local.supply) }
        Function("transfer", ("to", .address), ("amount", .uint256), returns: .bool) {
            Let("available", state.balanceOf[sender])
            // A bare require, as the Vyper side's bare assert: a revert without data.
            Require(local.available >= local.amount)
            Assign(state.balanceOf[sender], local.available - local.amount)
            Increase(state.balanceOf[local.to], by: local.amount)
            Emit("Transfer", sender, local.to, local.amount)
            Return(true)
        }
    }

    static let signature = Contract("BenchEcrecover") {
        Function("check", ("digest", .bytes32), ("v", .uint8), ("r", .bytes32), ("s", .bytes32), ("expected", .address), returns: .bool, .view) {
            Return(recoverSigner(digest: local.digest, v: local.v, r: local.r, s: local.s) == local.expected)
        }
    }

    static let noop = Contract("BenchNoop") {
        Function("noop", .nonpayable) {}
    }

    /// Made once: the ecrecover workload signs its digest.
    static let all: [DSLWorkload] = {
        let key = try! PrivateKey(bytes: [UInt8](repeating: 7, count: 32))
        let digest = Keccak256.hash(Array("bench".utf8))
        let signed = try! key.signature(for: digest)
        return [
            DSLWorkload(name: "arithmetic", contract: arithmetic, constructorArguments: [], signature: "run(uint256)",
                        arguments: [.uint(100_000)], iterations: 100_000, perCall: false),
            DSLWorkload(name: "keccak", contract: keccak, constructorArguments: [], signature: "chain(bytes32,uint256)",
                        arguments: [.fixedBytes(.one), .uint(10_000)], iterations: 10_000, perCall: false),
            DSLWorkload(name: "transfer", contract: transfer, constructorArguments: [.unsigned(UInt256(10).power(UInt256(24)))],
                        signature: "transfer(address,uint256)", arguments: [.address(receiver), .uint(1)], iterations: 2_000, perCall: true),
            DSLWorkload(name: "ecrecover", contract: signature, constructorArguments: [], signature: "check(bytes32,uint8,bytes32,bytes32,address)",
                        arguments: [.fixedBytes(UInt256(digest)), .uint(UInt64(signed.recoveryID) + 27),
                                    .fixedBytes(UInt256(bigEndianBytes: signed.signature.r)!),
                                    .fixedBytes(UInt256(bigEndianBytes: signed.signature.s)!), .address(key.address)],
                        iterations: 2_000, perCall: true),
            DSLWorkload(name: "noop", contract: noop, constructorArguments: [], signature: "noop()", arguments: [], iterations: 2_000, perCall: true),
        ]
    }()

    func measure(runs: Int, fusing: Bool) throws -> Result {
        let artifact = try ContractCompiler.compile(contract)
        let host = TestHost(cache: ProgramCache(fusing: fusing))
        host.setBalance(UInt256(1) << 80, of: Self.caller)
        let deployed = host.deploy(try Hex.decode(artifact.bytecode) + ABICodec.encode(constructorArguments), at: Self.contractAddress,
                                   from: Self.caller, gas: 30_000_000)
        guard deployed.succeeded, let code = host.code(at: Self.contractAddress) else {
            throw ValidationError("\(name) does not deploy: \(deployed.outcome)")
        }
        try host.installCode(code, at: Self.contractAddress)
        let input = ABICodec.callData(signature, arguments)
        let gasLimit: Int64 = 1_000_000_000
        let message = Message(caller: Self.caller, recipient: Self.contractAddress, input: input, gas: gasLimit)
        var samples: [Double] = []
        var last = ExecutionResult(outcome: .success, gasLeft: 0)
        let callsPerRun = perCall ? iterations : 1
        for run in 0...runs {  // run 0 warms up
            let start = threadCPUNanoseconds()
            for _ in 0..<callsPerRun { last = VM.call(message, host: host) }
            let elapsed = Double(threadCPUNanoseconds() - start)
            guard last.succeeded else { throw ValidationError("\(name) failed: \(last.outcome)") }
            if run > 0 { samples.append(elapsed / Double(iterations)) }
        }
        return Result(ns: median(samples), gas: gasLimit - last.gasLeft, codeSize: code.count, output: last.output)
    }
}
