// Turns a fuzzer's byte string into a world of verified contracts and a message to run: a main
// contract, a callee it can call, an empty account, with operands drawn often from edge values.
// Every statement tracks the stack height, and branches rejoin at the height they left, so the
// programs verify; a program that does not is simply skipped by the caller.
import Bytecode
import LedgerPrimitives
import VM

/// The fuzzer's input, read front to back; 0 once it runs out, so every input gives a program.
public struct FuzzCursor {
    let bytes: [UInt8]
    var position = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// A number in 0..<bound, from two bytes, or four when the bound needs more than 16 bits.
    mutating func below(_ bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        var value = Int(byte()) << 8 | Int(byte())
        if bound > 1 << 16 { value = value << 16 | Int(byte()) << 8 | Int(byte()) }
        return value % bound
    }

    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }

    mutating func word() -> UInt256 {
        UInt256(bigEndianBytes: (0..<32).map { _ in byte() }) ?? .zero
    }

    public mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in byte() } }
}

/// One generated case: the world (with code installed), the block and the message to send.
public struct GeneratedCase {
    public var world: ReferenceWorld
    public var block: BlockContext
    public var message: Message
    /// The containers by role, for reports.
    public var containers: [(name: String, address: Address, container: Container)]
    /// A deploy payload to run with `VM.deploy` instead of a call, when set.
    public var payload: [UInt8]? = nil
}

public struct ProgramGenerator {
    public static let sender = account(0x5e)
    public static let main = account(0xa1)
    public static let callee = account(0xb2)
    public static let empty = account(0xe3)
    /// Where a generated deployment puts its contract.
    public static let created = account(0xc4)
    /// A contract that calls itself with all its gas, down to the call depth limit.
    public static let recurser = account(0xd5)

    static func account(_ tag: UInt8) -> Address {
        Address(bytes: [UInt8](repeating: 0, count: 18) + [0xd6, tag]) ?? .zero
    }

    /// Edge operands (Docs: the values where 256-bit, 64-bit and 32-bit code paths split).
    static let edges: [UInt256] = {
        let one = UInt256.one
        var values: [UInt256] = [0, 1, 2, 3, 7, 8, 31, 32, 33, 63, 64, 255, 256, 257]
        values += [one << 31 &- one, one << 31, one << 32 &- one, one << 32, one << 32 &+ one]
        values += [one << 63, one << 64 &- one, one << 64, one << 64 &+ one, one << 128, one << 128 &- one]
        values += [one << 255, one << 255 &- one, one << 255 &+ one, UInt256.max, UInt256.max &- one]
        return values
    }()

    var cursor: FuzzCursor
    var code = CodeBuilder()
    var height = 0
    var labelCount = 0
    /// Statements left for the whole container, so programs stay well below the size limit.
    var budget = 0
    /// Declared (inputs, outputs) of every function of the container being written.
    var signatures: [(inputs: Int, outputs: Int)] = []
    var currentFunction = 0
    /// The self-calling function of the section being written, if it has one.
    var recursionIndex: Int?
    /// The stack-tower function, and the heights function 0 calls it at.
    var towerIndex: Int?
    var towerCallHeights: [Int] = []
    var dataSize = 0
    /// Percent of memory offsets and lengths taken from the edges (≥ 2^32 is out of gas at
    /// once), chosen per case so that some programs get far before failing.
    var edgePercent = 0
    /// Percent of arithmetic that may fail (checked forms), also per case.
    var riskPercent = 0

    init(cursor: FuzzCursor) { self.cursor = cursor }

    /// The case for `input`; nil only if a container cannot be encoded.
    public static func generate(_ input: [UInt8]) -> GeneratedCase? {
        var generator = ProgramGenerator(cursor: FuzzCursor(input))
        return generator.generateCase()
    }

    mutating func generateCase() -> GeneratedCase? {
        // The message and the world first: the programs may use up the input, and what is read
        // after that is all zeros.
        edgePercent = cursor.pick([0, 0, 2, 10])
        riskPercent = cursor.pick([2, 10, 40])
        var world = ReferenceWorld()
        world.balances[Self.sender] = cursor.chance(80) ? UInt256(1_000_000_000_000_000_000) : balance()
        world.balances[Self.main] = balance()
        world.balances[Self.callee] = balance()
        world.setStorage(cursor.pick(Self.edges), of: Self.main, at: cursor.pick([0, 1, 2, 3]))
        let block = BlockContext(number: UInt64(cursor.below(1 << 16)), timestamp: 1_700_000_000 + UInt64(cursor.below(1000)),
                                 chainID: cursor.pick([1, 1337, UInt64.max]))
        let value: UInt256 = cursor.chance(90) ? .zero : cursor.pick([1, 1000, UInt256.max])
        let message = Message(caller: Self.sender, recipient: Self.main, value: value,
                              input: cursor.bytes(cursor.below(80)), gas: gasLimit())
        let deploys = cursor.chance(15)
        guard let mainContainer = container(callee: false, withInit: deploys), let calleeContainer = container(callee: true),
              let mainBytes = try? mainContainer.encoded(), let calleeBytes = try? calleeContainer.encoded() else { return nil }
        world.code[Self.callee] = calleeBytes
        guard let recurserContainer = recurser(), let recurserBytes = try? recurserContainer.encoded() else { return nil }
        world.code[Self.recurser] = recurserBytes
        var generated = GeneratedCase(world: world, block: block, message: message,
                                      containers: [("main", Self.main, mainContainer), ("callee", Self.callee, calleeContainer)])
        if deploys {
            // The payload is the container and the call data as constructor arguments; the new
            // contract's address has no code yet.
            generated.payload = mainBytes + message.input
            generated.message.recipient = Self.created
            generated.containers[0] = ("payload", Self.created, mainContainer)
        } else {
            generated.world.code[Self.main] = mainBytes
        }
        return generated
    }

    /// CALLs itself with all its gas and some value, stores the depth it saw fail in memory
    /// and returns it: the depth limit (64 frames), the 63/64 rule and, when not re-entrant,
    /// the re-entrancy rule, at every level.
    mutating func recurser() -> Container? {
        var code = CodeBuilder()
        code.appendPush(32); code.append(.push0)                  // output at 0, 32 bytes
        code.append(.push0); code.append(.push0)                  // no input
        code.appendPush(cursor.pick([0, 0, 1]))                   // value
        code.append(.address); code.append(.gas); code.append(.call)
        code.append(.returndatasize); code.append(.wadd)        // success + 32 per level that returned
        code.append(.push0); code.append(.mload); code.append(.wadd)
        code.append(.push0); code.append(.mstore)
        code.appendPush(32); code.append(.push0); code.append(.ret)
        guard let bytes = try? code.assembled() else { return nil }
        return Container(flags: cursor.chance(85) ? .reentrant : [], runtimeFunctions: [Function(code: bytes)])
    }

    mutating func balance() -> UInt256 {
        cursor.pick([0, 1, 1000, UInt256(1_000_000_000_000_000_000), UInt256.max >> 1])
    }

    /// Edge gas limits, so that out-of-gas happens at many positions.
    mutating func gasLimit() -> Int64 {
        switch cursor.below(6) {
        case 0: return cursor.pick([0, 1, 2, 3, 5, 10, 50, 100, 500, 700, 1_000, 3_000, 10_000, 21_000, 50_000,
                                    100_000, 300_000, 1_000_000, 5_000_000])
        // Code loading (125 gas per word) and cold access (18,000 / 20,200) come first: most
        // runs need room past them to reach the code.
        case 1: return Int64(cursor.below(20_000))
        case 2: return Int64(cursor.below(400_000))
        default: return 100_000 + Int64(cursor.below(3_000_000))
        }
    }

    // MARK: Containers and functions

    /// A container: one runtime section, or with `withInit` an init section too (a deploy payload).
    mutating func container(callee: Bool, withInit: Bool = false) -> Container? {
        let data = cursor.bytes(cursor.pick([0, 1, 31, 32, 33, 64, 100]))
        dataSize = data.count
        let initFunctions = withInit ? section(budget: 10 + cursor.below(30)) : []
        guard let initFunctions, let runtimeFunctions = section(budget: callee ? 12 + cursor.below(20) : 20 + cursor.below(60)) else {
            return nil
        }
        let flags: Container.Flags = cursor.chance(30) ? .reentrant : []
        return Container(flags: flags, initFunctions: initFunctions, runtimeFunctions: runtimeFunctions, data: data)
    }

    /// Function 0 and up to four more (one may be a stack tower), within `budget` statements.
    mutating func section(budget statements: Int) -> [Function]? {
        budget = statements
        signatures = [(0, 0)]
        for _ in 0..<cursor.below(4) { signatures.append((cursor.below(4), cursor.below(4))) }
        towerIndex = cursor.chance(5) ? signatures.count : nil
        towerCallHeights = []
        if towerIndex != nil { signatures.append((0, 0)) }
        recursionIndex = cursor.chance(10) ? signatures.count : nil
        if recursionIndex != nil { signatures.append((1, 1)) }
        var functions: [Function] = []
        for index in signatures.indices {
            currentFunction = index
            let body = index == towerIndex ? tower() : index == recursionIndex ? recursion(index) : function(index)
            guard let bytes = try? body.assembled() else { return nil }
            functions.append(Function(inputs: UInt8(signatures[index].inputs), outputs: UInt8(signatures[index].outputs), code: bytes))
        }
        return functions
    }

    mutating func function(_ index: Int) -> CodeBuilder {
        code = CodeBuilder()
        height = signatures[index].inputs
        let count = index == 0 ? budget / 2 + 1 : 1 + cursor.below(6)
        for _ in 0..<count { statement(floor: 0, depth: 2) }
        if index == 0 { finish() } else {
            settle(to: signatures[index].outputs)
            code.append(.retf)
        }
        return code
    }

    /// A function that reaches a high stack: CALLF fails with stackOverflow when the caller's
    /// height plus this one's growth passes 1,024.
    mutating func tower() -> CodeBuilder {
        code = CodeBuilder()
        // Often exactly at the limit for one of function 0's call sites, or one past it.
        let levels = towerCallHeights.isEmpty || cursor.chance(20) ? 1000 + cursor.below(25)
            : min(1024, max(1, 1024 - cursor.pick(towerCallHeights) + cursor.pick([-1, 0, 0, 1])))
        for _ in 0..<levels { code.append(.push0) }
        for _ in 0..<levels { code.append(.pop) }
        code.append(.retf)
        return code
    }

    /// A function that calls itself n times (n its input), so the return stack reaches n + 1
    /// frames: CALLF fails with stackOverflow past 1,024.
    mutating func recursion(_ index: Int) -> CodeBuilder {
        code = CodeBuilder()
        code.append(.dup1); code.append(.iszero); code.appendJump(.rjumpi, to: "done")
        code.appendPush(1); code.append(.swap1); code.append(.sub)
        code.append(.callf, immediate: index)
        code.appendLabel("done")
        code.append(.retf)
        return code
    }

    /// Ends function 0: RETURN, REVERT, STOP or INVALID.
    mutating func finish() {
        if cursor.chance(60) { returnEverything(); return }
        switch cursor.below(10) {
        case 0: code.append(.stop)
        case 1: code.append(.invalid)
        case 2, 3: pushValue(offsetOrLength()); pushValue(offsetOrLength()); code.append(.revert)
        case 4, 5, 6:
            ensure(1, floor: 0)
            pushValue(0); emit(.mstore)
            pushValue(32); pushValue(0); code.append(.ret)
        default: pushValue(offsetOrLength()); pushValue(offsetOrLength()); code.append(.ret)
        }
    }

    /// Stores every stack item above the first 2 KiB of memory and returns all of memory up to
    /// there, so that every value computed shows in the output.
    mutating func returnEverything() {
        let base = 2048
        let count = height
        for index in 0..<count {
            pushValue(UInt256(UInt64(base + 32 * index)))
            emit(.mstore)
        }
        pushValue(UInt256(UInt64(base + 32 * count))); pushValue(0)
        code.append(.ret)
    }

    // MARK: Stack bookkeeping

    mutating func label() -> String {
        labelCount += 1
        return "L\(labelCount)"
    }

    /// At least `count` items above `floor`, pushing edge operands as needed.
    mutating func ensure(_ count: Int, floor: Int) {
        while height - floor < count { pushValue(operand()) }
    }

    /// Folds or pushes until the height is `target` (ending a body or a function). Surplus items
    /// are combined by XOR and the last one stored in memory below 2 KiB, which the program's
    /// final RETURN includes, so values computed in a branch or loop stay visible.
    mutating func settle(to target: Int) {
        while height > target + 1 { emit(.xor) }
        if height == target + 1 {
            pushValue(UInt256(UInt64(1024 + 32 * (labelCount % 32))))
            emit(.mstore)
        }
        while height < target { pushValue(operand()) }
    }

    /// Applies an opcode's stack effect to the tracked height.
    mutating func emit(_ opcode: Opcode) {
        code.append(opcode)
        let effect = ReferenceContainer.table[Int(opcode.rawValue)]
        height += effect.outputs - effect.inputs
    }

    /// PUSH of `value` in any width that holds it (PUSH0 for zero sometimes, else shortest or wider).
    mutating func pushValue(_ value: UInt256) {
        let needed = value.significantByteCount
        if needed == 0 && cursor.chance(50) {
            code.append(.push0)
        } else {
            let width = cursor.chance(60) ? max(needed, 1) : max(needed, 1) + cursor.below(33 - max(needed, 1))
            code.appendPush(value, size: width)
        }
        height += 1
    }

    // MARK: Operands

    mutating func operand() -> UInt256 {
        switch cursor.below(10) {
        case 0, 1, 2, 3: return cursor.pick(Self.edges)
        case 4: return cursor.pick(Self.edges) &+ UInt256(UInt64(cursor.below(3))) &- 1
        case 5: return cursor.word()
        case 6: return UInt256(UInt64(cursor.below(1 << 16)))
        default: return UInt256(UInt64(cursor.below(20)))
        }
    }

    /// A memory or data offset or length: mostly small, sometimes at the 2^32 / 2^64 edges.
    mutating func offsetOrLength() -> UInt256 {
        if cursor.chance(edgePercent) { return cursor.pick(Self.edges) }
        switch cursor.below(12) {
        case 0: return UInt256(UInt64(cursor.below(70_000)))
        case 1: return 0
        default: return UInt256(UInt64(cursor.below(160)))
        }
    }

    /// A shift amount or byte index near the interesting edges.
    mutating func shiftAmount() -> UInt256 {
        cursor.chance(70) ? cursor.pick([0, 1, 7, 8, 31, 32, 63, 64, 127, 128, 129, 254, 255, 256, 257, 30, 33])
                          : cursor.pick(Self.edges)
    }

    // MARK: Statements

    /// Operations that can fail (checked arithmetic, division by zero) and those that cannot.
    static let checkedOps: [Opcode] = [.add, .mul, .sub, .div, .sdiv, .mod, .smod]
    static let totalOps: [Opcode] = [.wadd, .wmul, .wsub, .lt, .gt, .slt, .sgt, .eq, .and, .or, .xor]
    static let contextOps: [Opcode] = [.address, .origin, .caller, .callvalue, .calldatasize, .returndatasize,
                                       .timestamp, .number, .chainid, .selfbalance, .msize, .datasize, .gas]

    /// One statement with operands above `floor`; `depth` bounds nesting of control flow.
    mutating func statement(floor: Int, depth: Int) {
        guard budget > 0 else { return }
        budget -= 1
        if height > 40 { settle(to: max(floor, height - 10)) }
        switch cursor.below(31) {
        case 0: pushValue(operand())
        case 1, 2, 3: arithmetic(floor: floor)
        case 4: ensure(1, floor: floor); emit(cursor.pick([.iszero, .not]))
        case 5: modular(floor: floor)
        case 6: bits(floor: floor)
        case 7: exponent(floor: floor)
        case 8, 9: memory(floor: floor)
        case 10: copy()
        case 11: hash()
        case 12: log()
        case 13: storage(floor: floor)
        case 14, 15: call()
        case 16: emit(cursor.pick(Self.contextOps))
        case 17: stackShuffle(floor: floor)
        case 18: if height > floor { emit(.pop) }
        case 19: dataLoad(floor: floor)
        case 20: if depth > 0 { condition(depth: depth) }
        case 21: if depth > 0 { loop(depth: depth) }
        case 22: if depth > 0 { jumpTable(depth: depth) }
        case 23: callFunction(floor: floor)
        case 24: earlyExit()
        case 25: ensure(1, floor: floor); pushValue(0); emit(.balance); emit(.pop); emit(.balance)
        case 26, 27: observe()
        case 28: signedEdge()
        case 29: byteEdge()
        default: ecrecover()
        }
    }

    /// Makes the top item visible: a copy of it becomes a log topic (cheap, unlike SSTORE).
    mutating func observe() {
        guard height > 0 else { return }
        emit(.dup1); pushValue(0); pushValue(0); emit(.log1)
    }

    mutating func arithmetic(floor: Int) {
        if cursor.chance(60) { pushValue(operand()) }
        if cursor.chance(40) { pushValue(operand()) }
        ensure(2, floor: floor)
        emit(cursor.chance(riskPercent) ? cursor.pick(Self.checkedOps) : cursor.pick(Self.totalOps))
    }

    /// ADDMOD/MULMOD (a, b, n from the top); n is zero only as often as risk allows.
    mutating func modular(floor: Int) {
        let modulus = cursor.chance(riskPercent) ? operand() : cursor.pick(Self.edges.filter { !$0.isZero })
        pushValue(modulus)
        pushValue(operand()); pushValue(operand())
        emit(cursor.pick([.addmod, .mulmod]))
    }

    static let signedEdges: [UInt256] = [UInt256(1) << 255, UInt256.max, 1, 0, (UInt256(1) << 255) &- 1, UInt256.max &- 1, 2]

    /// SDIV, SMOD, SLT, SGT, SAR on the two's-complement edges (MIN ÷ −1 overflows).
    mutating func signedEdge() {
        pushValue(cursor.pick(Self.signedEdges)); pushValue(cursor.pick(Self.signedEdges))
        emit(cursor.pick([.sdiv, .smod, .slt, .sgt, .sar, .sdiv]))
    }

    /// SIGNEXTEND and BYTE around their last byte index, on random words.
    mutating func byteEdge() {
        pushValue(cursor.word()); pushValue(UInt256(UInt64(29 + cursor.below(5))))
        emit(cursor.pick([.signextend, .byte]))
    }

    mutating func bits(floor: Int) {
        ensure(1, floor: floor)
        pushValue(cursor.chance(50) ? shiftAmount() : UInt256(UInt64(cursor.below(40))))
        emit(cursor.pick([.shl, .shr, .sar, .byte, .signextend]))
    }

    mutating func exponent(floor: Int) {
        // EXP takes the base from the top and the exponent below it.
        pushValue(cursor.chance(60) ? cursor.pick([0, 1, 2, 3, 10, 16, 255, 256]) : operand())
        pushValue(cursor.chance(50) ? UInt256(UInt64(cursor.below(300))) : operand())
        emit(cursor.chance(riskPercent) ? .exp : .wexp)
    }

    mutating func memory(floor: Int) {
        switch cursor.below(4) {
        case 0: ensure(1, floor: floor); pushValue(offsetOrLength()); emit(.mstore)
        case 1: ensure(1, floor: floor); pushValue(offsetOrLength()); emit(.mstore8)
        case 2: pushValue(offsetOrLength()); emit(.mload)
        default: pushValue(offsetOrLength()); pushValue(offsetOrLength()); pushValue(offsetOrLength()); emit(.mcopy)
        }
    }

    /// CALLDATACOPY, DATACOPY or RETURNDATACOPY with edge offsets (RETURNDATACOPY with a source
    /// offset of 2^64 − 1 once trapped the node).
    mutating func copy() {
        let opcode = cursor.pick([Opcode.calldatacopy, .datacopy, .returndatacopy, .returndatacopy])
        if opcode == .returndatacopy && cursor.chance(15) { returnDataCopyNearEnd(); return }
        if opcode == .returndatacopy && cursor.chance(60) {
            // All of the last call's output: in bounds whatever it was.
            emit(.returndatasize); pushValue(0); pushValue(offsetOrLength()); emit(.returndatacopy)
            return
        }
        pushValue(cursor.chance(70) ? UInt256(UInt64(cursor.below(40))) : offsetOrLength())
        pushValue(cursor.chance(30) ? cursor.pick(Self.edges) : offsetOrLength())
        pushValue(offsetOrLength())
        emit(opcode)
    }

    mutating func hash() {
        pushValue(offsetOrLength()); pushValue(offsetOrLength())
        emit(cursor.pick([.keccak256, .sha256]))
    }

    mutating func log() {
        let topics = cursor.below(5)
        for _ in 0..<topics { pushValue(operand()) }
        pushValue(UInt256(UInt64(cursor.below(70)))); pushValue(offsetOrLength())
        emit(Opcode.log(topics: topics))
    }

    mutating func storage(floor: Int) {
        let key: UInt256 = cursor.chance(70) ? UInt256(UInt64(cursor.below(4))) : operand()
        if cursor.chance(50) {
            pushValue(key); emit(.sload)
        } else {
            if cursor.chance(30) { pushValue(0) } else { ensure(1, floor: floor) }
            pushValue(key); emit(.sstore)
        }
    }

    /// CALL or STATICCALL to the callee, the empty account, the main contract or the sender.
    mutating func call() {
        let isStatic = cursor.chance(30)
        pushValue(offsetOrLength()); pushValue(offsetOrLength())
        pushValue(offsetOrLength()); pushValue(offsetOrLength())
        if !isStatic { pushValue(cursor.chance(60) ? 0 : cursor.pick([1, 2, 1000, UInt256.max])) }
        let targets = [Self.callee, Self.callee, Self.empty, Self.main, Self.sender, Self.created, Self.recurser]
        pushValue(UInt256(cursor.pick(targets)))
        // Mostly bounded: a callee that fails with all but 1/64 of the gas starves the rest of the program.
        if cursor.chance(8) { emit(.gas) } else if cursor.chance(85) {
            pushValue(cursor.pick([0, 1, 100, 700, 2_300, 10_000, 30_000]))
        } else {
            pushValue(cursor.pick([UInt256(1) << 63, UInt256(1) << 64, UInt256.max, UInt256(UInt64(Int64.max))]))
        }
        emit(isStatic ? .staticcall : .call)
        guard cursor.chance(50) else { return }
        if cursor.chance(25) { returnDataCopyNearEnd(); return }
        if cursor.chance(70) {
            emit(.returndatasize); pushValue(0)
        } else {
            emit(.returndatasize)
            pushValue(cursor.chance(80) ? UInt256(UInt64(cursor.below(40))) : cursor.pick(Self.edges))
        }
        pushValue(UInt256(UInt64(cursor.below(64))))
        emit(.returndatacopy)
    }

    /// RETURNDATACOPY ending exactly at the end of the return data, or one byte past it, or
    /// starting at its end: the bounds check's edges.
    mutating func returnDataCopyNearEnd() {
        let start = UInt256(UInt64(cursor.below(4)))
        let over = UInt256(UInt64(cursor.below(2)))
        if cursor.chance(70) {
            // length = RETURNDATASIZE − start + over, from start
            pushValue(over); pushValue(start); emit(.returndatasize); emit(.wsub); emit(.wadd)
            pushValue(start)
        } else {
            // length over, from RETURNDATASIZE
            pushValue(over); emit(.returndatasize)
        }
        pushValue(UInt256(UInt64(cursor.below(64))))
        emit(.returndatacopy)
    }

    mutating func stackShuffle(floor: Int) {
        if cursor.chance(50) || height - floor < 2 {
            guard height > 0 else { return }
            emit(Opcode.dup(1 + cursor.below(min(height, 16))))
        } else {
            emit(Opcode.swap(1 + cursor.below(min(height - floor - 1, 16))))
        }
    }

    mutating func dataLoad(floor: Int) {
        if dataSize >= 32 && cursor.chance(50) {
            code.append(.dataloadn, immediate: cursor.below(dataSize - 31))
            height += 1
        } else {
            pushValue(cursor.chance(50) ? UInt256(UInt64(cursor.below(dataSize + 40))) : cursor.pick(Self.edges))
            emit(.dataload)
        }
    }

    mutating func ecrecover() {
        pushValue(cursor.word()); pushValue(cursor.word())
        pushValue(cursor.pick([0, 1, 27, 28, 29])); pushValue(cursor.word())
        emit(.ecrecover)
    }

    mutating func callFunction(floor: Int) {
        let later = signatures.indices.filter { $0 > currentFunction }
        guard !later.isEmpty else { return }
        let index = cursor.pick(later)
        if index == recursionIndex { pushValue(cursor.pick([0, 1, 5, 1022, 1023, 1024, 1025, 5000])) }
        if index == towerIndex && currentFunction == 0 { towerCallHeights.append(height) }
        ensure(signatures[index].inputs, floor: floor)
        code.append(.callf, immediate: index)
        height += signatures[index].outputs - signatures[index].inputs
    }

    // MARK: Control flow

    /// Statements that leave the height where they found it (the counter of a loop below them untouched).
    mutating func body(depth: Int) {
        let entry = height
        for _ in 0..<(1 + cursor.below(3)) { statement(floor: entry, depth: depth - 1) }
        settle(to: entry)
    }

    /// Pushes a condition and jumps on it, in the forms the decoder fuses and some it does not.
    mutating func conditionalJump(to target: String) {
        switch cursor.below(6) {
        case 0: if height == 0 { pushValue(operand()) }; emit(.dup1)
        case 1: if height == 0 { pushValue(operand()) }; emit(.dup1); emit(.iszero)
        case 2: pushValue(operand()); pushValue(operand()); emit(cursor.pick([.lt, .gt, .eq, .slt]))
        case 3: pushValue(0); emit(.calldataload); pushValue(UInt256(UInt64(cursor.below(4)))); emit(.byte)
        case 4: pushValue(UInt256(UInt64(cursor.below(2))))
        default: emit(.gas); pushValue(UInt256(UInt64(cursor.below(100_000)))); emit(.lt)
        }
        code.appendJump(.rjumpi, to: target)
        height -= 1
    }

    /// if, or if/else, around balanced bodies.
    mutating func condition(depth: Int) {
        let otherwise = label(), end = label()
        conditionalJump(to: otherwise)
        body(depth: depth)
        guard cursor.chance(50) else { code.appendLabel(otherwise); return }
        code.appendJump(.rjump, to: end)
        code.appendLabel(otherwise)
        body(depth: depth)
        code.appendLabel(end)
    }

    /// A counted loop: the counter stays under a balanced body, counting down or up.
    mutating func loop(depth: Int) {
        let start = label()
        let count = UInt256(UInt64(1 + cursor.below(6)))
        let down = cursor.chance(50)
        pushValue(down ? count : 0)
        code.appendLabel(start)
        body(depth: depth)
        if down {
            pushValue(1); emit(.swap1); emit(cursor.pick([.sub, .wsub])); emit(.dup1)
        } else {
            pushValue(1); emit(.add); emit(.dup1); pushValue(count); emit(.gt)
        }
        code.appendJump(.rjumpi, to: start)
        height -= 1
        emit(.pop)
    }

    /// RJUMPV over 1…4 cases (some sharing a target) with a fall-through body.
    mutating func jumpTable(depth: Int) {
        let targets = (0..<(1 + cursor.below(3))).map { _ in label() }
        let end = label()
        if cursor.chance(50) {
            pushValue(cursor.chance(50) ? UInt256(UInt64(cursor.below(6))) : cursor.pick(Self.edges))
        } else {
            if height == 0 { pushValue(operand()) }
            emit(.dup1); pushValue(3); emit(.and)
        }
        code.appendJumpTable(targets + (cursor.chance(30) ? [targets[0]] : []))
        height -= 1
        body(depth: depth)
        code.appendJump(.rjump, to: end)
        for (index, target) in targets.enumerated() {
            code.appendLabel(target)
            body(depth: depth)
            if index < targets.count - 1 { code.appendJump(.rjump, to: end) }
        }
        code.appendLabel(end)
    }

    /// A branch that halts: RETURN, REVERT, STOP, INVALID, or RETF in a called function.
    mutating func earlyExit() {
        let skip = label()
        conditionalJump(to: skip)
        let saved = height
        switch cursor.below(5) {
        case 0: code.append(.stop)
        case 1: code.append(.invalid)
        case 2: pushValue(offsetOrLength()); pushValue(offsetOrLength()); code.append(.revert)
        case 3 where currentFunction > 0:
            settle(to: signatures[currentFunction].outputs)
            code.append(.retf)
        default: pushValue(offsetOrLength()); pushValue(offsetOrLength()); code.append(.ret)
        }
        height = saved
        code.appendLabel(skip)
    }
}
