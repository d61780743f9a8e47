// The declarations of a contract resolved once: storage slots, records, events, errors and
// interfaces by name, with their ABI signatures (Docs/contract-dsl.md §Storage layout, §ABI).
import ContractDSL
import LedgerPrimitives

struct ContractModel {
    struct StorageVariable {
        var name: String
        var slot: UInt256
        var type: StorageType
        var location: SourceLocation
    }

    let contract: Contract
    private(set) var storage: [String: StorageVariable] = [:]
    private(set) var storageOrder: [StorageVariable] = []
    private(set) var records: [String: RecordDeclaration] = [:]
    private(set) var events: [String: EventDeclaration] = [:]
    private(set) var errors: [String: ErrorDeclaration] = [:]
    private(set) var interfaces: [String: InterfaceDeclaration] = [:]
    private(set) var constructor: FunctionDeclaration?
    private(set) var functions: [FunctionDeclaration] = []
    private(set) var problems: [CompileError] = []

    /// The error a loop that would run more than its `atMost` reverts with.
    static let loopBoundExceeded = ErrorDeclaration(name: "LoopBoundExceeded", fields: [],
                                                    location: SourceLocation(file: "ContractCompiler", line: 0))

    /// The error every role guard reverts with.
    static let unauthorized = ErrorDeclaration(name: "Unauthorized", fields: [Field("caller", .address)],
                                               location: SourceLocation(file: "ContractCompiler", line: 0))

    init(_ contract: Contract) {
        self.contract = contract
        var names: [String: SourceLocation] = [:]
        func claim(_ kind: String, _ name: String, _ location: SourceLocation) -> Bool {
            guard isIdentifier(name) else {
                problems.append(CompileError("'\(name)' is not a valid \(kind) name (letters, digits and _, not starting with a digit)", at: location))
                return false
            }
            if let previous = names["\(kind) \(name)"] {
                problems.append(CompileError("\(kind) '\(name)' is declared twice (first at \(previous))", at: location))
                return false
            }
            names["\(kind) \(name)"] = location
            return true
        }
        // Records first: storage types refer to them.
        for case .record(let record) in contract.members where claim("record", record.name, record.location) {
            records[record.name] = record
            for field in record.fields { checkValueType(field.type, at: record.location) }
            if record.fields.isEmpty { problems.append(CompileError("record '\(record.name)' has no fields", at: record.location)) }
            if Set(record.fields.map(\.name)).count != record.fields.count {
                problems.append(CompileError("record '\(record.name)' has two fields of the same name", at: record.location))
            }
        }
        var nextSlot = 0
        for member in contract.members {
            switch member {
            case .storage(let declaration):
                guard claim("storage variable", declaration.name, declaration.location) else { continue }
                checkStorageType(declaration.type, at: declaration.location)
                let variable = StorageVariable(name: declaration.name, slot: UInt256(UInt64(nextSlot)), type: declaration.type,
                                               location: declaration.location)
                storage[declaration.name] = variable
                storageOrder.append(variable)
                nextSlot += slotCount(of: declaration.type)
            case .event(let event):
                guard claim("event", event.name, event.location) else { continue }
                for field in event.fields { checkValueType(field.field.type, at: event.location) }
                if event.fields.filter(\.isIndexed).count > 3 {
                    problems.append(CompileError("event '\(event.name)' has more than 3 indexed fields", at: event.location))
                }
                events[event.name] = event
            case .error(let error):
                guard claim("error", error.name, error.location) else { continue }
                for field in error.fields { checkValueType(field.type, at: error.location) }
                errors[error.name] = error
            case .interface(let interface):
                guard claim("interface", interface.name, interface.location) else { continue }
                for function in interface.functions {
                    function.parameters.forEach { checkValueType($0.type, at: interface.location) }
                    function.returns.map { checkValueType($0, at: interface.location) }
                }
                interfaces[interface.name] = interface
            case .constructor(let declaration):
                if constructor != nil {
                    problems.append(CompileError("a contract has at most one constructor", at: declaration.location))
                }
                constructor = declaration
            case .function(let declaration):
                guard claim("function", declaration.signature.name, declaration.location) else { continue }
                functions.append(declaration)
            case .record:
                break
            }
        }
        if let guarded = functions.first(where: { !$0.allowedCallers.isEmpty }) {
            if let declared = errors["Unauthorized"], declared.fields.map(\.type) != [.address] {
                problems.append(CompileError("role guards revert with Unauthorized(address); this contract declares Unauthorized with other fields",
                                             at: guarded.location))
            }
            errors["Unauthorized"] = errors["Unauthorized"] ?? Self.unauthorized
        }
        let bodies = functions.map(\.body) + (constructor.map { [$0.body] } ?? [])
        if bodies.contains(where: Self.containsLoop) {
            if let declared = errors["LoopBoundExceeded"], !declared.fields.isEmpty {
                problems.append(CompileError("bounded loops revert with LoopBoundExceeded(); this contract declares it with fields",
                                             at: declared.location))
            }
            errors["LoopBoundExceeded"] = errors["LoopBoundExceeded"] ?? Self.loopBoundExceeded
        }
        var selectors: [UInt32: String] = [:]
        for function in functions {
            function.signature.parameters.forEach { checkValueType($0.type, at: function.location, parameter: true) }
            function.signature.returns.map { checkValueType($0, at: function.location) }
            let selector = Self.selector(of: function.signature)
            if let other = selectors[selector] {
                problems.append(CompileError("function '\(function.signature.name)' has the same selector as '\(other)'", at: function.location))
            }
            selectors[selector] = function.signature.name
        }
        constructor?.signature.parameters.forEach {
            checkValueType($0.type, at: constructor?.location ?? contract.location, parameter: true)
        }
    }

    static func containsLoop(_ statements: [Statement]) -> Bool {
        statements.contains { statement in
            switch statement.kind {
            case .loop: return true
            case .if(_, let then, let otherwise): return containsLoop(then) || containsLoop(otherwise)
            default: return false
            }
        }
    }

    /// How many consecutive slots a variable takes at its own slot.
    func slotCount(of type: StorageType) -> Int {
        if case .record(let name) = type { return max(records[name]?.fields.count ?? 1, 1) }
        return 1
    }

    /// The slot offsets within a value or record of `type` that hold byte strings.
    func byteStringFields(of type: StorageType) -> Set<Int> {
        switch type {
        case .value(let value): return value.isByteString ? [0] : []
        case .record(let name):
            guard let fields = records[name]?.fields else { return [] }
            return Set(fields.indices.filter { fields[$0].type.isByteString })
        default: return []
        }
    }

    /// `parameter`: a function's or the constructor's parameter, the one place an array may be.
    private mutating func checkValueType(_ type: ValueType, at location: SourceLocation, parameter: Bool = false) {
        if case .array(let element) = type {
            if !parameter {
                problems.append(CompileError("'\(type)': an array is only a function parameter (not a local, result, field or storage value); "
                                             + "copy what you keep into a storage array", at: location))
            } else if element.isArray {
                problems.append(CompileError("'\(type)': arrays hold word values, bytes or strings, not arrays", at: location))
            } else if !element.isWellFormed {
                problems.append(CompileError("'\(element)' is not a valid type", at: location))
            }
            return
        }
        if !type.isWellFormed { problems.append(CompileError("'\(type)' is not a valid type", at: location)) }
    }

    private mutating func checkStorageType(_ type: StorageType, at location: SourceLocation) {
        switch type {
        case .value(let value): checkValueType(value, at: location)
        case .map(let key, let value):
            checkValueType(key, at: location)
            if key.isDynamic {
                problems.append(CompileError("a map key is a word type, not \(key); key the map by keccak256 of the value", at: location))
            }
            checkStorageType(value, at: location)
        case .array(let element):
            switch element {
            case .value, .record: checkStorageType(element, at: location)
            default: problems.append(CompileError("an array holds values or records, not \(element)", at: location))
            }
        case .record(let name):
            if records[name] == nil { problems.append(CompileError("unknown record '\(name)'", at: location)) }
        }
    }

    /// A storage type with its records spelled out, for the artifact's layout:
    /// `map(address => Member{level uint8, index uint256})` (fields in slot order).
    func describe(_ type: StorageType) -> String {
        switch type {
        case .value(let value): return value.description
        case .map(let key, let value): return "map(\(key) => \(describe(value)))"
        case .array(let element): return "\(describe(element))[]"
        case .record(let name):
            let fields = records[name]?.fields.map { "\($0.name) \($0.type)" }.joined(separator: ", ") ?? ""
            return "\(name){\(fields)}"
        }
    }

    // MARK: ABI signatures

    static func signature(_ name: String, _ types: [ValueType]) -> String {
        "\(name)(\(types.map(\.description).joined(separator: ",")))"
    }

    static func selector(of function: FunctionSignature) -> UInt32 {
        selector(of: signature(function.name, function.parameters.map(\.type)))
    }

    static func selector(of signature: String) -> UInt32 {
        ABICodec.selector(signature).reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func topic(of event: EventDeclaration) -> UInt256 {
        UInt256(Keccak256.hash(Array(signature(event.name, event.fields.map(\.field.type)).utf8)))
    }
}

func isIdentifier(_ name: String) -> Bool {
    guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
    return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
}
