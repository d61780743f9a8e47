// The differential check: each generated case runs on the real VM with fusion, on the real VM
// without it, and on the reference interpreter; outcome, output, gas left and the final world
// (storage, balances, logs) must agree. `check` keeps no state between inputs, so a libFuzzer
// entry point can call it directly.
import Bytecode
import LedgerPrimitives
import VM

public enum VMDifferential {
    /// What one input gave: whether it made a verified program, and the first difference.
    public struct Verdict {
        public var verified: Bool
        public var divergence: String?
        /// The reference's outcome, for statistics.
        public var outcome: Outcome?
        /// Where the outermost frame of the reference stopped.
        public var stoppedAt: Opcode? = nil
    }

    /// One side of the comparison. A deployment also has the runtime container it produced.
    struct Run: Equatable {
        var result: ExecutionResult
        var world: ReferenceWorld
        var runtimeCode: [UInt8]? = nil
    }

    /// Hosts for the two real runs, or nil when a container does not verify.
    static func hosts(_ generated: GeneratedCase) -> (fused: WorldHost, plain: WorldHost)? {
        if let payload = generated.payload {
            guard let container = try? Container.decode(payload).container,
                  (try? Verifier.deployment(of: container)) != nil else { return nil }
        }
        guard let fused = WorldHost(world: generated.world, block: generated.block, cache: ProgramCache(fusing: true)),
              let plain = WorldHost(world: generated.world, block: generated.block, cache: ProgramCache(fusing: false)) else {
            return nil
        }
        return (fused, plain)
    }

    /// The real VM on `host`: `VM.deploy` for a payload, else `VM.call`.
    static func realRun(_ generated: GeneratedCase, _ host: WorldHost) -> Run {
        guard let payload = generated.payload else {
            return Run(result: VM.call(generated.message, host: host), world: host.world)
        }
        let deployment = VM.deploy(payload: payload, message: generated.message, host: host)
        return Run(outcome: deployment.outcome, gasLeft: deployment.gasLeft, output: deployment.output,
                   runtimeCode: deployment.runtimeCode, world: host.world)
    }

    /// The reference's run, and the opcode where its outermost frame stopped.
    static func referenceRun(_ generated: GeneratedCase) throws(ReferenceFault) -> (Run, stoppedAt: Opcode?) {
        let reference = ReferenceInterpreter(world: generated.world, block: generated.block)
        guard let payload = generated.payload else {
            let result = try reference.call(generated.message)
            return (Run(result: result, world: reference.world), reference.lastOutermostOpcode)
        }
        let deployment = try reference.deploy(payload: payload, message: generated.message)
        return (Run(outcome: deployment.outcome, gasLeft: deployment.gasLeft, output: deployment.output,
                    runtimeCode: deployment.runtimeCode, world: reference.world), reference.lastOutermostOpcode)
    }

    /// The three runs of a case and the first difference between them ("no difference" when
    /// they agree); nil when a container does not verify. With a reference fault, only the two
    /// real runs are listed and the fault is the difference.
    static func compare(_ generated: GeneratedCase) -> (runs: [(String, Run)], difference: String, stoppedAt: Opcode?)? {
        guard let (fusedHost, plainHost) = hosts(generated) else { return nil }
        let fused = realRun(generated, fusedHost), plain = realRun(generated, plainHost)
        do {
            let (expected, stoppedAt) = try referenceRun(generated)
            let runs = [("reference", expected), ("fused", fused), ("plain", plain)]
            return (runs, firstDifference(runs), stoppedAt)
        } catch {
            return ([("fused", fused), ("plain", plain)], "reference fault: \(error)", nil)
        }
    }

    /// nil when the three runs agree or the input made no verified program; else a report.
    public static func check(_ input: [UInt8]) -> String? { evaluate(input).divergence }

    public static func evaluate(_ input: [UInt8]) -> Verdict {
        guard let generated = ProgramGenerator.generate(input), let compared = compare(generated) else {
            return Verdict(verified: false, divergence: nil, outcome: nil)
        }
        let outcome = compared.runs.first { $0.0 == "reference" }?.1.result.outcome
        let divergence = compared.difference == noDifference ? nil : report(generated, compared.difference, compared.runs)
        return Verdict(verified: true, divergence: divergence, outcome: outcome, stoppedAt: compared.stoppedAt)
    }

    /// The full report for `input` (programs, message, the three runs), whether or not they agree.
    public static func describe(_ input: [UInt8]) -> String {
        guard let generated = ProgramGenerator.generate(input), let compared = compare(generated) else {
            return "no verified program"
        }
        return report(generated, compared.difference, compared.runs)
    }

    /// The three runs of one hand-written runtime container (a reproducer) at the generator's
    /// main address, called by its funded sender with `gas` and `input`. Only that contract is
    /// installed: a reproducer that calls the generator's callee must carry it itself.
    public static func describe(container: Container, gas: Int64, input: [UInt8]) -> String {
        var world = ReferenceWorld()
        world.balances[ProgramGenerator.sender] = UInt256(1_000_000_000_000_000_000)
        guard let bytes = try? container.encoded() else { return "container does not encode" }
        world.code[ProgramGenerator.main] = bytes
        let generated = GeneratedCase(world: world, block: BlockContext(number: 1, timestamp: 1_700_000_000, chainID: 1337),
                                      message: Message(caller: ProgramGenerator.sender, recipient: ProgramGenerator.main,
                                                       input: input, gas: gas),
                                      containers: [("main", ProgramGenerator.main, container)])
        guard let compared = compare(generated) else { return "container does not verify" }
        return report(generated, compared.difference, compared.runs)
    }

    /// Input number `index` (from 0) of the sequence `summarize(seed:count:)` feeds.
    public static func input(seed: UInt64, index: Int) -> [UInt8] {
        var random = SplitMix64(seed: seed)
        for _ in 0..<index { _ = input(&random) }
        return input(&random)
    }

    static func input(_ random: inout SplitMix64) -> [UInt8] {
        random.bytes(256 + Int(random.next() % 4096))
    }

    /// What differs between the reference and the first real run that disagrees with it.
    static func firstDifference(_ runs: [(String, Run)]) -> String {
        let expected = runs[0].1
        for (name, run) in runs.dropFirst() where run != expected {
            if run.result.outcome != expected.result.outcome { return "\(name): outcome differs" }
            if run.result.gasLeft != expected.result.gasLeft { return "\(name): gas left differs" }
            if run.result.output != expected.result.output { return "\(name): output differs" }
            if run.world.storage != expected.world.storage { return "\(name): storage differs" }
            if run.world.balances != expected.world.balances { return "\(name): balances differ" }
            if run.world.logs != expected.world.logs { return "\(name): logs differ" }
            if run.runtimeCode != expected.runtimeCode { return "\(name): deployed code differs" }
            return "\(name): differs"
        }
        return noDifference
    }

    static let noDifference = "no difference"

    static func report(_ generated: GeneratedCase, _ headline: String, _ runs: [(String, Run)]) -> String {
        var lines = [headline == noDifference ? "AGREE — the three runs match" : "DIVERGENCE — \(headline)"]
        let message = generated.message
        if generated.payload != nil { lines.append("DEPLOYMENT (VM.deploy) of the payload below, constructor arguments = input") }
        lines.append("message: gas \(message.gas), value \(message.value), input \(Hex.encode(message.input))")
        lines.append("balances before: " + listing(generated.world.balances))
        for (name, address, container) in generated.containers {
            lines.append("--- \(name) at \(address.hexString)")
            lines.append(Disassembler.text(of: container))
        }
        for (name, run) in runs {
            lines.append("--- \(name): \(run.result.outcome), gas left \(run.result.gasLeft), output \(Hex.encode(run.result.output))")
            lines.append("    storage: " + run.world.storage.map { "\($0.key.hexString): \(listing($0.value))" }.sorted().joined(separator: "; "))
            lines.append("    balances: " + listing(run.world.balances))
            if let code = run.runtimeCode { lines.append("    deployed code: " + Hex.encode(code)) }
            lines.append("    logs: " + run.world.logs.map { "\($0.address.hexString) topics \($0.topics.count) data \(Hex.encode($0.data))" }.joined(separator: "; "))
        }
        return lines.joined(separator: "\n")
    }

    static func listing<Key: Hashable>(_ dictionary: [Key: UInt256]) -> String {
        dictionary.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: ", ")
    }

    /// An outcome without its details (a rejected deployment's size), for counting.
    static func kind(_ outcome: Outcome) -> String {
        let text = "\(outcome)"
        guard let colon = text.firstIndex(of: ":") else { return text }
        return text[..<colon] + ")"
    }

    /// Counts over a run of pseudo-random inputs.
    public struct Summary {
        public init() {}
        /// Inputs that made a verified program (the others are skipped).
        public var checked = 0
        /// The first few reports; `divergenceCount` counts them all.
        public var divergences: [String] = []
        public var divergenceCount = 0
        public var outcomes: [String: Int] = [:]
        /// Failing outcomes by the opcode where the outermost frame stopped.
        public var stops: [String: Int] = [:]
    }

    public static func summarize(seed: UInt64, count: Int, maxDivergences: Int = 20) -> Summary {
        var random = SplitMix64(seed: seed)
        var summary = Summary()
        for _ in 0..<count {
            let input = input(&random)
            let verdict = evaluate(input)
            guard verdict.verified else { continue }
            summary.checked += 1
            let outcome = verdict.outcome.map(kind) ?? "fault"
            summary.outcomes[outcome, default: 0] += 1
            if verdict.outcome != .success {
                summary.stops[outcome + " at " + (verdict.stoppedAt?.definition.name ?? "entry"), default: 0] += 1
            }
            guard let divergence = verdict.divergence else { continue }
            summary.divergenceCount += 1
            if summary.divergences.count < maxDivergences {
                summary.divergences.append(divergence + "\ninput (hex): " + Hex.encode(input))
            }
        }
        return summary
    }
}

extension VMDifferential.Run {
    /// A deployment's run, from either side's deployment result.
    init(outcome: Outcome, gasLeft: Int64, output: [UInt8], runtimeCode: [UInt8]?, world: ReferenceWorld) {
        self.init(result: ExecutionResult(outcome: outcome, gasLeft: gasLeft, output: output), world: world, runtimeCode: runtimeCode)
    }
}
