// d6g-bench: benchmarks and load generation. Each subcommand lives in its own file.
import ArgumentParser

struct D6GBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-bench",
        abstract: "Benchmarks of d6g-ledger's parts and load against running nodes.",
        subcommands: [
            UInt256Benchmark.self,
            DSLBenchmark.self,
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

// Top-level code rather than @main: with more than one file in the target, main.swift
// is compiled as a script, where @main is not allowed.
await D6GBench.main()
