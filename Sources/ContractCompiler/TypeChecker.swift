// Checks a contract's functions (Docs/contract-dsl.md §Checks): resolves names, gives every
// expression a type, and reports unknown names, type mismatches, writes in view functions,
// shadowing, unreachable code and missing returns, each at the DSL statement's file and line.
import ContractDSL
import LedgerPrimitives

struct TypeChecker {
    let model: ContractModel
    private(set) var errors: [CompileError] = []

    // The function being checked.
    private var locals: [LocalInfo] = []
    private var scopes: [[String: LocalID]] = []
    private var liveCount = 0
    private var mutability: Mutability = .nonpayable
    private var returns: ValueType?
    private var loopVariables: Set<LocalID> = []
    private var location = SourceLocation(file: "", line: 0)

    init(model: ContractModel) {
        self.model = model
    }

    mutating func check(_ declaration: FunctionDeclaration, isConstructor: Bool) -> TypedFunction {
        locals = []
        scopes = [[:]]
        liveCount = 0
        loopVariables = []
        mutability = declaration.signature.mutability
        returns = declaration.signature.returns
        location = declaration.location
        var parameters: [LocalID] = []
        for parameter in declaration.signature.parameters {
            if let id = declare(parameter.name, parameter.type) { parameters.append(id) }
        }
        let guards = declaration.allowedCallers.compactMap { expression($0, expected: .address) }
        for guardExpression in guards where guardExpression.type != .address {
            report("a role guard compares the sender with an address, not \(guardExpression.type)")
        }
        let errorsBefore = errors.count
        let body = block(declaration.body, newScope: false)
        location = declaration.location
        // A statement that did not check (a Return among them) is missing from `body`: saying
        // the function can reach its end would only repeat that error.
        if returns != nil && !body.terminates && errors.count == errorsBefore {
            report("function '\(declaration.signature.name)' can reach its end without returning \(article: returns!)")
        }
        return TypedFunction(name: declaration.signature.name, selector: ContractModel.selector(of: declaration.signature),
                             parameters: parameters, returns: returns, mutability: mutability, allowedCallers: guards,
                             body: body, locals: locals, location: declaration.location)
    }

    // MARK: Names

    private mutating func report(_ message: String) {
        errors.append(CompileError(message, at: location))
    }

    private func lookup(_ name: String) -> LocalID? {
        for scope in scopes.reversed() { if let id = scope[name] { return id } }
        return nil
    }

    private mutating func declare(_ name: String, _ type: ValueType) -> LocalID? {
        guard isIdentifier(name) else {
            report("'\(name)' is not a valid local name")
            return nil
        }
        if let existing = lookup(name) {
            report("'\(name)' shadows the local '\(locals[existing].name)' already in scope; choose another name")
            return nil
        }
        let id = locals.count
        locals.append(LocalInfo(name: name, type: type, position: liveCount))
        liveCount += 1
        scopes[scopes.count - 1][name] = id
        return id
    }

    /// A hidden local (a loop's end), never visible by name.
    private mutating func declareHidden(_ type: ValueType) -> LocalID {
        let id = locals.count
        locals.append(LocalInfo(name: "<hidden \(id)>", type: type, position: liveCount))
        liveCount += 1
        return id
    }

    // MARK: Statements

    private mutating func block(_ statements: [Statement], newScope: Bool = true) -> [TypedStatement] {
        let savedLive = liveCount
        if newScope { scopes.append([:]) }
        defer {
            if newScope { scopes.removeLast() }
            liveCount = savedLive
        }
        var typed: [TypedStatement] = []
        var reportedUnreachable = false
        for statement in statements {
            location = statement.location
            if typed.terminates && !reportedUnreachable {
                report("unreachable code: the statement before always returns or reverts")
                reportedUnreachable = true
            }
            if let checked = self.statement(statement) { typed.append(checked) }
        }
        return typed
    }

    private mutating func requireWrite(_ what: String) {
        if mutability == .view { report("a view function cannot \(what)") }
    }

    private mutating func statement(_ statement: Statement) -> TypedStatement? {
        let kind: TypedStatement.Kind?
        switch statement.kind {
        case .define(let name, let declared, let value):
            guard let typed = expression(value, expected: declared) else { return nil }
            if let declared, declared != typed.type {
                report("'\(name)' is declared \(declared) but its value is \(typed.type); convert it with .as(.\(declared))")
                return nil
            }
            guard let id = declare(name, declared ?? typed.type) else { return nil }
            kind = .define(id, typed)
        case .assign(let target, let value):
            guard let resolved = assignable(target) else { return nil }
            guard let typed = expression(value, expected: resolved.type) else { return nil }
            guard expect(typed, resolved.type, "assign") else { return nil }
            switch resolved {
            case .local(let id, _): kind = .assignLocal(id, typed)
            case .storage(let reference, _):
                requireWrite("write state")
                kind = .store(reference, typed)
            }
        case .update(let target, let operation, let value):
            guard let resolved = assignable(target) else { return nil }
            guard resolved.type.isInteger else {
                report("cannot \(operation == .add ? "increase" : "decrease") \(article: resolved.type)")
                return nil
            }
            guard let typed = expression(value, expected: resolved.type),
                  expect(typed, resolved.type, operation == .add ? "add" : "subtract") else { return nil }
            switch resolved {
            case .local(let id, _): kind = .updateLocal(id, operation, typed)
            case .storage(let reference, _):
                requireWrite("write state")
                kind = .updateStorage(reference, operation, typed)
            }
        case .if(let condition, let then, let otherwise):
            guard let typed = expression(condition, expected: .bool), expect(typed, .bool, "test") else { return nil }
            let thenBlock = block(then)
            location = statement.location
            kind = .if(typed, thenBlock, block(otherwise))
        case .loop(let name, let start, let end, let maxIterations, let body):
            guard maxIterations > 0 else {
                report("a loop's atMost must be at least 1")
                return nil
            }
            let literalStart = start.isUntypedLiteral
            let first = literalStart ? nil : expression(start, expected: nil)
            guard let endValue = expression(end, expected: first?.type), let startValue = first ?? expression(start, expected: endValue.type) else { return nil }
            guard endValue.type.isInteger, startValue.type == endValue.type else {
                report("a loop runs over integers of one type, not \(startValue.type) to \(endValue.type)")
                return nil
            }
            scopes.append([:])
            let savedLive = liveCount
            defer { scopes.removeLast(); liveCount = savedLive }
            guard let variable = declare(name, startValue.type) else { return nil }
            let endLocal = declareHidden(endValue.type)
            if let first = startValue.constantValue, let last = endValue.constantValue,
               endValue.type.isSigned ? first.signedLessThan(last) : first < last, (last &- first) > UInt256(UInt64(maxIterations)) {
                report("this loop runs \(last &- first) times, more than its atMost of \(maxIterations), so it would always revert")
            }
            loopVariables.insert(variable)
            let typedBody = block(body)
            location = statement.location
            kind = .loop(variable: variable, start: startValue, end: endLocal, endValue: endValue, maxIterations: maxIterations, body: typedBody)
        case .require(let condition, let failure):
            guard let typed = expression(condition, expected: .bool), expect(typed, .bool, "require"), let reason = self.failure(failure) else { return nil }
            kind = .require(typed, reason)
        case .revert(let failure):
            guard let reason = self.failure(failure) else { return nil }
            kind = .revert(reason)
        case .return(let value):
            switch (value, returns) {
            case (nil, nil): kind = .return(nil)
            case (nil, let type?):
                report("return \(article: type) here")
                return nil
            case (_?, nil):
                report("this function returns nothing; declare returns: to return a value")
                return nil
            case (let value?, let type?):
                guard let typed = expression(value, expected: type), expect(typed, type, "return") else { return nil }
                kind = .return(typed)
            }
        case .emit(let name, let arguments):
            requireWrite("emit events")
            guard let event = model.events[name] else {
                report("unknown event '\(name)'\(suggestion(name, among: Array(model.events.keys)))")
                return nil
            }
            guard let typed = values(arguments, for: event.fields.map(\.field), of: "event '\(name)'", verb: "emit") else { return nil }
            var indexed: [TypedExpression] = []
            var data: [TypedExpression] = []
            for (field, value) in zip(event.fields, typed) {
                if field.isIndexed { indexed.append(value) } else { data.append(value) }
            }
            kind = .emit(topic: ContractModel.topic(of: event), indexed: indexed, data: data)
        case .evaluate(let value):
            guard case .external = value else {
                report("this expression has no effect; only calls can stand alone")
                return nil
            }
            guard let typed = expression(value, expected: nil, allowNoResult: true) else { return nil }
            kind = .evaluate(typed)
        case .append(let array, let value):
            requireWrite("write state")
            guard let reference = storageReference(array) else { return nil }
            guard case .array(let element) = reference.type else {
                report("Append needs a storage array, not \(reference.type)")
                return nil
            }
            switch (element, value) {
            case (.value(let elementType), let value?):
                guard let typed = expression(value, expected: elementType), expect(typed, elementType, "append") else { return nil }
                kind = .append(reference, typed)
            case (.value(let elementType), nil):
                report("Append to an array of \(elementType) needs the value to add")
                return nil
            case (_, nil):
                kind = .append(reference, nil)
            case (_, _?):
                report("an array of records grows with Append(array) and its new last element's fields are then assigned")
                return nil
            }
        case .removeLast(let array):
            requireWrite("write state")
            guard let reference = storageReference(array) else { return nil }
            guard case .array(let element) = reference.type else {
                report("RemoveLast needs a storage array, not \(reference.type)")
                return nil
            }
            kind = .removeLast(reference, slotsPerElement: model.slotCount(of: element), byteStringFields: model.byteStringFields(of: element))
        }
        return kind.map { TypedStatement(kind: $0, location: statement.location) }
    }

    private mutating func failure(_ failure: FailureReason) -> TypedFailure? {
        switch failure {
        case .message(let text): return .message(text)
        case .error(let name, let arguments):
            guard let error = model.errors[name] else {
                report("unknown error '\(name)'\(suggestion(name, among: Array(model.errors.keys)))")
                return nil
            }
            guard let typed = values(arguments, for: error.fields, of: "error '\(name)'", verb: "revert with") else { return nil }
            return .error(selector: ContractModel.selector(of: ContractModel.signature(error.name, error.fields.map(\.type))), arguments: typed)
        }
    }

    /// `arguments` checked one by one against `fields` (an event's, an error's, a function's),
    /// after their count; nil once one is reported.
    private mutating func values(_ arguments: [Expression], for fields: [Field], of owner: String, verb: String) -> [TypedExpression]? {
        guard arguments.count == fields.count else {
            report("\(owner) takes \(fields.count) value\(fields.count == 1 ? "" : "s"), \(arguments.count) given")
            return nil
        }
        var typed: [TypedExpression] = []
        for (field, argument) in zip(fields, arguments) {
            guard let value = expression(argument, expected: field.type), expect(value, field.type, verb) else { return nil }
            typed.append(value)
        }
        return typed
    }

    private mutating func expect(_ expression: TypedExpression, _ type: ValueType, _ verb: String) -> Bool {
        guard expression.type == type else {
            let advice = type == .bool ? "compare it, e.g. x != 0" : expression.type == .bool ? "choose with If" : "convert it with .as(.\(type))"
            report("cannot \(verb) \(article: expression.type) where \(article: type) is expected; \(advice)")
            return false
        }
        return true
    }

    // MARK: Places

    enum Place {
        case local(LocalID, ValueType)
        case storage(StorageReference, ValueType)
        var type: ValueType {
            switch self {
            case .local(_, let type), .storage(_, let type): return type
            }
        }
    }

    private mutating func assignable(_ target: Expression) -> Place? {
        switch target {
        case .local(let name):
            guard let id = lookup(name) else {
                report("unknown local '\(name)'\(suggestion(name, among: visibleNames))")
                return nil
            }
            if loopVariables.contains(id) { report("the loop variable '\(name)' cannot be assigned") }
            if locals[id].type.isArray {
                report("the array parameter '\(name)' cannot be assigned")
                return nil
            }
            return .local(id, locals[id].type)
        case .member(let base, "length"):
            if let reference = storageReference(base, quiet: true), case .array = reference.type {
                report("an array's length changes only through Append and RemoveLast")
                return nil
            }
            fallthrough
        default:
            guard let reference = storageReference(target) else { return nil }
            guard case .value(let type) = reference.type else {
                report("cannot assign a whole \(reference.type); assign its entries or fields")
                return nil
            }
            return .storage(reference, type)
        }
    }

    private mutating func storageReference(_ expression: Expression, quiet: Bool = false) -> StorageReference? {
        switch expression {
        case .state(let name):
            guard let variable = model.storage[name] else {
                if !quiet { report("unknown storage variable '\(name)'\(suggestion(name, among: Array(model.storage.keys)))") }
                return nil
            }
            return StorageReference(slot: variable.slot, steps: [], type: variable.type)
        case .index(let base, let key):
            guard var reference = storageReference(base, quiet: quiet) else { return nil }
            switch reference.type {
            case .map(let keyType, let value):
                guard let typedKey = self.expression(key, expected: keyType) else { return nil }
                guard typedKey.type == keyType else {
                    report("this map's key is \(article: keyType), not \(article: typedKey.type)")
                    return nil
                }
                reference.steps.append(.mapKey(typedKey))
                reference.type = value
            case .array(let element):
                guard let index = self.expression(key, expected: .uint256) else { return nil }
                guard case .unsigned = index.type else {
                    report("an array index is an unsigned integer, not \(article: index.type)")
                    return nil
                }
                reference.steps.append(.arrayElement(index.type == .uint256 ? index : .convert(index, from: index.type, to: .uint256),
                                                     slotsPerElement: model.slotCount(of: element)))
                reference.type = element
            default:
                report("cannot index \(article: reference.type)")
                return nil
            }
            return reference
        case .member(let base, let name):
            guard var reference = storageReference(base, quiet: quiet) else { return nil }
            guard case .record(let recordName) = reference.type, let record = model.records[recordName] else {
                if !quiet { report("\(article: reference.type) has no field '\(name)'") }
                return nil
            }
            guard let offset = record.fields.firstIndex(where: { $0.name == name }) else {
                report("record '\(recordName)' has no field '\(name)'\(suggestion(name, among: record.fields.map(\.name)))")
                return nil
            }
            reference.steps.append(.field(offset: offset))
            reference.type = .value(record.fields[offset].type)
            return reference
        default:
            if !quiet { report("this is not a storage location") }
            return nil
        }
    }

    private var visibleNames: [String] { scopes.flatMap { $0.keys } }

    /// Whether `expression` names storage: a variable, or an entry or field of one.
    static func isStorageRooted(_ expression: Expression) -> Bool {
        switch expression {
        case .state: return true
        case .index(let base, _), .member(let base, _): return isStorageRooted(base)
        default: return false
        }
    }

    // MARK: Expressions

    mutating func expression(_ expression: Expression, expected: ValueType?, allowNoResult: Bool = false) -> TypedExpression? {
        switch expression {
        case .integer(let value):
            return literal(value, negative: false, type: expected ?? .uint256)
        case .unary(.negate, .integer(let value)):
            return literal(value, negative: true, type: expected ?? .int256)
        case .boolean(let value):
            return .constant(value ? .one : .zero, .bool)
        case .byteString(let bytes, let isText):
            return .constantBytes(bytes, isText ? .string : .bytes)
        case .unreadableLiteral(let text):
            report("'\(text)' is not a number (write decimal digits or 0x and hex digits)")
            return nil
        case .local(let name):
            guard let id = lookup(name) else {
                report("unknown local '\(name)'\(suggestion(name, among: visibleNames))")
                return nil
            }
            if locals[id].type.isArray {
                report("'\(name)' is an array: read an element (local.\(name)[i]) or its length (local.\(name).length)")
                return nil
            }
            return .local(id, locals[id].type)
        case .member(.local(let name), "length") where lookup(name).map({ locals[$0].type.isArray }) == true:
            guard let id = lookup(name) else { return nil }
            return .length(.local(id, locals[id].type))
        case .index(.local(let name), let key) where lookup(name).map({ locals[$0].type.isArray }) == true:
            guard let id = lookup(name), case .array(let element) = locals[id].type,
                  let index = self.expression(key, expected: .uint256) else { return nil }
            guard case .unsigned = index.type else {
                report("an array index is an unsigned integer, not \(article: index.type)")
                return nil
            }
            return .element(.local(id, locals[id].type), index: index.type == .uint256 ? index : .convert(index, from: index.type, to: .uint256),
                            element)
        case .member(let base, "length"):
            if Self.isStorageRooted(base) {
                if let reference = storageReference(base, quiet: true) {
                    if case .array = reference.type {
                        return .load(StorageReference(slot: reference.slot, steps: reference.steps, type: .value(.uint256)), .uint256)
                    }
                    if case .value(let type) = reference.type, type.isDynamic { return .length(.load(reference, type)) }
                }
            } else {
                guard let typed = self.expression(base, expected: nil) else { return nil }
                guard typed.type.isDynamic else {
                    report("\(article: typed.type) has no length; arrays, bytes and strings do")
                    return nil
                }
                return .length(typed)
            }
            fallthrough
        case .state, .index, .member:
            guard let reference = storageReference(expression) else { return nil }
            guard case .value(let type) = reference.type else {
                let advice = switch reference.type {
                case .array: "index it, or read its .length"
                case .map: "index it with a key"
                default: "read one of its fields"
                }
                report("\(article: reference.type) is not a value; \(advice)")
                return nil
            }
            return .load(reference, type)
        case .environment(let value):
            if mutability != .payable && value == .callValue {
                // Non-payable functions refuse value, so the value is known to be zero.
                return .constant(.zero, .uint256)
            }
            return .environment(value)
        case .unary(let operation, let operand):
            guard let typed = self.expression(operand, expected: expected) else { return nil }
            switch operation {
            case .not:
                guard expect(typed, .bool, "negate") else { return nil }
                return foldUnary(.not, typed, .bool)
            case .bitwiseNot:
                guard typed.type.isInteger || { if case .fixedBytes = typed.type { return true }; return false }() else {
                    report("~ applies to integers and fixed bytes, not \(typed.type)")
                    return nil
                }
                return foldUnary(.bitwiseNot, typed, typed.type)
            case .negate:
                guard typed.type.isSigned else {
                    report("only signed integers can be negated, not \(typed.type)")
                    return nil
                }
                return foldUnary(.negate, typed, typed.type)
            }
        case .binary(let operation, let left, let right):
            return binary(operation, left, right, expected: expected)
        case .convert(let inner, let target):
            guard target.isWellFormed else {
                report("'\(target)' is not a valid type")
                return nil
            }
            guard let typed = self.expression(inner, expected: inner.isUntypedLiteral ? target : nil) else { return nil }
            return conversion(typed, to: target)
        case .builtin(let builtin, let arguments):
            return self.builtin(builtin, arguments)
        case .external(let interfaceName, let functionName, let target, let arguments):
            guard let interface = model.interfaces[interfaceName] else {
                report("unknown interface '\(interfaceName)'\(suggestion(interfaceName, among: Array(model.interfaces.keys)))")
                return nil
            }
            guard let function = interface.functions.first(where: { $0.name == functionName }) else {
                report("interface '\(interfaceName)' has no function '\(functionName)'\(suggestion(functionName, among: interface.functions.map(\.name)))")
                return nil
            }
            guard let typedTarget = self.expression(target, expected: .address), expect(typedTarget, .address, "call") else { return nil }
            guard let typedArguments = values(arguments, for: function.parameters, of: "'\(interfaceName).\(functionName)'", verb: "pass") else {
                return nil
            }
            let isStatic = function.mutability == .view
            if mutability == .view && !isStatic {
                report("a view function can only call view functions; '\(interfaceName).\(functionName)' may write state")
            }
            if function.returns == nil && !allowNoResult {
                report("'\(interfaceName).\(functionName)' returns nothing; call it with Evaluate(…)")
                return nil
            }
            return .external(.init(target: typedTarget, selector: ContractModel.selector(of: function), arguments: typedArguments,
                                   returns: function.returns, isStatic: isStatic))
        }
    }

    private mutating func literal(_ magnitude: UInt256, negative: Bool, type: ValueType) -> TypedExpression? {
        let value = negative ? magnitude.negated() : magnitude
        let fits: Bool
        switch type {
        case .unsigned(let bits): fits = !negative && (bits == 256 || magnitude < UInt256.one << bits)
        case .signed(let bits):
            let limit = UInt256.one << (bits - 1)
            fits = negative ? magnitude <= limit : magnitude < limit
        case .address: fits = !negative && magnitude < UInt256.one << 160
        case .fixedBytes(let count): fits = !negative && (count == 32 || (magnitude & ((UInt256.one << (8 * (32 - count))) &- .one)).isZero)
        case .bool, .bytes, .string, .array: fits = false
        }
        guard fits else {
            report("the literal \(negative ? "-" : "")\(magnitude) does not fit \(article: type)")
            return nil
        }
        return .constant(value, type)
    }

    private mutating func binary(_ operation: BinaryOperator, _ left: Expression, _ right: Expression, expected: ValueType?) -> TypedExpression? {
        if operation.isLogical {
            guard let lhs = expression(left, expected: .bool), let rhs = expression(right, expected: .bool),
                  expect(lhs, .bool, operation.rawValue), expect(rhs, .bool, operation.rawValue) else { return nil }
            return fold(operation, lhs, rhs, operandType: .bool, type: .bool)
        }
        if operation == .shiftLeft || operation == .shiftRight || operation == .power {
            guard let lhs = expression(left, expected: expected), let rhs = expression(right, expected: .uint256) else { return nil }
            guard case .unsigned = rhs.type else {
                report("the right side of \(operation.rawValue) is an unsigned integer, not \(rhs.type)")
                return nil
            }
            if operation == .power && lhs.type.isSigned {
                report("power applies to unsigned integers, not \(lhs.type)")
                return nil
            }
            guard lhs.type.isInteger || (operation != .power && { if case .fixedBytes = lhs.type { return true }; return false }()) else {
                report("cannot apply \(operation.rawValue) to \(article: lhs.type)")
                return nil
            }
            let amount = rhs.type == .uint256 ? rhs : .convert(rhs, from: rhs.type, to: .uint256)
            return fold(operation, lhs, amount, operandType: lhs.type, type: lhs.type)
        }
        let hint = operation.isComparison ? nil : expected
        let lhs: TypedExpression
        let rhs: TypedExpression
        if left.isUntypedLiteral && !right.isUntypedLiteral {
            guard let typedRight = expression(right, expected: hint), let typedLeft = expression(left, expected: typedRight.type) else { return nil }
            (lhs, rhs) = (typedLeft, typedRight)
        } else {
            guard let typedLeft = expression(left, expected: hint), let typedRight = expression(right, expected: typedLeft.type) else { return nil }
            (lhs, rhs) = (typedLeft, typedRight)
        }
        guard lhs.type == rhs.type else {
            report("cannot apply \(operation.rawValue) to \(article: lhs.type) and \(article: rhs.type); convert one with .as(…)")
            return nil
        }
        let type = lhs.type
        if operation.isComparison {
            let ordered = operation != .equal && operation != .notEqual
            if ordered && !type.isInteger {
                report("cannot order \(type) values with \(operation.rawValue)")
                return nil
            }
            return fold(operation, lhs, rhs, operandType: type, type: .bool)
        }
        let isBitwise = operation == .bitwiseAnd || operation == .bitwiseOr || operation == .bitwiseXor
        let isFixedBytes: Bool = { if case .fixedBytes = type { return true }; return false }()
        guard type.isInteger || (isBitwise && isFixedBytes) else {
            report("cannot apply \(operation.rawValue) to \(article: type)")
            return nil
        }
        return fold(operation, lhs, rhs, operandType: type, type: type)
    }

    private mutating func fold(_ operation: BinaryOperator, _ lhs: TypedExpression, _ rhs: TypedExpression,
                               operandType: ValueType, type: ValueType) -> TypedExpression? {
        do {
            return try Folding.binary(operation, lhs, rhs, operandType: operandType, type: type)
        } catch {
            report(error.message)
            return nil
        }
    }

    private mutating func foldUnary(_ operation: UnaryOperator, _ operand: TypedExpression, _ type: ValueType) -> TypedExpression? {
        do {
            return try Folding.unary(operation, operand, type)
        } catch {
            report(error.message)
            return nil
        }
    }

    private mutating func conversion(_ value: TypedExpression, to target: ValueType) -> TypedExpression? {
        let source = value.type
        if source == target { return value }
        switch (source, target) {
        case (.bytes, .string), (.string, .bytes):
            // The same bytes, another ABI type.
            if case .constantBytes(let bytes, _) = value { return .constantBytes(bytes, target) }
            return .convert(value, from: source, to: target)
        case (.unsigned, .unsigned), (.signed, .signed), (.unsigned, .signed), (.signed, .unsigned),
             (.address, .unsigned), (.unsigned, .address), (.fixedBytes(32), .unsigned(256)), (.unsigned(256), .fixedBytes(32)):
            if let constant = value.constantValue {
                guard Folding.fits(constant, from: source, in: target) else {
                    report("the constant \(constant) does not fit \(article: target)")
                    return nil
                }
                return .constant(constant, target)
            }
            return .convert(value, from: source, to: target)
        default:
            report("cannot convert \(article: source) to \(article: target)")
            return nil
        }
    }

    private mutating func builtin(_ builtin: Builtin, _ arguments: [Expression]) -> TypedExpression? {
        switch builtin {
        case .keccak256, .sha256:
            guard !arguments.isEmpty else {
                report("\(builtin.rawValue) needs at least one value")
                return nil
            }
            let typed = arguments.compactMap { expression($0, expected: nil) }
            guard typed.count == arguments.count else { return nil }
            return .builtin(builtin, typed, .bytes32)
        case .recoverSigner:
            guard arguments.count == 4, let digest = expression(arguments[0], expected: .bytes32), expect(digest, .bytes32, "recover from"),
                  let v = expression(arguments[1], expected: .uint8), let r = expression(arguments[2], expected: .bytes32),
                  let s = expression(arguments[3], expected: .bytes32) else { return nil }
            guard v.type.isInteger, r.type == s.type, r.type == .bytes32 || r.type == .uint256 else {
                report("recoverSigner takes (digest: bytes32, v: an integer, r and s: bytes32 or uint256)")
                return nil
            }
            return .builtin(.recoverSigner, [digest, v, r, s], .address)
        case .recoverSignature:
            guard arguments.count == 2, let digest = expression(arguments[0], expected: .bytes32), expect(digest, .bytes32, "recover from"),
                  let signature = expression(arguments[1], expected: .bytes), expect(signature, .bytes, "recover with") else { return nil }
            return .builtin(.recoverSignature, [digest, signature], .address)
        }
    }

    private func suggestion(_ name: String, among candidates: [String]) -> String {
        let close = candidates.filter { editDistance($0.lowercased(), name.lowercased()) <= max(1, name.count / 3) }.sorted()
        return close.isEmpty ? "" : "; did you mean '\(close[0])'?"
    }
}

extension DefaultStringInterpolation {
    /// "a uint8", "an int8", "an address": a type with its article, for messages.
    mutating func appendInterpolation(article type: some CustomStringConvertible) {
        let text = type.description
        appendLiteral((text.first.map { "aeio".contains($0) } ?? false ? "an " : "a ") + text)
    }
}

func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + Array(repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
