// The reference interpreter's instructions, one case each, in the order of Docs/vm.md's table.
// Stack effects count from the top: a is the top item, b the next (SUB is a − b).
import Bytecode
import LedgerPrimitives
import VM

private typealias Math = ReferenceArithmetic

private let signedMin = Math.word(fromBytes: [0x80] + [UInt8](repeating: 0, count: 31))

extension ReferenceFrame {
    /// Runs one instruction; returns the frame's result when it halts.
    mutating func step(_ vm: ReferenceInterpreter) throws -> ExecutionResult? {
        guard pc >= 0, pc < code.count else { throw Halt.fault("ran off the end of the function") }
        let byte = code[pc]
        // Internal opcodes decode too; `execute` reports them as faults by name.
        guard let opcode = Opcode(rawValue: byte) else { throw Halt.fault("not an instruction: 0x\(String(byte, radix: 16))") }
        let at = pc
        // Recorded before the block's charge, so a block that cannot be paid counts against the
        // instruction it starts with.
        if depth == 0 { vm.lastOutermostOpcode = opcode }
        if let cost = container.functions[function].blockCost[pc] { try charge(cost) }
        pc = at + 1 + ReferenceContainer.immediateSize(opcode, code, at)
        return try execute(opcode, at: at, vm)
    }

    // MARK: Operand helpers

    mutating func unary(_ operation: (UInt256) throws -> UInt256) throws {
        let a = try pop()
        try push(try operation(a))
    }

    mutating func binary(_ operation: (UInt256, UInt256) throws -> UInt256) throws {
        let a = try pop(), b = try pop()
        try push(try operation(a, b))
    }

    mutating func ternary(_ operation: (UInt256, UInt256, UInt256) throws -> UInt256) throws {
        let a = try pop(), b = try pop(), c = try pop()
        try push(try operation(a, b, c))
    }

    static func checked(_ result: (partialValue: UInt256, overflow: Bool)) throws -> UInt256 {
        if result.overflow { throw Halt.failure(.arithmeticOverflow) }
        return result.partialValue
    }

    static func nonzero(_ divisor: UInt256) throws -> UInt256 {
        if divisor.isZero { throw Halt.failure(.divisionByZero) }
        return divisor
    }

    static func bytewise(_ a: UInt256, _ b: UInt256, _ operation: (UInt8, UInt8) -> UInt8) -> UInt256 {
        Math.word(fromBytes: zip(a.bigEndianBytes, b.bigEndianBytes).map(operation))
    }

    static func address(_ word: UInt256) -> Address {
        Address(bytes: word.bigEndianBytes.suffix(20)) ?? .zero
    }

    static func word(_ address: Address) -> UInt256 { Math.word(fromBytes: address.bytes) }

    static func word(_ value: UInt64) -> UInt256 { UInt256(value) }

    mutating func exponent(checked: Bool) throws {
        let base = try pop(), exponent = try pop()
        try charge(Gas.expPerByte * Int64(Math.byteLength(exponent)))
        guard let value = Math.power(base, exponent, checked: checked) else { throw Halt.failure(.arithmeticOverflow) }
        try push(value)
    }

    mutating func hash(perWord: Int64, _ digest: ([UInt8]) -> Hash32) throws {
        let offset = try pop(), length = try pop()
        let start = try touch(offset, length)
        try charge(perWord * Self.words(Int(length.limb0)))
        try push(digest(memoryBytes(start, length)).bytes)
    }

    /// CALLDATACOPY, DATACOPY, RETURNDATACOPY (memOffset, sourceOffset, length); `strict` fails
    /// a read past the source's end instead of zero-padding it.
    mutating func copy(from source: [UInt8], strict: Bool) throws {
        let destination = try pop(), offset = try pop(), length = try pop()
        let start = try touch(destination, length)
        let count = length.isZero ? 0 : Int(length.limb0)
        try charge(Gas.copyPerWord * Self.words(count))
        if strict && count > 0 {
            let (end, overflow) = offset.addingReportingOverflow(UInt256(UInt64(count)))
            if overflow || end > UInt256(UInt64(source.count)) { throw Halt.failure(.returnDataOutOfBounds) }
        }
        writeMemory(Self.slice(source, from: offset, count: count), at: start)
    }

    mutating func memoryCopy() throws {
        let destination = try pop(), source = try pop(), length = try pop()
        let to = try touch(destination, length), from = try touch(source, length)
        try charge(Gas.copyPerWord * Self.words(length.isZero ? 0 : Int(length.limb0)))
        writeMemory(memoryBytes(from, length), at: to)
    }

    mutating func store(_ vm: ReferenceInterpreter) throws {
        if message.isStatic { throw Halt.failure(.staticStateChange) }
        let key = try pop(), value = try pop()
        try charge(vm.slotSurcharge(message.recipient, key))
        let current = vm.world.storage(of: message.recipient, at: key)
        try charge(current.isZero && !value.isZero ? Gas.storageSet : Gas.storageUpdate)
        vm.world.setStorage(value, of: message.recipient, at: key)
    }

    mutating func log(topics count: Int, _ vm: ReferenceInterpreter) throws {
        if message.isStatic { throw Halt.failure(.staticStateChange) }
        let offset = try pop(), length = try pop()
        var topics: [Hash32] = []
        for _ in 0..<count { topics.append(Hash32(bytes: try pop().bigEndianBytes) ?? .zero) }
        let start = try touch(offset, length)
        try charge(Gas.logPerByte * (length.isZero ? 0 : Int64(length.limb0)))
        vm.logCount += 1
        vm.logBytes += length.isZero ? 0 : Int(length.limb0)
        if vm.logCount > Limits.logsPerTransaction || vm.logBytes > Limits.logBytesPerTransaction {
            throw Halt.failure(.logLimitExceeded)
        }
        vm.world.logs.append(Log(address: message.recipient, topics: topics, data: memoryBytes(start, length)))
    }

    mutating func relativeJump(from at: Int) throws { try jump(to: pc + (try int16(at))) }

    mutating func jumpTable(at: Int) throws {
        let maxIndex = UInt256(UInt64(try immediate(at + 1, 1)[0]))
        let index = try pop()
        if index <= maxIndex { try relativeJump(from: at + 2 + 2 * Int(index.limb0)) }
    }

    mutating func callFunction(at: Int) throws {
        let index = try uint16(at + 1)
        guard index < container.functions.count else { throw Halt.fault("CALLF to missing function \(index)") }
        let callee = container.functions[index]
        guard stack.count >= callee.inputs else { throw Halt.fault("CALLF with too few inputs") }
        guard stack.count - callee.inputs + callee.maxHeight <= Limits.stackSize,
              returnStack.count < Limits.returnStackSize else { throw Halt.failure(.stackOverflow) }
        returnStack.append((function, pc))
        (function, pc) = (index, 0)
    }

    mutating func returnFromFunction() throws {
        guard let back = returnStack.popLast() else { throw Halt.fault("RETF with an empty return stack") }
        guard stack.count >= container.functions[function].outputs else { throw Halt.fault("RETF below the outputs") }
        (function, pc) = back
    }

    /// CALL (gas, address, value, inOffset, inLength, outOffset, outLength) or STATICCALL (no value).
    mutating func callContract(isStatic: Bool, _ vm: ReferenceInterpreter) throws {
        let requested = try pop(), target = Self.address(try pop())
        let value = isStatic ? UInt256.zero : try pop()
        let inOffset = try pop(), inLength = try pop(), outOffset = try pop(), outLength = try pop()
        if !value.isZero {
            if message.isStatic { throw Halt.failure(.staticStateChange) }
            try charge(Gas.callValue)
        }
        try charge(vm.accountSurcharge(target))
        let input = try touch(inOffset, inLength), output = try touch(outOffset, outLength)
        let allButOne64th = gas - gas / 64
        let callGas = requested < UInt256(UInt64(allButOne64th)) ? Int64(requested.limb0) : allButOne64th
        gas -= callGas
        let inner = Message(caller: message.recipient, recipient: target, origin: message.origin, value: value,
                            input: memoryBytes(input, inLength), gas: callGas, isStatic: message.isStatic || isStatic)
        let result = try vm.call(inner, depth: depth + 1)
        gas += result.gasLeft
        returnData = result.output
        let copied = min(outLength, UInt256(UInt64(returnData.count)))
        writeMemory(Array(returnData.prefix(Int(copied.limb0))), at: output)
        try push(result.outcome == .success)
    }

    mutating func halt(_ outcome: Outcome) throws -> ExecutionResult {
        let offset = try pop(), length = try pop()
        let start = try touch(offset, length)
        return ExecutionResult(outcome: outcome, gasLeft: gas, output: memoryBytes(start, length))
    }

    // MARK: The table

    mutating func execute(_ opcode: Opcode, at: Int, _ vm: ReferenceInterpreter) throws -> ExecutionResult? {
        switch opcode {
        case .stop: return ExecutionResult(outcome: .success, gasLeft: gas)
        case .add: try binary { try Self.checked($0.addingReportingOverflow($1)) }
        case .mul: try binary { try Self.checked(Math.multiply($0, $1)) }
        case .sub: try binary { try Self.checked($0.subtractingReportingOverflow($1)) }
        case .div: try binary { Math.divide($0, try Self.nonzero($1)).quotient }
        case .sdiv:
            try binary { a, b in
                if try Self.nonzero(b) == .max && a == signedMin { throw Halt.failure(.arithmeticOverflow) }
                return Math.signedDivide(a, b)
            }
        case .mod: try binary { Math.divide($0, try Self.nonzero($1)).remainder }
        case .smod: try binary { Math.signedModulo($0, try Self.nonzero($1)) }
        case .addmod: try ternary { Math.addModulo($0, $1, try Self.nonzero($2)) }
        case .mulmod: try ternary { Math.multiplyModulo($0, $1, try Self.nonzero($2)) }
        case .exp: try exponent(checked: true)
        case .signextend: try binary { a, b in Math.signExtend(b, fromByte: a) }
        case .wadd: try binary { $0.addingReportingOverflow($1).partialValue }
        case .wmul: try binary { Math.multiply($0, $1).partialValue }
        case .wsub: try binary { $0.subtractingReportingOverflow($1).partialValue }
        case .wexp: try exponent(checked: false)
        case .lt: try binary { a, b in a < b ? .one : .zero }
        case .gt: try binary { a, b in b < a ? .one : .zero }
        case .slt: try binary { a, b in Math.signedLess(a, b) ? .one : .zero }
        case .sgt: try binary { a, b in Math.signedLess(b, a) ? .one : .zero }
        case .eq: try binary { a, b in a == b ? .one : .zero }
        case .iszero: try unary { $0.isZero ? .one : .zero }
        case .and: try binary { Self.bytewise($0, $1, &) }
        case .or: try binary { Self.bytewise($0, $1, |) }
        case .xor: try binary { Self.bytewise($0, $1, ^) }
        case .not: try unary { Self.bytewise($0, $0) { byte, _ in ~byte } }
        case .byte: try binary { index, value in Math.byte(index, of: value) }
        case .shl: try binary { shift, value in Math.shift(value, by: shift, left: true) }
        case .shr: try binary { shift, value in Math.shift(value, by: shift, left: false) }
        case .sar: try binary { shift, value in Math.arithmeticShiftRight(value, by: shift) }
        case .keccak256: try hash(perWord: Gas.keccakPerWord) { Keccak256.hash($0) }
        case .sha256: try hash(perWord: Gas.sha256PerWord) { StandardCryptography.sha256($0) }
        case .ecrecover:
            let digest = try pop(), v = try pop(), r = try pop(), s = try pop()
            let signer = StandardCryptography.recoverSigner(digest: Hash32(bytes: digest.bigEndianBytes) ?? .zero, v: v, r: r, s: s)
            try push(signer.map { Self.word($0) } ?? .zero)
        case .address: try push(Self.word(message.recipient))
        case .balance:
            let address = Self.address(try pop())
            try charge(vm.accountSurcharge(address))
            try push(vm.world.balance(of: address))
        case .origin: try push(Self.word(message.origin))
        case .caller: try push(Self.word(message.caller))
        case .callvalue: try push(message.value)
        case .calldataload: let input = message.input; try unary { Math.word(fromBytes: Self.slice(input, from: $0, count: 32)) }
        case .calldatasize: try push(Self.word(UInt64(message.input.count)))
        case .calldatacopy: try copy(from: message.input, strict: false)
        case .returndatasize: try push(Self.word(UInt64(returnData.count)))
        case .returndatacopy: try copy(from: returnData, strict: true)
        case .timestamp: try push(Self.word(vm.block.timestamp))
        case .number: try push(Self.word(vm.block.number))
        case .chainid: try push(Self.word(vm.block.chainID))
        case .selfbalance: try push(vm.world.balance(of: message.recipient))
        case .pop: _ = try pop()
        case .mload:
            let start = try touch(try pop(), UInt256(32))
            try push(Array(memory[start..<start + 32]))
        case .mstore:
            let offset = try pop(), value = try pop()
            writeMemory(value.bigEndianBytes, at: try touch(offset, UInt256(32)))
        case .mstore8:
            let offset = try pop(), value = try pop()
            writeMemory([value.bigEndianBytes[31]], at: try touch(offset, UInt256.one))
        case .sload:
            let key = try pop()
            try charge(vm.slotSurcharge(message.recipient, key))
            try push(vm.world.storage(of: message.recipient, at: key))
        case .sstore: try store(vm)
        case .msize: try push(Self.word(UInt64(memory.count)))
        case .gas: try push(Self.word(UInt64(gas)))
        case .mcopy: try memoryCopy()
        case .push0: try push(UInt256.zero)
        case .push1, .push2, .push3, .push4, .push5, .push6, .push7, .push8, .push9, .push10, .push11, .push12,
             .push13, .push14, .push15, .push16, .push17, .push18, .push19, .push20, .push21, .push22, .push23,
             .push24, .push25, .push26, .push27, .push28, .push29, .push30, .push31, .push32:
            try push(try immediate(at + 1, Int(opcode.rawValue) - 0x5f))
        case .dup1, .dup2, .dup3, .dup4, .dup5, .dup6, .dup7, .dup8, .dup9, .dup10, .dup11, .dup12, .dup13,
             .dup14, .dup15, .dup16:
            let depth = Int(opcode.rawValue) - 0x7f
            guard stack.count >= depth else { throw Halt.fault("DUP\(depth) below the stack") }
            try push(stack[stack.count - depth])
        case .swap1, .swap2, .swap3, .swap4, .swap5, .swap6, .swap7, .swap8, .swap9, .swap10, .swap11, .swap12,
             .swap13, .swap14, .swap15, .swap16:
            let depth = Int(opcode.rawValue) - 0x8f
            guard stack.count > depth else { throw Halt.fault("SWAP\(depth) below the stack") }
            stack.swapAt(stack.count - 1, stack.count - 1 - depth)
        case .log0, .log1, .log2, .log3, .log4: try log(topics: Int(opcode.rawValue) - 0xa0, vm)
        case .dataload: let data = container.data; try unary { Math.word(fromBytes: Self.slice(data, from: $0, count: 32)) }
        case .dataloadn:
            let offset = try uint16(at + 1)
            guard offset + 32 <= container.data.count else { throw Halt.fault("DATALOADN past the data") }
            try push(Array(container.data[offset..<offset + 32]))
        case .datasize: try push(Self.word(UInt64(container.data.count)))
        case .datacopy: try copy(from: container.data, strict: false)
        case .rjump: try relativeJump(from: at + 1)
        case .rjumpi: if !(try pop()).isZero { try relativeJump(from: at + 1) }
        case .rjumpv: try jumpTable(at: at)
        case .callf: try callFunction(at: at)
        case .retf: try returnFromFunction()
        case .call: try callContract(isStatic: false, vm)
        case .staticcall: try callContract(isStatic: true, vm)
        case .ret: return try halt(.success)
        case .revert: return try halt(.revert)
        case .invalid: throw Halt.failure(.invalidInstruction)
        case .beginBlock, .pushInline, .pushConstant, .pushAdd, .pushSub, .pushMul, .pushWadd, .pushWsub, .pushWmul,
             .pushLt, .pushGt, .pushEq, .pushAnd, .pushOr, .pushShl, .pushShr, .pushSwap1Sub, .pushSwap1Wsub,
             .dup1Rjumpi, .iszeroRjumpi, .ltRjumpi, .gtRjumpi, .eqRjumpi, .pushMstore, .pushKeccak256:
            throw Halt.fault("internal opcode \(opcode) in a container")
        }
        return nil
    }
}
