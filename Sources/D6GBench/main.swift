// d6g-bench: benchmarks and load generation. Each subcommand lives in its own file.
import ArgumentParser

// No @main: a target whose entry file is main.swift runs its top-level code, and with more than
// one file in the target @main is refused there.
struct D6GBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-bench",
        abstract: "Benchmarks of d6g-ledger's parts and load against running nodes.",
        subcommands: [TrieBenchmark.self]
    )
}

D6GBench.main()
