// Expressions of the contract DSL. Swift sees one type, `Expression`, so that type-checking a
// contract stays fast; the contract compiler gives every expression its DSL type and reports a
// mismatch at the statement's line (Docs/contract-dsl.md §Expressions).
import LedgerPrimitives

/// Values every call can read.
public enum EnvironmentValue: String, Sendable, Hashable, CaseIterable {
    /// The authenticated sender of this call (the VM's CALLER).
    case sender
    /// The transaction's original signer.
    case origin
    /// The value sent with this call.
    case callValue
    case blockNumber
    /// Block time in seconds.
    case blockTimestamp
    case chainID
    /// This contract's own address.
    case contractAddress
    case contractBalance
}

public enum UnaryOperator: String, Sendable, Hashable {
    case not = "!"
    case bitwiseNot = "~"
    case negate = "-"
}

public enum BinaryOperator: String, Sendable, Hashable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", remainder = "%", power = "**"
    case wrappingAdd = "&+", wrappingSubtract = "&-", wrappingMultiply = "&*"
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="
    case and = "&&", or = "||"
    case bitwiseAnd = "&", bitwiseOr = "|", bitwiseXor = "^", shiftLeft = "<<", shiftRight = ">>"

    public var isComparison: Bool { [.less, .lessOrEqual, .greater, .greaterOrEqual, .equal, .notEqual].contains(self) }
    public var isLogical: Bool { self == .and || self == .or }
    public var isArithmetic: Bool {
        [.add, .subtract, .multiply, .divide, .remainder, .power, .wrappingAdd, .wrappingSubtract, .wrappingMultiply].contains(self)
    }
}

/// Built-in functions.
public enum Builtin: String, Sendable, Hashable {
    /// keccak-256 of the arguments concatenated: words as 32 bytes, byte strings as their content.
    case keccak256
    /// SHA-256 of the same bytes.
    case sha256
    /// The signer of (digest, v, r, s), the zero address if none.
    case recoverSigner
    /// The signer of (digest, signature) with a 65-byte `r ‖ s ‖ v` signature as eth-account
    /// makes it, the zero address if none or if the signature is not 65 bytes long.
    case recoverSignature
}

/// An expression of the DSL. Build it with the operators, the `local`/`state` names, the
/// environment values (`sender`, `blockNumber`, …) and the functions below.
@dynamicMemberLookup
public indirect enum Expression: Sendable, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral {
    case integer(UInt256)
    /// A `literal("…")` text that is not a number; the compiler reports it.
    case unreadableLiteral(String)
    case boolean(Bool)
    /// A constant byte string: `text("…")` is a `string`, `byteString(…)` a `bytes`.
    case byteString([UInt8], isText: Bool)
    /// A parameter or a local, by name.
    case local(String)
    /// A storage variable, by name.
    case state(String)
    /// A map entry or an array element.
    case index(Expression, Expression)
    /// A record field, or the `length` of an array or a byte string.
    case member(Expression, String)
    case environment(EnvironmentValue)
    case unary(UnaryOperator, Expression)
    case binary(BinaryOperator, Expression, Expression)
    /// A conversion to another value type, checked where it could lose information.
    case convert(Expression, ValueType)
    case builtin(Builtin, [Expression])
    /// A call of a function of a declared interface on the contract at `target`.
    case external(interface: String, function: String, target: Expression, arguments: [Expression])

    /// A Swift integer literal; `-5` is the negation of 5, checked against the type it meets.
    public init(integerLiteral value: StaticBigInt) {
        guard value.bitWidth <= 257 else {
            self = .unreadableLiteral("a literal of \(value.bitWidth) bits")
            return
        }
        let word = UInt256(limb0: UInt64(truncatingIfNeeded: value[0]), limb1: UInt64(truncatingIfNeeded: value[1]),
                           limb2: UInt64(truncatingIfNeeded: value[2]), limb3: UInt64(truncatingIfNeeded: value[3]))
        self = value.signum() < 0 ? .unary(.negate, .integer(word.negated())) : .integer(word)
    }
    public init(booleanLiteral value: Bool) { self = .boolean(value) }

    /// `state.agents[who].status`: a field of a record, or `length` of an array.
    public subscript(dynamicMember name: String) -> Expression { .member(self, name) }
    /// `state.balances[who]`: a map entry or an array element.
    public subscript(_ key: Expression) -> Expression { .index(self, key) }

    /// An integer literal (possibly negated): it takes the type of what it meets.
    public var isUntypedLiteral: Bool {
        switch self {
        case .integer, .unary(.negate, .integer): return true
        default: return false
        }
    }

    /// The value as another type: `local.amount.as(.uint64)`.
    public func `as`(_ type: ValueType) -> Expression { .convert(self, type) }

    /// A call through a declared interface: `state.registry.call("Registry", "isEligible", local.agent)`.
    /// A `view` function of the interface is called with STATICCALL.
    public func call(_ interface: String, _ function: String, _ arguments: Expression...) -> Expression {
        .external(interface: interface, function: function, target: self, arguments: arguments)
    }
}

/// Names of parameters and locals: `local.amount`.
@dynamicMemberLookup
public struct LocalNames: Sendable {
    public subscript(dynamicMember name: String) -> Expression { .local(name) }
}

/// Names of storage variables: `state.balances`.
@dynamicMemberLookup
public struct StateNames: Sendable {
    public subscript(dynamicMember name: String) -> Expression { .state(name) }
}

public let local = LocalNames()
public let state = StateNames()

public let sender = Expression.environment(.sender)
public let origin = Expression.environment(.origin)
public let callValue = Expression.environment(.callValue)
public let blockNumber = Expression.environment(.blockNumber)
public let blockTimestamp = Expression.environment(.blockTimestamp)
public let chainID = Expression.environment(.chainID)
public let contractAddress = Expression.environment(.contractAddress)
public let contractBalance = Expression.environment(.contractBalance)

/// A literal written as hex or decimal text, `literal("0xffff…")`, for values kept as text
/// (hashes, masks copied from elsewhere). An unreadable text is reported by the compiler.
public func literal(_ text: String) -> Expression {
    if let value = text.hasPrefix("0x") ? UInt256(hexString: text.dropFirst(2)) : UInt256(decimalString: text) {
        return .integer(value)
    }
    return .unreadableLiteral(text)
}

/// A constant `string`: `text("evidence")`.
public func text(_ value: String) -> Expression { .byteString(Array(value.utf8), isText: true) }

/// A constant `bytes`: `byteString([0x01, 0x02])`.
public func byteString(_ value: [UInt8]) -> Expression { .byteString(value, isText: false) }

/// keccak-256 of the values concatenated: a word value as its 32 bytes (as abi.encode), a `bytes`
/// or `string` as its content (as abi.encodePacked), so `keccak256(local.key)` hashes the key's
/// bytes and `keccak256(tag, round, local.blob)` hashes 64 bytes then the blob.
public func keccak256(_ values: Expression...) -> Expression { .builtin(.keccak256, values) }
/// SHA-256 of the same bytes as `keccak256`.
public func sha256(_ values: Expression...) -> Expression { .builtin(.sha256, values) }
public func recoverSigner(digest: Expression, v: Expression, r: Expression, s: Expression) -> Expression {
    .builtin(.recoverSigner, [digest, v, r, s])
}
/// `recoverSigner(digest: d, signature: local.sig)`: the signer of a 65-byte `r ‖ s ‖ v` signature.
public func recoverSigner(digest: Expression, signature: Expression) -> Expression {
    .builtin(.recoverSignature, [digest, signature])
}

// Operators: the checked ones fail the call on overflow; `&+`, `&-`, `&*` wrap.
extension Expression {
    public static func + (lhs: Expression, rhs: Expression) -> Expression { .binary(.add, lhs, rhs) }
    public static func - (lhs: Expression, rhs: Expression) -> Expression { .binary(.subtract, lhs, rhs) }
    public static func * (lhs: Expression, rhs: Expression) -> Expression { .binary(.multiply, lhs, rhs) }
    public static func / (lhs: Expression, rhs: Expression) -> Expression { .binary(.divide, lhs, rhs) }
    public static func % (lhs: Expression, rhs: Expression) -> Expression { .binary(.remainder, lhs, rhs) }
    public static func &+ (lhs: Expression, rhs: Expression) -> Expression { .binary(.wrappingAdd, lhs, rhs) }
    public static func &- (lhs: Expression, rhs: Expression) -> Expression { .binary(.wrappingSubtract, lhs, rhs) }
    public static func &* (lhs: Expression, rhs: Expression) -> Expression { .binary(.wrappingMultiply, lhs, rhs) }
    public static func < (lhs: Expression, rhs: Expression) -> Expression { .binary(.less, lhs, rhs) }
    public static func <= (lhs: Expression, rhs: Expression) -> Expression { .binary(.lessOrEqual, lhs, rhs) }
    public static func > (lhs: Expression, rhs: Expression) -> Expression { .binary(.greater, lhs, rhs) }
    public static func >= (lhs: Expression, rhs: Expression) -> Expression { .binary(.greaterOrEqual, lhs, rhs) }
    public static func == (lhs: Expression, rhs: Expression) -> Expression { .binary(.equal, lhs, rhs) }
    public static func != (lhs: Expression, rhs: Expression) -> Expression { .binary(.notEqual, lhs, rhs) }
    public static func && (lhs: Expression, rhs: Expression) -> Expression { .binary(.and, lhs, rhs) }
    public static func || (lhs: Expression, rhs: Expression) -> Expression { .binary(.or, lhs, rhs) }
    public static func & (lhs: Expression, rhs: Expression) -> Expression { .binary(.bitwiseAnd, lhs, rhs) }
    public static func | (lhs: Expression, rhs: Expression) -> Expression { .binary(.bitwiseOr, lhs, rhs) }
    public static func ^ (lhs: Expression, rhs: Expression) -> Expression { .binary(.bitwiseXor, lhs, rhs) }
    public static func << (lhs: Expression, rhs: Expression) -> Expression { .binary(.shiftLeft, lhs, rhs) }
    public static func >> (lhs: Expression, rhs: Expression) -> Expression { .binary(.shiftRight, lhs, rhs) }
    public static prefix func ! (operand: Expression) -> Expression { .unary(.not, operand) }
    public static prefix func ~ (operand: Expression) -> Expression { .unary(.bitwiseNot, operand) }
    public static prefix func - (operand: Expression) -> Expression { .unary(.negate, operand) }

    /// `base ** exponent`, checked.
    public func power(_ exponent: Expression) -> Expression { .binary(.power, self, exponent) }
}
