// d6g-bench: benchmarks and load generation. Each subcommand lives in its own file.
import ArgumentParser

struct D6GBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-bench",
        abstract: "Benchmarks of d6g-ledger's parts and load against running nodes.",
        subcommands: [StorageBenchmark.self]
    )
}

// A file named main.swift is top-level code, where @main is not allowed once the target has
// more than one file, so the entry point is called here.
D6GBench.main()
