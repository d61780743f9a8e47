// The interpreter: one loop over a verified, decoded program (Docs/vm.md §Interpreter).
// Verification proved every stack access in bounds and every jump onto a block start, so the
// bodies below touch the stack through a raw pointer without checks; gas is charged once per
// basic block by BEGINBLOCK, plus the dynamic part inside the few instructions that have one.
// Dispatch is a `switch` over the opcode enum, which compiles to one jump table (the
// measurements behind that choice are in Docs/vm.md §Dispatch); the decoder's superinstructions
// (Docs/vm.md §Fusion) cut the number of dispatches in common sequences.
import Bytecode
import LedgerPrimitives

/// A storage slot of an account, as the warm set of a transaction holds it.
struct StorageSlot: Hashable {
    var address: Address
    var key: UInt256
}

/// A set that keeps its first members in a small array and moves to a hash set past them: a
/// transaction touches a handful of accounts and slots, and hashing each touch (SipHash of
/// several words) costs more than comparing a few; a transaction that touches many still gets
/// constant-time inserts.
struct TouchSet<Element: Hashable> {
    private static var arrayLimit: Int { 16 }
    private var few: [Element] = []
    private var many: Set<Element>?

    init() { few.reserveCapacity(4) }

    /// Adds `element`; true when it was not there (a first, cold touch).
    @inline(__always)
    mutating func insert(_ element: Element) -> Bool {
        if many != nil { return many!.insert(element).inserted }
        if few.contains(element) { return false }
        if few.count < Self.arrayLimit {
            few.append(element)
        } else {
            var set = Set(few)
            set.insert(element)
            many = set
            few = []
        }
        return true
    }
}

/// Sees each instruction before it runs: what debug_traceTransaction records (Docs/vm.md
/// §Tracing). It is told at BEGINBLOCK, on the path the stop check already takes between gas
/// slices, so an untraced run costs nothing more; a program decoded `stepwise` has a BEGINBLOCK
/// before every instruction, so the observer sees them all, and gas is charged as without it.
public protocol StepObserver {
    /// `index` is the instruction's position in the decoded program (jump targets count the
    /// same way), `opcode` the one the code holds there, `gasLeft` the gas before it (after its
    /// block's charge, except at a block's first instruction), `callDepth` 0 for the outermost
    /// frame.
    func step(at index: Int, opcode: Opcode, gasLeft: Int64, stackDepth: Int, callDepth: Int)
}

/// One transaction's worth of nested calls: the host, the contracts on the call stack, and what
/// the transaction has touched so far (Docs/vm.md §Gas: warm and cold access).
final class Session {
    let host: any Host
    let observer: (any StepObserver)?
    /// Addresses whose code is running, outermost first (for the re-entrancy rule).
    var active: [Address] = []
    /// Accounts and storage slots touched in this transaction: the first touch is cold and costs
    /// more, because it reads the state database; later ones find them in memory. Warmth is never
    /// undone, not even by a revert (the reads happened).
    var warmAccounts = TouchSet<Address>()
    var warmSlots = TouchSet<StorageSlot>()
    /// Accounts whose code this transaction has loaded (and paid for, per word).
    var loadedCode = TouchSet<Address>()
    /// LOGs run in this transaction, reverted ones included, and their data bytes.
    var logCount = 0
    var logBytes = 0

    init(host: any Host, warm: [Address] = [], observer: (any StepObserver)? = nil) {
        self.host = host
        self.observer = observer
        for address in warm { _ = warmAccounts.insert(address) }
    }

    /// Extra gas for touching `address`: the cold surcharge the first time, 0 after.
    @inline(__always)
    func accountAccessSurcharge(_ address: Address) -> Int64 {
        warmAccounts.insert(address) ? Gas.coldAccountSurcharge : 0
    }

    @inline(__always)
    func slotAccessSurcharge(_ address: Address, _ key: UInt256) -> Int64 {
        warmSlots.insert(StorageSlot(address: address, key: key)) ? Gas.coldSlotSurcharge : 0
    }

    /// A call frame: moves the value, refuses what the rules refuse, runs the code, and commits
    /// or reverts the host's journal.
    func call(_ message: Message, depth: Int) -> ExecutionResult {
        guard depth < Limits.callDepth else { return ExecutionResult(outcome: .failure(.callDepthExceeded), gasLeft: message.gas) }
        let program = host.program(at: message.recipient)
        if let program, !program.isReentrant, active.contains(message.recipient) {
            return ExecutionResult(outcome: .failure(.reentrancyRefused), gasLeft: message.gas)
        }
        let checkpoint = host.checkpoint()
        if !message.value.isZero && !host.transfer(message.value, from: message.caller, to: message.recipient) {
            host.revert(to: checkpoint)
            return ExecutionResult(outcome: .failure(.insufficientBalance), gasLeft: message.gas)
        }
        guard let program else {
            host.commit(checkpoint)
            return ExecutionResult(outcome: .success, gasLeft: message.gas)
        }
        // Loading code costs per word the first time a transaction runs it, whether or not this
        // node has it decoded already: gas must not depend on a cache.
        var message = message
        if loadedCode.insert(message.recipient) {
            message.gas -= Gas.codeLoadPerWord * Gas.words(program.codeSize)
            if message.gas < 0 {
                host.revert(to: checkpoint)
                return ExecutionResult(outcome: .failure(.outOfGas), gasLeft: 0)
            }
        }
        active.append(message.recipient)
        let result = run(program, message: message, depth: depth)
        active.removeLast()
        if result.outcome == .success { host.commit(checkpoint) } else { host.revert(to: checkpoint) }
        return result
    }

    /// The value of a fused small PUSH (as `pushInline` carries it).
    @inline(__always)
    private static func immediate(_ instruction: Instruction) -> UInt256 {
        UInt256(UInt64(UInt32(bitPattern: instruction.argument)))
    }

    @inline(__always)
    private static func failed(_ failure: Failure, gas: Int64) -> ExecutionResult {
        ExecutionResult(outcome: .failure(failure), gasLeft: failure.consumesAllGas ? 0 : max(gas, 0))
    }

    /// Runs function 0 of `program` in a fresh frame.
    func run(_ program: Program, message: Message, depth: Int) -> ExecutionResult {
        let code = program.instructionPointer
        let constants = program.constantPointer
        let jumpTables = program.jumpTablePointer
        let stackBase = UnsafeMutablePointer<UInt256>.allocate(capacity: Limits.stackSize)
        var memory = Memory()
        defer {
            stackBase.deallocate()
            memory.deallocate()
        }
        var sp = stackBase
        var gas = message.gas
        // Between slices of gas the host may stop the run (a simulation over its time limit).
        var nextStopCheck = gas &- Gas.stopCheckInterval
        var pc = Int(program.functions[0].entry)
        var returnStack: [Int] = []
        var returnData: [UInt8] = []

        // An observer is told at every block: the stop check's path is taken each time.
        if observer != nil { nextStopCheck = .max }
        while true {
            let instruction = code[pc]
            pc &+= 1
            switch instruction.opcode {
            case .beginBlock:
                gas &-= Int64(instruction.argument)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                if gas < nextStopCheck {
                    if host.shouldStop() { return Self.failed(.interrupted, gas: gas) }
                    if let observer {
                        let opcode = pc < program.sourceOpcodes.count ? program.sourceOpcodes[pc] : code[pc].opcode
                        observer.step(at: pc, opcode: opcode, gasLeft: gas &+ Int64(instruction.argument),
                                      stackDepth: sp - stackBase, callDepth: depth)
                    } else {
                        nextStopCheck = gas &- Gas.stopCheckInterval
                    }
                }
            case .pushInline:
                sp.pointee = UInt256(UInt64(UInt32(bitPattern: instruction.argument)))
                sp += 1
            case .pushConstant:
                sp.pointee = constants[Int(instruction.argument)]
                sp += 1
            // Superinstructions (Docs/vm.md §Fusion): k is the fused PUSH's value, x the item
            // below it; each computes and fails exactly as its parts would.
            case .pushAdd:
                let (value, overflow) = Self.immediate(instruction).addingReportingOverflow(sp[-1])
                if overflow { return Self.failed(.arithmeticOverflow, gas: gas) }
                sp[-1] = value
            case .pushSub:
                let (value, overflow) = Self.immediate(instruction).subtractingReportingOverflow(sp[-1])
                if overflow { return Self.failed(.arithmeticOverflow, gas: gas) }
                sp[-1] = value
            case .pushMul:
                let (value, overflow) = Self.immediate(instruction).multipliedReportingOverflow(by: sp[-1])
                if overflow { return Self.failed(.arithmeticOverflow, gas: gas) }
                sp[-1] = value
            case .pushWadd:
                sp[-1] = Self.immediate(instruction) &+ sp[-1]
            case .pushWsub:
                sp[-1] = Self.immediate(instruction) &- sp[-1]
            case .pushWmul:
                sp[-1] = Self.immediate(instruction) &* sp[-1]
            case .pushLt:
                sp[-1] = UInt256(Self.immediate(instruction) < sp[-1] ? 1 : 0)
            case .pushGt:
                sp[-1] = UInt256(sp[-1] < Self.immediate(instruction) ? 1 : 0)
            case .pushEq:
                sp[-1] = UInt256(Self.immediate(instruction) == sp[-1] ? 1 : 0)
            case .pushAnd:
                sp[-1] = Self.immediate(instruction) & sp[-1]
            case .pushOr:
                sp[-1] = Self.immediate(instruction) | sp[-1]
            case .pushShl:
                sp[-1] = sp[-1] << Self.immediate(instruction)
            case .pushShr:
                sp[-1] = sp[-1] >> Self.immediate(instruction)
            case .pushSwap1Sub:
                let (value, overflow) = sp[-1].subtractingReportingOverflow(Self.immediate(instruction))
                if overflow { return Self.failed(.arithmeticOverflow, gas: gas) }
                sp[-1] = value
            case .pushSwap1Wsub:
                sp[-1] = sp[-1] &- Self.immediate(instruction)
            case .pushMstore:
                guard let offset = memory.reserve(offset: Self.immediate(instruction), length: 32, gas: &gas) else {
                    return Self.failed(.outOfGas, gas: gas)
                }
                memory.store(sp[-1], at: offset)
                sp -= 1
            case .pushKeccak256:
                guard let offset = memory.reserve(offset: Self.immediate(instruction), length: sp[-1], gas: &gas) else {
                    return Self.failed(.outOfGas, gas: gas)
                }
                let count = Int(sp[-1].limb0)
                gas -= Gas.keccakPerWord * Gas.words(count)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                sp[-1] = UInt256(Keccak256.hash(memory.buffer(at: offset, count: count)))
            case .dup1Rjumpi:
                if !sp[-1].isZero { pc = Int(instruction.argument) }
            case .iszeroRjumpi:
                sp -= 1
                if sp.pointee.isZero { pc = Int(instruction.argument) }
            case .ltRjumpi:
                sp -= 2
                if sp[1] < sp[0] { pc = Int(instruction.argument) }
            case .gtRjumpi:
                sp -= 2
                if sp[0] < sp[1] { pc = Int(instruction.argument) }
            case .eqRjumpi:
                sp -= 2
                if sp[1] == sp[0] { pc = Int(instruction.argument) }
            case .push0, .push1, .push2, .push3, .push4, .push5, .push6, .push7, .push8, .push9, .push10, .push11,
                 .push12, .push13, .push14, .push15, .push16, .push17, .push18, .push19, .push20, .push21,
                 .push22, .push23, .push24, .push25, .push26, .push27, .push28, .push29, .push30, .push31, .push32:
                preconditionFailure("decoded programs carry PUSH as pushInline or pushConstant")

            // Arithmetic: a is the top item, b the next.
            case .add:
                let (value, overflow) = sp[-1].addingReportingOverflow(sp[-2])
                if overflow { return Self.failed(.arithmeticOverflow, gas: gas) }
                sp -= 1; sp[-1] = value
            case .sub:
                let (value, overflow) = sp[-1].subtractingReportingOverflow(sp[-2])
                if overflow { return Self.failed(.arithmeticOverflow, gas: gas) }
                sp -= 1; sp[-1] = value
            case .mul:
                let (value, overflow) = sp[-1].multipliedReportingOverflow(by: sp[-2])
                if overflow { return Self.failed(.arithmeticOverflow, gas: gas) }
                sp -= 1; sp[-1] = value
            case .div:
                if sp[-2].isZero { return Self.failed(.divisionByZero, gas: gas) }
                sp -= 1; sp[-1] = sp[0] / sp[-1]
            case .mod:
                if sp[-2].isZero { return Self.failed(.divisionByZero, gas: gas) }
                sp -= 1; sp[-1] = sp[0] % sp[-1]
            case .sdiv:
                if sp[-2].isZero { return Self.failed(.divisionByZero, gas: gas) }
                if sp[-1] == .signedMin && sp[-2] == .max { return Self.failed(.arithmeticOverflow, gas: gas) }
                sp -= 1; sp[-1] = sp[0].sdiv(sp[-1])
            case .smod:
                if sp[-2].isZero { return Self.failed(.divisionByZero, gas: gas) }
                sp -= 1; sp[-1] = sp[0].smod(sp[-1])
            case .addmod:
                if sp[-3].isZero { return Self.failed(.divisionByZero, gas: gas) }
                sp -= 2; sp[-1] = sp[1].addmod(sp[0], sp[-1])
            case .mulmod:
                if sp[-3].isZero { return Self.failed(.divisionByZero, gas: gas) }
                sp -= 2; sp[-1] = sp[1].mulmod(sp[0], sp[-1])
            case .exp, .wexp:
                gas -= Gas.expPerByte * Int64(sp[-2].significantByteCount)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                if instruction.opcode == .wexp {
                    sp -= 1; sp[-1] = sp[0].power(sp[-1])
                } else {
                    guard let value = checkedPower(sp[-1], sp[-2]) else { return Self.failed(.arithmeticOverflow, gas: gas) }
                    sp -= 1; sp[-1] = value
                }
            case .signextend:
                sp -= 1; sp[-1] = sp[-1].signExtend(fromByte: sp[0])
            case .wadd:
                sp -= 1; sp[-1] = sp[0] &+ sp[-1]
            case .wsub:
                sp -= 1; sp[-1] = sp[0] &- sp[-1]
            case .wmul:
                sp -= 1; sp[-1] = sp[0] &* sp[-1]

            case .lt:
                sp -= 1; sp[-1] = UInt256(sp[0] < sp[-1] ? 1 : 0)
            case .gt:
                sp -= 1; sp[-1] = UInt256(sp[-1] < sp[0] ? 1 : 0)
            case .slt:
                sp -= 1; sp[-1] = UInt256(sp[0].signedLessThan(sp[-1]) ? 1 : 0)
            case .sgt:
                sp -= 1; sp[-1] = UInt256(sp[-1].signedLessThan(sp[0]) ? 1 : 0)
            case .eq:
                sp -= 1; sp[-1] = UInt256(sp[0] == sp[-1] ? 1 : 0)
            case .iszero:
                sp[-1] = UInt256(sp[-1].isZero ? 1 : 0)
            case .and:
                sp -= 1; sp[-1] = sp[0] & sp[-1]
            case .or:
                sp -= 1; sp[-1] = sp[0] | sp[-1]
            case .xor:
                sp -= 1; sp[-1] = sp[0] ^ sp[-1]
            case .not:
                sp[-1] = ~sp[-1]
            case .byte:
                sp -= 1; sp[-1] = UInt256(UInt64(sp[-1].byte(sp[0])))
            case .shl:
                sp -= 1; sp[-1] = sp[-1] << sp[0]
            case .shr:
                sp -= 1; sp[-1] = sp[-1] >> sp[0]
            case .sar:
                sp -= 1; sp[-1] = sp[-1].sar(sp[0])

            case .keccak256, .sha256:
                guard let offset = memory.reserve(offset: sp[-1], length: sp[-2], gas: &gas) else { return Self.failed(.outOfGas, gas: gas) }
                let count = Int(sp[-2].limb0)
                let perWord = instruction.opcode == .keccak256 ? Gas.keccakPerWord : Gas.sha256PerWord
                gas -= perWord * Gas.words(count)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                let digest = instruction.opcode == .keccak256 ? Keccak256.hash(memory.buffer(at: offset, count: count))
                                                              : host.sha256(memory.bytes(at: offset, count: count))
                sp -= 1; sp[-1] = UInt256(digest)
            case .ecrecover:
                let signer = host.recoverSigner(digest: Hash32(sp[-1]), v: sp[-2], r: sp[-3], s: sp[-4])
                sp -= 3; sp[-1] = signer.map { UInt256($0) } ?? .zero

            case .address:
                sp.pointee = UInt256(message.recipient); sp += 1
            case .balance:
                let address = Address(truncating: sp[-1])
                gas -= accountAccessSurcharge(address)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                sp[-1] = host.balance(of: address)
            case .selfbalance:
                sp.pointee = host.balance(of: message.recipient); sp += 1
            case .origin:
                sp.pointee = UInt256(message.origin); sp += 1
            case .caller:
                sp.pointee = UInt256(message.caller); sp += 1
            case .callvalue:
                sp.pointee = message.value; sp += 1
            case .calldataload:
                sp[-1] = message.input.withUnsafeBytes { loadWord(from: $0, at: sp[-1]) }
            case .calldatasize:
                sp.pointee = UInt256(UInt64(message.input.count)); sp += 1
            case .returndatasize:
                sp.pointee = UInt256(UInt64(returnData.count)); sp += 1
            case .datasize:
                sp.pointee = UInt256(UInt64(program.data.count)); sp += 1
            case .dataload:
                sp[-1] = program.data.withUnsafeBytes { loadWord(from: $0, at: sp[-1]) }
            case .dataloadn:
                sp.pointee = program.data.withUnsafeBytes { UInt256(loadingBigEndianFrom: $0.baseAddress! + Int(instruction.argument)) }
                sp += 1
            case .calldatacopy, .datacopy, .returndatacopy:
                guard let offset = memory.reserve(offset: sp[-1], length: sp[-3], gas: &gas) else { return Self.failed(.outOfGas, gas: gas) }
                let count = Int(sp[-3].limb0)
                gas -= Gas.copyPerWord * Gas.words(count)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                let source = sp[-2]
                sp -= 3
                switch instruction.opcode {
                case .calldatacopy: message.input.withUnsafeBytes { memory.write($0, from: source, to: offset, count: count) }
                case .datacopy: program.data.withUnsafeBytes { memory.write($0, from: source, to: offset, count: count) }
                default:
                    // start + count ≤ size, written so that no operand from the stack can overflow it.
                    guard count == 0 || (source.exactUInt64.map { $0 <= UInt64(returnData.count) && UInt64(count) <= UInt64(returnData.count) - $0 } ?? false) else {
                        return Self.failed(.returnDataOutOfBounds, gas: gas)
                    }
                    returnData.withUnsafeBytes { memory.write($0, from: source, to: offset, count: count) }
                }
            case .timestamp:
                sp.pointee = UInt256(host.block.timestamp); sp += 1
            case .number:
                sp.pointee = UInt256(host.block.number); sp += 1
            case .chainid:
                sp.pointee = UInt256(host.block.chainID); sp += 1
            case .gas:
                sp.pointee = UInt256(UInt64(gas)); sp += 1

            case .pop:
                sp -= 1
            case .mload:
                guard let offset = memory.reserve(offset: sp[-1], length: 32, gas: &gas) else { return Self.failed(.outOfGas, gas: gas) }
                sp[-1] = memory.load(at: offset)
            case .mstore:
                guard let offset = memory.reserve(offset: sp[-1], length: 32, gas: &gas) else { return Self.failed(.outOfGas, gas: gas) }
                memory.store(sp[-2], at: offset)
                sp -= 2
            case .mstore8:
                guard let offset = memory.reserve(offset: sp[-1], length: 1, gas: &gas) else { return Self.failed(.outOfGas, gas: gas) }
                memory.storeByte(UInt8(truncatingIfNeeded: sp[-2].limb0), at: offset)
                sp -= 2
            case .msize:
                sp.pointee = UInt256(UInt64(memory.size)); sp += 1
            case .mcopy:
                let length = sp[-3]
                guard let destination = memory.reserve(offset: sp[-1], length: length, gas: &gas),
                      let source = memory.reserve(offset: sp[-2], length: length, gas: &gas) else {
                    return Self.failed(.outOfGas, gas: gas)
                }
                let count = Int(length.limb0)
                gas -= Gas.copyPerWord * Gas.words(count)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                memory.copyWithin(from: source, to: destination, count: count)
                sp -= 3
            case .sload:
                gas -= slotAccessSurcharge(message.recipient, sp[-1])
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                sp[-1] = host.storage(of: message.recipient, at: sp[-1])
            case .sstore:
                if message.isStatic { return Self.failed(.staticStateChange, gas: gas) }
                let (key, value) = (sp[-1], sp[-2])
                gas -= slotAccessSurcharge(message.recipient, key)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                let current = host.storage(of: message.recipient, at: key)
                gas -= current.isZero && !value.isZero ? Gas.storageSet : Gas.storageUpdate
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                host.setStorage(value, of: message.recipient, at: key)
                sp -= 2

            case .dup1, .dup2, .dup3, .dup4, .dup5, .dup6, .dup7, .dup8, .dup9, .dup10, .dup11, .dup12,
                 .dup13, .dup14, .dup15, .dup16:
                let depth = Int(instruction.opcode.rawValue &- 0x7f)
                sp.pointee = sp[-depth]
                sp += 1
            case .swap1, .swap2, .swap3, .swap4, .swap5, .swap6, .swap7, .swap8, .swap9, .swap10, .swap11,
                 .swap12, .swap13, .swap14, .swap15, .swap16:
                let depth = Int(instruction.opcode.rawValue &- 0x8f)
                let top = sp[-1]
                sp[-1] = sp[-1 - depth]
                sp[-1 - depth] = top

            case .log0, .log1, .log2, .log3, .log4:
                if message.isStatic { return Self.failed(.staticStateChange, gas: gas) }
                guard let offset = memory.reserve(offset: sp[-1], length: sp[-2], gas: &gas) else { return Self.failed(.outOfGas, gas: gas) }
                let count = Int(sp[-2].limb0)
                gas -= Gas.logPerByte * Int64(count)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                logCount += 1
                logBytes += count
                if logCount > Limits.logsPerTransaction || logBytes > Limits.logBytesPerTransaction {
                    return Self.failed(.logLimitExceeded, gas: gas)
                }
                let topicCount = Int(instruction.opcode.rawValue &- 0xa0)
                let topics = (0..<topicCount).map { Hash32(sp[-3 - $0]) }
                host.emit(Log(address: message.recipient, topics: topics, data: memory.bytes(at: offset, count: count)))
                sp -= 2 + topicCount

            case .rjump:
                pc = Int(instruction.argument)
            case .rjumpi:
                sp -= 1
                if !sp.pointee.isZero { pc = Int(instruction.argument) }
            case .rjumpv:
                sp -= 1
                let table = Int(instruction.argument)
                let index = sp.pointee
                if let small = index.exactUInt64, small < UInt64(jumpTables[table]) {
                    pc = Int(jumpTables[table + 1 + Int(small)])
                }
            case .callf:
                let callee = program.functions[Int(instruction.argument)]
                guard sp - stackBase + callee.maxStackIncrease <= Limits.stackSize,
                      returnStack.count < Limits.returnStackSize else { return Self.failed(.stackOverflow, gas: gas) }
                returnStack.append(pc)
                pc = Int(callee.entry)
            case .retf:
                pc = returnStack.removeLast()

            case .call, .staticcall:
                let isCall = instruction.opcode == .call
                let requested = sp[-1]
                let target = Address(truncating: sp[-2])
                let value = isCall ? sp[-3] : .zero
                let bottom = isCall ? sp - 7 : sp - 6
                // (input offset, input length, output offset, output length)
                let arguments = isCall ? (sp[-4], sp[-5], sp[-6], sp[-7]) : (sp[-3], sp[-4], sp[-5], sp[-6])
                sp = bottom + 1
                if !value.isZero {
                    if message.isStatic { return Self.failed(.staticStateChange, gas: gas) }
                    gas -= Gas.callValue
                    if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                }
                gas -= accountAccessSurcharge(target)
                if gas < 0 { return Self.failed(.outOfGas, gas: gas) }
                guard let input = memory.reserve(offset: arguments.0, length: arguments.1, gas: &gas),
                      let output = memory.reserve(offset: arguments.2, length: arguments.3, gas: &gas) else {
                    return Self.failed(.outOfGas, gas: gas)
                }
                // All but one 64th of what is left may go to the callee (EIP-150), so a deep
                // chain of calls cannot strand the outer frames without gas.
                let available = gas - gas / 64
                let callGas = requested.exactUInt64.map { Int64(min($0, UInt64(available))) } ?? available
                gas -= callGas
                let result = call(Message(caller: message.recipient, recipient: target, origin: message.origin, value: value,
                                          input: memory.bytes(at: input, count: Int(arguments.1.limb0)), gas: callGas,
                                          isStatic: message.isStatic || !isCall),
                                  depth: depth + 1)
                gas += result.gasLeft
                returnData = result.output
                let copied = min(Int(arguments.3.limb0), returnData.count)
                returnData.withUnsafeBytes { memory.write($0, from: .zero, to: output, count: copied) }
                sp[-1] = UInt256(result.outcome == .success ? 1 : 0)

            case .stop:
                return ExecutionResult(outcome: .success, gasLeft: gas)
            case .ret, .revert:
                guard let offset = memory.reserve(offset: sp[-1], length: sp[-2], gas: &gas) else { return Self.failed(.outOfGas, gas: gas) }
                let output = memory.bytes(at: offset, count: Int(sp[-2].limb0))
                return ExecutionResult(outcome: instruction.opcode == .ret ? .success : .revert, gasLeft: gas, output: output)
            case .invalid:
                return Self.failed(.invalidInstruction, gas: gas)
            }
        }
    }
}

/// 32 bytes of `source` at `offset`, zero-padded past its end (CALLDATALOAD, DATALOAD).
@inline(__always)
func loadWord(from source: UnsafeRawBufferPointer, at offset: UInt256) -> UInt256 {
    guard let start = offset.exactUInt64, start < UInt64(source.count) else { return .zero }
    let begin = Int(start)
    if source.count - begin >= 32 { return UInt256(loadingBigEndianFrom: source.baseAddress! + begin) }
    var word: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &word) { scratch in
        scratch.baseAddress!.copyMemory(from: source.baseAddress! + begin, byteCount: source.count - begin)
        return UInt256(loadingBigEndianFrom: scratch.baseAddress!)
    }
}

/// base ^ exponent, or nil if it does not fit 256 bits (checked EXP).
func checkedPower(_ base: UInt256, _ exponent: UInt256) -> UInt256? {
    var result = UInt256.one
    var base = base
    var exponent = exponent
    while !exponent.isZero {
        if exponent.limb0 & 1 != 0 {
            let (product, overflow) = result.multipliedReportingOverflow(by: base)
            if overflow { return nil }
            result = product
        }
        exponent = exponent.shiftedRight(by: 1)
        if !exponent.isZero {
            let (square, overflow) = base.multipliedReportingOverflow(by: base)
            if overflow { return nil }
            base = square
        }
    }
    return result
}
