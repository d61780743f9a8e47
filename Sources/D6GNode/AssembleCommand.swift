// `d6g-node assemble`: turns d6g assembly (Docs/vm.md §Assembly) into the hex of a deploy
// payload, verified as the node will verify it, ready for a creation transaction's data.
import ArgumentParser
import Bytecode
import Foundation
import LedgerPrimitives

struct AssembleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assemble",
        abstract: "Assemble a contract and print its deploy payload as 0x-prefixed hex.",
        discussion: """
            The payload is the container, then the constructor arguments given with --arguments \
            (hex, passed to init function 0 as call data). Containers with an init section are \
            verified as a deployment; others as runtime code.
            """
    )

    @Argument(help: "The assembly source file.")
    var file: String

    @Option(help: "Constructor arguments, hex, appended after the container.")
    var arguments: String = "0x"

    func run() throws {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ValidationError("cannot read \(file): \(error.localizedDescription)")
        }
        let container: Container
        do { container = try Assembler.assemble(text) } catch { throw ValidationError("\(file): \(error)") }
        do {
            if container.initFunctions.isEmpty {
                _ = try Verifier.runtimeProgram(of: container)
            } else {
                _ = try Verifier.deployment(of: container)
            }
        } catch {
            throw ValidationError("\(file) does not verify: \(error)")
        }
        let tail: [UInt8]
        do { tail = try Hex.decode(arguments) } catch { throw ValidationError("--arguments is not hex: \(error)") }
        let encoded: [UInt8]
        do { encoded = try container.encoded() } catch { throw ValidationError("\(file): \(error)") }
        print(Hex.encode(encoded + tail))
    }
}
