// Superinstructions: after decoding, common instruction sequences inside a basic block become one
// instruction, so the interpreter dispatches fewer times (Docs/vm.md §Fusion). A small PUSH and
// the arithmetic, comparison or bitwise operation that consumes it; PUSH SWAP1 SUB/WSUB (x − k);
// a condition (DUP1, ISZERO, LT, GT, EQ) and the RJUMPI that consumes it.
//
// Fusion is invisible: gas is charged per block by BEGINBLOCK from the original instructions, a
// fused sequence never spans a block boundary (every jump target and call return is a BEGINBLOCK,
// which is never fused), and each fused form computes exactly what its parts do, failing where
// they would fail. The differential test in VMTests runs random programs both ways.

enum Fusion {
    /// The fused form of `instructions` with jump targets, jump tables and function entries
    /// renumbered to match.
    static func fuse(_ instructions: [Instruction], jumpTables: inout [Int32],
                     functions: inout [FunctionEntry]) -> [Instruction] {
        var fused: [Instruction] = []
        fused.reserveCapacity(instructions.count)
        // Old index → new index, for every old instruction that starts a fused group or stands alone.
        var newIndex = [Int32](repeating: -1, count: instructions.count + 1)
        var index = 0
        while index < instructions.count {
            newIndex[index] = Int32(fused.count)
            let (instruction, length) = fusion(at: index, in: instructions)
            fused.append(instruction)
            index += length
        }
        newIndex[instructions.count] = Int32(fused.count)

        func renumbered(_ old: Int32) -> Int32 {
            let target = newIndex[Int(old)]
            precondition(target >= 0, "a jump lands inside a fused sequence")
            return target
        }
        let traits = Opcode.traitsTable
        for position in fused.indices where traits[Int(fused[position].opcode.rawValue)].flags.contains(.jump)
                                            && fused[position].opcode != .rjumpv {
            fused[position] = Instruction(fused[position].opcode, renumbered(fused[position].argument))
        }
        // Jump tables: at each table, its entry count, then the entries.
        var table = 0
        while table < jumpTables.count {
            let count = Int(jumpTables[table])
            for slot in 0..<count { jumpTables[table + 1 + slot] = renumbered(jumpTables[table + 1 + slot]) }
            table += 1 + count
        }
        functions = functions.map {
            FunctionEntry(entry: renumbered($0.entry), inputs: $0.inputs, outputs: $0.outputs,
                          maxStackIncrease: $0.maxStackIncrease)
        }
        return fused
    }

    /// The instruction to emit at `index` and how many instructions it stands for.
    private static func fusion(at index: Int, in instructions: [Instruction]) -> (Instruction, Int) {
        let first = instructions[index]
        guard index + 1 < instructions.count else { return (first, 1) }
        let second = instructions[index + 1]
        switch (first.opcode, second.opcode) {
        case (.pushInline, .swap1):
            guard index + 2 < instructions.count else { break }
            switch instructions[index + 2].opcode {
            case .sub: return (Instruction(.pushSwap1Sub, first.argument), 3)
            case .wsub: return (Instruction(.pushSwap1Wsub, first.argument), 3)
            default: break
            }
        case (.pushInline, _):
            if let opcode = pushFusion[second.opcode] { return (Instruction(opcode, first.argument), 2) }
        case (_, .rjumpi):
            if let opcode = jumpFusion[first.opcode] { return (Instruction(opcode, second.argument), 2) }
        default: break
        }
        return (first, 1)
    }

    private static let pushFusion: [Opcode: Opcode] = fusions { $0.count == 2 && $0[0] == .push1 }
    private static let jumpFusion: [Opcode: Opcode] = fusions { $0.count == 2 && $0[1] == .rjumpi }

    /// Superinstructions whose parts match `filter`, keyed by the part that is not fixed.
    private static func fusions(_ filter: ([Opcode]) -> Bool) -> [Opcode: Opcode] {
        var table: [Opcode: Opcode] = [:]
        for opcode in Opcode.allCases {
            guard let parts = opcode.fusedParts, filter(parts) else { continue }
            table[parts[0] == .push1 ? parts[1] : parts[0]] = opcode
        }
        return table
    }
}
