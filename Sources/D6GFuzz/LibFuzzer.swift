// The libFuzzer entry of d6g-fuzz (Docs/fuzzing.md). Built with
// `-sanitize=fuzzer,address -DD6G_LIBFUZZER` (`make fuzz-build`), the binary hands its command
// line to libFuzzer's driver and feeds each input to the target named by $D6G_FUZZ_TARGET. A
// broken property becomes a trap, so libFuzzer keeps the input as a finding.
import FuzzTargets

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if D6G_LIBFUZZER
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
#endif

enum LibFuzzerEntry {
    /// The targets a libFuzzer build can run.
    static let targets: [FuzzTarget] = FuzzTarget.all
    nonisolated(unsafe) static var selected: FuzzTarget?

    static var isLibFuzzerBuild: Bool {
        #if D6G_LIBFUZZER
        return true
        #else
        return false
        #endif
    }

    /// Runs libFuzzer with this process's arguments; never returns.
    static func run() -> Never {
        #if D6G_LIBFUZZER
        let name = getenv("D6G_FUZZ_TARGET").map { String(cString: $0) } ?? ""
        guard let target = targets.first(where: { $0.name == name }) else {
            print("set D6G_FUZZ_TARGET to one of:")
            for target in targets { print("  \(target.name): \(target.summary)") }
            exit(2)
        }
        selected = target
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            let input = data.map { [UInt8](UnsafeBufferPointer(start: $0, count: size)) } ?? []
            if let problem = LibFuzzerEntry.selected?.check(input) {
                print("d6g-fuzz: \(LibFuzzerEntry.selected?.name ?? "?"): \(problem)")
                abort()
            }
            return 0
        })
        #else
        print("this d6g-fuzz was built without libFuzzer: make fuzz-build")
        exit(2)
        #endif
    }
}
