// d6g-bench: benchmarks and load generation. Each subcommand lives in its own file.
import ArgumentParser

struct D6GBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-bench",
        abstract: "Benchmarks of d6g-ledger's parts and load against running nodes.",
        subcommands: [
            UInt256Benchmark.self,
            DSLBenchmark.self,
            D6GContractsBenchmark.self,
            AttestationBenchmark.self,
            CryptoBenchmark.self,
            KeccakBenchmark.self,
            TransactionBenchmark.self,
            StorageBenchmark.self,
            TrieBenchmark.self,
            ExecutionBenchmark.self,
            VMBenchmark.self,
            GasBenchmark.self,
            TransfersBenchmark.self,
            MempoolBenchmark.self,
            ConsensusBenchmark.self,
            RPCBenchmark.self,
            GenChainBenchmark.self,
            RestartBenchmark.self,
            NodeRPCBenchmark.self,
        ]
    )
}

/// A subcommand whose work is asynchronous (it talks to nodes or drives one).
protocol AsyncBenchmark: ParsableCommand {
    func measure() async throws
}

// Top-level code rather than @main: with more than one file in the target, main.swift is
// compiled as a script, where @main is not allowed. Parsed by hand so that asynchronous
// subcommands can be awaited.
do {
    var command = try D6GBench.parseAsRoot()
    if let benchmark = command as? any AsyncBenchmark {
        try await benchmark.measure()
    } else {
        try command.run()
    }
} catch {
    D6GBench.exit(withError: error)
}
