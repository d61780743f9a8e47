// d6g-node: the node's command line. Each subcommand only builds a configuration and calls
// library code (swift-argument-parser's habit).
import ArgumentParser

@main
struct D6GNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-node",
        abstract: "d6g-ledger node: permissioned BFT ledger for the DESIRE6G multi-agent system.",
        subcommands: [DevCommand.self, InitCommand.self, RunCommand.self, BackupCommand.self, RestoreCommand.self, KeygenCommand.self,
                      AssembleCommand.self, TestnetCommand.self]
    )
}
