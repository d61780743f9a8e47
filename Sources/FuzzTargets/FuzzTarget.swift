// The fuzz targets of R5 (Docs/fuzzing.md): each takes one input of bytes and says whether a
// property broke. A trap is a finding too: libFuzzer keeps the input that caused it. The same
// functions replay the kept corpus in `make test` (FuzzTargetsTests), so every past finding stays
// a regression test.

/// One fuzz target: a name for the command line and the corpus folder, and its check.
public struct FuzzTarget: Sendable {
    public let name: String
    /// What the target feeds and what it asserts, listed by a libFuzzer build of d6g-fuzz run
    /// without D6G_FUZZ_TARGET.
    public let summary: String
    /// nil when every property held; else a description of the one that broke.
    public let check: @Sendable ([UInt8]) -> String?

    public init(name: String, summary: String, check: @escaping @Sendable ([UInt8]) -> String?) {
        self.name = name
        self.summary = summary
        self.check = check
    }
}

extension FuzzTarget {
    /// The targets without the VM differential (which lives in FuzzSupport beside its reference
    /// interpreter).
    public static let decoders: [FuzzTarget] = [.rlp, .transaction, .container, .assembly, .json, .rpc]
}
