// The one opcode table of the VM (STYLE.md habit 6): names, bytes, immediates, stack effects,
// base gas and flags. The verifier, the decoder, the interpreter's gas per basic block, the
// assembler, the disassembler and Docs/vm.md all read `Opcode.definition`; nothing else
// restates an opcode's properties.

/// Every instruction of the VM, with its byte as raw value. Internal operations (`beginBlock`,
/// `pushInline`, `pushConstant` and the superinstructions) exist only in decoded programs: the
/// verifier rejects their bytes in a container.
public enum Opcode: UInt8, CaseIterable, Sendable {
    case stop = 0x00
    case add = 0x01, mul = 0x02, sub = 0x03, div = 0x04, sdiv = 0x05, mod = 0x06, smod = 0x07
    case addmod = 0x08, mulmod = 0x09, exp = 0x0a, signextend = 0x0b
    case wadd = 0x0c, wmul = 0x0d, wsub = 0x0e, wexp = 0x0f
    case lt = 0x10, gt = 0x11, slt = 0x12, sgt = 0x13, eq = 0x14, iszero = 0x15
    case and = 0x16, or = 0x17, xor = 0x18, not = 0x19, byte = 0x1a, shl = 0x1b, shr = 0x1c, sar = 0x1d
    case keccak256 = 0x20, sha256 = 0x21, ecrecover = 0x22
    case address = 0x30, balance = 0x31, origin = 0x32, caller = 0x33, callvalue = 0x34
    case calldataload = 0x35, calldatasize = 0x36, calldatacopy = 0x37
    case returndatasize = 0x3d, returndatacopy = 0x3e
    case timestamp = 0x42, number = 0x43, chainid = 0x46, selfbalance = 0x47
    case pop = 0x50, mload = 0x51, mstore = 0x52, mstore8 = 0x53, sload = 0x54, sstore = 0x55
    case msize = 0x59, gas = 0x5a, mcopy = 0x5e, push0 = 0x5f
    case push1 = 0x60, push2, push3, push4, push5, push6, push7, push8, push9, push10, push11, push12
    case push13, push14, push15, push16, push17, push18, push19, push20, push21, push22, push23
    case push24, push25, push26, push27, push28, push29, push30, push31, push32
    case dup1 = 0x80, dup2, dup3, dup4, dup5, dup6, dup7, dup8, dup9, dup10, dup11, dup12, dup13
    case dup14, dup15, dup16
    case swap1 = 0x90, swap2, swap3, swap4, swap5, swap6, swap7, swap8, swap9, swap10, swap11
    case swap12, swap13, swap14, swap15, swap16
    case log0 = 0xa0, log1, log2, log3, log4
    case beginBlock = 0xb0, pushInline = 0xb1, pushConstant = 0xb2
    // Superinstructions (decoded only, Docs/vm.md §Fusion): a small PUSH fused with the operation
    // that consumes it, and a condition fused with the RJUMPI that consumes it.
    case pushAdd = 0xb3, pushSub, pushMul, pushWadd, pushWsub, pushWmul, pushLt, pushGt, pushEq
    case pushAnd, pushOr, pushShl, pushShr, pushSwap1Sub, pushSwap1Wsub
    case dup1Rjumpi = 0xc2, iszeroRjumpi, ltRjumpi, gtRjumpi, eqRjumpi
    // Chosen from the compiled contracts of Contracts/ (`d6g-bench dsl` counts what the compiler
    // emits): a memory store at a constant offset, and hashing memory from a constant offset.
    case pushMstore = 0xc7, pushKeccak256 = 0xc8
    case dataload = 0xd0, dataloadn = 0xd1, datasize = 0xd2, datacopy = 0xd3
    case rjump = 0xe0, rjumpi = 0xe1, rjumpv = 0xe2, callf = 0xe3, retf = 0xe4
    case call = 0xf1, ret = 0xf3, staticcall = 0xfa, revert = 0xfd, invalid = 0xfe
}

/// What the rest of the system may know about an opcode.
public struct OpcodeInfo: Sendable, Equatable {
    public struct Flags: OptionSet, Sendable, Hashable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Ends its function: nothing falls through (STOP, RETURN, REVERT, INVALID, RETF, RJUMP).
        public static let terminator = Flags(rawValue: 1 << 0)
        /// Has immediate jump targets (RJUMP, RJUMPI, RJUMPV).
        public static let jump = Flags(rawValue: 1 << 1)
        /// Must not run in a static call (SSTORE, LOG*; CALL only with a nonzero value).
        public static let writesState = Flags(rawValue: 1 << 2)
        /// Needs exact gas accounting at its position (GAS, CALL, STATICCALL, CALLF), so the
        /// basic block that charges gas ends after it.
        public static let endsBlock = Flags(rawValue: 1 << 3)
        /// Exists only in decoded programs, never in a container.
        public static let internalOnly = Flags(rawValue: 1 << 4)
        /// Has extra gas beyond its base cost, charged by the instruction (memory, words, bytes).
        public static let dynamicGas = Flags(rawValue: 1 << 5)
    }

    public let name: String
    public let opcode: Opcode
    /// Immediate bytes after the opcode; RJUMPV's is variable (see `immediateLength`).
    public let immediateSize: Int
    public let inputs: Int
    public let outputs: Int
    /// Charged per basic block before the block runs.
    public let gas: Int
    public let flags: Flags
    /// One line for Docs/vm.md.
    public let summary: String
}

/// An opcode's immediate size, stack effect, base gas and flags, as in its `OpcodeInfo`.
public struct OpcodeTraits: Sendable {
    public let immediateSize: Int
    public let inputs: Int
    public let outputs: Int
    public let gas: Int
    public let flags: OpcodeInfo.Flags
}

extension Opcode {
    /// The table entry of this opcode, read from `Opcode.table`: the verifier and decoder ask for
    /// it several times per instruction of every contract they load, so it must not be built
    /// (names and summaries are strings) on each call.
    @inlinable
    public var definition: OpcodeInfo {
        Opcode.table[Int(rawValue)] ?? describe()
    }

    /// The table. Stack effects are (inputs → outputs) from the top of the stack; gas is the
    /// base cost (Docs/vm.md §Gas lists the dynamic parts).
    @usableFromInline
    func describe() -> OpcodeInfo {
        func op(_ name: String, _ inputs: Int, _ outputs: Int, gas: Int, immediate: Int = 0,
                _ flags: OpcodeInfo.Flags = [], _ summary: String) -> OpcodeInfo {
            OpcodeInfo(name: name, opcode: self, immediateSize: immediate, inputs: inputs, outputs: outputs,
                       gas: gas, flags: flags, summary: summary)
        }
        let raw = Int(rawValue)
        switch self {
        case .stop: return op("STOP", 0, 0, gas: 0, .terminator, "halt with success and no output")
        case .add: return op("ADD", 2, 1, gas: 3, [], "a + b; fails on overflow")
        case .mul: return op("MUL", 2, 1, gas: 5, [], "a × b; fails on overflow")
        case .sub: return op("SUB", 2, 1, gas: 3, [], "a − b; fails on underflow")
        case .div: return op("DIV", 2, 1, gas: 5, [], "a ÷ b; fails when b = 0")
        case .sdiv: return op("SDIV", 2, 1, gas: 5, [], "signed a ÷ b; fails when b = 0 or on MIN ÷ −1")
        case .mod: return op("MOD", 2, 1, gas: 5, [], "a mod b; fails when b = 0")
        case .smod: return op("SMOD", 2, 1, gas: 5, [], "signed a mod b (sign of a); fails when b = 0")
        case .addmod: return op("ADDMOD", 3, 1, gas: 8, [], "(a + b) mod n without overflow; fails when n = 0")
        case .mulmod: return op("MULMOD", 3, 1, gas: 8, [], "(a × b) mod n without overflow; fails when n = 0")
        case .exp: return op("EXP", 2, 1, gas: 10, .dynamicGas, "a ^ b; fails on overflow; +50 gas per exponent byte")
        case .signextend: return op("SIGNEXTEND", 2, 1, gas: 5, [], "sign-extend b from byte a (0 = lowest)")
        case .wadd: return op("WADD", 2, 1, gas: 3, [], "a + b mod 2^256")
        case .wmul: return op("WMUL", 2, 1, gas: 5, [], "a × b mod 2^256")
        case .wsub: return op("WSUB", 2, 1, gas: 3, [], "a − b mod 2^256")
        case .wexp: return op("WEXP", 2, 1, gas: 10, .dynamicGas, "a ^ b mod 2^256; +50 gas per exponent byte")
        case .lt: return op("LT", 2, 1, gas: 3, [], "a < b (unsigned)")
        case .gt: return op("GT", 2, 1, gas: 3, [], "a > b (unsigned)")
        case .slt: return op("SLT", 2, 1, gas: 3, [], "a < b (two's complement)")
        case .sgt: return op("SGT", 2, 1, gas: 3, [], "a > b (two's complement)")
        case .eq: return op("EQ", 2, 1, gas: 3, [], "a = b")
        case .iszero: return op("ISZERO", 1, 1, gas: 3, [], "a = 0")
        case .and: return op("AND", 2, 1, gas: 3, [], "bitwise and")
        case .or: return op("OR", 2, 1, gas: 3, [], "bitwise or")
        case .xor: return op("XOR", 2, 1, gas: 3, [], "bitwise exclusive or")
        case .not: return op("NOT", 1, 1, gas: 3, [], "bitwise complement")
        case .byte: return op("BYTE", 2, 1, gas: 3, [], "byte a of b, 0 = most significant; 0 when a ≥ 32")
        case .shl: return op("SHL", 2, 1, gas: 3, [], "b << a")
        case .shr: return op("SHR", 2, 1, gas: 3, [], "b >> a (logical)")
        case .sar: return op("SAR", 2, 1, gas: 3, [], "b >> a (arithmetic)")
        case .keccak256: return op("KECCAK256", 2, 1, gas: 170, .dynamicGas, "keccak-256 of memory[offset, length]; +58 gas per word")
        case .sha256: return op("SHA256", 2, 1, gas: 60, .dynamicGas, "SHA-256 of memory[offset, length]; +12 gas per word")
        case .ecrecover: return op("ECRECOVER", 4, 1, gas: 20_000, [], "signer address of (digest, v, r, s), 0 if none")
        case .address: return op("ADDRESS", 0, 1, gas: 2, [], "this contract's address")
        case .balance: return op("BALANCE", 1, 1, gas: 100, .dynamicGas, "balance of an address; +18,000 gas if the transaction has not touched it yet")
        case .origin: return op("ORIGIN", 0, 1, gas: 2, [], "the transaction's sender")
        case .caller: return op("CALLER", 0, 1, gas: 2, [], "the sender of this call")
        case .callvalue: return op("CALLVALUE", 0, 1, gas: 2, [], "the value sent with this call")
        case .calldataload: return op("CALLDATALOAD", 1, 1, gas: 3, [], "32 bytes of call data at an offset, zero-padded")
        case .calldatasize: return op("CALLDATASIZE", 0, 1, gas: 2, [], "call data length")
        case .calldatacopy: return op("CALLDATACOPY", 3, 0, gas: 3, .dynamicGas, "copy call data (memOffset, dataOffset, length), zero-padded; +3 gas per word")
        case .returndatasize: return op("RETURNDATASIZE", 0, 1, gas: 2, [], "length of the last call's output")
        case .returndatacopy: return op("RETURNDATACOPY", 3, 0, gas: 3, .dynamicGas, "copy the last call's output (memOffset, dataOffset, length); fails out of bounds; +3 gas per word")
        case .timestamp: return op("TIMESTAMP", 0, 1, gas: 2, [], "block timestamp in seconds")
        case .number: return op("NUMBER", 0, 1, gas: 2, [], "block number")
        case .chainid: return op("CHAINID", 0, 1, gas: 2, [], "chain id")
        case .selfbalance: return op("SELFBALANCE", 0, 1, gas: 5, [], "this contract's balance")
        case .pop: return op("POP", 1, 0, gas: 2, [], "drop the top item")
        case .mload: return op("MLOAD", 1, 1, gas: 3, .dynamicGas, "32 bytes of memory at an offset")
        case .mstore: return op("MSTORE", 2, 0, gas: 3, .dynamicGas, "store 32 bytes (offset, value)")
        case .mstore8: return op("MSTORE8", 2, 0, gas: 3, .dynamicGas, "store the low byte (offset, value)")
        case .sload: return op("SLOAD", 1, 1, gas: 100, .dynamicGas, "storage slot of this contract; +25,000 gas if the transaction has not touched it yet")
        case .sstore: return op("SSTORE", 2, 0, gas: 0, [.writesState, .dynamicGas], "store (key, value); 20,000 gas from zero to nonzero, else 5,000; +25,000 if the slot is cold")
        case .msize: return op("MSIZE", 0, 1, gas: 2, [], "memory size in bytes (a multiple of 32)")
        case .gas: return op("GAS", 0, 1, gas: 2, .endsBlock, "gas left after this instruction")
        case .mcopy: return op("MCOPY", 3, 0, gas: 3, .dynamicGas, "copy memory (destination, source, length); +3 gas per word")
        case .push0: return op("PUSH0", 0, 1, gas: 2, [], "push 0")
        case .push1, .push2, .push3, .push4, .push5, .push6, .push7, .push8, .push9, .push10, .push11,
             .push12, .push13, .push14, .push15, .push16, .push17, .push18, .push19, .push20, .push21,
             .push22, .push23, .push24, .push25, .push26, .push27, .push28, .push29, .push30, .push31, .push32:
            let size = raw - 0x5f
            return op("PUSH\(size)", 0, 1, gas: 3, immediate: size, [], "push a \(size)-byte big-endian immediate")
        case .dup1, .dup2, .dup3, .dup4, .dup5, .dup6, .dup7, .dup8, .dup9, .dup10, .dup11, .dup12,
             .dup13, .dup14, .dup15, .dup16:
            let depth = raw - 0x7f
            return op("DUP\(depth)", depth, depth + 1, gas: 3, [], "copy item \(depth) (1 = top) to the top")
        case .swap1, .swap2, .swap3, .swap4, .swap5, .swap6, .swap7, .swap8, .swap9, .swap10, .swap11,
             .swap12, .swap13, .swap14, .swap15, .swap16:
            let depth = raw - 0x8f
            return op("SWAP\(depth)", depth + 1, depth + 1, gas: 3, [], "exchange the top with item \(depth + 1)")
        case .log0, .log1, .log2, .log3, .log4:
            let topics = raw - 0xa0
            return op("LOG\(topics)", 2 + topics, 0, gas: 750 + 750 * topics, [.writesState, .dynamicGas],
                      "log memory[offset, length] with \(topics) topic\(topics == 1 ? "" : "s"); +8 gas per byte")
        case .beginBlock: return op("(BEGINBLOCK)", 0, 0, gas: 0, .internalOnly, "decoded only: charge a basic block's gas")
        case .pushInline: return op("(PUSHINLINE)", 0, 1, gas: 0, .internalOnly, "decoded only: push a small immediate")
        case .pushConstant: return op("(PUSHCONSTANT)", 0, 1, gas: 0, .internalOnly, "decoded only: push from the constant pool")
        // Fused forms carry no gas of their own: their parts' base gas is in the block's BEGINBLOCK.
        case .pushAdd, .pushSub, .pushMul, .pushWadd, .pushWsub, .pushWmul, .pushLt, .pushGt, .pushEq,
             .pushAnd, .pushOr, .pushShl, .pushShr, .pushSwap1Sub, .pushSwap1Wsub:
            let parts = fusedParts!
            return op("(" + parts.map { $0.describe().name }.joined(separator: "+") + ")", 1, 1, gas: 0, .internalOnly,
                      "decoded only: push a small immediate, then " + parts.dropFirst().map { $0.describe().name }.joined(separator: " "))
        case .pushMstore:
            return op("(PUSH1+MSTORE)", 1, 0, gas: 0, [.internalOnly, .dynamicGas], "decoded only: store the top at a small constant offset")
        case .pushKeccak256:
            return op("(PUSH1+KECCAK256)", 1, 1, gas: 0, [.internalOnly, .dynamicGas],
                      "decoded only: keccak-256 of memory[k, length], length on top; +58 gas per word")
        case .dup1Rjumpi, .iszeroRjumpi, .ltRjumpi, .gtRjumpi, .eqRjumpi:
            let condition = fusedParts![0]
            let inputs = condition == .dup1 ? 1 : condition.describe().inputs
            return op("(" + condition.describe().name + "+RJUMPI)", inputs, condition == .dup1 ? 1 : 0, gas: 0,
                      [.internalOnly, .jump], "decoded only: " + condition.describe().name + ", then RJUMPI")
        case .dataload: return op("DATALOAD", 1, 1, gas: 4, [], "32 bytes of the data section at an offset, zero-padded")
        case .dataloadn: return op("DATALOADN", 0, 1, gas: 3, immediate: 2, [], "32 bytes of the data section at an immediate offset (verified in bounds)")
        case .datasize: return op("DATASIZE", 0, 1, gas: 2, [], "data section length")
        case .datacopy: return op("DATACOPY", 3, 0, gas: 3, .dynamicGas, "copy the data section (memOffset, dataOffset, length), zero-padded; +3 gas per word")
        case .rjump: return op("RJUMP", 0, 0, gas: 2, immediate: 2, [.jump, .terminator], "jump by a signed 16-bit offset from the next instruction")
        case .rjumpi: return op("RJUMPI", 1, 0, gas: 4, immediate: 2, .jump, "jump by a signed 16-bit offset if the top is nonzero")
        case .rjumpv: return op("RJUMPV", 1, 0, gas: 4, immediate: 1, .jump, "jump table: immediate maxIndex then maxIndex+1 offsets; falls through when the index is larger")
        case .callf: return op("CALLF", 0, 0, gas: 5, immediate: 2, .endsBlock, "call function n (stack effect: its declared inputs → outputs)")
        case .retf: return op("RETF", 0, 0, gas: 3, .terminator, "return from a function (stack height = its declared outputs)")
        case .call: return op("CALL", 7, 1, gas: 100, [.writesState, .endsBlock, .dynamicGas], "call (gas, address, value, inOffset, inLength, outOffset, outLength) → success; +9,000 gas with value, +18,000 for a cold account, +520 per word of code loaded")
        case .ret: return op("RETURN", 2, 0, gas: 0, [.terminator, .dynamicGas], "halt with success and memory[offset, length] as output")
        case .staticcall: return op("STATICCALL", 6, 1, gas: 100, [.endsBlock, .dynamicGas], "call (gas, address, inOffset, inLength, outOffset, outLength) → success, no state writes; +18,000 for a cold account, +520 per word of code loaded")
        case .revert: return op("REVERT", 2, 0, gas: 0, [.terminator, .dynamicGas], "halt, undo this call's writes, output memory[offset, length]")
        case .invalid: return op("INVALID", 0, 0, gas: 0, .terminator, "abort: undo this call's writes and consume all its gas")
        }
    }

    /// The instructions a superinstruction stands for, in order (PUSH shown as PUSH1); nil for
    /// an ordinary opcode. The decoder fuses exactly these sequences (Docs/vm.md §Fusion).
    public var fusedParts: [Opcode]? {
        switch self {
        case .pushAdd: return [.push1, .add]
        case .pushSub: return [.push1, .sub]
        case .pushMul: return [.push1, .mul]
        case .pushWadd: return [.push1, .wadd]
        case .pushWsub: return [.push1, .wsub]
        case .pushWmul: return [.push1, .wmul]
        case .pushLt: return [.push1, .lt]
        case .pushGt: return [.push1, .gt]
        case .pushEq: return [.push1, .eq]
        case .pushAnd: return [.push1, .and]
        case .pushOr: return [.push1, .or]
        case .pushShl: return [.push1, .shl]
        case .pushShr: return [.push1, .shr]
        case .pushSwap1Sub: return [.push1, .swap1, .sub]
        case .pushSwap1Wsub: return [.push1, .swap1, .wsub]
        case .pushMstore: return [.push1, .mstore]
        case .pushKeccak256: return [.push1, .keccak256]
        case .dup1Rjumpi: return [.dup1, .rjumpi]
        case .iszeroRjumpi: return [.iszero, .rjumpi]
        case .ltRjumpi: return [.lt, .rjumpi]
        case .gtRjumpi: return [.gt, .rjumpi]
        case .eqRjumpi: return [.eq, .rjumpi]
        default: return nil
        }
    }

    /// The numbers of this opcode's entry, without its strings: what the verifier and the decoder
    /// read for every instruction of every contract they load (copying an `OpcodeInfo` retains
    /// two strings).
    @inlinable
    public var traits: OpcodeTraits { Opcode.traitsTable[Int(rawValue)] }

    public static let traitsTable: [OpcodeTraits] = (0..<256).map { byte in
        guard let info = table[byte] else { return OpcodeTraits(immediateSize: 0, inputs: 0, outputs: 0, gas: 0, flags: []) }
        return OpcodeTraits(immediateSize: info.immediateSize, inputs: info.inputs, outputs: info.outputs, gas: info.gas,
                            flags: info.flags)
    }

    /// The table indexed by byte; nil where no opcode exists.
    public static let table: [OpcodeInfo?] = {
        var table = [OpcodeInfo?](repeating: nil, count: 256)
        for opcode in Opcode.allCases { table[Int(opcode.rawValue)] = opcode.describe() }
        return table
    }()

    /// Opcodes that may appear in a container, by their assembly name.
    public static let byName: [String: Opcode] = {
        var names: [String: Opcode] = [:]
        for opcode in Opcode.allCases where !opcode.definition.flags.contains(.internalOnly) {
            names[opcode.definition.name] = opcode
        }
        return names
    }()

    /// PUSHn for n in 1...32.
    public static func push(size: Int) -> Opcode {
        precondition((1...32).contains(size), "PUSH sizes are 1...32")
        return Opcode(rawValue: UInt8(0x5f + size))!
    }

    public static func dup(_ depth: Int) -> Opcode {
        precondition((1...16).contains(depth), "DUP depths are 1...16")
        return Opcode(rawValue: UInt8(0x7f + depth))!
    }

    public static func swap(_ depth: Int) -> Opcode {
        precondition((1...16).contains(depth), "SWAP depths are 1...16")
        return Opcode(rawValue: UInt8(0x8f + depth))!
    }

    public static func log(topics: Int) -> Opcode {
        precondition((0...4).contains(topics), "LOG takes 0...4 topics")
        return Opcode(rawValue: UInt8(0xa0 + topics))!
    }
}

/// Limits shared by the verifier and the interpreter (Docs/vm.md §Limits).
public enum Limits {
    /// Items on one call frame's operand stack.
    public static let stackSize = 1024
    /// Nested CALLF frames in one call.
    public static let returnStackSize = 1024
    /// Nested calls between contracts, the outermost included.
    public static let callDepth = 64
    /// Runtime code of all functions plus the data section, in bytes.
    public static let runtimeSize = 24 * 1024
    /// Init code of all functions, in bytes.
    public static let initSize = 48 * 1024
    /// LOGs one transaction may run (reverted frames count too), so a receipt stays small.
    public static let logsPerTransaction = 1_024
    /// Bytes of log data one transaction may emit (reverted frames count too).
    public static let logBytesPerTransaction = 256 * 1024
    /// Functions per section (CALLF's immediate is 16 bits, but a table this long is enough).
    public static let functionCount = 1024
}

extension Opcode {
    /// The instruction-set table of Docs/vm.md, generated from `definition` (a test keeps the
    /// document in sync).
    public static var markdownTable: String {
        var lines = ["| byte | name | immediate | stack in → out | base gas | notes |", "|---|---|---|---|---|---|"]
        for opcode in allCases where !opcode.definition.flags.contains(.internalOnly) {
            let info = opcode.definition
            let byte = "0x" + (opcode.rawValue < 16 ? "0" : "") + String(opcode.rawValue, radix: 16)
            let immediate = opcode == .rjumpv ? "1 + 2·(n+1)" : (info.immediateSize == 0 ? "" : "\(info.immediateSize)")
            let effect = opcode == .callf ? "declared" : "\(info.inputs) → \(info.outputs)"
            lines.append("| \(byte) | \(info.name) | \(immediate) | \(effect) | \(info.gas) | \(info.summary) |")
        }
        return lines.joined(separator: "\n")
    }
}
