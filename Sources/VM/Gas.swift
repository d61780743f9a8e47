// The dynamic parts of the gas schedule; base costs are in the opcode table (Docs/vm.md §Gas).
// The figures follow the EVM where the work is alike, so that fees read familiar, and were then
// set by measurement (`d6g-bench gas`, Docs/benchmarks.md §Gas): state reads are cold or warm
// per transaction as in EIP-2929; storage writes use the simple pre-EIP-2200 rule (no refunds).

public enum Gas {
    public static let memoryPerWord: Int64 = 3
    /// Memory cost is 3·words + words²/512, as in the EVM: quadratic, so large memory is
    /// unaffordable and no separate memory cap is needed.
    public static let memoryQuadraticDivisor: Int64 = 512
    public static let copyPerWord: Int64 = 3
    public static let keccakPerWord: Int64 = 58
    public static let sha256PerWord: Int64 = 12
    public static let expPerByte: Int64 = 50
    public static let logPerByte: Int64 = 8
    /// SSTORE that turns a zero slot nonzero.
    public static let storageSet: Int64 = 20_000
    /// Any other SSTORE.
    public static let storageUpdate: Int64 = 5_000
    /// CALL with a nonzero value, on top of its base cost.
    public static let callValue: Int64 = 9_000
    public static let codeDepositPerByte: Int64 = 200
    /// BALANCE, CALL or STATICCALL of an account the transaction has not touched yet, on top of
    /// the base cost (which is the warm cost).
    public static let coldAccountSurcharge: Int64 = 18_000
    /// SLOAD or SSTORE of a slot the transaction has not touched yet, on top of the base cost.
    public static let coldSlotSurcharge: Int64 = 25_000
    /// Per 32-byte word of a contract's code and data, the first time a transaction runs it:
    /// reading, verifying and decoding it (charged whether or not a cache has it).
    public static let codeLoadPerWord: Int64 = 520
    /// How much gas runs between two questions to the host whether to stop (simulations with a
    /// time limit). Small enough that the slowest gas (a few ns each) answers within a millisecond.
    public static let stopCheckInterval: Int64 = 100_000
    /// Offsets and lengths of memory ranges above this are out of gas before any arithmetic.
    public static let maxMemoryAddress: UInt64 = 1 << 32

    @inline(__always)
    static func memoryCost(words: Int64) -> Int64 {
        memoryPerWord * words + words * words / memoryQuadraticDivisor
    }

    @inline(__always)
    static func words(_ bytes: Int) -> Int64 { Int64((bytes + 31) >> 5) }
}
