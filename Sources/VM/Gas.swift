// The dynamic parts of the gas schedule; base costs are in the opcode table (Docs/vm.md §Gas).
// The figures follow the EVM where the work is alike, so that fees read familiar; storage uses
// the simple pre-EIP-2200 rule (no refunds, no warm/cold access lists).

public enum Gas {
    public static let memoryPerWord: Int64 = 3
    /// Memory cost is 3·words + words²/512, as in the EVM: quadratic, so large memory is
    /// unaffordable and no separate memory cap is needed.
    public static let memoryQuadraticDivisor: Int64 = 512
    public static let copyPerWord: Int64 = 3
    public static let keccakPerWord: Int64 = 6
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
    /// Offsets and lengths of memory ranges above this are out of gas before any arithmetic.
    public static let maxMemoryAddress: UInt64 = 1 << 32

    @inline(__always)
    static func memoryCost(words: Int64) -> Int64 {
        memoryPerWord * words + words * words / memoryQuadraticDivisor
    }

    @inline(__always)
    static func words(_ bytes: Int) -> Int64 { Int64((bytes + 31) >> 5) }
}
