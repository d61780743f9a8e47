// `d6g-contract deploy | call | send`: a contract over JSON-RPC, with arguments typed as the ABI
// says and answers decoded the same way (Docs/contract-dsl.md §The command line).
import ArgumentParser
import ContractCompiler
import ContractDSL
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerPrimitives

#if canImport(Glibc)
import Glibc
#endif

/// A failure of the work itself (a revert, an unreachable node, a missing receipt), not of the
/// command line: printed without the usage text, exit status 1.
struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

struct Connection: ParsableArguments {
    @Option(help: "The node's JSON-RPC URL.")
    var rpc: String = "http://127.0.0.1:8545"

    @Option(help: "Seconds to wait for a receipt.")
    var timeout: Double = 60

    func validate() throws {
        guard timeout.isFinite, timeout > 0 else { throw ValidationError("--timeout is a positive number of seconds") }
    }

    func client() throws -> LedgerClient {
        do { return LedgerClient(transport: try HTTPTransport(url: rpc)) } catch {
            throw ValidationError("--rpc \(rpc): \(error)")
        }
    }
}

struct Credentials: ParsableArguments {
    @Option(help: "A file holding the sender's private key in hex.")
    var key: String?

    @Option(help: "An Ethereum keystore (v3) file; the password comes from $D6G_KEYSTORE_PASSWORD or a prompt.")
    var keystore: String?

    func signer() throws -> Signer {
        switch (key, keystore) {
        case (let path?, nil):
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw ValidationError("cannot read the key file \(path)") }
            do { return try Signer(privateKeyHex: text.trimmingCharacters(in: .whitespacesAndNewlines)) } catch {
                throw ValidationError("\(path) does not hold a private key in hex: \(error)")
            }
        case (nil, let path?):
            let password: String
            if let fromEnvironment = ProcessInfo.processInfo.environment["D6G_KEYSTORE_PASSWORD"] {
                password = fromEnvironment
            } else if let typed = getpass("password for \(path): ") {
                password = String(cString: typed)
            } else {
                throw ValidationError("no password: set D6G_KEYSTORE_PASSWORD")
            }
            do { return try Signer(keystoreFile: path, password: password) } catch {
                throw ValidationError("cannot open the keystore \(path): \(error)")
            }
        default:
            throw ValidationError("give exactly one of --key FILE and --keystore FILE")
        }
    }
}

/// Which function of which deployed contract, with its arguments (call and send).
struct FunctionCall: ParsableArguments {
    @Option(help: "The contract's address.")
    var at: String
    @Argument(help: "The function's name.")
    var function: String
    @Argument(parsing: .allUnrecognized, help: "Its arguments (negative numbers allowed).")
    var arguments: [String] = []

    /// The ABI entry, the call data and the contract's address.
    func resolve(in artifact: ContractArtifact) throws -> (entry: ABIEntry, data: [UInt8], address: Address) {
        let entry = try abiFunction(named: function, in: artifact)
        let values = try parseArguments(arguments, for: entry, what: function)
        return (entry, ABICodec.callData(entry.signature(entry.valueTypes ?? []), values), try parseAddress(at))
    }
}

/// Parses `arguments` for the ABI `inputs`, with errors that name the parameter.
func parseArguments(_ arguments: [String], for entry: ABIEntry, what: String) throws -> [ABIValue] {
    guard let types = entry.valueTypes else { throw ValidationError("\(what) has parameter types this tool does not know") }
    guard arguments.count == types.count else {
        let expected = zip(entry.inputs, types).map { "\($0.name): \($1)" }.joined(separator: ", ")
        throw ValidationError("\(what) takes \(types.count) argument\(types.count == 1 ? "" : "s") (\(expected)), \(arguments.count) given")
    }
    return try zip(zip(arguments, types), entry.inputs).map { pair, input in
        do { return try ABIValue.parse(pair.0, as: pair.1) } catch {
            throw ValidationError("argument \(input.name): \(error)")
        }
    }
}

func abiFunction(named name: String, in artifact: ContractArtifact) throws -> ABIEntry {
    guard let entry = artifact.abi.first(where: { $0.type == "function" && $0.name == name }) else {
        let names = artifact.abi.filter { $0.type == "function" }.compactMap(\.name).joined(separator: ", ")
        throw ValidationError("\(artifact.contractName) has no function \(name) (it has: \(names))")
    }
    return entry
}

func parseAddress(_ text: String) throws -> Address {
    guard case .address(let address) = try? ABIValue.parse(text, as: .address) else {
        throw ValidationError("'\(text)' is not an address: expected 0x and 40 hex digits")
    }
    return address
}

/// Waits for a receipt, redrawing one progress line on standard error.
func waitForReceipt(_ hash: Hash32, client: LedgerClient, timeout: Double) async throws -> TransactionReceipt {
    let started = ContinuousClock.now
    let terminal = isatty(STDERR_FILENO) != 0
    var announced = false
    while true {
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if terminal || !announced {
            announced = true
            // One line, redrawn on a terminal; written once otherwise (logs stay readable).
            let line = "  waiting for the receipt of \(hash) … \(String(format: "%.1f", seconds)) s"
            FileHandle.standardError.write(Data((terminal ? "\r" + line : line + "\n").utf8))
        }
        if let receipt = try await client.receipt(for: hash) {
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            return receipt
        }
        if seconds > timeout {
            FileHandle.standardError.write(Data("\n".utf8))
            throw ToolError("no receipt for \(hash) after \(String(format: "%g", timeout)) s; the transaction may still be pending — check later with its hash")
        }
        try await Task.sleep(for: .milliseconds(200))
    }
}

/// What went wrong, for a person: the revert reason decoded by the ABI when the node sent revert
/// data, a plain word when no node answers.
func explanation(of error: any Error, abi: [ABIEntry], rpc: String) -> String {
    guard let error = error as? ClientError else { return "\(error)" }
    switch error {
    case .rpc(_, let message, let data):
        if let text = data?.stringValue, let bytes = try? Hex.decode(text) { return RevertReason(output: bytes, abi: abi).description }
        return message
    case .transport(_, let reason):
        return "no node answers at \(rpc) (\(reason)); start one (make run) or give its URL with --rpc"
    case .timeout(_, let seconds):
        return "the node at \(rpc) did not answer within \(seconds) s"
    default:
        return "\(error)"
    }
}

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Deploy a contract with its constructor arguments; prints its address, the transaction hash and the gas used.",
        discussion: "Example: d6g-contract deploy Token --key dev.key 1000000")

    @OptionGroup var source: ContractSource
    @Argument(parsing: .allUnrecognized, help: "Its arguments (negative numbers allowed).")
    var arguments: [String] = []
    @OptionGroup var connection: Connection
    @OptionGroup var credentials: Credentials

    func run() async throws {
        let artifact = try source.artifact()
        let constructor = artifact.abi.first { $0.type == "constructor" } ?? ABIEntry(type: "constructor", inputs: [])
        let values = try parseArguments(arguments, for: constructor, what: "the constructor of \(artifact.contractName)")
        guard let payload = try? Hex.decode(artifact.bytecode) else { throw ValidationError("the artifact's bytecode is not hex") }
        let client = try connection.client()
        let sender = TransactionSender(client: client, signer: try credentials.signer())
        let data = payload + ABICodec.encode(values)
        let hash: Hash32
        do { hash = try await sender.send(TransactionRequest(to: nil, data: data)) } catch {
            throw ToolError("cannot deploy \(artifact.contractName): \(explanation(of: error, abi: artifact.abi, rpc: connection.rpc))")
        }
        let receipt = try await waitForReceipt(hash, client: client, timeout: connection.timeout)
        guard receipt.succeeded, let address = receipt.contractAddress else {
            throw ToolError("deployment failed in block \(receipt.blockNumber) (transaction \(hash), gas used \(receipt.gasUsed))")
        }
        print("\(artifact.contractName) deployed")
        print("  address      \(address)")
        print("  transaction  \(hash)")
        print("  block        \(receipt.blockNumber)")
        print("  gas used     \(receipt.gasUsed)")
    }
}

struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call a function without a transaction (eth_call) and print its decoded result.",
        discussion: "Example: d6g-contract call Token --at 0x… balanceOf 0x…")

    @OptionGroup var source: ContractSource
    @OptionGroup var target: FunctionCall
    @Option(help: "The sender the call is made as, which role guards check (default: the zero address).")
    var from: String?
    @OptionGroup var connection: Connection

    func run() async throws {
        let artifact = try source.artifact()
        let (entry, data, address) = try target.resolve(in: artifact)
        let function = target.function
        let request = CallRequest(from: try from.map(parseAddress), to: address, data: data)
        let output: [UInt8]
        do { output = try await connection.client().call(request) } catch {
            throw ToolError("\(function): \(explanation(of: error, abi: artifact.abi, rpc: connection.rpc))")
        }
        guard let type = entry.outputs?.first.flatMap({ ABICodec.valueType(named: $0.type) }) else {
            print("ok (no result)")
            return
        }
        guard let value = ABICodec.decode(output, as: [type])?.first else {
            throw ToolError("\(function) answered \(Hex.encode(output)), which is not a \(type); is --at the right contract?")
        }
        print(value.text(as: type))
    }
}

struct SendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Call a function in a signed transaction, wait for it, and print its status, gas and events.",
        discussion: "Example: d6g-contract send Token --at 0x… --key dev.key transfer 0x… 25")

    @OptionGroup var source: ContractSource
    @OptionGroup var target: FunctionCall
    @Option(help: "Value to send with the call, in wei (payable functions only).")
    var value: String = "0"
    @Option(help: "Gas limit; without it the node estimates it, which refuses a call that would revert.")
    var gas: UInt64?
    @OptionGroup var connection: Connection
    @OptionGroup var credentials: Credentials

    func run() async throws {
        let artifact = try source.artifact()
        let (_, data, address) = try target.resolve(in: artifact)
        let function = target.function
        guard case .unsigned(let amount) = try? ABIValue.parse(value, as: .uint256) else {
            throw ValidationError("--value \(value) is not an amount of wei")
        }
        let client = try connection.client()
        let sender = TransactionSender(client: client, signer: try credentials.signer())
        let hash: Hash32
        do { hash = try await sender.send(TransactionRequest(to: address, value: amount, data: data, gasLimit: gas)) } catch {
            // Without --gas the node estimates the gas by running the call first: a call that
            // would revert is refused there, decoded, and nothing is sent.
            let note = gas == nil ? " (found when estimating its gas, so nothing was sent; --gas N sends it anyway)" : ""
            throw ToolError("\(function): \(explanation(of: error, abi: artifact.abi, rpc: connection.rpc))\(note)")
        }
        let receipt = try await waitForReceipt(hash, client: client, timeout: connection.timeout)
        print("\(function) \(receipt.succeeded ? "succeeded" : "failed") in block \(receipt.blockNumber)")
        print("  transaction  \(hash)")
        print("  gas used     \(receipt.gasUsed)")
        for log in receipt.logs where log.address == address {
            if let event = DecodedEvent(topics: log.topics, data: log.data, address: log.address, abi: artifact.abi) {
                print("  event        \(event)")
            }
        }
        if !receipt.succeeded { throw ExitCode.failure }
    }
}
