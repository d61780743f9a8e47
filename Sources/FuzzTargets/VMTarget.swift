// R5 target 4: VM execution, differential. FuzzSupport turns the bytes into a verified program
// and its world, runs it on the VM with fusion on and off and on the reference interpreter, and
// compares status, return data, gas left, storage, balances and logs.
import FuzzSupport

extension FuzzTarget {
    public static let vm = FuzzTarget(
        name: "vm",
        summary: "a generated verified program on the VM (fused and plain) against the reference interpreter: same outcome, output, gas, storage, balances, logs") { input in
        VMDifferential.check(input)
    }

    /// Every target, in the order `make fuzz` runs them.
    public static let all: [FuzzTarget] = decoders + [.vm]
}
