// Byte strings in compiled code (ADR 0006, Docs/contract-dsl.md §Byte strings). A `bytes` or
// `string` value is a memory pointer to its length word and its bytes, zero-padded to whole words;
// the padding is always zero, so a value is copied whole-word. Values live on a bump heap whose
// pointer word sits after the free area; nothing is freed within a call. Payloads with a byte
// string (a return, an event's data, an error, a call's arguments, a hash's input) are built at
// the heap's top without moving it: every value is evaluated before any is written, and nothing
// is allocated while a payload is being written.
//
// Stack pictures list the top first: [a, b] has a on top.
import Bytecode
import ContractDSL
import LedgerPrimitives

extension CodeGenerator {
    /// Code shared by every use, compiled once per section as a function called with CALLF.
    enum Helper: Hashable {
        /// [slot] → [pointer]: a byte string read from storage.
        case storageRead
        /// [slot, pointer] → []: a byte string written to storage.
        case storageWrite
        /// [head position] → [pointer]: a byte-string argument copied from the call data.
        case argument
        /// [head position] → [pointer]: an array argument of `element` words copied from the
        /// call data (length word, then the words), each checked as a parameter of its type.
        case arrayArgument(ValueType)
        /// [o, s] → [pointer]: a byte string whose head word o is an offset from s, the start
        /// of its tuple in the call data (an element of a `bytes[]` argument).
        case byteStringAt

        var stack: (inputs: Int, outputs: Int) {
            switch self {
            case .storageRead: return (1, 1)
            case .storageWrite: return (2, 0)
            case .argument, .arrayArgument: return (1, 1)
            case .byteStringAt: return (2, 1)
            }
        }
    }

    // MARK: Heap

    /// [] → [top]: where the next byte string goes.
    mutating func emitHeapTop() {
        emit(.pushHeap(0), .op(.mload))
    }

    /// [size] → [pointer]: `size` bytes taken from the heap.
    mutating func emitAllocate() {
        emit(.pushHeap(0), .op(.mload), .op(.dup1), .op(.swap2), .op(.add), .pushHeap(0), .op(.mstore))
    }

    /// The heap's start, written to its pointer word at the start of a section that uses it.
    static let heapInitialization: [IRInstruction] = [.pushHeap(32), .pushHeap(0), .op(.mstore)]

    /// [n] → [n rounded up to a multiple of 32].
    mutating func emitRoundUp() {
        emit(.push(UInt256(31)), .op(.add), .push(UInt256(5)), .op(.shr), .push(UInt256(5)), .op(.shl))
    }

    /// [pointer] → [keccak-256 (or SHA-256) of the content].
    mutating func emitContentHash(_ opcode: Opcode = .keccak256) {
        emit(.op(.dup1), .op(.mload), .op(.swap1), .push(UInt256(32)), .op(.add), .op(opcode))
    }

    /// [] → [pointer] to a copy of `bytes`, stored (length word, content, padding) in the data section.
    mutating func emitConstant(_ bytes: [UInt8]) {
        let padded = UInt256(UInt64(bytes.count)).bigEndianBytes + bytes + [UInt8](repeating: 0, count: (32 - bytes.count % 32) % 32)
        let offset = data.offset(of: padded)
        let size = UInt256(UInt64(padded.count))
        emit(.push(size))
        emitAllocate()
        emit(.push(size), .push(UInt256(UInt64(offset))), .op(.dup3), .op(.datacopy))
    }

    /// Calls `helper`, compiling it into this section the first time.
    mutating func emitCall(_ helper: Helper) {
        let index: Int
        if let known = helperIndex[helper] {
            index = known
        } else {
            index = helpers.count + 1
            helperIndex[helper] = index
            // Its place is taken now: a helper's body may call another helper (`bytes[]`
            // arguments call `byteStringAt`), which must get the next index, not this one.
            helpers.append(IRProgram())
            let saved = program
            program = IRProgram()
            program.inputs = helper.stack.inputs
            program.outputs = helper.stack.outputs
            switch helper {
            case .storageRead: emitStorageReadBody()
            case .storageWrite: emitStorageWriteBody()
            case .argument: emitArgumentBody()
            case .arrayArgument(let element): emitArrayArgumentBody(element)
            case .byteStringAt: emitByteStringAtBody()
            }
            emit(.op(.retf))
            helpers[index - 1] = program
            program = saved
        }
        emit(.callFunction(index: index, inputs: helper.stack.inputs, outputs: helper.stack.outputs))
    }

    // MARK: Call data and return data

    /// Where a byte string is decoded from: the call data, or the last call's return data.
    enum ByteStringSource {
        case callData, returnData

        var size: Opcode { self == .callData ? .calldatasize : .returndatasize }
        var copy: Opcode { self == .callData ? .calldatacopy : .returndatacopy }
    }

    /// [head position] → [pointer]: a byte-string argument of the call.
    private mutating func emitArgumentBody() {
        emit(.op(.calldataload))
        emitByteString(base: argumentsOffset, in: .callData)
    }

    /// [head position] → [pointer] to n ‖ the n words. The head word o is an offset from the
    /// arguments' start b; the length n is at b + o, the words follow. Fails (revert without
    /// data) unless o ≤ size − b − 32 and n ≤ (size − b − 32 − o) / 32 (no sum can wrap: the
    /// caller checked size ≥ b + 32), or when a word is not a valid `element`.
    private mutating func emitArrayArgumentBody(_ element: ValueType) {
        let base = argumentsOffset
        let afterLength = UInt256(UInt64(base + 32))
        emit(.op(.calldataload))
        failUnless { $0.emit(.op(.dup1), .push(afterLength), .op(.calldatasize), .op(.wsub), .op(.lt), .op(.iszero)) } with: {
            $0.emitRevertWithoutData()
        }
        // [o] → [n, o]
        emit(.op(.dup1))
        if base > 0 { emit(.push(UInt256(UInt64(base))), .op(.add)) }
        emit(.op(.calldataload))
        failUnless {
            $0.emit(.op(.dup1), .op(.dup3), .push(afterLength), .op(.calldatasize), .op(.wsub), .op(.wsub),
                    .push(UInt256(5)), .op(.shr), .op(.lt), .op(.iszero))
        } with: { $0.emitRevertWithoutData() }
        // [n, o] → [pointer, n, o], the length stored.
        emit(.op(.dup1), .push(UInt256(5)), .op(.shl), .push(UInt256(32)), .op(.add))
        emitAllocate()
        emit(.op(.dup2), .op(.dup2), .op(.mstore))
        if element.isByteString {
            // for i in 0..<n: the element's head word (an offset from the heads' start
            // b + o + 32) names its byte string, copied into the heap; its pointer is stored.
            let top = newLabel(), done = newLabel()
            emit(.push(.zero))
            emit(.label(top), .op(.dup3), .op(.dup2), .op(.lt), .op(.iszero), .jumpIf(done))
            emit(.op(.dup1), .push(UInt256(5)), .op(.shl), .op(.dup5), .op(.add), .push(afterLength), .op(.add), .op(.calldataload))
            emit(.op(.dup5), .push(afterLength), .op(.add), .op(.swap1))
            emitCall(.byteStringAt)
            emit(.op(.dup2), .push(UInt256(5)), .op(.shl), .op(.dup4), .op(.add), .push(UInt256(32)), .op(.add), .op(.mstore))
            emit(.push(.one), .op(.add), .jump(top))
            emit(.label(done), .op(.pop))
            emit(.op(.swap2), .op(.pop), .op(.pop))
            return
        }
        // calldatacopy(pointer + 32, b + 32 + o, 32n)
        emit(.op(.dup2), .push(UInt256(5)), .op(.shl))
        emit(.op(.dup4), .push(afterLength), .op(.add))
        emit(.op(.dup3), .push(UInt256(32)), .op(.add), .op(.calldatacopy))
        if Self.needsValidation(element) {
            // for i in 0..<n: the word at pointer + 32 + 32i is a valid element.
            let top = newLabel(), done = newLabel()
            emit(.push(.zero))
            emit(.label(top), .op(.dup3), .op(.dup2), .op(.lt), .op(.iszero), .jumpIf(done))
            emit(.op(.dup1), .push(UInt256(5)), .op(.shl), .op(.dup3), .op(.add), .push(UInt256(32)), .op(.add), .op(.mload))
            emitValidation(of: element)
            emit(.op(.pop), .push(.one), .op(.add), .jump(top))
            emit(.label(done), .op(.pop))
        }
        // [pointer, n, o] → [pointer]
        emit(.op(.swap2), .op(.pop), .op(.pop))
    }

    /// [o, s] → [pointer]. As `emitByteString`, with the tuple's start s on the stack: fails
    /// unless o ≤ size − s − 32 and n ≤ size − s − 32 − o (s + 32 ≤ size: s is the start of a
    /// run of heads the caller checked).
    private mutating func emitByteStringAtBody() {
        failUnless {
            $0.emit(.op(.dup1), .op(.dup3), .push(UInt256(32)), .op(.add), .op(.calldatasize), .op(.wsub), .op(.lt), .op(.iszero))
        } with: { $0.emitRevertWithoutData() }
        // [o, s] → [n, o, s]
        emit(.op(.dup1), .op(.dup3), .op(.add), .op(.calldataload))
        failUnless {
            $0.emit(.op(.dup1), .op(.dup3), .op(.dup5), .push(UInt256(32)), .op(.add), .op(.calldatasize), .op(.wsub), .op(.wsub),
                    .op(.lt), .op(.iszero))
        } with: { $0.emitRevertWithoutData() }
        // The bytes start at s + 32 + o; s sits below [o, pointer + 32, n, pointer] then.
        emitCopyIntoHeap(with: .calldatacopy) { $0.emit(.op(.dup5), .op(.add), .push(UInt256(32)), .op(.add)) }
        emit(.op(.swap1), .op(.pop))
    }

    /// Whether a word of `type` from outside can be invalid (a full-width word never is).
    static func needsValidation(_ type: ValueType) -> Bool {
        switch type {
        case .unsigned(256), .signed(256), .fixedBytes(32): return false
        default: return true
        }
    }

    /// [] → [pointer]: a byte string returned by the last call, checked as call data is.
    mutating func emitReturnedByteString() {
        failUnless { $0.emit(.push(UInt256(31)), .op(.returndatasize), .op(.gt)) } with: { $0.emitRevertWithoutData() }
        emit(.push(.zero))
        emitWord(of: .returnData)
        emitByteString(base: 0, in: .returnData)
    }

    /// [o] → [pointer]. o is a byte string's head word, an offset from the tuple's start b; the
    /// length n is at b + o; then come n bytes. Fails (revert without data) unless
    /// o ≤ size − b − 32 and n ≤ size − b − 32 − o: no sum can wrap, since the caller has
    /// checked size ≥ b + 32.
    private mutating func emitByteString(base: Int, in source: ByteStringSource) {
        let afterLength = UInt256(UInt64(base + 32))
        failUnless { $0.emit(.op(.dup1), .push(afterLength), .op(source.size), .op(.wsub), .op(.lt), .op(.iszero)) } with: {
            $0.emitRevertWithoutData()
        }
        // [o] → [n, o]
        emit(.op(.dup1))
        if base > 0 { emit(.push(UInt256(UInt64(base))), .op(.add)) }
        emitWord(of: source)
        failUnless {
            $0.emit(.op(.dup1), .op(.dup3), .push(afterLength), .op(source.size), .op(.wsub), .op(.wsub), .op(.lt), .op(.iszero))
        } with: { $0.emitRevertWithoutData() }
        emitCopyIntoHeap(with: source.copy) { $0.emit(.push(afterLength), .op(.add)) }
    }

    /// [offset] → [the 32 bytes of `source` there]; return data goes through scratch word 0.
    private mutating func emitWord(of source: ByteStringSource) {
        switch source {
        case .callData: emit(.op(.calldataload))
        case .returnData: emit(.push(UInt256(32)), .op(.swap1), .push(.zero), .op(.returndatacopy), .push(.zero), .op(.mload))
        }
    }

    /// [n, o] → [pointer]: a new heap value of length n whose bytes `opcode` copies from its
    /// source at the offset `sourceOffset` makes of o ([o] → [source offset]).
    mutating func emitCopyIntoHeap(with opcode: Opcode, _ sourceOffset: (inout CodeGenerator) -> Void) {
        emit(.op(.dup1))
        emitRoundUp()
        emit(.push(UInt256(32)), .op(.add))
        emitAllocate()
        // [pointer, n, o]: zero the last word (the padding), store the length, copy the bytes.
        emit(.push(.zero), .op(.dup3))
        emitRoundUp()
        emit(.op(.dup3), .op(.add), .op(.mstore))
        emit(.op(.dup2), .op(.dup2), .op(.mstore))
        // [pointer, n, o] → [o, n, pointer] → copy(pointer + 32, o, n) → [pointer]
        emit(.op(.swap2), .op(.dup3), .push(UInt256(32)), .op(.add))
        // [pointer + 32, o, n, pointer] → [o, pointer + 32, n, pointer] → [pointer + 32, source, n, pointer]
        emit(.op(.swap1))
        sourceOffset(&self)
        emit(.op(.swap1), .op(opcode))
    }

    // MARK: Storage (Solidity's layout)

    /// [slot] → [pointer]. A value of at most 31 bytes sits in its slot, left-aligned, with 2n in
    /// the low byte; a longer one has 2n + 1 there and its bytes in words from keccak(slot).
    private mutating func emitStorageReadBody() {
        let long = newLabel(), end = newLabel()
        emit(.op(.dup1), .op(.sload), .op(.dup1), .push(.one), .op(.and), .jumpIf(long))
        // Short: [v, slot] → n = (v & 0xff) / 2, the bytes = v's n high bytes.
        emit(.op(.swap1), .op(.pop), .op(.dup1), .push(UInt256(0xff)), .op(.and), .push(.one), .op(.shr))
        // [n, v]
        emit(.push(UInt256(64)))
        emitAllocate()
        // [pointer, n, v]: length, then the masked data word.
        emit(.op(.dup2), .op(.dup2), .op(.mstore))
        emit(.op(.swap2), .op(.swap1))
        // [n, v, pointer]
        emitKeepHighBytes()
        emit(.op(.dup2), .push(UInt256(32)), .op(.add), .op(.mstore), .jump(end))
        emit(.label(long))
        // Long: [v, slot] → n = v >> 1.
        emit(.push(.one), .op(.shr), .op(.dup1))
        emitRoundUp()
        emit(.push(UInt256(32)), .op(.add))
        emitAllocate()
        emit(.op(.dup2), .op(.dup2), .op(.mstore))
        // [pointer, n, slot] → [k, n, pointer] with k = keccak(slot)
        emit(.op(.swap2), .push(.zero), .op(.mstore), .push(UInt256(32)), .push(.zero), .op(.keccak256))
        // [k, n, pointer] → [i = 0, ru(n), pointer, k]
        emit(.op(.swap1))
        emitRoundUp()
        emit(.op(.swap1), .op(.swap2), .op(.swap1), .push(.zero))
        let top = newLabel(), done = newLabel()
        emit(.label(top), .op(.dup2), .op(.dup2), .op(.lt), .op(.iszero), .jumpIf(done))
        // mstore(pointer + 32 + i, sload(k + i / 32))
        emit(.op(.dup1), .push(UInt256(5)), .op(.shr), .op(.dup5), .op(.wadd), .op(.sload))
        emit(.op(.dup2), .op(.dup5), .op(.add), .push(UInt256(32)), .op(.add), .op(.mstore))
        emit(.push(UInt256(32)), .op(.add), .jump(top))
        emit(.label(done), .op(.pop), .op(.pop), .op(.swap1), .op(.pop))
        emit(.label(end))
    }

    /// [n, word, …] → [word with only its n high bytes kept, …] (n ≤ 31).
    private mutating func emitKeepHighBytes() {
        // shift = 256 − 8n; (word >> shift) << shift
        emit(.push(UInt256(3)), .op(.shl), .push(UInt256(256)), .op(.sub))
        emit(.op(.swap1), .op(.dup2), .op(.shr), .op(.swap1), .op(.shl))
    }

    /// [slot, pointer] → []. Writes the short or long form and clears the words of a longer
    /// value the slot held before, so nothing of it stays readable or stored.
    private mutating func emitStorageWriteBody() {
        // Words of the old long form: (v & 1) × ((v >> 1) + 31) / 32.
        emit(.op(.dup1), .op(.sload), .op(.dup1), .push(.one), .op(.and), .op(.swap1), .push(.one), .op(.shr))
        emit(.push(UInt256(31)), .op(.add), .push(UInt256(5)), .op(.shr), .op(.mul))
        // [oldWords, slot, pointer] → [n, oldWords, slot, pointer]
        emit(.op(.dup3), .op(.mload))
        let short = newLabel(), clear = newLabel(), end = newLabel(), nothingToClear = newLabel()
        emit(.push(UInt256(32)), .op(.dup2), .op(.lt), .jumpIf(short))
        // Long: slot = 2n + 1, words from keccak(slot).
        emit(.op(.dup1), .op(.dup1), .op(.add), .push(.one), .op(.add), .op(.dup4), .op(.sstore))
        emit(.op(.dup3), .push(.zero), .op(.mstore), .push(UInt256(32)), .push(.zero), .op(.keccak256))
        // [k, n, oldWords, slot, pointer] → [newWords, oldWords, k, pointer]
        emit(.op(.swap3), .op(.pop), .push(UInt256(31)), .op(.add), .push(UInt256(5)), .op(.shr))
        emit(.push(.zero))
        let copyTop = newLabel(), copyDone = newLabel()
        emit(.label(copyTop), .op(.dup2), .op(.dup2), .op(.lt), .op(.iszero), .jumpIf(copyDone))
        // sstore(k + i, mload(pointer + 32 + 32i))
        emit(.op(.dup1), .push(UInt256(5)), .op(.shl), .op(.dup6), .op(.add), .push(UInt256(32)), .op(.add), .op(.mload))
        emit(.op(.dup2), .op(.dup6), .op(.wadd), .op(.sstore))
        emit(.push(.one), .op(.add), .jump(copyTop))
        emit(.label(copyDone), .op(.pop), .jump(clear))
        emit(.label(short))
        // Short: slot = the n high bytes | 2n. [n, oldWords, slot, pointer]
        emit(.op(.dup4), .push(UInt256(32)), .op(.add), .op(.mload), .op(.dup2))
        emitKeepHighBytes()
        emit(.op(.dup2), .op(.dup1), .op(.add), .op(.or), .op(.dup4), .op(.sstore), .op(.pop))
        // [oldWords, slot, pointer]
        emit(.op(.dup1), .op(.iszero), .jumpIf(nothingToClear))
        emit(.op(.dup2), .push(.zero), .op(.mstore), .push(UInt256(32)), .push(.zero), .op(.keccak256))
        emit(.op(.swap2), .op(.pop), .push(.zero))
        // [from, oldWords, k, pointer]: sstore(k + i, 0) for i in from..<oldWords
        emit(.label(clear))
        let clearDone = newLabel()
        emit(.op(.dup2), .op(.dup2), .op(.lt), .op(.iszero), .jumpIf(clearDone))
        emit(.push(.zero), .op(.dup2), .op(.dup5), .op(.wadd), .op(.sstore))
        emit(.push(.one), .op(.add), .jump(clear))
        emit(.label(clearDone), .op(.pop), .op(.pop), .op(.pop), .op(.pop), .jump(end))
        emit(.label(nothingToClear), .op(.pop), .op(.pop), .op(.pop))
        emit(.label(end))
    }

    /// [slot] → [length] of the byte string stored there, from the slot alone.
    mutating func emitStoredLength() {
        // (v & (0xff | −(v & 1))) >> 1: the low byte of the short form, all of the long form.
        emit(.op(.sload), .op(.dup1), .push(.one), .op(.and), .push(.zero), .op(.wsub), .push(UInt256(0xff)), .op(.or), .op(.and))
        emit(.push(.one), .op(.shr))
    }

    /// [slot] → []: the slot and the words of a long value cleared (RemoveLast).
    mutating func emitClearStoredByteString() {
        // An empty value at scratch word 0: length 0, no words.
        emit(.push(.zero), .push(.zero), .op(.mstore), .push(.zero), .op(.swap1))
        emitCall(.storageWrite)
    }

    // MARK: ABI payloads

    /// With `types.count` values on the stack (the last on top), writes at the heap's top the
    /// selector (if any) and the values as an ABI tuple, and leaves [payload length].
    mutating func emitEncodeTuple(_ types: [ValueType], selector: UInt32?) {
        let prefix = selector == nil ? 0 : 4
        if let selector {
            emitSelectorWord(selector)
            emitHeapTop()
            emit(.op(.mstore))
        }
        // Heads first, with byte strings' pointers in their heads for now.
        for index in types.indices.reversed() {
            emitHeapTop()
            let offset = prefix + 32 * index
            if offset > 0 { emit(.push(UInt256(UInt64(offset))), .op(.add)) }
            emit(.op(.mstore))
        }
        emitHeapTop()
        emit(.push(UInt256(UInt64(prefix + 32 * types.count))), .op(.add))
        // [tail]: each byte string copied to the tail, its head set to its offset from the tuple.
        for (index, type) in types.enumerated() where type.isDynamic {
            let head = UInt256(UInt64(prefix + 32 * index))
            emitHeapTop()
            emit(.push(head), .op(.add), .op(.mload))
            // [pointer, tail] → offset = tail − (top + prefix)
            emitHeapTop()
            if prefix > 0 { emit(.push(UInt256(UInt64(prefix))), .op(.add)) }
            emit(.op(.dup3), .op(.sub))
            emitHeapTop()
            emit(.push(head), .op(.add), .op(.mstore))
            // [pointer, tail] → MCOPY(tail, pointer, 32 + ru(n)) → [tail + 32 + ru(n)]
            emit(.op(.dup1), .op(.mload))
            emitRoundUp()
            emit(.push(UInt256(32)), .op(.add))
            emit(.op(.dup1), .op(.swap2), .op(.dup4), .op(.mcopy), .op(.add))
        }
        emitHeapTop()
        emit(.op(.swap1), .op(.sub))
    }

    /// With the values on the stack (the last on top), leaves [hash] of their bytes concatenated:
    /// a word as 32 bytes, a byte string as its content. The values are first written at the
    /// heap's top (pointers for byte strings), the packed bytes after them.
    mutating func emitPackedHash(_ types: [ValueType], opcode: Opcode) {
        if types.count == 1 && types[0].isDynamic {
            emitContentHash(opcode)
            return
        }
        for index in types.indices.reversed() {
            emitHeapTop()
            if index > 0 { emit(.push(UInt256(UInt64(32 * index))), .op(.add)) }
            emit(.op(.mstore))
        }
        let start = UInt256(UInt64(32 * types.count))
        emitHeapTop()
        emit(.push(start), .op(.add))
        // [position]
        for (index, type) in types.enumerated() {
            emitHeapTop()
            if index > 0 { emit(.push(UInt256(UInt64(32 * index))), .op(.add)) }
            emit(.op(.mload))
            if type.isDynamic {
                // [pointer, position] → MCOPY(position, pointer + 32, n) → [position + n]
                emit(.op(.dup1), .op(.mload), .op(.swap1), .push(UInt256(32)), .op(.add))
                emit(.op(.dup2), .op(.swap1), .op(.dup4), .op(.mcopy), .op(.add))
            } else {
                emit(.op(.dup2), .op(.mstore), .push(UInt256(32)), .op(.add))
            }
        }
        // [end] → hash(top + start, end − top − start)
        emitHeapTop()
        emit(.push(start), .op(.add), .op(.swap1), .op(.sub))
        emitHeapTop()
        emit(.push(start), .op(.add), .op(opcode))
    }

    /// [pointer, digest] → [signer]: a 65-byte r ‖ s ‖ v signature, else the zero address.
    mutating func emitRecoverFromSignature() {
        let bad = newLabel(), end = newLabel()
        emit(.op(.dup1), .op(.mload), .push(UInt256(65)), .op(.eq), .op(.iszero), .jumpIf(bad))
        emit(.op(.swap1))
        // [digest, pointer] → [digest, v, r, s, digest, pointer]
        emit(.op(.dup2), .push(UInt256(64)), .op(.add), .op(.mload))
        emit(.op(.dup3), .push(UInt256(32)), .op(.add), .op(.mload))
        emit(.op(.dup4), .push(UInt256(96)), .op(.add), .op(.mload), .push(UInt256(248)), .op(.shr))
        emit(.op(.dup4), .op(.ecrecover), .op(.swap2), .op(.pop), .op(.pop), .jump(end))
        emit(.label(bad), .op(.pop), .op(.pop), .push(.zero))
        emit(.label(end))
    }
}
