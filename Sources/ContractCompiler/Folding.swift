// Constant folding (Docs/contract-dsl.md §Optimisations): an operation on constants becomes a
// constant at compile time, with the same checked semantics as at run time, so an overflow in a
// constant expression is a compile error rather than a call that always fails.
import ContractDSL
import LedgerPrimitives

struct FoldingError: Error {
    var message: String
}

enum Folding {
    /// The largest value of an unsigned type of `bits` bits.
    static func maximum(bits: Int) -> UInt256 { bits == 256 ? .max : (UInt256.one << bits) &- .one }

    static func unary(_ operation: UnaryOperator, _ operand: TypedExpression, _ type: ValueType) throws(FoldingError) -> TypedExpression {
        guard let value = operand.constantValue else { return .unary(operation, operand, type) }
        switch (operation, type) {
        case (.not, _): return .constant(value.isZero ? .one : .zero, .bool)
        case (.bitwiseNot, .unsigned(let bits)): return .constant(~value & maximum(bits: bits), type)
        case (.bitwiseNot, .fixedBytes(let count)): return .constant(~value & ~maximum(bits: 8 * (32 - count)), type)
        case (.bitwiseNot, _): return .constant(~value, type)
        case (.negate, .signed(let bits)):
            let negated = value.negated()
            guard fits(negated, from: .int256, in: .signed(bits: bits)), value != .signedMin else {
                throw FoldingError(message: "negating this constant overflows \(type)")
            }
            return .constant(negated, type)
        case (.negate, _): return .unary(operation, operand, type)
        }
    }

    static func binary(_ operation: BinaryOperator, _ lhs: TypedExpression, _ rhs: TypedExpression,
                       operandType: ValueType, type: ValueType) throws(FoldingError) -> TypedExpression {
        let node = TypedExpression.binary(operation, lhs, rhs, operandType: operandType, type: type)
        // `true && x` is x, `false && x` is false; the same for ||.
        if operation.isLogical, let left = lhs.constantValue {
            let decides = operation == .and ? left.isZero : !left.isZero
            return decides ? .constant(left, .bool) : rhs
        }
        if operation == .divide || operation == .remainder, rhs.constantValue?.isZero == true {
            throw FoldingError(message: "division by zero")
        }
        guard let a = lhs.constantValue, let b = rhs.constantValue else { return node }
        func overflow() -> FoldingError { FoldingError(message: "this constant expression overflows \(operandType)") }
        switch operation {
        case .equal: return .constant(a == b ? .one : .zero, .bool)
        case .notEqual: return .constant(a != b ? .one : .zero, .bool)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            let less = operandType.isSigned ? a.signedLessThan(b) : a < b
            let greater = operandType.isSigned ? b.signedLessThan(a) : b < a
            let result = switch operation {
            case .less: less
            case .lessOrEqual: !greater
            case .greater: greater
            default: !less
            }
            return .constant(result ? .one : .zero, .bool)
        case .bitwiseAnd: return .constant(a & b, type)
        case .bitwiseOr: return .constant(a | b, type)
        case .bitwiseXor: return .constant(a ^ b, type)
        case .and, .or: return .constant(operation == .and ? (!a.isZero && !b.isZero ? .one : .zero) : (!a.isZero || !b.isZero ? .one : .zero), .bool)
        default: break
        }
        // Arithmetic and shifts are folded for unsigned types; signed ones run at run time.
        guard case .unsigned(let bits) = operandType else { return node }
        let limit = maximum(bits: bits)
        switch operation {
        case .add:
            let (sum, carry) = a.addingReportingOverflow(b)
            guard !carry, sum <= limit else { throw overflow() }
            return .constant(sum, type)
        case .subtract:
            guard b <= a else { throw FoldingError(message: "this constant expression is below zero, which \(operandType) cannot hold") }
            return .constant(a &- b, type)
        case .multiply:
            let (product, carry) = a.multipliedReportingOverflow(by: b)
            guard !carry, product <= limit else { throw overflow() }
            return .constant(product, type)
        case .divide, .remainder:
            guard !b.isZero else { throw FoldingError(message: "division by zero") }
            return .constant(operation == .divide ? a / b : a % b, type)
        case .power:
            var result = UInt256.one
            var exponent = b
            while !exponent.isZero {
                if a.isZero || a == .one { result = a.isZero ? .zero : .one; break }
                let (product, carry) = result.multipliedReportingOverflow(by: a)
                guard !carry, product <= limit else { throw overflow() }
                result = product
                exponent = exponent &- .one
            }
            return .constant(result, type)
        case .wrappingAdd: return .constant((a &+ b) & limit, type)
        case .wrappingSubtract: return .constant((a &- b) & limit, type)
        case .wrappingMultiply: return .constant((a &* b) & limit, type)
        case .shiftLeft: return .constant(b >= UInt256(256) ? .zero : (a << b) & limit, type)
        case .shiftRight: return .constant(b >= UInt256(256) ? .zero : a >> b, type)
        default: return node
        }
    }

    /// Whether the constant `value` (a word of type `source`) has the same meaning in `target`.
    static func fits(_ value: UInt256, from source: ValueType, in target: ValueType) -> Bool {
        let negative = source.isSigned && value.isNegative
        switch target {
        case .unsigned(let bits): return !negative && value <= maximum(bits: bits)
        case .signed(let bits):
            if negative { return value.signExtend(fromByte: bits / 8 - 1) == value }
            return value <= maximum(bits: bits - 1)
        case .address: return !negative && value <= maximum(bits: 160)
        case .fixedBytes(32): return true
        case .fixedBytes, .bool, .bytes, .string, .array: return false
        }
    }
}
