// A contract declaration (Docs/contract-dsl.md): storage, records, events, errors, interfaces, a
// constructor and functions, gathered by a result builder into one `Contract` value that the
// contract compiler checks and compiles.

/// Whether a function may change state.
public enum Mutability: String, Sendable, Hashable {
    /// Reads and writes state.
    case nonpayable
    /// Also accepts value sent with the call.
    case payable
    /// Reads state only; the compiler refuses writes, events and non-view calls.
    case view
}

public struct StorageDeclaration: Sendable {
    public var name: String
    public var type: StorageType
    public var location: SourceLocation
}

public struct RecordDeclaration: Sendable {
    public var name: String
    public var fields: [Field]
    public var location: SourceLocation
}

public struct EventDeclaration: Sendable {
    public struct EventField: Sendable, Hashable {
        public var field: Field
        public var isIndexed: Bool
    }
    public var name: String
    public var fields: [EventField]
    public var location: SourceLocation
}

public struct ErrorDeclaration: Sendable {
    public var name: String
    public var fields: [Field]
    public var location: SourceLocation

    public init(name: String, fields: [Field], location: SourceLocation) {
        self.name = name
        self.fields = fields
        self.location = location
    }
}

public struct FunctionSignature: Sendable {
    public var name: String
    public var parameters: [Field]
    public var returns: ValueType?
    public var mutability: Mutability

    public init(name: String, parameters: [Field], returns: ValueType?, mutability: Mutability) {
        self.name = name
        self.parameters = parameters
        self.returns = returns
        self.mutability = mutability
    }
}

public struct InterfaceDeclaration: Sendable {
    public var name: String
    public var functions: [FunctionSignature]
    public var location: SourceLocation
}

public struct FunctionDeclaration: Sendable {
    public var signature: FunctionSignature
    /// Callers allowed: the call fails with `Unauthorized(address)` unless the sender equals one
    /// of these addresses (read at call time, e.g. `state.admin`).
    public var allowedCallers: [Expression]
    public var body: [Statement]
    public var location: SourceLocation

    public init(signature: FunctionSignature, allowedCallers: [Expression], body: [Statement], location: SourceLocation) {
        self.signature = signature
        self.allowedCallers = allowedCallers
        self.body = body
        self.location = location
    }
}

/// One member of a contract's declaration.
public enum ContractMember: Sendable {
    case storage(StorageDeclaration)
    case record(RecordDeclaration)
    case event(EventDeclaration)
    case error(ErrorDeclaration)
    case interface(InterfaceDeclaration)
    case constructor(FunctionDeclaration)
    case function(FunctionDeclaration)
}

/// Members built by a Swift function (`@ContractBuilder func roles() -> [ContractMember]`) go
/// into a contract where they are written: declarations shared by several contracts.
extension Array: ContractMemberConvertible where Element == ContractMember {
    public var members: [ContractMember] { self }
}

public protocol ContractMemberConvertible {
    var members: [ContractMember] { get }
}

@resultBuilder
public enum ContractBuilder {
    public static func buildExpression(_ member: some ContractMemberConvertible) -> [ContractMember] { member.members }
    public static func buildBlock(_ parts: [ContractMember]...) -> [ContractMember] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [ContractMember]?) -> [ContractMember] { part ?? [] }
    public static func buildEither(first part: [ContractMember]) -> [ContractMember] { part }
    public static func buildEither(second part: [ContractMember]) -> [ContractMember] { part }
    public static func buildArray(_ parts: [[ContractMember]]) -> [ContractMember] { parts.flatMap { $0 } }
}

/// A contract: `Contract("Token") { Storage(…) … Function(…) { … } }`.
public struct Contract: Sendable {
    public var name: String
    public var members: [ContractMember]
    /// Whether the contract accepts calls while it is already on the call stack (off by default:
    /// the VM refuses re-entrant calls).
    public var isReentrant: Bool
    public var location: SourceLocation

    public init(_ name: String, reentrant: Bool = false, file: StaticString = #fileID, line: UInt = #line,
                @ContractBuilder _ members: () -> [ContractMember]) {
        self.name = name
        self.members = members()
        isReentrant = reentrant
        location = SourceLocation(file, line)
    }
}

/// `Storage("balances", .map(key: .address, value: .value(.uint256)))`, or the shorthands
/// `Storage("owner", .address)`.
public struct Storage: ContractMemberConvertible {
    public let members: [ContractMember]
    public init(_ name: String, _ type: StorageType, file: StaticString = #fileID, line: UInt = #line) {
        members = [.storage(StorageDeclaration(name: name, type: type, location: SourceLocation(file, line)))]
    }
    public init(_ name: String, _ type: ValueType, file: StaticString = #fileID, line: UInt = #line) {
        self.init(name, .value(type), file: file, line: line)
    }
}

extension StorageType {
    /// `.map(.address, to: .uint256)`.
    public static func map(_ key: ValueType, to value: ValueType) -> StorageType { .map(key: key, value: .value(value)) }
    /// `.map(.address, to: .map(.address, to: .uint256))`.
    public static func map(_ key: ValueType, to value: StorageType) -> StorageType { .map(key: key, value: value) }
    /// `.array(of: .address)`.
    public static func array(of element: ValueType) -> StorageType { .array(.value(element)) }
}

/// `Record("Agent", ("status", .uint8), ("registeredAt", .uint64))`: a fixed-size record whose
/// fields take consecutive storage slots.
public struct Record: ContractMemberConvertible {
    public let members: [ContractMember]
    public init(_ name: String, _ fields: (String, ValueType)..., file: StaticString = #fileID, line: UInt = #line) {
        members = [.record(RecordDeclaration(name: name, fields: fields.map { Field($0.0, $0.1) }, location: SourceLocation(file, line)))]
    }
}

/// An event field: `.indexed("from", .address)` or `.field("value", .uint256)`.
public struct EventParameter: Sendable {
    let field: EventDeclaration.EventField
    public static func indexed(_ name: String, _ type: ValueType) -> EventParameter {
        EventParameter(field: .init(field: Field(name, type), isIndexed: true))
    }
    public static func field(_ name: String, _ type: ValueType) -> EventParameter {
        EventParameter(field: .init(field: Field(name, type), isIndexed: false))
    }
}

/// `Event("Transfer", .indexed("from", .address), .indexed("to", .address), .field("value", .uint256))`.
public struct Event: ContractMemberConvertible {
    public let members: [ContractMember]
    public init(_ name: String, _ fields: EventParameter..., file: StaticString = #fileID, line: UInt = #line) {
        members = [.event(EventDeclaration(name: name, fields: fields.map(\.field), location: SourceLocation(file, line)))]
    }
}

/// `CustomError("InsufficientBalance", ("available", .uint256), ("needed", .uint256))`.
public struct CustomError: ContractMemberConvertible {
    public let members: [ContractMember]
    public init(_ name: String, _ fields: (String, ValueType)..., file: StaticString = #fileID, line: UInt = #line) {
        members = [.error(ErrorDeclaration(name: name, fields: fields.map { Field($0.0, $0.1) }, location: SourceLocation(file, line)))]
    }
}

/// A function of another contract, for `Interface`.
public struct InterfaceFunction: Sendable {
    let signature: FunctionSignature
    public init(_ name: String, _ parameters: (String, ValueType)..., returns: ValueType? = nil, _ mutability: Mutability = .nonpayable) {
        signature = FunctionSignature(name: name, parameters: parameters.map { Field($0.0, $0.1) }, returns: returns, mutability: mutability)
    }
    /// `InterfaceFunction("pause", .nonpayable)`: no parameters, no result.
    public init(_ name: String, _ mutability: Mutability) {
        signature = FunctionSignature(name: name, parameters: [], returns: nil, mutability: mutability)
    }
}

/// `Interface("Registry", InterfaceFunction("isEligible", ("agent", .address), returns: .bool, .view))`:
/// what this contract may call on another one.
public struct Interface: ContractMemberConvertible {
    public let members: [ContractMember]
    public init(_ name: String, _ functions: InterfaceFunction..., file: StaticString = #fileID, line: UInt = #line) {
        members = [.interface(InterfaceDeclaration(name: name, functions: functions.map(\.signature), location: SourceLocation(file, line)))]
    }
}

/// `Constructor(("supply", .uint256)) { … }`: runs once, at deployment.
public struct Constructor: ContractMemberConvertible {
    public let members: [ContractMember]
    public init(_ parameters: (String, ValueType)..., payable: Bool = false, file: StaticString = #fileID, line: UInt = #line,
                @StatementBuilder _ body: () -> [Statement]) {
        let signature = FunctionSignature(name: "constructor", parameters: parameters.map { Field($0.0, $0.1) }, returns: nil,
                                          mutability: payable ? .payable : .nonpayable)
        members = [.constructor(FunctionDeclaration(signature: signature, allowedCallers: [], body: body(), location: SourceLocation(file, line)))]
    }
}

/// `Function("transfer", ("to", .address), ("amount", .uint256), returns: .bool) { … }`;
/// `.view` makes it read-only, `only: [state.admin]` lets only those senders call it.
public struct Function: ContractMemberConvertible {
    public let members: [ContractMember]
    public init(_ name: String, _ parameters: (String, ValueType)..., returns: ValueType? = nil, _ mutability: Mutability = .nonpayable,
                only allowedCallers: [Expression] = [], file: StaticString = #fileID, line: UInt = #line,
                @StatementBuilder _ body: () -> [Statement]) {
        let signature = FunctionSignature(name: name, parameters: parameters.map { Field($0.0, $0.1) }, returns: returns, mutability: mutability)
        members = [.function(FunctionDeclaration(signature: signature, allowedCallers: allowedCallers, body: body(), location: SourceLocation(file, line)))]
    }

    /// `Function("pause", .view) { … }`: no parameters, no result.
    public init(_ name: String, _ mutability: Mutability, only allowedCallers: [Expression] = [], file: StaticString = #fileID,
                line: UInt = #line, @StatementBuilder _ body: () -> [Statement]) {
        let signature = FunctionSignature(name: name, parameters: [], returns: nil, mutability: mutability)
        members = [.function(FunctionDeclaration(signature: signature, allowedCallers: allowedCallers, body: body(), location: SourceLocation(file, line)))]
    }
}
