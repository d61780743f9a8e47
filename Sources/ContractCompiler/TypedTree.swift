// The checked form of a contract: every expression carries its type, every name is resolved to a
// local or a storage location. The type checker builds it; folding and code generation read it.
import ContractDSL
import LedgerPrimitives

typealias LocalID = Int

/// A storage location: a variable's slot, then map keys, array elements and record fields.
struct StorageReference {
    enum Step {
        case mapKey(TypedExpression)
        case arrayElement(TypedExpression, slotsPerElement: Int)
        case field(offset: Int)
    }
    var slot: UInt256
    var steps: [Step]
    var type: StorageType
}

/// In compiled code a `bytes` or `string` value is a memory pointer to its length word and its
/// bytes, zero-padded to whole words (ADR 0006); every other value is the word itself.
indirect enum TypedExpression {
    case constant(UInt256, ValueType)
    /// A `text("…")` or `byteString(…)` constant.
    case constantBytes([UInt8], ValueType)
    case local(LocalID, ValueType)
    /// SLOAD of a value slot (also an array's length); a byte string is read into memory.
    case load(StorageReference, ValueType)
    /// The length of a byte string, in bytes (from its slot alone for one in storage).
    case length(TypedExpression)
    /// An element of an array parameter (index < length, else Panic(0x32)).
    case element(TypedExpression, index: TypedExpression, ValueType)
    case environment(EnvironmentValue)
    case unary(UnaryOperator, TypedExpression, ValueType)
    /// Operands share `operandType`; the result is `type`.
    case binary(BinaryOperator, TypedExpression, TypedExpression, operandType: ValueType, type: ValueType)
    case convert(TypedExpression, from: ValueType, to: ValueType)
    case builtin(Builtin, [TypedExpression], ValueType)
    case external(ExternalCall)

    struct ExternalCall {
        var target: TypedExpression
        var selector: UInt32
        var arguments: [TypedExpression]
        var returns: ValueType?
        var isStatic: Bool
    }

    var type: ValueType {
        switch self {
        case .length: return .uint256
        case .constant(_, let type), .constantBytes(_, let type), .local(_, let type), .load(_, let type), .unary(_, _, let type),
             .binary(_, _, _, _, let type), .convert(_, _, let type), .builtin(_, _, let type), .element(_, _, let type):
            return type
        case .environment(let value): return EnvironmentValue.type(of: value)
        // A call without a result is only allowed as a statement; uint256 is never read.
        case .external(let call): return call.returns ?? .uint256
        }
    }

    var constantValue: UInt256? {
        if case .constant(let value, _) = self { return value }
        return nil
    }
}

extension EnvironmentValue {
    static func type(of value: EnvironmentValue) -> ValueType {
        switch value {
        case .sender, .origin, .contractAddress: return .address
        case .callValue, .contractBalance, .blockNumber, .blockTimestamp, .chainID: return .uint256
        }
    }
}

enum TypedFailure {
    case message(String)
    case error(selector: UInt32, arguments: [TypedExpression])
}

struct TypedStatement {
    indirect enum Kind {
        case define(LocalID, TypedExpression)
        case assignLocal(LocalID, TypedExpression)
        case store(StorageReference, TypedExpression)
        case updateLocal(LocalID, BinaryOperator, TypedExpression)
        case updateStorage(StorageReference, BinaryOperator, TypedExpression)
        case `if`(TypedExpression, [TypedStatement], [TypedStatement])
        /// `variable` runs from its defined start to the hidden local `end`.
        case loop(variable: LocalID, start: TypedExpression, end: LocalID, endValue: TypedExpression, maxIterations: Int,
                  body: [TypedStatement])
        case require(TypedExpression, TypedFailure)
        case revert(TypedFailure)
        case `return`(TypedExpression?)
        case emit(topic: UInt256, indexed: [TypedExpression], data: [TypedExpression])
        case evaluate(TypedExpression)
        /// A value array gets the value; a record array grows by one zeroed record (nil).
        case append(StorageReference, TypedExpression?)
        /// `byteStringFields`: offsets within the element of slots holding byte strings, whose
        /// long form's words are cleared too.
        case removeLast(StorageReference, slotsPerElement: Int, byteStringFields: Set<Int>)
    }
    var kind: Kind
    var location: SourceLocation

    /// Whether control never continues after this statement.
    var terminates: Bool {
        switch kind {
        case .revert, .return: return true
        case .if(_, let then, let otherwise): return then.terminates && otherwise.terminates
        default: return false
        }
    }
}

extension Array where Element == TypedStatement {
    var terminates: Bool { last?.terminates ?? false }
}

struct LocalInfo {
    var name: String
    var type: ValueType
    /// Locals live when this one was made (its position on the stack frame).
    var position: Int
}

/// A checked function, ready for code generation.
struct TypedFunction {
    var name: String
    var selector: UInt32
    var parameters: [LocalID]
    var returns: ValueType?
    var mutability: Mutability
    var allowedCallers: [TypedExpression]
    var body: [TypedStatement]
    var locals: [LocalInfo]
    var location: SourceLocation
}
