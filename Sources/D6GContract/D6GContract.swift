// d6g-contract: compile the contracts in Contracts/, look inside them, deploy them and use them
// over JSON-RPC (Docs/contract-dsl.md §The command line).
import ArgumentParser
import ContractCompiler
import ContractDSL
import Contracts
import Foundation

@main
struct D6GContractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "d6g-contract",
        abstract: "Compile, inspect, deploy and call the contracts written in the DSL (Contracts/).",
        subcommands: [CompileCommand.self, ABICommand.self, InspectCommand.self, DeployCommand.self, CallCommand.self, SendCommand.self,
                      EncodeCommand.self, DecodeCommand.self]
    )
}

/// Where a command gets its artifact: a contract of Contracts/ by name, compiled now, or a
/// compiled artifact file.
struct ContractSource: ParsableArguments {
    @Argument(help: "A contract of Contracts/ (e.g. Token), or the path of an artifact .json file.")
    var contract: String

    func artifact() throws -> ContractArtifact {
        if contract.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: contract) else {
                throw ValidationError("cannot read \(contract)")
            }
            do { return try ContractArtifact.decode(data) } catch {
                throw ValidationError("\(contract) is not a contract artifact: \(error)")
            }
        }
        guard let declaration = Contracts.named(contract) else {
            let known = Contracts.all.map(\.name).joined(separator: ", ")
            throw ValidationError("no contract named \(contract) in Contracts/ (known: \(known)); give an artifact .json path instead")
        }
        return try compile(declaration)
    }
}

func compile(_ contract: Contract) throws -> ContractArtifact {
    do {
        return try ContractCompiler.compile(contract)
    } catch {
        throw ToolError("\(contract.name) does not compile:\n\(error)")
    }
}

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile contracts of Contracts/ into artifact JSON files (NAME.json).",
        discussion: "Every contract when no name is given. An error names the Swift file and line of the DSL statement.")

    @Argument(help: "Contract names (default: all).")
    var names: [String] = []

    @Option(name: .shortAndLong, help: "The folder to write artifacts to.")
    var out: String = "build/contracts"

    func run() throws {
        let chosen = names.isEmpty ? Contracts.all : try names.map { name in
            guard let contract = Contracts.named(name) else {
                throw ValidationError("no contract named \(name) in Contracts/ (known: \(Contracts.all.map(\.name).joined(separator: ", ")))")
            }
            return contract
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var failed = false
        for contract in chosen {
            let started = ContinuousClock.now
            do {
                let artifact = try ContractCompiler.compile(contract)
                let elapsed = started.duration(to: .now)
                let path = "\(out)/\(contract.name).json"
                try artifact.jsonData().write(to: URL(fileURLWithPath: path))
                let runtime = (artifact.deployedBytecode.count - 2) / 2
                print("\(contract.name): \(runtime) bytes of runtime code, \(artifact.methodIdentifiers.count) functions, "
                      + "compiled in \(milliseconds(elapsed)) ms → \(path)")
            } catch let errors as CompileErrors {
                failed = true
                FileHandle.standardError.write(Data("\(errors)\n".utf8))
            }
        }
        if failed { throw ExitCode.failure }
    }
}

struct ABICommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "abi", abstract: "Print a contract's ABI JSON.")

    @OptionGroup var source: ContractSource

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(try source.artifact().abi), as: UTF8.self))
    }
}

func milliseconds(_ duration: Duration) -> String {
    String(format: "%.1f", Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15)
}
