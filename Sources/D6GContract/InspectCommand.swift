// `d6g-contract inspect`: ABI, selectors, sizes and the disassembly with source lines.
import ArgumentParser
import Bytecode
import ContractCompiler
import LedgerPrimitives

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a contract's functions, selectors, events, errors, storage, sizes and disassembly with source lines.")

    @OptionGroup var source: ContractSource

    @Flag(help: "Leave out the disassembly.")
    var noCode = false

    func run() throws {
        let artifact = try source.artifact()
        print("\(artifact.contractName) (compiled by \(artifact.compiler.name) \(artifact.compiler.version))")
        print("\nfunctions:")
        for entry in artifact.abi where entry.type == "function" {
            let types = entry.valueTypes ?? []
            let signature = entry.signature(types)
            let selector = artifact.methodIdentifiers[signature] ?? "?"
            let returns = entry.outputs?.map(\.type).joined(separator: ", ") ?? ""
            let guardText = entry.stateMutability == "nonpayable" ? "" : " \(entry.stateMutability ?? "")"
            print("  0x\(selector)  \(signature)\(returns.isEmpty ? "" : " → \(returns)")\(guardText)")
        }
        for kind in ["event", "error"] {
            let entries = artifact.abi.filter { $0.type == kind }
            guard !entries.isEmpty else { continue }
            print("\n\(kind)s:")
            for entry in entries {
                let fields = entry.inputs.map { "\($0.type)\($0.indexed == true ? " indexed" : "") \($0.name)" }.joined(separator: ", ")
                print("  \(entry.name ?? "")(\(fields))")
            }
        }
        print("\nstorage:")
        for slot in artifact.storageLayout { print("  slot \(slot.slot): \(slot.name) \(slot.type)") }
        let payload = (try? Hex.decode(artifact.bytecode)) ?? []
        let stored = (try? Hex.decode(artifact.deployedBytecode)) ?? []
        print("\nsize: \(stored.count) bytes stored (runtime), \(payload.count) bytes deploy payload")
        guard !noCode, let container = try? Container.decode(payload).container else { return }
        for (section, functions) in [("init", container.initFunctions), ("runtime", container.runtimeFunctions)] {
            print("\n.\(section)")
            let entries = artifact.sourceMap.filter { $0.section == section }
            for (index, function) in functions.enumerated() {
                if functions.count > 1 { print(".function \(index)") }
                var lastLine = ""
                for (offset, text) in Disassembler.listing(of: function.code) {
                    let location = entries.last { $0.offset <= offset }.map { "\($0.file):\($0.line)" } ?? ""
                    let shown = location == lastLine ? "" : location
                    lastLine = location
                    print("\(String(offset).leftPadded(5)) \(text.padding(toLength: 28, withPad: " ", startingAt: 0)) \(shown)")
                }
            }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
