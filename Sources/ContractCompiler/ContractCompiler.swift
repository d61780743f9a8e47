// The contract compiler (Docs/contract-dsl.md): pure, no I/O. A `Contract` from the DSL goes
// through the model (declarations), the type checker (with constant folding), code generation to
// the intermediate form, scheduling (dead code, locals on the stack or in memory) and the
// assembler, and comes out as a `ContractArtifact` whose code the verifier has accepted.
import Bytecode
import ContractDSL
import LedgerPrimitives

public enum ContractCompiler {
    public static let name = "d6g-contract"
    public static let version = "0.1.0"

    public static func compile(_ contract: Contract) throws(CompileErrors) -> ContractArtifact {
        let model = ContractModel(contract)
        var errors = model.problems
        var checker = TypeChecker(model: model)
        let functions = model.functions.map { checker.check($0, isConstructor: false) }
        let constructor = model.constructor.map { checker.check($0, isConstructor: true) }
        errors += checker.errors
        guard errors.isEmpty else { throw CompileErrors(errors: errors) }

        var runtimeGenerator = CodeGenerator(data: DataSection())
        runtimeGenerator.emitRuntime(functions)
        var initGenerator = CodeGenerator(data: runtimeGenerator.data)
        initGenerator.emitConstructor(constructor)
        let data = initGenerator.data.bytes

        let runtime: ScheduledCode
        let initCode: ScheduledCode
        let runtimeFunctions: [Bytecode.Function]
        let initFunctions: [Bytecode.Function]
        do {
            (runtime, runtimeFunctions) = try schedule(runtimeGenerator)
            (initCode, initFunctions) = try schedule(initGenerator)
        } catch {
            throw CompileErrors(errors: [CompileError("internal compiler error: \(error)", at: contract.location)])
        }
        let flags: Container.Flags = contract.isReentrant ? [.reentrant] : []
        let payload = Container(flags: flags, initFunctions: initFunctions, runtimeFunctions: runtimeFunctions, data: data)
        let stored = payload.runtimeContainer(appendingData: [])
        let payloadBytes: [UInt8]
        let storedBytes: [UInt8]
        do {
            payloadBytes = try payload.encoded()
            storedBytes = try stored.encoded()
            _ = try Verifier.deployment(of: payload, fusing: false)
        } catch {
            // Code too large, or a compiler bug the verifier caught.
            throw CompileErrors(errors: [CompileError("the compiled code is rejected: \(error)", at: contract.location)])
        }

        var sourceMap = initCode.sourceMap.map { SourceMapEntry(section: "init", offset: $0.offset, file: $0.location.file, line: $0.location.line) }
        sourceMap += runtime.sourceMap.map { SourceMapEntry(section: "runtime", offset: $0.offset, file: $0.location.file, line: $0.location.line) }
        var identifiers: [String: String] = [:]
        for function in model.functions {
            let signature = ContractModel.signature(function.signature.name, function.signature.parameters.map(\.type))
            identifiers[signature] = String(ContractModel.selector(of: signature), radix: 16).leftPadded(to: 8)
        }
        return ContractArtifact(
            contractName: contract.name, abi: abi(of: model), bytecode: Hex.encode(payloadBytes), deployedBytecode: Hex.encode(storedBytes),
            methodIdentifiers: identifiers, sourceMap: sourceMap,
            storageLayout: model.storageOrder.map { StorageSlot(name: $0.name, slot: $0.slot.description, type: model.describe($0.type)) },
            compiler: CompilerInfo(name: name, version: version))
    }

    /// A section's function 0 and its helper functions, which share its heap pointer.
    private static func schedule(_ generator: CodeGenerator) throws(SchedulingError) -> (ScheduledCode, [Bytecode.Function]) {
        let (main, heapPointer) = try Scheduler.schedule(generator.program)
        var functions = [Bytecode.Function(code: main.code)]
        for helper in generator.helpers {
            let code = try Scheduler.scheduleHelper(helper, heapPointer: heapPointer)
            functions.append(Bytecode.Function(inputs: UInt8(helper.inputs), outputs: UInt8(helper.outputs), code: code.code))
        }
        return (main, functions)
    }

    static func abi(of model: ContractModel) -> [ABIEntry] {
        func parameters(_ fields: [Field]) -> [ABIParameter] { fields.map { ABIParameter(name: $0.name, type: $0.type.description) } }
        var entries: [ABIEntry] = []
        let constructor = model.constructor
        entries.append(ABIEntry(type: "constructor", inputs: parameters(constructor?.signature.parameters ?? []),
                                stateMutability: constructor?.signature.mutability == .payable ? "payable" : "nonpayable"))
        for function in model.functions {
            let signature = function.signature
            entries.append(ABIEntry(type: "function", name: signature.name, inputs: parameters(signature.parameters),
                                    outputs: signature.returns.map { [ABIParameter(name: "", type: $0.description)] } ?? [],
                                    stateMutability: signature.mutability.rawValue))
        }
        for event in model.events.values.sorted(by: { $0.name < $1.name }) {
            entries.append(ABIEntry(type: "event", name: event.name,
                                    inputs: event.fields.map { ABIParameter(name: $0.field.name, type: $0.field.type.description, indexed: $0.isIndexed) },
                                    anonymous: false))
        }
        for error in model.errors.values.sorted(by: { $0.name < $1.name }) {
            entries.append(ABIEntry(type: "error", name: error.name, inputs: parameters(error.fields)))
        }
        return entries
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
