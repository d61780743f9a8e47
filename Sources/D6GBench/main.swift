// d6g-bench: benchmarks and load generation. Each subcommand lives in its own file.
import ArgumentParser

@main
struct D6GBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-bench",
        abstract: "Benchmarks of d6g-ledger's parts and load against running nodes.",
        subcommands: []
    )
}
