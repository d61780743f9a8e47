// d6g-bench: benchmarks and load generation. Each subcommand lives in its own file.
import ArgumentParser

struct D6GBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-bench",
        abstract: "Benchmarks of d6g-ledger's parts and load against running nodes.",
        subcommands: [CryptoBenchmark.self]
    )
}

// main.swift runs as top-level code, where @main is not allowed once the target has other files.
D6GBench.main()
