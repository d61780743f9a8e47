// The tests' world: a contract address, a sender, and helpers that wrap code built with
// CodeBuilder into a container, install it in a TestHost and call it.
import Bytecode
import LedgerPrimitives
import VM

enum Fixture {
    static let contract = address(0xC0)
    static let other = address(0xC1)
    static let third = address(0xC2)
    static let sender = address(0x5E)
    static let defaultGas: Int64 = 1_000_000

    static func address(_ last: UInt8) -> Address {
        Address(bytes: [UInt8](repeating: 0, count: 19) + [last])!
    }

    /// A runtime container holding `functions` (function 0 first).
    static func runtime(_ functions: [(CodeBuilder, inputs: UInt8, outputs: UInt8)], data: [UInt8] = [],
                        flags: Container.Flags = []) throws -> [UInt8] {
        let built = try functions.map { Function(inputs: $0.inputs, outputs: $0.outputs, code: try $0.0.assembled()) }
        return try Container(flags: flags, runtimeFunctions: built, data: data).encoded()
    }

    static func runtime(_ code: CodeBuilder, data: [UInt8] = [], flags: Container.Flags = []) throws -> [UInt8] {
        try runtime([(code, inputs: 0, outputs: 0)], data: data, flags: flags)
    }

    /// Installs `code` at `Fixture.contract` in a fresh host and calls it.
    static func run(_ code: CodeBuilder, input: [UInt8] = [], value: UInt256 = .zero, gas: Int64 = defaultGas,
                    data: [UInt8] = [], host: TestHost = TestHost(),
                    isStatic: Bool = false) throws -> (result: ExecutionResult, host: TestHost) {
        try host.installCode(runtime(code, data: data), at: contract)
        let result = VM.call(Message(caller: sender, recipient: contract, value: value, input: input, gas: gas,
                                     isStatic: isStatic), host: host)
        return (result, host)
    }

    /// Runs `code` and reads its 32-byte output as a word (nil unless it succeeded with 32 bytes).
    static func word(_ code: CodeBuilder, input: [UInt8] = []) throws -> UInt256? {
        let (result, _) = try run(code, input: input)
        guard result.outcome == .success, result.output.count == 32 else { return nil }
        return UInt256(bigEndianBytes: result.output)
    }
}

extension CodeBuilder {
    static var start: CodeBuilder { CodeBuilder() }
}
