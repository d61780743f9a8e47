// Lowers checked functions to the intermediate form (Docs/contract-dsl.md §Pipeline, §ABI).
// Operand order follows the VM: the top of the stack is an operation's first operand, so `a - b`
// pushes b, then a, then SUB. Memory: 0–63 is scratch for hashing map keys, then the
// memory-homed locals, then the free area where ABI payloads are built. Every payload's values
// are evaluated onto the stack before any is written, so nested calls and hashes cannot
// overwrite a payload half built.
import Bytecode
import ContractDSL
import LedgerPrimitives

struct CodeGenerator {
    var program = IRProgram()
    var data: DataSection
    var nextLabel = 0
    var localBase = 0
    /// Constructor arguments are the whole call data; function arguments follow the selector.
    var argumentsOffset = 4
    var isConstructor = false
    /// Slots hashed once per call (SlotSharing), by their key, and the locals holding them.
    var sharedSlots: [String: LocalID] = [:]
    /// The section's helper functions (1, 2, … in CALLF order) and their indices.
    var helpers: [IRProgram] = []
    var helperIndex: [Helper: Int] = [:]
    /// Whether the section uses the heap (then it starts by setting the heap pointer).
    var usesHeap = false

    init(data: DataSection) {
        self.data = data
    }

    // MARK: Sections

    /// The runtime code: the dispatcher and every public function.
    mutating func emitRuntime(_ functions: [TypedFunction]) {
        emit(.push(.zero), .op(.calldataload), .push(UInt256(224)), .op(.shr))
        let sorted = functions.sorted { $0.selector < $1.selector }
        var labels: [Int] = []
        for function in sorted {
            let label = newLabel()
            labels.append(label)
            emit(.op(.dup1), .push(UInt256(UInt64(function.selector))), .op(.eq), .jumpIf(label))
        }
        // No function has this selector (plain transfers included): revert without data.
        emit(.push(.zero), .push(.zero), .op(.revert))
        for (function, label) in zip(sorted, labels) {
            emit(.label(label), .op(.pop))
            emitFunction(function)
        }
        if usesHeap { program.instructions.insert(contentsOf: Self.heapInitialization, at: 0) }
    }

    /// The init code: the constructor, then an empty RETURN (the runtime code is stored as is).
    mutating func emitConstructor(_ constructor: TypedFunction?) {
        isConstructor = true
        argumentsOffset = 0
        if let constructor {
            emitFunction(constructor)
        } else {
            failUnless { $0.emit(.op(.callvalue), .op(.iszero)) } with: { $0.emitRevertWithoutData() }
        }
        emit(.push(.zero), .push(.zero), .op(.ret))
        if usesHeap { program.instructions.insert(contentsOf: Self.heapInitialization, at: 0) }
    }

    mutating func emitFunction(_ function: TypedFunction) {
        localBase = program.locals.count
        // Storage slots used twice or more by the body's own statements, with keys that cannot
        // change during the call, are hashed once, after the parameters, into hidden locals.
        let shared = SlotSharing.candidates(in: function)
        let parameterCount = function.parameters.count
        program.locals += function.locals.map {
            LocalInfo(name: $0.name, type: $0.type, position: $0.position >= parameterCount ? $0.position + shared.count : $0.position)
        }
        program.locals += shared.indices.map { LocalInfo(name: "<slot \($0)>", type: .uint256, position: parameterCount + $0) }
        sharedSlots = [:]
        emit(.source(function.location))
        if function.mutability != .payable {
            failUnless { $0.emit(.op(.callvalue), .op(.iszero)) } with: { $0.emitRevertWithoutData() }
        }
        if !function.parameters.isEmpty {
            let needed = UInt256(UInt64(argumentsOffset + 32 * function.parameters.count))
            // Too short call data reverts (needed > size is the failure).
            failUnless { $0.emit(.push(needed), .op(.calldatasize), .op(.lt), .op(.iszero)) } with: { $0.emitRevertWithoutData() }
        }
        for (index, parameter) in function.parameters.enumerated() {
            emit(.push(UInt256(UInt64(argumentsOffset + 32 * index))))
            let type = function.locals[parameter].type
            if case .array(let element) = type {
                emitCall(.arrayArgument(element))
            } else if type.isDynamic {
                emitCall(.argument)
            } else {
                emit(.op(.calldataload))
                emitValidation(of: type)
            }
            emit(.bindLocal(localBase + parameter))
        }
        for (index, reference) in shared.enumerated() {
            emitSlot(reference)
            emit(.bindLocal(localBase + function.locals.count + index))
            sharedSlots[SlotSharing.key(of: reference)] = localBase + function.locals.count + index
        }
        if !function.allowedCallers.isEmpty {
            emitRoleGuard(function.allowedCallers)
        }
        emitBlock(function.body)
        if !function.body.terminates {
            emit(isConstructor ? .source(function.location) : .op(.stop))
        }
    }

    // MARK: Statements

    mutating func emitBlock(_ statements: [TypedStatement]) {
        var declared: [LocalID] = []
        for statement in statements {
            emit(.source(statement.location))
            if case .define(let id, _) = statement.kind { declared.append(id) }
            emitStatement(statement)
            if statement.terminates { return }
        }
        for id in declared.reversed() { emit(.dropLocal(localBase + id)) }
    }

    mutating func emitStatement(_ statement: TypedStatement) {
        switch statement.kind {
        case .define(let id, let value):
            emitExpression(value)
            emit(.bindLocal(localBase + id))
        case .assignLocal(let id, let value):
            emitExpression(value)
            emit(.setLocal(localBase + id))
        case .store(let reference, let value):
            emitExpression(value)
            emitSlot(reference)
            if value.type.isDynamic { emitCall(.storageWrite) } else { emit(.op(.sstore)) }
        case .updateLocal(let id, let operation, let value):
            let type = program.locals[localBase + id].type
            emitUpdate(operation, type: type, value: value) { $0.emit(.getLocal($0.localBase + id)) }
            emit(.setLocal(localBase + id))
        case .updateStorage(let reference, let operation, let value):
            guard case .value(let type) = reference.type else { return }
            emitSlot(reference)
            emitUpdate(operation, type: type, value: value) { $0.emit(.op(.dup2), .op(.sload)) }
            emit(.op(.swap1), .op(.sstore))
        case .if(let condition, let then, let otherwise):
            if let constant = condition.constantValue {
                // Dead branch removed: only the branch that runs is compiled.
                emitBlock(constant.isZero ? otherwise : then)
                return
            }
            let elseLabel = newLabel(), endLabel = newLabel()
            emitExpression(condition)
            emit(.op(.iszero), .jumpIf(elseLabel))
            emitBlock(then)
            if !then.terminates { emit(.jump(endLabel)) }
            emit(.label(elseLabel))
            emitBlock(otherwise)
            emit(.label(endLabel))
        case .loop(let variable, let start, let end, let endValue, let maxIterations, let body):
            emitLoop(variable: localBase + variable, start: start, end: localBase + end, endValue: endValue,
                     maxIterations: maxIterations, body: body, location: statement.location)
        case .require(let condition, let failure):
            failUnless { $0.emitExpression(condition) } with: { $0.emitFailure(failure) }
        case .revert(let failure):
            emitFailure(failure)
        case .return(let value):
            if let value, value.type.isDynamic {
                emitExpression(value)
                emitEncodeTuple([value.type], selector: nil)
                emitHeapTop()
                emit(.op(.ret))
            } else if let value {
                emitExpression(value)
                emit(.push(.zero), .op(.mstore), .push(UInt256(32)), .push(.zero), .op(.ret))
            } else if isConstructor {
                emit(.push(.zero), .push(.zero), .op(.ret))
            } else {
                emit(.op(.stop))
            }
        case .emit(let topic, let indexed, let data):
            for value in indexed.reversed() {
                emitExpression(value)
                // An indexed byte string is its keccak-256 hash, as in Solidity.
                if value.type.isDynamic { emitContentHash() }
            }
            for value in data { emitExpression(value) }
            if data.contains(where: { $0.type.isDynamic }) {
                emitEncodeTuple(data.map(\.type), selector: nil)
                emit(.push(topic), .op(.swap1))
                emitHeapTop()
                emit(.op([Opcode.log1, .log2, .log3, .log4][indexed.count]))
                return
            }
            for index in data.indices.reversed() { emit(.pushFreeMemory(32 * index), .op(.mstore)) }
            emit(.push(topic), .push(UInt256(UInt64(32 * data.count))), .pushFreeMemory(0))
            emit(.op([Opcode.log1, .log2, .log3, .log4][indexed.count]))
        case .evaluate(let value):
            emitExpression(value)
            if case .external(let call) = value, call.returns == nil { return }
            emit(.op(.pop))
        case .append(let reference, nil):
            // A record array grows by one record, whose slots are still zero.
            emitSlot(reference)
            emit(.op(.dup1), .op(.sload), .push(.one), .op(.add), .op(.swap1), .op(.sstore))
        case .append(let reference, let value?):
            // [value, slot, length] → length + 1 stored at slot → element slot.
            emitExpression(value)
            emitSlot(reference)
            emit(.op(.dup1), .op(.sload), .op(.dup1), .push(.one), .op(.add), .op(.dup3), .op(.sstore))
            emitElementSlot(slotsPerElement: 1)
            emit(.op(.swap1), .op(.pop))
            if value.type.isDynamic { emitCall(.storageWrite) } else { emit(.op(.sstore)) }
        case .removeLast(let reference, let slotsPerElement, let byteStringFields):
            emitSlot(reference)
            // [slot, length]: fails on an empty array, else stores length − 1 and clears the element.
            emit(.op(.dup1), .op(.sload))
            failUnless { $0.emit(.op(.dup1)) } with: { $0.emitPanic(0x31) }
            emit(.push(.one), .op(.swap1), .op(.sub), .op(.dup1), .op(.dup3), .op(.sstore))
            emitElementSlot(slotsPerElement: slotsPerElement)
            emit(.op(.swap1), .op(.pop))
            for offset in 0..<slotsPerElement {
                if byteStringFields.contains(offset) {
                    emit(.op(.dup1))
                    if offset > 0 { emit(.push(UInt256(UInt64(offset))), .op(.wadd)) }
                    emitClearStoredByteString()
                    continue
                }
                emit(.push(.zero), .op(.dup2))
                if offset > 0 { emit(.push(UInt256(UInt64(offset))), .op(.wadd)) }
                emit(.op(.sstore))
            }
            emit(.op(.pop))
        }
    }

    /// [slot, index] → [slot, element slot]: keccak(slot) + index × size.
    mutating func emitElementSlot(slotsPerElement: Int) {
        if slotsPerElement > 1 { emit(.push(UInt256(UInt64(slotsPerElement))), .op(.mul)) }
        emit(.op(.dup2), .push(.zero), .op(.mstore), .push(UInt256(32)), .push(.zero), .op(.keccak256), .op(.wadd))
    }

    /// `old op value`: the value (b) first, then the old value (a) from `pushOld`, then a op b,
    /// checked as the type's arithmetic.
    mutating func emitUpdate(_ operation: BinaryOperator, type: ValueType, value: TypedExpression,
                                     pushOld: (inout CodeGenerator) -> Void) {
        emitExpression(value)
        pushOld(&self)
        emitArithmetic(operation, type: type)
    }

    mutating func emitLoop(variable: LocalID, start: TypedExpression, end: LocalID, endValue: TypedExpression,
                                   maxIterations: Int, body: [TypedStatement], location: SourceLocation) {
        emitExpression(start)
        emit(.bindLocal(variable))
        emitExpression(endValue)
        emit(.bindLocal(end))
        // More than maxIterations runs (end > start and end − start > max) fails before the first.
        let type = program.locals[variable].type
        failUnless {
            $0.emit(.getLocal(variable), .getLocal(end), .op(.wsub), .push(UInt256(UInt64(maxIterations))), .op(.lt))
            $0.emit(.getLocal(variable), .getLocal(end), .op(type.isSigned ? .sgt : .gt), .op(.and), .op(.iszero))
        } with: {
            // LoopBoundExceeded(): a 4-byte custom error, declared in the ABI of every contract
            // with a loop (a message would cost ~100 bytes of stored data).
            $0.emitPayload(selector: ContractModel.selector(of: "LoopBoundExceeded()"), argumentCount: 0)
            $0.emit(.push(UInt256(4)), .pushFreeMemory(0), .op(.revert))
        }
        let top = newLabel(), exit = newLabel()
        emit(.label(top))
        emit(.getLocal(end), .getLocal(variable), .op(type.isSigned ? .slt : .lt), .op(.iszero), .jumpIf(exit))
        emitBlock(body)
        emit(.source(location))
        emit(.getLocal(variable), .push(.one), .op(.wadd), .setLocal(variable), .jump(top))
        emit(.label(exit), .dropLocal(end), .dropLocal(variable))
    }

    /// Runs `condition` (leaving 1 word) and continues when it is nonzero; else runs `failure`,
    /// which must end the call.
    mutating func failUnless(_ condition: (inout CodeGenerator) -> Void, with failure: (inout CodeGenerator) -> Void) {
        let passed = newLabel()
        condition(&self)
        emit(.jumpIf(passed))
        failure(&self)
        emit(.label(passed))
    }

    mutating func emitRevertWithoutData() {
        emit(.push(.zero), .push(.zero), .op(.revert))
    }

    /// Fails the call as an overflowing checked operation does (arithmeticOverflow), so a narrow
    /// type's overflow looks the same as uint256's.
    mutating func emitOverflow() {
        emit(.push(.zero), .op(.not), .push(.one), .op(.add), .op(.invalid))
    }

    /// `Panic(uint256)` as Solidity encodes it (0x31: RemoveLast on an empty array, 0x32: index
    /// out of bounds).
    mutating func emitPanic(_ code: UInt64) {
        emitSelectorWord(0x4e48_7b71)
        emit(.push(.zero), .op(.mstore), .push(UInt256(code)), .push(UInt256(4)), .op(.mstore),
             .push(UInt256(36)), .push(.zero), .op(.revert))
    }

    mutating func emitMessageRevert(_ message: String) {
        let blob = ABICodec.errorPayload(message)
        let length = UInt256(UInt64(blob.count))
        program.fixedAreaSize = max(program.fixedAreaSize, blob.count)
        if isConstructor {
            // The data section is stored with the runtime code: messages only the constructor
            // uses are written by the init code itself rather than stored (and paid for) forever.
            for start in stride(from: 0, to: blob.count, by: 32) {
                let word = Array(blob[start..<min(start + 32, blob.count)])
                emit(.push(UInt256(bigEndianBytes: word + [UInt8](repeating: 0, count: 32 - word.count))!), .pushFreeMemory(start), .op(.mstore))
            }
        } else {
            let offset = data.offset(of: blob)
            emit(.push(length), .push(UInt256(UInt64(offset))), .pushFreeMemory(0), .op(.datacopy))
        }
        emit(.push(length), .pushFreeMemory(0), .op(.revert))
    }

    mutating func emitFailure(_ failure: TypedFailure) {
        switch failure {
        case .message(let text) where text.isEmpty: emitRevertWithoutData()
        case .message(let text): emitMessageRevert(text)
        case .error(let selector, let arguments) where arguments.contains(where: { $0.type.isDynamic }):
            for argument in arguments { emitExpression(argument) }
            emitEncodeTuple(arguments.map(\.type), selector: selector)
            emitHeapTop()
            emit(.op(.revert))
        case .error(let selector, let arguments):
            for argument in arguments { emitExpression(argument) }
            emitPayload(selector: selector, argumentCount: arguments.count)
            emit(.push(UInt256(UInt64(4 + 32 * arguments.count))), .pushFreeMemory(0), .op(.revert))
        }
    }

    /// Writes selector + the `argumentCount` words on the stack (last on top) to free memory.
    mutating func emitPayload(selector: UInt32, argumentCount: Int) {
        emitSelectorWord(selector)
        emit(.pushFreeMemory(0), .op(.mstore))
        for index in (0..<argumentCount).reversed() { emit(.pushFreeMemory(4 + 32 * index), .op(.mstore)) }
    }

    /// The word whose first 4 bytes are `selector`: PUSH4 and a shift take 8 bytes of code where
    /// the word itself would take a PUSH32 (33), and code costs gas to load.
    mutating func emitSelectorWord(_ selector: UInt32) {
        emit(.push(UInt256(UInt64(selector))), .push(UInt256(224)), .op(.shl))
    }

    mutating func emitRoleGuard(_ allowed: [TypedExpression]) {
        failUnless {
            for (index, address) in allowed.enumerated() {
                $0.emitExpression(address)
                $0.emit(.op(.caller), .op(.eq))
                if index > 0 { $0.emit(.op(.or)) }
            }
        } with: {
            $0.emit(.op(.caller))
            $0.emitPayload(selector: ContractModel.selector(of: "Unauthorized(address)"), argumentCount: 1)
            $0.emit(.push(UInt256(36)), .pushFreeMemory(0), .op(.revert))
        }
    }

    // MARK: Values from outside

    /// Fails (revert without data) unless the word on top is a valid `type`; keeps it.
    mutating func emitValidation(of type: ValueType) {
        switch type {
        case .unsigned(256), .signed(256), .fixedBytes(32), .bytes, .string, .array: return
        case .unsigned(let bits): failUnless { $0.emitHighBitsClear(bits) } with: { $0.emitRevertWithoutData() }
        case .address: failUnless { $0.emitHighBitsClear(160) } with: { $0.emitRevertWithoutData() }
        case .bool: failUnless { $0.emitHighBitsClear(1) } with: { $0.emitRevertWithoutData() }
        case .signed(let bits): failUnless { $0.emitFitsSigned(bits) } with: { $0.emitRevertWithoutData() }
        case .fixedBytes(let count):
            failUnless { $0.emit(.op(.dup1), .push(UInt256(UInt64(8 * count))), .op(.shl), .op(.iszero)) } with: { $0.emitRevertWithoutData() }
        }
    }

    /// [v] → [v, v >> bits == 0].
    mutating func emitHighBitsClear(_ bits: Int) {
        emit(.op(.dup1), .push(UInt256(UInt64(bits))), .op(.shr), .op(.iszero))
    }

    /// [v] → [v, v is a sign-extended `bits`-bit value].
    mutating func emitFitsSigned(_ bits: Int) {
        emit(.op(.dup1), .op(.dup1), .push(UInt256(UInt64(bits / 8 - 1))), .op(.signextend), .op(.eq))
    }

    // MARK: Expressions

    mutating func emitExpression(_ expression: TypedExpression) {
        switch expression {
        case .constant(let value, _):
            emit(.push(value))
        case .constantBytes(let bytes, _):
            emitConstant(bytes)
        case .local(let id, _):
            emit(.getLocal(localBase + id))
        case .load(let reference, let type):
            emitSlot(reference)
            if type.isDynamic { emitCall(.storageRead) } else { emit(.op(.sload)) }
        case .length(.load(let reference, _)):
            emitSlot(reference)
            emitStoredLength()
        case .length(let value):
            emitExpression(value)
            emit(.op(.mload))
        case .element(let array, let index, _):
            // [index, pointer]: index < length, else Panic(0x32); then the word at
            // pointer + 32 + 32·index.
            emitExpression(array)
            emitExpression(index)
            failUnless { $0.emit(.op(.dup2), .op(.mload), .op(.dup2), .op(.lt)) } with: { $0.emitPanic(0x32) }
            emit(.push(UInt256(5)), .op(.shl), .op(.add), .push(UInt256(32)), .op(.add), .op(.mload))
        case .environment(let value):
            let opcode: Opcode = switch value {
            case .sender: .caller
            case .origin: .origin
            case .callValue: .callvalue
            case .blockNumber: .number
            case .blockTimestamp: .timestamp
            case .chainID: .chainid
            case .contractAddress: .address
            case .contractBalance: .selfbalance
            }
            emit(.op(opcode))
        case .unary(let operation, let operand, let type):
            emitExpression(operand)
            switch operation {
            case .not: emit(.op(.iszero))
            case .bitwiseNot:
                emit(.op(.not))
                emitMask(type)
            case .negate:
                guard case .signed(let bits) = type else { return }
                let minimum = (UInt256.one << (bits - 1)).negated()
                failUnless { $0.emit(.op(.dup1), .push(minimum), .op(.eq), .op(.iszero)) } with: { $0.emitOverflow() }
                emit(.push(.zero), .op(.wsub))
            }
        case .binary(let operation, let lhs, let rhs, let operandType, _):
            emitBinary(operation, lhs, rhs, operandType: operandType)
        case .convert(let value, let source, let target):
            emitExpression(value)
            emitConversion(from: source, to: target)
        case .builtin(let builtin, let arguments, _):
            switch builtin {
            case .keccak256 where arguments.contains(where: \.type.isDynamic), .sha256 where arguments.contains(where: \.type.isDynamic):
                for argument in arguments { emitExpression(argument) }
                emitPackedHash(arguments.map(\.type), opcode: builtin == .keccak256 ? .keccak256 : .sha256)
            case .keccak256, .sha256:
                for argument in arguments { emitExpression(argument) }
                for index in arguments.indices.reversed() { emit(.pushFreeMemory(32 * index), .op(.mstore)) }
                emit(.push(UInt256(UInt64(32 * arguments.count))), .pushFreeMemory(0), .op(builtin == .keccak256 ? .keccak256 : .sha256))
            case .recoverSigner:
                for argument in arguments.reversed() { emitExpression(argument) }
                emit(.op(.ecrecover))
            case .recoverSignature:
                for argument in arguments { emitExpression(argument) }
                emitRecoverFromSignature()
            }
        case .external(let call):
            emitExternalCall(call)
        }
    }

    mutating func emitBinary(_ operation: BinaryOperator, _ lhs: TypedExpression, _ rhs: TypedExpression, operandType: ValueType) {
        switch operation {
        case .and, .or:
            let end = newLabel()
            emitExpression(lhs)
            emit(.op(.dup1))
            if operation == .and { emit(.op(.iszero)) }
            emit(.jumpIf(end), .op(.pop))
            emitExpression(rhs)
            emit(.label(end))
            return
        case .shiftLeft, .shiftRight:
            emitExpression(lhs)
            emitExpression(rhs)
            if operation == .shiftRight {
                emit(.op(operandType.isSigned ? .sar : .shr))
                // bytesN shifted right keeps only its N bytes.
                if case .fixedBytes = operandType { emitMask(operandType) }
            } else {
                emit(.op(.shl))
                emitMask(operandType)
            }
            return
        case .equal where operandType.isDynamic, .notEqual where operandType.isDynamic:
            // Byte strings are equal when their contents' hashes are.
            emitExpression(rhs)
            emitContentHash()
            emitExpression(lhs)
            emitContentHash()
            emit(.op(.eq))
            if operation == .notEqual { emit(.op(.iszero)) }
            return
        default:
            break
        }
        emitExpression(rhs)
        emitExpression(lhs)
        let signed = operandType.isSigned
        switch operation {
        case .less: emit(.op(signed ? .slt : .lt))
        case .greater: emit(.op(signed ? .sgt : .gt))
        case .lessOrEqual: emit(.op(signed ? .sgt : .gt), .op(.iszero))
        case .greaterOrEqual: emit(.op(signed ? .slt : .lt), .op(.iszero))
        case .equal: emit(.op(.eq))
        case .notEqual: emit(.op(.eq), .op(.iszero))
        case .bitwiseAnd: emit(.op(.and))
        case .bitwiseOr: emit(.op(.or))
        case .bitwiseXor: emit(.op(.xor))
        default: emitArithmetic(operation, type: operandType)
        }
    }

    /// [b, a] → [a op b], checked for `type` unless the operation wraps.
    mutating func emitArithmetic(_ operation: BinaryOperator, type: ValueType) {
        switch type {
        case .unsigned(let bits):
            switch operation {
            case .add: emit(.op(.add))
            case .subtract: emit(.op(.sub))
            case .multiply: emit(.op(.mul))
            case .divide: emit(.op(.div))
            case .remainder: emit(.op(.mod))
            case .power: emit(.op(.exp))
            case .wrappingAdd: emit(.op(.wadd)); emitMask(type); return
            case .wrappingSubtract: emit(.op(.wsub)); emitMask(type); return
            case .wrappingMultiply: emit(.op(.wmul)); emitMask(type); return
            default: return
            }
            if bits < 256 && [.add, .multiply, .power].contains(operation) {
                failUnless { $0.emitHighBitsClear(bits) } with: { $0.emitOverflow() }
            }
        case .signed(let bits):
            switch operation {
            case .add: emitSignedAdd()
            case .subtract: emitSignedSubtract()
            case .multiply: emitSignedMultiply()
            case .divide: emit(.op(.sdiv))
            case .remainder: emit(.op(.smod))
            case .wrappingAdd: emit(.op(.wadd)); emitMask(type); return
            case .wrappingSubtract: emit(.op(.wsub)); emitMask(type); return
            case .wrappingMultiply: emit(.op(.wmul)); emitMask(type); return
            default: return
            }
            if bits < 256 && operation != .remainder {
                failUnless { $0.emitFitsSigned(bits) } with: { $0.emitOverflow() }
            }
        default:
            return
        }
    }

    /// [b, a] → [a + b], failing when the signed 256-bit sum overflows (r^a)&(r^b) < 0.
    mutating func emitSignedAdd() {
        emit(.op(.dup2), .op(.dup2), .op(.wadd))
        failUnless {
            $0.emit(.op(.dup1), .op(.dup3), .op(.xor), .op(.dup2), .op(.dup5), .op(.xor), .op(.and), .push(UInt256(255)), .op(.shr), .op(.iszero))
        } with: { $0.emitOverflow() }
        emit(.op(.swap2), .op(.pop), .op(.pop))
    }

    /// [b, a] → [a − b], failing when (a^b)&(a^r) < 0.
    mutating func emitSignedSubtract() {
        emit(.op(.dup2), .op(.dup2), .op(.wsub))
        failUnless {
            $0.emit(.op(.dup3), .op(.dup3), .op(.xor), .op(.dup2), .op(.dup4), .op(.xor), .op(.and), .push(UInt256(255)), .op(.shr), .op(.iszero))
        } with: { $0.emitOverflow() }
        emit(.op(.swap2), .op(.pop), .op(.pop))
    }

    /// [b, a] → [a × b], failing unless a = 0, or r ÷ a = b and not (a = −1 and b = MIN).
    mutating func emitSignedMultiply() {
        let done = newLabel()
        emit(.op(.dup2), .op(.dup2), .op(.wmul))
        emit(.op(.dup2), .op(.iszero), .jumpIf(done))
        failUnless {
            $0.emit(.op(.dup2), .push(.max), .op(.eq), .op(.dup4), .push(.signedMin), .op(.eq), .op(.and), .op(.iszero))
        } with: { $0.emitOverflow() }
        failUnless { $0.emit(.op(.dup2), .op(.dup2), .op(.sdiv), .op(.dup4), .op(.eq)) } with: { $0.emitOverflow() }
        emit(.label(done), .op(.swap2), .op(.pop), .op(.pop))
    }

    /// Keeps a wrapped result inside its type: the low bits of uintN, the sign-extended low bits of
    /// intN, the high bytes of bytesN.
    mutating func emitMask(_ type: ValueType) {
        switch type {
        case .unsigned(let bits) where bits < 256: emit(.push(Folding.maximum(bits: bits)), .op(.and))
        case .signed(let bits) where bits < 256: emit(.push(UInt256(UInt64(bits / 8 - 1))), .op(.signextend))
        case .fixedBytes(let count) where count < 32: emit(.push(~Folding.maximum(bits: 8 * (32 - count))), .op(.and))
        default: break
        }
    }

    mutating func emitConversion(from source: ValueType, to target: ValueType) {
        switch (source, target) {
        case (.unsigned(let from), .unsigned(let to)) where to < from:
            failUnless { $0.emitHighBitsClear(to) } with: { $0.emitOverflow() }
        case (.address, .unsigned(let to)) where to < 160:
            failUnless { $0.emitHighBitsClear(to) } with: { $0.emitOverflow() }
        case (.unsigned(let from), .address) where from > 160:
            failUnless { $0.emitHighBitsClear(160) } with: { $0.emitOverflow() }
        case (.signed(let from), .signed(let to)) where to < from:
            failUnless { $0.emitFitsSigned(to) } with: { $0.emitOverflow() }
        case (.unsigned(let from), .signed(let to)) where from >= to:
            failUnless { $0.emitHighBitsClear(to - 1) } with: { $0.emitOverflow() }
        case (.signed, .unsigned(let to)):
            failUnless { $0.emitHighBitsClear(min(to, 255)) } with: { $0.emitOverflow() }
        default:
            break
        }
    }

    mutating func emitExternalCall(_ call: TypedExpression.ExternalCall) {
        if call.arguments.contains(where: \.type.isDynamic) || call.returns?.isDynamic == true {
            emitExternalCallOnHeap(call)
            return
        }
        emitExpression(call.target)
        for argument in call.arguments { emitExpression(argument) }
        emitPayload(selector: call.selector, argumentCount: call.arguments.count)
        // [target] → CALL(gas, target, value 0, in, in length, out, out length) or STATICCALL.
        let inputLength = UInt256(UInt64(4 + 32 * call.arguments.count))
        emit(.push(call.returns == nil ? .zero : UInt256(32)), .pushFreeMemory(0), .push(inputLength), .pushFreeMemory(0))
        emitContractCall(isStatic: call.isStatic, revertDataAt: .pushFreeMemory(0))
        guard let returns = call.returns else { return }
        failUnless { $0.emit(.push(UInt256(31)), .op(.returndatasize), .op(.gt)) } with: { $0.emitRevertWithoutData() }
        emit(.pushFreeMemory(0), .op(.mload))
        emitValidation(of: returns)
    }

    /// [in, in length, out, out length, target] → []: CALL (value 0) or STATICCALL with all the
    /// gas allowed; a failed call fails this one with the callee's revert data, copied to the
    /// memory `revertDataAt` pushes the address of.
    mutating func emitContractCall(isStatic: Bool, revertDataAt address: IRInstruction) {
        if isStatic {
            emit(.op(.dup5), .op(.gas), .op(.staticcall))
        } else {
            emit(.push(.zero), .op(.dup6), .op(.gas), .op(.call))
        }
        emit(.op(.swap1), .op(.pop))
        failUnless { _ in } with: {
            $0.emit(.op(.returndatasize), .push(.zero), address, .op(.returndatacopy), .op(.returndatasize), address, .op(.revert))
        }
    }

    /// A call whose arguments or result include a byte string: the payload is built at the
    /// heap's top, a word result comes back in scratch word 0, a byte string is copied from the
    /// return data with the checks call data gets.
    mutating func emitExternalCallOnHeap(_ call: TypedExpression.ExternalCall) {
        emitExpression(call.target)
        for argument in call.arguments { emitExpression(argument) }
        emitEncodeTuple(call.arguments.map(\.type), selector: call.selector)
        // [length, target] → CALL(gas, target, 0, top, length, 0, out length) or STATICCALL.
        let outputLength = call.returns.map { $0.isDynamic ? UInt256.zero : UInt256(32) } ?? .zero
        emit(.push(outputLength), .op(.swap1), .push(.zero), .op(.swap1))
        emitHeapTop()
        emitContractCall(isStatic: call.isStatic, revertDataAt: .push(.zero))
        guard let returns = call.returns else { return }
        if returns.isDynamic {
            emitReturnedByteString()
            return
        }
        failUnless { $0.emit(.push(UInt256(31)), .op(.returndatasize), .op(.gt)) } with: { $0.emitRevertWithoutData() }
        emit(.push(.zero), .op(.mload))
        emitValidation(of: returns)
    }

    // MARK: Storage

    /// Pushes the slot of `reference` (Docs/contract-dsl.md §Storage layout).
    mutating func emitSlot(_ reference: StorageReference) {
        if let local = sharedSlots[SlotSharing.key(of: reference)] {
            emit(.getLocal(local))
            return
        }
        emit(.push(reference.slot))
        for step in reference.steps {
            switch step {
            case .mapKey(let key):
                // keccak256(key . slot), as Solidity lays out mappings.
                emitExpression(key)
                emit(.push(.zero), .op(.mstore), .push(UInt256(32)), .op(.mstore), .push(UInt256(64)), .push(.zero), .op(.keccak256))
            case .arrayElement(let index, let slotsPerElement):
                emitExpression(index)
                // [slot, index]: index < length, else Panic(0x32).
                failUnless { $0.emit(.op(.dup2), .op(.sload), .op(.dup2), .op(.lt)) } with: { $0.emitPanic(0x32) }
                emitElementSlot(slotsPerElement: slotsPerElement)
                emit(.op(.swap1), .op(.pop))
            case .field(let offset):
                if offset > 0 { emit(.push(UInt256(UInt64(offset))), .op(.wadd)) }
            }
        }
    }

    // MARK: Output

    mutating func newLabel() -> Int {
        defer { nextLabel += 1 }
        return nextLabel
    }

    mutating func emit(_ instructions: IRInstruction...) {
        emit(instructions)
    }

    mutating func emit(_ instructions: [IRInstruction]) {
        for instruction in instructions {
            switch instruction {
            case .pushFreeMemory(let offset): program.fixedAreaSize = max(program.fixedAreaSize, offset + 32)
            case .pushHeap: usesHeap = true
            default: break
            }
        }
        program.instructions += instructions
    }
}

/// Which storage slots a function hashes once (Docs/contract-dsl.md §Optimisations): a map entry
/// (or a field of one) whose keys are constants, call-wide values (sender, origin, this address,
/// block and chain values) or parameters the function never assigns, used at least twice by the
/// body's top-level statements — so the hash is never paid on a path that would not have paid it.
enum SlotSharing {
    static func candidates(in function: TypedFunction) -> [StorageReference] {
        var assigned = Set<LocalID>()
        collectAssignments(function.body, into: &assigned)
        let stableLocals = Set(function.parameters).subtracting(assigned)
        var counts: [String: (reference: StorageReference, count: Int)] = [:]
        var order: [String] = []
        func note(_ reference: StorageReference) {
            guard !reference.steps.isEmpty, let key = stableKey(of: reference, stableLocals: stableLocals) else { return }
            if counts[key] == nil { order.append(key) }
            counts[key, default: (reference, 0)].count += 1
        }
        for statement in function.body { references(in: statement, note: note) }
        return order.compactMap { counts[$0]!.count >= 2 ? counts[$0]!.reference : nil }
    }

    /// The reference as text, for matching.
    static func key(of reference: StorageReference) -> String {
        stableKey(of: reference, stableLocals: nil) ?? ""
    }

    /// nil unless every key is stable (with `stableLocals` nil, any local counts as stable).
    private static func stableKey(of reference: StorageReference, stableLocals: Set<LocalID>?) -> String? {
        var text = reference.slot.description
        for step in reference.steps {
            switch step {
            case .mapKey(let key):
                switch key {
                case .constant(let value, _): text += "|c\(value)"
                case .environment(let value) where value != .callValue && value != .contractBalance: text += "|e\(value.rawValue)"
                case .local(let id, _) where stableLocals?.contains(id) ?? true: text += "|l\(id)"
                default: return nil
                }
            case .field(let offset): text += "|f\(offset)"
            case .arrayElement: return nil
            }
        }
        return text
    }

    private static func collectAssignments(_ statements: [TypedStatement], into assigned: inout Set<LocalID>) {
        for statement in statements {
            switch statement.kind {
            case .assignLocal(let id, _), .updateLocal(let id, _, _): assigned.insert(id)
            case .if(_, let then, let otherwise):
                collectAssignments(then, into: &assigned)
                collectAssignments(otherwise, into: &assigned)
            case .loop(_, _, _, _, _, let body): collectAssignments(body, into: &assigned)
            default: break
            }
        }
    }

    /// The storage references of one statement, not looking into nested blocks.
    private static func references(in statement: TypedStatement, note: (StorageReference) -> Void) {
        func visit(_ expression: TypedExpression) {
            switch expression {
            case .load(let reference, _):
                note(reference)
                visitSteps(reference)
            case .unary(_, let operand, _): visit(operand)
            case .binary(_, let lhs, let rhs, _, _): visit(lhs); visit(rhs)
            case .convert(let value, _, _): visit(value)
            case .builtin(_, let arguments, _): arguments.forEach(visit)
            case .external(let call): visit(call.target); call.arguments.forEach(visit)
            case .length(let value): visit(value)
            case .element(let array, let index, _): visit(array); visit(index)
            case .constant, .constantBytes, .local, .environment: break
            }
        }
        func visitSteps(_ reference: StorageReference) {
            for step in reference.steps {
                if case .mapKey(let key) = step { visit(key) }
                if case .arrayElement(let index, _) = step { visit(index) }
            }
        }
        func visitFailure(_ failure: TypedFailure) {
            if case .error(_, let arguments) = failure { arguments.forEach(visit) }
        }
        switch statement.kind {
        case .define(_, let value), .assignLocal(_, let value), .updateLocal(_, _, let value), .evaluate(let value): visit(value)
        case .store(let reference, let value), .updateStorage(let reference, _, let value):
            note(reference); visitSteps(reference); visit(value)
        case .if(let condition, _, _): visit(condition)
        case .loop(_, let start, _, let end, _, _): visit(start); visit(end)
        case .require(let condition, let failure): visit(condition); visitFailure(failure)
        case .revert(let failure): visitFailure(failure)
        case .return(let value): value.map(visit)
        case .emit(_, let indexed, let data): indexed.forEach(visit); data.forEach(visit)
        case .append(let reference, let value): note(reference); visitSteps(reference); value.map(visit)
        case .removeLast(let reference, _, _): note(reference); visitSteps(reference)
        }
    }
}
