// Random well-typed contracts for the compiler's differential fuzzing (Docs/fuzzing.md §dsl):
// storage of several shapes, functions with parameters of edge-prone types, and bodies of
// locals, assignments, checked and wrapping arithmetic, conversions, branches, bounded loops,
// requires, events and array pushes and pops, and byte strings (`bytes` and `string` parameters,
// locals, storage values, map values, array elements, event and error fields, of lengths around
// the 31/32-byte edge of the storage layout). Everything the generator writes compiles: names
// are unique, constants fit their types, a returning function ends with Return, arithmetic
// always has a non-constant left side (so folding cannot reject it).
import ContractDSL
import LedgerPrimitives

public struct ContractGenerator {
    private var random: SplitMix64
    private var nextName = 0

    /// The value types parameters, locals and storage values take.
    static let types: [ValueType] = [.uint8, .uint64, .uint256, .int8, .int64, .int256, .bool, .address, .bytes, .string]
    static let integerTypes: [ValueType] = [.uint8, .uint64, .uint256, .int8, .int64, .int256]
    static let event = "Seen"
    static let byteStringEvent = "Noted"
    /// Byte-string lengths around the edges of the storage layout (short up to 31 bytes).
    static let byteStringLengths = [0, 1, 5, 31, 32, 33, 64, 65]

    public init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    // MARK: Randomness

    private mutating func below(_ count: Int) -> Int { Int(random.next() % UInt64(max(count, 1))) }
    private mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    private mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    private mutating func freshName(_ prefix: String) -> String {
        nextName += 1
        return "\(prefix)\(nextName)"
    }

    // MARK: Contracts

    public mutating func contract() -> Contract {
        nextName = 0
        let functionCount = 2 + below(4)
        var functions: [ContractMember] = []
        for index in 0..<functionCount { functions += function(index) }
        return Contract("Generated") {
            // One storage value per type: state.v_uint8 …
            for type in Self.types { Storage("v_\(type)", type) }
            Storage("counts", .map(.uint256, to: .uint64))
            Storage("flags", .map(.address, to: .map(.uint8, to: .bool)))
            Storage("list", .array(of: .int64))
            Storage("texts", .map(.uint256, to: .bytes))
            Storage("blobs", .array(of: .bytes))
            Event(Self.event, .indexed("key", .uint256), .field("value", .int64))
            Event(Self.byteStringEvent, .indexed("tag", .bytes), .field("note", .string), .field("count", .uint64), .field("blob", .bytes))
            CustomError("Refused", ("value", .uint256))
            CustomError("RefusedWith", ("why", .string), ("code", .uint8))
            ContractMembers(functions)
        }
    }

    /// A function's members; its parameters are p1…, locals l1….
    private mutating func function(_ index: Int) -> [ContractMember] {
        var scope = Scope()
        var parameters: [(String, ValueType)] = []
        for _ in 0..<below(4) {
            let parameter = (freshName("p"), pick(Self.types))
            parameters.append(parameter)
            scope.locals.append((parameter.0, parameter.1, assignable: true))
        }
        let returns: ValueType? = chance(70) ? pick(Self.types) : nil
        let mutability: Mutability = chance(15) ? .payable : .nonpayable
        var body = block(&scope, depth: 0, length: 1 + below(6))
        if let returns { body += Return(expression(returns, scope: scope, depth: 0)).statements }
        let signature = FunctionSignature(name: "f\(index)", parameters: parameters.map { Field($0.0, $0.1) }, returns: returns,
                                          mutability: mutability)
        return [.function(FunctionDeclaration(signature: signature, allowedCallers: [], body: body,
                                              location: SourceLocation(file: "Generated", line: index)))]
    }

    struct Scope {
        var locals: [(name: String, type: ValueType, assignable: Bool)] = []
    }

    private mutating func block(_ scope: inout Scope, depth: Int, length: Int) -> [Statement] {
        var statements: [Statement] = []
        let saved = scope.locals.count
        for _ in 0..<length { statements += statement(&scope, depth: depth) }
        scope.locals.removeLast(scope.locals.count - saved)
        return statements
    }

    private mutating func statement(_ scope: inout Scope, depth: Int) -> [Statement] {
        switch below(depth >= 2 ? 7 : 10) {
        case 0, 1:
            let type = pick(Self.types)
            let name = freshName("l")
            let value = expression(type, scope: scope, depth: 0)
            scope.locals.append((name, type, true))
            return Let(name, type, value).statements
        case 2:
            let type = pick(Self.types)
            if let local = scope.locals.filter({ $0.type == type && $0.assignable }).randomElement(using: &random), chance(50) {
                return Assign(.local(local.name), expression(type, scope: scope, depth: 0)).statements
            }
            return Assign(.state("v_\(type)"), expression(type, scope: scope, depth: 0)).statements
        case 3:
            let type = pick(Self.integerTypes)
            let target: Expression = chance(50) ? .state("v_\(type)") : .index(.state("counts"), expression(.uint256, scope: scope, depth: 1))
            let targetType: ValueType = { if case .state = target { return type }; return .uint64 }()
            let amount = expression(targetType, scope: scope, depth: 1)
            return chance(50) ? Increase(target, by: amount).statements : Decrease(target, by: amount).statements
        case 4:
            if chance(40) {
                switch below(4) {
                case 0: return Append(.state("blobs"), expression(.bytes, scope: scope, depth: 1)).statements
                case 1: return RemoveLast(.state("blobs")).statements
                case 2: return Assign(.index(.state("blobs"), expression(.uint256, scope: scope, depth: 1)), expression(.bytes, scope: scope, depth: 1)).statements
                default: return Assign(.index(.state("texts"), expression(.uint256, scope: scope, depth: 1)), expression(.bytes, scope: scope, depth: 1)).statements
                }
            }
            if chance(50) { return Append(.state("list"), expression(.int64, scope: scope, depth: 1)).statements }
            return chance(50) ? RemoveLast(.state("list")).statements
                              : Assign(.index(.state("list"), expression(.uint256, scope: scope, depth: 1)), expression(.int64, scope: scope, depth: 1)).statements
        case 5:
            let condition = expression(.bool, scope: scope, depth: 0)
            if chance(35) { return Require(condition, "generated require").statements }
            if chance(50) { return Require(condition).statements }
            if chance(40) {
                return Require(condition, error: "RefusedWith", expression(.string, scope: scope, depth: 1), expression(.uint8, scope: scope, depth: 1)).statements
            }
            return Require(condition, error: "Refused", expression(.uint256, scope: scope, depth: 1)).statements
        case 6:
            if chance(40) {
                return Emit(Self.byteStringEvent, expression(.bytes, scope: scope, depth: 1), expression(.string, scope: scope, depth: 1),
                            expression(.uint64, scope: scope, depth: 1), expression(.bytes, scope: scope, depth: 1)).statements
            }
            return Emit(Self.event, expression(.uint256, scope: scope, depth: 1), expression(.int64, scope: scope, depth: 1)).statements
        case 7:
            let condition = expression(.bool, scope: scope, depth: 0)
            var thenScope = scope, elseScope = scope
            let then = block(&thenScope, depth: depth + 1, length: 1 + below(3))
            let otherwise = chance(50) ? block(&elseScope, depth: depth + 1, length: 1 + below(3)) : []
            return [Statement(.if(condition: condition, then: then, otherwise: otherwise), at: SourceLocation(file: "Generated", line: 0))]
        case 8:
            let type = pick([ValueType.uint8, .uint256, .int64])
            let name = freshName("i")
            let first = expression(type, scope: scope, depth: 1)
            // A literal start would be typed uint256; the loop runs over `type`.
            let start = first.isUntypedLiteral ? Expression.convert(first, type) : first
            // A constant start gets a constant end at most 5 past it and an atMost that allows it:
            // a constant loop past its atMost is a compile error (it would always revert).
            let step = below(6)
            let constantStart = first.isUntypedLiteral
            let end = constantStart || chance(50) ? Expression.binary(.wrappingAdd, start, .integer(UInt256(UInt64(step))))
                                                  : expression(type, scope: scope, depth: 1)
            let maxIterations = constantStart ? max(step, 1) + below(4) : 1 + below(8)
            var inner = scope
            inner.locals.append((name, type, false))
            let body = block(&inner, depth: depth + 1, length: 1 + below(2))
            return [Statement(.loop(name: name, start: start, end: end, maxIterations: maxIterations, body: body),
                              at: SourceLocation(file: "Generated", line: 0))]
        default:
            let key = expression(.uint8, scope: scope, depth: 1)
            return Assign(.index(.index(.state("flags"), sender), key), expression(.bool, scope: scope, depth: 1)).statements
        }
    }

    // MARK: Expressions

    private mutating func constant(_ type: ValueType) -> Expression {
        switch type {
        case .unsigned(let bits):
            let maximum = bits == 256 ? UInt256.max : (UInt256.one << bits) &- .one
            return .integer(pick([.zero, .one, UInt256(2), maximum, maximum &- .one, maximum >> 1, UInt256(UInt64(below(300))) & maximum]))
        case .signed(let bits):
            let top = UInt256.one << (bits - 1)
            let magnitude = pick([UInt256.zero, .one, UInt256(2), top, top &- .one, UInt256(UInt64(below(100)))])
            if magnitude == top || chance(50) { return magnitude.isZero ? .integer(.zero) : .unary(.negate, .integer(magnitude)) }
            return .integer(magnitude)
        case .bool: return .boolean(chance(50))
        case .address: return pick([Expression.integer(.zero), sender, contractAddress, .integer(UInt256(0xB0B))])
        // The generator draws no arrays (`types`); ArrayParameterTests covers them.
        case .fixedBytes, .array: return .integer(.zero)
        case .bytes, .string:
            let length = pick(Self.byteStringLengths)
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: 0x20 + below(0x5f)) }
            return .byteString(bytes, isText: type == .string)
        }
    }

    /// A leaf of `type`: a local, a parameter or a storage value.
    private mutating func leaf(_ type: ValueType, scope: Scope) -> Expression {
        let locals = scope.locals.filter { $0.type == type }
        if !locals.isEmpty && chance(60) { return .local(pick(locals).name) }
        return .state("v_\(type)")
    }

    mutating func expression(_ type: ValueType, scope: Scope, depth: Int) -> Expression {
        if depth >= 3 || chance(25) { return chance(50) ? constant(type) : leaf(type, scope: scope) }
        switch type {
        case .bool:
            switch below(5) {
            case 0:
                let operandType = pick(Self.integerTypes)
                let operation = pick([BinaryOperator.less, .lessOrEqual, .greater, .greaterOrEqual, .equal, .notEqual])
                // A leaf on the left: two literals would be typed uint256 whatever the operand type.
                return .binary(operation, leaf(operandType, scope: scope), expression(operandType, scope: scope, depth: depth + 1))
            case 1: return .binary(pick([.and, .or]), expression(.bool, scope: scope, depth: depth + 1), expression(.bool, scope: scope, depth: depth + 1))
            case 2: return .unary(.not, expression(.bool, scope: scope, depth: depth + 1))
            case 3: return .index(.index(.state("flags"), expression(.address, scope: scope, depth: depth + 1)), expression(.uint8, scope: scope, depth: depth + 1))
            case 4 where chance(50):
                let operandType = pick([ValueType.bytes, .string])
                return .binary(pick([.equal, .notEqual]), expression(operandType, scope: scope, depth: depth + 1),
                               expression(operandType, scope: scope, depth: depth + 1))
            default: return .binary(.equal, expression(.address, scope: scope, depth: depth + 1), sender)
            }
        case .address:
            return chance(50) ? leaf(.address, scope: scope) : pick([sender, origin, contractAddress])
        case .unsigned, .signed:
            switch below(8) {
            case 0, 1, 2:
                var operations: [BinaryOperator] = [.add, .subtract, .multiply, .divide, .remainder, .wrappingAdd, .wrappingSubtract,
                                                    .wrappingMultiply, .bitwiseAnd, .bitwiseOr, .bitwiseXor]
                if !type.isSigned { operations.append(.power) }
                let operation = pick(operations)
                // A non-constant left side: folding two constants could be a compile error.
                let left = leaf(type, scope: scope)
                var right = expression(type, scope: scope, depth: depth + 1)
                if operation == .power { right = .integer(UInt256(UInt64(below(5)))) }
                if (operation == .divide || operation == .remainder), case .integer(let value) = right, value.isZero { right = .integer(.one) }
                return .binary(operation, left, right)
            case 3:
                return .binary(pick([.shiftLeft, .shiftRight]), leaf(type, scope: scope), .integer(UInt256(UInt64(below(260)))))
            case 4:
                let source = pick(Self.integerTypes)
                let inner = expression(source, scope: scope, depth: depth + 1)
                return inner.isUntypedLiteral ? leaf(type, scope: scope) : .convert(inner, type)
            case 5 where type.isSigned:
                return .unary(.negate, leaf(type, scope: scope))
            case 6 where type == .uint64:
                return .index(.state("counts"), expression(.uint256, scope: scope, depth: depth + 1))
            case 6 where type == .int64:
                return .index(.state("list"), expression(.uint256, scope: scope, depth: depth + 1))
            case 7 where type == .uint256:
                switch below(3) {
                case 0: return .member(.state("list"), "length")
                case 1: return .member(expression(pick([.bytes, .string]), scope: scope, depth: depth + 1), "length")
                default:
                    // keccak256 over a byte string and a word, packed.
                    return .convert(.builtin(.keccak256, [expression(.bytes, scope: scope, depth: depth + 1), leaf(.uint64, scope: scope)]), .uint256)
                }
            default:
                return leaf(type, scope: scope)
            }
        case .fixedBytes, .array:
            return constant(type)
        case .bytes, .string:
            switch below(4) {
            case 0:
                let entry = Expression.index(.state("texts"), expression(.uint256, scope: scope, depth: depth + 1))
                return type == .bytes ? entry : .convert(entry, .string)
            case 1 where type == .bytes:
                return .index(.state("blobs"), expression(.uint256, scope: scope, depth: depth + 1))
            case 2:
                return .convert(expression(type == .bytes ? .string : .bytes, scope: scope, depth: depth + 1), type)
            default:
                return leaf(type, scope: scope)
            }
        }
    }
}

/// Members gathered elsewhere, for a contract's builder.
public struct ContractMembers: ContractMemberConvertible {
    public let members: [ContractMember]
    public init(_ members: [ContractMember]) { self.members = members }
}
