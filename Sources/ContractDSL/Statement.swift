// Statements of the contract DSL, written inside function bodies with a result builder
// (Docs/contract-dsl.md §Statements). Each records the Swift file and line it was written on.

/// How a call stops with an error: a reason string (ABI `Error(string)`) or a declared error
/// with arguments.
public enum FailureReason: Sendable {
    case message(String)
    case error(String, [Expression])
}

public struct Statement: Sendable {
    public indirect enum Kind: Sendable {
        /// A new local, typed by its declaration or by its value.
        case define(name: String, type: ValueType?, value: Expression)
        case assign(target: Expression, value: Expression)
        /// `target = target op value`, with the target's slot computed once.
        case update(target: Expression, operator: BinaryOperator, value: Expression)
        case `if`(condition: Expression, then: [Statement], otherwise: [Statement])
        /// `for name in start..<end`, at most `maxIterations` times (more fails the call).
        case loop(name: String, start: Expression, end: Expression, maxIterations: Int, body: [Statement])
        case require(condition: Expression, failure: FailureReason)
        case revert(FailureReason)
        case `return`(Expression?)
        case emit(event: String, arguments: [Expression])
        /// An expression run for its effect (an external call).
        case evaluate(Expression)
        /// Appends a value to a storage array, or (nil) grows an array of records by one.
        case append(array: Expression, value: Expression?)
        /// Removes a storage array's last element.
        case removeLast(array: Expression)
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }
}

/// What a result builder of statements accepts.
public protocol StatementConvertible {
    var statements: [Statement] { get }
}

extension Statement: StatementConvertible {
    public var statements: [Statement] { [self] }
}

/// Statements built by a Swift function (`@StatementBuilder func record(…) -> [Statement]`) go
/// into a body where they are written: the DSL's way to share code between functions, inlined
/// at each use (there are no internal functions).
extension Array: StatementConvertible where Element == Statement {
    public var statements: [Statement] { self }
}

@resultBuilder
public enum StatementBuilder {
    public static func buildExpression(_ statement: some StatementConvertible) -> [Statement] { statement.statements }
    public static func buildBlock(_ parts: [Statement]...) -> [Statement] { parts.flatMap { $0 } }
    public static func buildOptional(_ part: [Statement]?) -> [Statement] { part ?? [] }
    public static func buildEither(first part: [Statement]) -> [Statement] { part }
    public static func buildEither(second part: [Statement]) -> [Statement] { part }
    public static func buildArray(_ parts: [[Statement]]) -> [Statement] { parts.flatMap { $0 } }
}

/// `Let("total", local.a + local.b)` or `Let("total", .uint64, …)`: a new local.
public struct Let: StatementConvertible {
    public let statements: [Statement]
    public init(_ name: String, _ value: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.define(name: name, type: nil, value: value), at: SourceLocation(file, line))]
    }
    public init(_ name: String, _ type: ValueType, _ value: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.define(name: name, type: type, value: value), at: SourceLocation(file, line))]
    }
}

/// `Assign(state.owner, local.newOwner)`: stores a value in a local, a storage variable, a map
/// entry, an array element or a record field.
public struct Assign: StatementConvertible {
    public let statements: [Statement]
    public init(_ target: Expression, _ value: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.assign(target: target, value: value), at: SourceLocation(file, line))]
    }
}

/// `Increase(state.balances[local.to], by: local.amount)`: checked `+=` that reads and writes
/// the slot once.
public struct Increase: StatementConvertible {
    public let statements: [Statement]
    public init(_ target: Expression, by value: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.update(target: target, operator: .add, value: value), at: SourceLocation(file, line))]
    }
}

/// `Decrease(state.balances[sender], by: local.amount)`: checked `-=` (fails below zero).
public struct Decrease: StatementConvertible {
    public let statements: [Statement]
    public init(_ target: Expression, by value: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.update(target: target, operator: .subtract, value: value), at: SourceLocation(file, line))]
    }
}

/// `If(cond) { … } otherwise: { … }`.
public struct If: StatementConvertible {
    public let statements: [Statement]
    public init(_ condition: Expression, file: StaticString = #fileID, line: UInt = #line,
                @StatementBuilder then: () -> [Statement], @StatementBuilder otherwise: () -> [Statement] = { [] }) {
        statements = [Statement(.if(condition: condition, then: then(), otherwise: otherwise()), at: SourceLocation(file, line))]
    }
}

/// `For("i", from: 0, to: local.count, atMost: 100) { … }`: the local `i` runs from `from` up to,
/// not including, `to`; a loop that would run more than `atMost` times fails the call instead.
public struct For: StatementConvertible {
    public let statements: [Statement]
    public init(_ name: String, from start: Expression, to end: Expression, atMost maxIterations: Int,
                file: StaticString = #fileID, line: UInt = #line, @StatementBuilder _ body: () -> [Statement]) {
        statements = [Statement(.loop(name: name, start: start, end: end, maxIterations: maxIterations, body: body()),
                                at: SourceLocation(file, line))]
    }
}

/// `Require(local.amount > 0, "amount is zero")`,
/// `Require(cond, error: "InsufficientBalance", available, needed)`, or `Require(cond)`, which
/// reverts without data (the smallest code, as Vyper's bare `assert`).
public struct Require: StatementConvertible {
    public let statements: [Statement]
    public init(_ condition: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.require(condition: condition, failure: .message("")), at: SourceLocation(file, line))]
    }
    public init(_ condition: Expression, _ message: String, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.require(condition: condition, failure: .message(message)), at: SourceLocation(file, line))]
    }
    public init(_ condition: Expression, error name: String, _ arguments: Expression..., file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.require(condition: condition, failure: .error(name, arguments)), at: SourceLocation(file, line))]
    }
}

/// `Revert("closed")` or `Revert(error: "Closed", blockNumber)`.
public struct Revert: StatementConvertible {
    public let statements: [Statement]
    public init(_ message: String, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.revert(.message(message)), at: SourceLocation(file, line))]
    }
    public init(error name: String, _ arguments: Expression..., file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.revert(.error(name, arguments)), at: SourceLocation(file, line))]
    }
}

/// `Return(value)`, or `Return()` in a function without a result.
public struct Return: StatementConvertible {
    public let statements: [Statement]
    public init(_ value: Expression? = nil, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.return(value), at: SourceLocation(file, line))]
    }
}

/// `Emit("Transfer", sender, local.to, local.amount)`: the event's fields in declaration order.
public struct Emit: StatementConvertible {
    public let statements: [Statement]
    public init(_ event: String, _ arguments: Expression..., file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.emit(event: event, arguments: arguments), at: SourceLocation(file, line))]
    }
}

/// `Evaluate(state.registry.call("Registry", "touch"))`: runs an expression for its effect.
public struct Evaluate: StatementConvertible {
    public let statements: [Statement]
    public init(_ expression: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.evaluate(expression), at: SourceLocation(file, line))]
    }
}

/// `Append(state.members, local.agent)`: pushes onto a storage array; `Append(state.rounds)`
/// grows an array of records by one record whose fields are zero, to be assigned next.
public struct Append: StatementConvertible {
    public let statements: [Statement]
    public init(_ array: Expression, _ value: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.append(array: array, value: value), at: SourceLocation(file, line))]
    }
    public init(_ array: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.append(array: array, value: nil), at: SourceLocation(file, line))]
    }
}

/// `RemoveLast(state.members)`: pops a storage array (fails when it is empty).
public struct RemoveLast: StatementConvertible {
    public let statements: [Statement]
    public init(_ array: Expression, file: StaticString = #fileID, line: UInt = #line) {
        statements = [Statement(.removeLast(array: array), at: SourceLocation(file, line))]
    }
}
