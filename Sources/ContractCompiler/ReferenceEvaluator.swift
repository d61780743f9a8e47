// The reference evaluator (Docs/contract-dsl.md §Testing): runs a checked contract tree directly,
// with the semantics the compiled code must have, for differential tests — for the same call
// data, the bytecode on the VM and this evaluator must agree on return data, revert data,
// storage and logs. It shares the type checker with the compiler, nothing after it: code
// generation, scheduling, assembly, verification and the VM are what it checks.
//
// Evaluation order is part of the semantics (it decides which failure is reported): binary
// arithmetic and comparisons evaluate the right operand first; shifts, && and || the left first;
// an event's indexed values in reverse, then its data values; everything else left to right.
// Byte strings are kept as byte arrays; storage holds them in Solidity's layout through the
// functions `readBytes` and `writeBytes` below, which are the specification the compiled code's
// storage helpers are checked against.
import ContractDSL
import LedgerPrimitives

public struct ReferenceLog: Sendable, Equatable {
    public var topics: [UInt256]
    public var data: [UInt8]

    public init(topics: [UInt256], data: [UInt8]) {
        self.topics = topics
        self.data = data
    }
}

public struct ReferenceOutcome: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case success
        case revert
        /// A failure the VM reports instead of a revert: "arithmeticOverflow", "divisionByZero".
        case failure(String)
    }
    public var status: Status
    public var output: [UInt8]
    public var logs: [ReferenceLog]
}

/// What a call can see outside the contract.
public struct ReferenceEnvironment {
    public var caller: Address
    public var origin: Address
    public var value: UInt256
    public var blockNumber: UInt64
    public var timestamp: UInt64
    public var chainID: UInt64
    public var contractAddress: Address
    public var contractBalance: UInt256
    public var sha256: ([UInt8]) -> Hash32
    public var recoverSigner: (Hash32, UInt256, UInt256, UInt256) -> Address?
    /// An external call: (target, call data, static) → (succeeded, output).
    public var call: (Address, [UInt8], Bool) -> (Bool, [UInt8])

    public init(caller: Address, origin: Address? = nil, value: UInt256 = .zero, blockNumber: UInt64 = 1, timestamp: UInt64 = 0,
                chainID: UInt64 = 1, contractAddress: Address, contractBalance: UInt256 = .zero,
                sha256: @escaping ([UInt8]) -> Hash32, recoverSigner: @escaping (Hash32, UInt256, UInt256, UInt256) -> Address?,
                call: @escaping (Address, [UInt8], Bool) -> (Bool, [UInt8]) = { _, _, _ in (true, []) }) {
        self.caller = caller
        self.origin = origin ?? caller
        self.value = value
        self.blockNumber = blockNumber
        self.timestamp = timestamp
        self.chainID = chainID
        self.contractAddress = contractAddress
        self.contractBalance = contractBalance
        self.sha256 = sha256
        self.recoverSigner = recoverSigner
        self.call = call
    }
}

/// One contract's state and its checked functions.
public final class ReferenceContract {
    public private(set) var storage: [UInt256: UInt256] = [:]
    private let functions: [UInt32: TypedFunction]
    private let constructor: TypedFunction?

    public init(_ contract: Contract) throws(CompileErrors) {
        let model = ContractModel(contract)
        var checker = TypeChecker(model: model)
        let checked = model.functions.map { checker.check($0, isConstructor: false) }
        let constructor = model.constructor.map { checker.check($0, isConstructor: true) }
        let errors = model.problems + checker.errors
        guard errors.isEmpty else { throw CompileErrors(errors: errors) }
        functions = Dictionary(checked.map { ($0.selector, $0) }, uniquingKeysWith: { first, _ in first })
        self.constructor = constructor
    }

    /// Nonzero slots only, as the VM's world keeps them.
    public var nonzeroStorage: [UInt256: UInt256] { storage.filter { !$0.value.isZero } }

    public func deploy(arguments: [UInt8], environment: ReferenceEnvironment) -> ReferenceOutcome {
        guard let constructor else {
            return environment.value.isZero ? ReferenceOutcome(status: .success, output: [], logs: [])
                                            : ReferenceOutcome(status: .revert, output: [], logs: [])
        }
        return run(constructor, input: arguments, argumentsOffset: 0, environment: environment)
    }

    public func call(_ data: [UInt8], environment: ReferenceEnvironment) -> ReferenceOutcome {
        var selectorWord = UInt256.zero
        for index in 0..<4 { selectorWord = selectorWord << 8 | UInt256(UInt64(index < data.count ? data[index] : 0)) }
        guard let function = functions[UInt32(selectorWord.limb0)] else { return ReferenceOutcome(status: .revert, output: [], logs: []) }
        return run(function, input: data, argumentsOffset: 4, environment: environment)
    }

    private func run(_ function: TypedFunction, input: [UInt8], argumentsOffset: Int, environment: ReferenceEnvironment) -> ReferenceOutcome {
        var frame = Frame(storage: storage, locals: Array(repeating: .zero, count: function.locals.count),
                          localTypes: function.locals.map(\.type), environment: environment)
        let result: Frame.Exit
        do {
            try frame.enter(function, input: input, argumentsOffset: argumentsOffset)
            try frame.block(function.body)
            result = .returned([])
        } catch {
            result = error
        }
        switch result {
        case .returned(let output):
            storage = frame.storage
            return ReferenceOutcome(status: .success, output: output, logs: frame.logs)
        case .reverted(let output):
            return ReferenceOutcome(status: .revert, output: output, logs: [])
        case .failed(let kind):
            return ReferenceOutcome(status: .failure(kind), output: [], logs: [])
        }
    }
}

private struct Frame {
    enum Exit: Error {
        case returned([UInt8])
        case reverted([UInt8])
        case failed(String)
    }

    var storage: [UInt256: UInt256]
    var locals: [UInt256]
    /// The values of `bytes` and `string` locals.
    var byteLocals: [LocalID: [UInt8]] = [:]
    /// The elements of array parameters of words, and of byte strings.
    var arrayLocals: [LocalID: [UInt256]] = [:]
    var byteArrayLocals: [LocalID: [[UInt8]]] = [:]
    let localTypes: [ValueType]
    let environment: ReferenceEnvironment
    var logs: [ReferenceLog] = []

    static let overflow = Exit.failed("arithmeticOverflow")

    mutating func enter(_ function: TypedFunction, input: [UInt8], argumentsOffset: Int) throws(Exit) {
        if function.mutability != .payable && !environment.value.isZero { throw .reverted([]) }
        if input.count < argumentsOffset + 32 * function.parameters.count { throw .reverted([]) }
        for (index, parameter) in function.parameters.enumerated() {
            let start = argumentsOffset + 32 * index
            let word = UInt256(bigEndianBytes: input[start..<(start + 32)]) ?? .zero
            if case .array(let element) = function.locals[parameter].type, element.isByteString {
                byteArrayLocals[parameter] = try Self.byteStrings(at: word, in: input, base: argumentsOffset)
                continue
            }
            if case .array(let element) = function.locals[parameter].type {
                arrayLocals[parameter] = try Self.array(of: element, at: word, in: input, base: argumentsOffset)
                continue
            }
            if function.locals[parameter].type.isDynamic {
                byteLocals[parameter] = try Self.byteString(at: word, in: input, base: argumentsOffset)
                continue
            }
            guard ABIValue.decode(word, as: function.locals[parameter].type) != nil else { throw .reverted([]) }
            locals[parameter] = word
        }
        if !function.allowedCallers.isEmpty {
            var allowed = false
            for address in function.allowedCallers where try evaluate(address) == UInt256(environment.caller) { allowed = true }
            if !allowed {
                throw .reverted(ABICodec.selector("Unauthorized(address)") + UInt256(environment.caller).bigEndianBytes)
            }
        }
    }

    /// The array of `element` values whose head word is `offset` in an ABI tuple starting at
    /// `base` of `data`: its length n at base + offset, then n words, each a valid `element`;
    /// a revert without data otherwise.
    static func array(of element: ValueType, at offset: UInt256, in data: [UInt8], base: Int) throws(Exit) -> [UInt256] {
        guard data.count >= base + 32 else { throw .reverted([]) }
        let limit = UInt256(UInt64(data.count - base - 32))
        guard offset <= limit, let start = offset.exactInt.map({ base + $0 }),
              let count = UInt256(bigEndianBytes: data[start..<(start + 32)]),
              count <= (limit &- offset) / UInt256(32), let n = count.exactInt else { throw .reverted([]) }
        var words: [UInt256] = []
        for index in 0..<n {
            let at = start + 32 + 32 * index
            guard let word = UInt256(bigEndianBytes: data[at..<(at + 32)]), ABIValue.decode(word, as: element) != nil else {
                throw .reverted([])
            }
            words.append(word)
        }
        return words
    }

    /// The `bytes[]` or `string[]` whose head word is `offset` in an ABI tuple starting at
    /// `base` of `data`: its length n, n heads (offsets from the first head), their byte strings.
    static func byteStrings(at offset: UInt256, in data: [UInt8], base: Int) throws(Exit) -> [[UInt8]] {
        guard data.count >= base + 32 else { throw .reverted([]) }
        let limit = UInt256(UInt64(data.count - base - 32))
        guard offset <= limit, let start = offset.exactInt.map({ base + $0 }),
              let count = UInt256(bigEndianBytes: data[start..<(start + 32)]),
              count <= (limit &- offset) / UInt256(32), let n = count.exactInt else { throw .reverted([]) }
        var strings: [[UInt8]] = []
        for index in 0..<n {
            let at = start + 32 + 32 * index
            let head = UInt256(bigEndianBytes: data[at..<(at + 32)]) ?? .zero
            strings.append(try byteString(at: head, in: data, base: start + 32))
        }
        return strings
    }

    /// The byte string whose head word is `offset` in an ABI tuple starting at `base` of `data`
    /// (which holds at least the heads): its length word at base + offset, then its bytes; a
    /// revert without data when either points past the end.
    static func byteString(at offset: UInt256, in data: [UInt8], base: Int) throws(Exit) -> [UInt8] {
        guard data.count >= base + 32 else { throw .reverted([]) }
        let limit = UInt256(UInt64(data.count - base - 32))
        guard offset <= limit, let start = offset.exactInt.map({ base + $0 }),
              let length = UInt256(bigEndianBytes: data[start..<(start + 32)]), length <= limit &- offset,
              let count = length.exactInt else { throw .reverted([]) }
        return Array(data[(start + 32)..<(start + 32 + count)])
    }

    // MARK: Statements

    mutating func block(_ statements: [TypedStatement]) throws(Exit) {
        for statement in statements { try execute(statement) }
    }

    mutating func execute(_ statement: TypedStatement) throws(Exit) {
        switch statement.kind {
        case .define(let id, let value), .assignLocal(let id, let value):
            if value.type.isDynamic { byteLocals[id] = try evaluateBytes(value) } else { locals[id] = try evaluate(value) }
        case .store(let reference, let value) where value.type.isDynamic:
            let bytes = try evaluateBytes(value)
            try writeBytes(bytes, at: try slot(of: reference))
        case .store(let reference, let value):
            let word = try evaluate(value)
            storage[try slot(of: reference)] = word
        case .updateLocal(let id, let operation, let value):
            let operand = try evaluate(value)
            let type = localType(id)
            locals[id] = try arithmetic(operation, locals[id], operand, type: type)
        case .updateStorage(let reference, let operation, let value):
            guard case .value(let type) = reference.type else { return }
            let key = try slot(of: reference)
            let operand = try evaluate(value)
            storage[key] = try arithmetic(operation, storage[key] ?? .zero, operand, type: type)
        case .if(let condition, let then, let otherwise):
            try block(try evaluate(condition).isZero ? otherwise : then)
        case .loop(let variable, let start, let end, let endValue, let maxIterations, let body):
            locals[variable] = try evaluate(start)
            locals[end] = try evaluate(endValue)
            let signed = localType(variable).isSigned
            let runs = signed ? locals[variable].signedLessThan(locals[end]) : locals[variable] < locals[end]
            if runs && (locals[end] &- locals[variable]) > UInt256(UInt64(maxIterations)) {
                throw .reverted(ABICodec.selector("LoopBoundExceeded()"))
            }
            while signed ? locals[variable].signedLessThan(locals[end]) : locals[variable] < locals[end] {
                try block(body)
                locals[variable] = locals[variable] &+ .one
            }
        case .require(let condition, let failure):
            if try evaluate(condition).isZero { throw try self.failure(failure) }
        case .revert(let failure):
            throw try self.failure(failure)
        case .return(let value):
            if let value { throw .returned(ABICodec.encode([try abiValue(value)])) }
            throw .returned([])
        case .emit(let topic, let indexed, let data):
            var topics: [UInt256] = Array(repeating: .zero, count: indexed.count)
            for index in indexed.indices.reversed() {
                // An indexed byte string is its keccak-256 hash.
                topics[index] = indexed[index].type.isDynamic ? UInt256(Keccak256.hash(try evaluateBytes(indexed[index])))
                                                              : try evaluate(indexed[index])
            }
            var values: [ABIValue] = []
            for value in data { values.append(try abiValue(value)) }
            logs.append(ReferenceLog(topics: [topic] + topics, data: ABICodec.encode(values)))
        case .evaluate(let value):
            // A call run for its effect: a byte-string result is still read (and checked).
            if value.type.isDynamic { _ = try evaluateBytes(value) } else { _ = try evaluate(value) }
        case .append(let reference, let value?) where value.type.isDynamic:
            let bytes = try evaluateBytes(value)
            let key = try slot(of: reference)
            let length = storage[key] ?? .zero
            storage[key] = try checkedAdd(length, .one)
            try writeBytes(bytes, at: Self.elementBase(key) &+ length)
        case .append(let reference, let value):
            let word = try value.map { (value: TypedExpression) throws(Exit) in try evaluate(value) }
            let key = try slot(of: reference)
            let length = storage[key] ?? .zero
            storage[key] = try checkedAdd(length, .one)
            if let word { storage[Self.elementBase(key) &+ length] = word }
        case .removeLast(let reference, let slotsPerElement, let byteStringFields):
            let key = try slot(of: reference)
            let length = storage[key] ?? .zero
            guard !length.isZero else { throw Self.panic(0x31) }
            let last = length &- .one
            storage[key] = last
            let element = Self.elementBase(key) &+ last &* UInt256(UInt64(slotsPerElement))
            for offset in 0..<slotsPerElement {
                if byteStringFields.contains(offset) {
                    try writeBytes([], at: element &+ UInt256(UInt64(offset)))
                } else {
                    storage[element &+ UInt256(UInt64(offset))] = .zero
                }
            }
        }
    }

    private func localType(_ id: LocalID) -> ValueType { localTypes[id] }

    mutating func failure(_ failure: TypedFailure) throws(Exit) -> Exit {
        switch failure {
        case .message(let text): return .reverted(text.isEmpty ? [] : ABICodec.errorPayload(text))
        case .error(let selector, let arguments):
            var values: [ABIValue] = []
            for argument in arguments { values.append(try abiValue(argument)) }
            return .reverted(Self.selectorBytes(selector) + ABICodec.encode(values))
        }
    }

    static func selectorBytes(_ selector: UInt32) -> [UInt8] {
        [UInt8(selector >> 24), UInt8(truncatingIfNeeded: selector >> 16), UInt8(truncatingIfNeeded: selector >> 8), UInt8(truncatingIfNeeded: selector)]
    }

    static func panic(_ code: UInt64) -> Exit {
        .reverted([0x4e, 0x48, 0x7b, 0x71] + UInt256(code).bigEndianBytes)
    }

    static func elementBase(_ slot: UInt256) -> UInt256 { UInt256(Keccak256.hash(slot.bigEndianBytes)) }

    // MARK: Storage

    /// The longest byte string in storage the evaluator reads or clears before it calls the call
    /// out of gas (only a slot the contract never wrote as a byte string can claim more).
    static let longestStoredBytes: Int = 32 << 16

    /// Solidity's layout: at most 31 bytes sit in the slot, left-aligned, with 2n in the low byte;
    /// a longer value has 2n + 1 there and its bytes in words from keccak(slot).
    func readBytes(at slot: UInt256) throws(Exit) -> [UInt8] {
        let value = storage[slot] ?? .zero
        if value.limb0 & 1 == 0 {
            let length = Int(value.limb0 & 0xff) >> 1
            // A short form claiming more than 32 bytes (only a slot never written as a byte
            // string can): the compiled code's shift 256 − 8n underflows; 32 shifts by 0.
            guard length <= 32 else { throw Self.overflow }
            return Array(value.bigEndianBytes.prefix(length))
        }
        let length = value >> 1
        guard let count = length.exactInt, count <= Self.longestStoredBytes else { throw .failed("outOfGas") }
        let base = Self.elementBase(slot)
        var bytes: [UInt8] = []
        for index in 0..<((count + 31) / 32) { bytes += (storage[base &+ UInt256(UInt64(index))] ?? .zero).bigEndianBytes }
        return Array(bytes.prefix(count))
    }

    /// Writes `bytes` in Solidity's layout and clears the words of a longer value stored before.
    mutating func writeBytes(_ bytes: [UInt8], at slot: UInt256) throws(Exit) {
        let old = storage[slot] ?? .zero
        var oldWords = 0
        if old.limb0 & 1 == 1 {
            guard let count = (old >> 1).exactInt, count <= Self.longestStoredBytes else { throw .failed("outOfGas") }
            oldWords = (count + 31) / 32
        }
        let base = Self.elementBase(slot)
        var newWords = 0
        if bytes.count < 32 {
            let word = UInt256(bigEndianBytes: bytes + [UInt8](repeating: 0, count: 32 - bytes.count)) ?? .zero
            storage[slot] = word | UInt256(UInt64(2 * bytes.count))
        } else {
            storage[slot] = UInt256(UInt64(2 * bytes.count + 1))
            newWords = (bytes.count + 31) / 32
            for index in 0..<newWords {
                let chunk = Array(bytes[(32 * index)..<min(32 * index + 32, bytes.count)])
                storage[base &+ UInt256(UInt64(index))] = UInt256(bigEndianBytes: chunk + [UInt8](repeating: 0, count: 32 - chunk.count)) ?? .zero
            }
        }
        if newWords < oldWords {
            for index in newWords..<oldWords { storage[base &+ UInt256(UInt64(index))] = .zero }
        }
    }

    mutating func slot(of reference: StorageReference) throws(Exit) -> UInt256 {
        var slot = reference.slot
        for step in reference.steps {
            switch step {
            case .mapKey(let key):
                slot = UInt256(Keccak256.hash(try evaluate(key).bigEndianBytes + slot.bigEndianBytes))
            case .arrayElement(let index, let slotsPerElement):
                let position = try evaluate(index)
                guard position < storage[slot] ?? .zero else { throw Self.panic(0x32) }
                slot = Self.elementBase(slot) &+ position &* UInt256(UInt64(slotsPerElement))
            case .field(let offset):
                slot = slot &+ UInt256(UInt64(offset))
            }
        }
        return slot
    }

    // MARK: Expressions

    /// A value for an ABI payload: a word, or a byte string.
    mutating func abiValue(_ expression: TypedExpression) throws(Exit) -> ABIValue {
        expression.type.isDynamic ? .bytes(try evaluateBytes(expression)) : .unsigned(try evaluate(expression))
    }

    /// The content of a `bytes` or `string` expression.
    mutating func evaluateBytes(_ expression: TypedExpression) throws(Exit) -> [UInt8] {
        switch expression {
        case .constantBytes(let bytes, _): return bytes
        case .local(let id, _): return byteLocals[id] ?? []
        case .load(let reference, _): return try readBytes(at: try slot(of: reference))
        case .convert(let value, _, _): return try evaluateBytes(value)
        case .element(.local(let id, _), let index, _):
            let elements = byteArrayLocals[id] ?? []
            return elements[try position(index, below: elements.count)]
        case .constant, .length, .environment, .unary, .binary, .builtin, .element:
            // The checker types none of these as a byte string: reaching here is an evaluator bug,
            // reported as a divergence rather than hidden as agreement.
            throw .failed("evaluator: a byte string expected")
        case .external(let call):
            let output = try callExternally(call)
            // Checked as call data is, from the start of the return data.
            guard output.count >= 32, let offset = UInt256(bigEndianBytes: output.prefix(32)) else { throw .reverted([]) }
            return try Self.byteString(at: offset, in: output, base: 0)
        }
    }

    mutating func callExternally(_ call: TypedExpression.ExternalCall) throws(Exit) -> [UInt8] {
        let target = try evaluate(call.target)
        var values: [ABIValue] = []
        for argument in call.arguments { values.append(try abiValue(argument)) }
        let (succeeded, output) = environment.call(Address(truncating: target), Self.selectorBytes(call.selector) + ABICodec.encode(values),
                                                   call.isStatic)
        guard succeeded else { throw .reverted(output) }
        return output
    }

    /// The index `index` evaluates to, if below `count`; else the revert of Panic(0x32).
    mutating func position(_ index: TypedExpression, below count: Int) throws(Exit) -> Int {
        guard let at = try evaluate(index).exactInt, at < count else {
            throw .reverted(ABICodec.selector("Panic(uint256)") + UInt256(0x32).bigEndianBytes)
        }
        return at
    }

    mutating func evaluate(_ expression: TypedExpression) throws(Exit) -> UInt256 {
        switch expression {
        case .constant(let value, _): return value
        case .constantBytes: throw .failed("evaluator: a word expected")
        case .local(let id, _): return locals[id]
        case .length(.load(let reference, _)):
            let value = storage[try slot(of: reference)] ?? .zero
            return value.limb0 & 1 == 1 ? value >> 1 : UInt256((value.limb0 & 0xff) >> 1)
        case .length(.local(let id, .array(let element))):
            return UInt256(UInt64(element.isByteString ? byteArrayLocals[id]?.count ?? 0 : arrayLocals[id]?.count ?? 0))
        case .length(let value): return UInt256(UInt64(try evaluateBytes(value).count))
        case .element(.local(let id, _), let index, _):
            let elements = arrayLocals[id] ?? []
            return elements[try position(index, below: elements.count)]
        case .element: throw .failed("evaluator: an element of something other than an array parameter")
        case .load(let reference, _): return storage[try slot(of: reference)] ?? .zero
        case .environment(let value):
            switch value {
            case .sender: return UInt256(environment.caller)
            case .origin: return UInt256(environment.origin)
            case .callValue: return environment.value
            case .blockNumber: return UInt256(environment.blockNumber)
            case .blockTimestamp: return UInt256(environment.timestamp)
            case .chainID: return UInt256(environment.chainID)
            case .contractAddress: return UInt256(environment.contractAddress)
            case .contractBalance: return environment.contractBalance
            }
        case .unary(let operation, let operand, let type):
            let value = try evaluate(operand)
            switch operation {
            case .not: return value.isZero ? .one : .zero
            case .bitwiseNot: return Self.masked(~value, type)
            case .negate:
                guard case .signed(let bits) = type, value != (UInt256.one << (bits - 1)).negated() else { throw Self.overflow }
                return value.negated()
            }
        case .binary(let operation, let lhs, let rhs, let operandType, _):
            return try binary(operation, lhs, rhs, operandType)
        case .convert(let value, _, let target):
            let word = try evaluate(value)
            guard Self.fitsConversion(word, from: expression, to: target) else { throw Self.overflow }
            return word
        case .builtin(let builtin, let arguments, _):
            switch builtin {
            case .keccak256, .sha256:
                var bytes: [UInt8] = []
                for argument in arguments {
                    bytes += argument.type.isDynamic ? try evaluateBytes(argument) : try evaluate(argument).bigEndianBytes
                }
                return UInt256(builtin == .keccak256 ? Keccak256.hash(bytes) : environment.sha256(bytes))
            case .recoverSignature:
                let digest = try evaluate(arguments[0])
                let signature = try evaluateBytes(arguments[1])
                guard signature.count == 65, let r = UInt256(bigEndianBytes: signature[0..<32]),
                      let s = UInt256(bigEndianBytes: signature[32..<64]) else { return .zero }
                return environment.recoverSigner(Hash32(digest), UInt256(UInt64(signature[64])), r, s).map { UInt256($0) } ?? .zero
            case .recoverSigner:
                var values = Array(repeating: UInt256.zero, count: 4)
                for index in (0..<4).reversed() { values[index] = try evaluate(arguments[index]) }
                return environment.recoverSigner(Hash32(values[0]), values[1], values[2], values[3]).map { UInt256($0) } ?? .zero
            }
        case .external(let call):
            let output = try callExternally(call)
            guard let returns = call.returns else { return .zero }
            guard output.count >= 32, let word = UInt256(bigEndianBytes: output.prefix(32)), ABIValue.decode(word, as: returns) != nil else {
                throw .reverted([])
            }
            return word
        }
    }

    static func fitsConversion(_ word: UInt256, from expression: TypedExpression, to target: ValueType) -> Bool {
        guard case .convert(_, let source, _) = expression else { return true }
        switch target {
        case .unsigned(let bits):
            if source.isSigned { return word >> min(bits, 255) == .zero }
            return bits == 256 || word >> bits == .zero
        case .signed(let bits):
            if source.isSigned { return word.signExtend(fromByte: bits / 8 - 1) == word }
            return word >> (bits - 1) == .zero
        case .address: return word >> 160 == .zero
        default: return true
        }
    }

    static func masked(_ value: UInt256, _ type: ValueType) -> UInt256 {
        switch type {
        case .unsigned(let bits) where bits < 256: return value & Folding.maximum(bits: bits)
        case .signed(let bits) where bits < 256: return value.signExtend(fromByte: bits / 8 - 1)
        case .fixedBytes(let count) where count < 32: return value & ~Folding.maximum(bits: 8 * (32 - count))
        default: return value
        }
    }

    mutating func binary(_ operation: BinaryOperator, _ lhs: TypedExpression, _ rhs: TypedExpression, _ type: ValueType) throws(Exit) -> UInt256 {
        switch operation {
        case .and:
            let left = try evaluate(lhs)
            return left.isZero ? left : try evaluate(rhs)
        case .or:
            let left = try evaluate(lhs)
            return left.isZero ? try evaluate(rhs) : left
        case .shiftLeft, .shiftRight:
            let value = try evaluate(lhs)
            let amount = try evaluate(rhs)
            if operation == .shiftRight { return type.isSigned ? value.sar(amount) : Self.masked(value >> amount, type) }
            return Self.masked(value << amount, type)
        case .equal where type.isDynamic, .notEqual where type.isDynamic:
            let right = try evaluateBytes(rhs)
            let left = try evaluateBytes(lhs)
            return (left == right) == (operation == .equal) ? .one : .zero
        default:
            break
        }
        let b = try evaluate(rhs)
        let a = try evaluate(lhs)
        let signed = type.isSigned
        switch operation {
        case .less: return (signed ? a.signedLessThan(b) : a < b) ? .one : .zero
        case .greater: return (signed ? b.signedLessThan(a) : b < a) ? .one : .zero
        case .lessOrEqual: return (signed ? b.signedLessThan(a) : b < a) ? .zero : .one
        case .greaterOrEqual: return (signed ? a.signedLessThan(b) : a < b) ? .zero : .one
        case .equal: return a == b ? .one : .zero
        case .notEqual: return a == b ? .zero : .one
        case .bitwiseAnd: return a & b
        case .bitwiseOr: return a | b
        case .bitwiseXor: return a ^ b
        default: return try arithmetic(operation, a, b, type: type)
        }
    }

    func checkedAdd(_ a: UInt256, _ b: UInt256) throws(Exit) -> UInt256 {
        let (sum, carry) = a.addingReportingOverflow(b)
        if carry { throw Self.overflow }
        return sum
    }

    /// a op b in `type`, checked unless the operation wraps; the true result, then its range.
    func arithmetic(_ operation: BinaryOperator, _ a: UInt256, _ b: UInt256, type: ValueType) throws(Exit) -> UInt256 {
        switch operation {
        case .wrappingAdd: return Self.masked(a &+ b, type)
        case .wrappingSubtract: return Self.masked(a &- b, type)
        case .wrappingMultiply: return Self.masked(a &* b, type)
        default: break
        }
        switch type {
        case .unsigned(let bits):
            let limit = Folding.maximum(bits: bits)
            switch operation {
            case .add:
                let sum = try checkedAdd(a, b)
                guard sum <= limit else { throw Self.overflow }
                return sum
            case .subtract:
                guard b <= a else { throw Self.overflow }
                return a &- b
            case .multiply:
                let (product, carry) = a.multipliedReportingOverflow(by: b)
                guard !carry, product <= limit else { throw Self.overflow }
                return product
            case .divide, .remainder:
                guard !b.isZero else { throw .failed("divisionByZero") }
                return operation == .divide ? a / b : a % b
            case .power:
                var result = UInt256.one
                var base = a, exponent = b
                // Square and multiply with overflow checks; a product past 2^256 overflows.
                while !exponent.isZero {
                    if exponent.limb0 & 1 == 1 {
                        let (product, carry) = result.multipliedReportingOverflow(by: base)
                        guard !carry else { throw Self.overflow }
                        result = product
                    }
                    exponent = exponent >> 1
                    if !exponent.isZero {
                        let (square, carry) = base.multipliedReportingOverflow(by: base)
                        guard !carry else { throw Self.overflow }
                        base = square
                    }
                }
                guard result <= limit else { throw Self.overflow }
                return result
            default: return .zero
            }
        case .signed(let bits):
            let result: UInt256
            switch operation {
            case .add:
                result = a &+ b
                if a.isNegative == b.isNegative && result.isNegative != a.isNegative { throw Self.overflow }
            case .subtract:
                result = a &- b
                if a.isNegative != b.isNegative && result.isNegative != a.isNegative { throw Self.overflow }
            case .multiply:
                if a.isZero || b.isZero { return .zero }
                if (a == .max && b == .signedMin) || (b == .max && a == .signedMin) { throw Self.overflow }
                let product = a.signedMagnitude.multipliedReportingOverflow(by: b.signedMagnitude)
                let negative = a.isNegative != b.isNegative
                let limit = negative ? UInt256.signedMin : UInt256.signedMax
                guard !product.overflow, product.partialValue <= limit else { throw Self.overflow }
                result = negative ? product.partialValue.negated() : product.partialValue
            case .divide:
                guard !b.isZero else { throw .failed("divisionByZero") }
                if a == .signedMin && b == .max { throw Self.overflow }
                result = a.sdiv(b)
            case .remainder:
                guard !b.isZero else { throw .failed("divisionByZero") }
                return a.smod(b)
            default: return .zero
            }
            guard bits == 256 || result.signExtend(fromByte: bits / 8 - 1) == result else { throw Self.overflow }
            return result
        default:
            return .zero
        }
    }
}
