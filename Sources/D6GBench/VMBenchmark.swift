// `d6g-bench vm`: the VM against revm (pyrevm 0.3.7) on the same four loops — arithmetic,
// chained keccak-256, fresh storage writes, calls — ours in our bytecode, revm's in
// hand-written EVM bytecode (scripts/bench_revm.py), both in one run (TARGETS.md P5).
// `--dispatch` adds the dispatch study of Docs/vm.md §Dispatch.
import ArgumentParser
import Bytecode
import Foundation
import LedgerPrimitives
import VM

struct VMBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "VM loops (ns per iteration) beside revm via pyrevm, with time ratios (TARGETS.md P5)."
    )

    @Option(help: "Timed runs per workload; the median is reported.")
    var runs = 5

    @Option(help: "Python with pyrevm installed (make bench-vm creates .venv).")
    var python = ".venv/bin/python"

    @Flag(help: "Skip the revm side.")
    var noRevm = false

    @Flag(help: "Also time the alternative dispatch forms (Docs/vm.md §Dispatch).")
    var dispatch = false

    @Flag(help: "Decode without superinstructions (Docs/vm.md §Fusion), for comparison.")
    var noFusion = false

    func validate() throws {
        guard runs > 0 else { throw ValidationError("--runs must be positive") }
    }

    /// P5: time ratios to revm that the VM must reach.
    static let targets: [String: Double] = ["arithmetic": 0.7, "keccak": 1.0]

    func run() throws {
        print("VM loops, median of \(runs) runs, thread CPU ns per iteration")
        var ours: [String: (ns: Double, output: [UInt8])] = [:]
        for workload in Workload.all {
            ours[workload.name] = try workload.measure(runs: runs, fusing: !noFusion)
        }
        var theirs: [String: (ns: Double, output: String)] = [:]
        if !noRevm { theirs = try runRevm() }
        print("workload     iterations   d6g VM ns/it   revm ns/it   ratio   target")
        for workload in Workload.all {
            let (ns, output) = ours[workload.name]!
            var line = pad(workload.name, 12) + pad("\(workload.iterations)", 11, right: true) + pad(tableFormat(ns), 15, right: true)
            if let reference = theirs[workload.name] {
                let ratio = ns / reference.ns
                let target = Self.targets[workload.name].map { "≤ \(tableFormat($0)) " + (ratio <= $0 ? "met" : "missed") } ?? "-"
                line += pad(tableFormat(reference.ns), 13, right: true) + pad(tableFormat(ratio), 8, right: true) + "   " + target
                if !reference.output.isEmpty && reference.output != Hex.encode(output, prefix: false) {
                    line += "   (outputs differ!)"
                }
            }
            print(line)
        }
        if dispatch { try DispatchStudy.run(runs: runs) }
    }

    private func runRevm() throws -> [String: (ns: Double, output: String)] {
        let objects = try runPythonBenchmark(python: python, script: "scripts/bench_revm.py",
                                             arguments: ["--runs", "\(runs)"] + Workload.all.map(\.name),
                                             setup: "make bench-vm creates the venv with pyrevm")
        return objects.compactMapValues { object in
            (object["ns_per_iteration"] as? Double).map { ($0, object["output"] as? String ?? "") }
        }
    }
}

/// Runs a Python script of the revm side and reads one JSON object per line, keyed by its
/// "name" (scripts/bench_revm.py, scripts/bench_vyper.py).
func runPythonBenchmark(python: String, script: String, arguments: [String], setup: String) throws -> [String: [String: Any]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw ValidationError("\(script) failed (\(setup))") }
    var results: [String: [String: Any]] = [:]
    for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
        guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let name = object["name"] as? String else { continue }
        results[name] = object
    }
    return results
}

/// One loop of the benchmark, in our bytecode.
struct Workload {
    let name: String
    let iterations: Int
    let code: CodeBuilder
    /// Whether each run needs a fresh host (storage writes must hit fresh slots).
    let freshHost: Bool

    static let contract = Address(bytes: [UInt8](repeating: 0, count: 19) + [0xC0])!
    static let callee = Address(bytes: [UInt8](repeating: 0, count: 19) + [0xC1])!
    static let sender = Address(bytes: [UInt8](repeating: 0, count: 19) + [0x5E])!

    /// The counter on top of the stack; `body` leaves the stack as it found it.
    static func loop(_ count: Int, body: CodeBuilder, prologue: CodeBuilder = CodeBuilder(), epilogue: CodeBuilder) -> CodeBuilder {
        prologue.push(UInt256(UInt64(count))).label("loop").then(body)
            .push(1).op(.swap1, .wsub, .dup1).jumpIf(to: "loop").op(.pop).then(epilogue)
    }

    static let all: [Workload] = [
        // acc = acc × 3 + 7, wrapping like the EVM's MUL and ADD.
        Workload(name: "arithmetic", iterations: 1_000_000,
                 code: loop(1_000_000, body: CodeBuilder().op(.swap1).push(3).op(.wmul).push(7).op(.wadd, .swap1),
                            prologue: CodeBuilder().push(1), epilogue: CodeBuilder().returnTop()),
                 freshHost: false),
        Workload(name: "keccak", iterations: 100_000,
                 code: loop(100_000, body: CodeBuilder().push(32).push(0).op(.keccak256).push(0).op(.mstore),
                            epilogue: CodeBuilder().push(32).push(0).op(.ret)),
                 freshHost: false),
        Workload(name: "storage", iterations: 10_000,
                 code: loop(10_000, body: CodeBuilder().op(.dup1, .dup1, .sstore), epilogue: CodeBuilder().op(.stop)),
                 freshHost: true),
        Workload(name: "calls", iterations: 10_000,
                 code: loop(10_000, body: CodeBuilder().push(0).push(0).push(0).push(0).push(0).push(callee).op(.gas, .call, .pop),
                            epilogue: CodeBuilder().op(.stop)),
                 freshHost: false),
    ]

    func host(fusing: Bool = true) throws -> TestHost {
        let host = TestHost(cache: ProgramCache(fusing: fusing))
        host.setBalance(UInt256(1) << 80, of: Workload.sender)
        try host.installCode(try Container(runtimeFunctions: [Function(code: try code.assembled())]).encoded(), at: Workload.contract)
        try host.installCode(try Container(runtimeFunctions: [Function(code: try CodeBuilder().push(1).returnTop().assembled())]).encoded(),
                             at: Workload.callee)
        return host
    }

    func measure(runs: Int, fusing: Bool = true) throws -> (ns: Double, output: [UInt8]) {
        var samples: [Double] = []
        var output: [UInt8] = []
        var shared = try host(fusing: fusing)
        for run in 0...runs {  // run 0 warms up
            if freshHost { shared = try host(fusing: fusing) }
            let message = Message(caller: Workload.sender, recipient: Workload.contract, gas: 1_000_000_000_000)
            // Thread CPU time, as the revm side measures (time.thread_time_ns).
            let start = threadCPUNanoseconds()
            let result = VM.call(message, host: shared)
            let elapsed = Double(threadCPUNanoseconds() - start)
            guard result.succeeded else { throw ValidationError("\(name) failed: \(result.outcome)") }
            output = result.output
            if run > 0 { samples.append(elapsed / Double(iterations)) }
        }
        return (median(samples), output)
    }
}

/// `text` padded with spaces to `width` (on the left when `right`, to align numbers). Shared by
/// the table-printing benchmarks (vm, dsl).
func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    let fill = String(repeating: " ", count: max(0, width - text.count))
    return right ? fill + text : text + fill
}

/// Two decimals below 10, one above: nanosecond figures and ratios.
func tableFormat(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.1f", value) }

/// Docs/vm.md §Dispatch: the arithmetic loop's decoded program run by three minimal loops that
/// differ only in how they dispatch — a `switch` over the opcode enum, a table of Swift
/// closures indexed by opcode, and a table of C-convention function pointers — beside the full
/// VM. Only the opcodes of the loop are implemented; the figures compare dispatch, not features.
enum DispatchStudy {
    struct State {
        var sp: UnsafeMutablePointer<UInt256>
        var pc: Int
        var gas: Int64
        var running = true
    }

    static func run(runs: Int) throws {
        let workload = Workload.all[0]
        // The minimal loops implement only the plain opcodes: study the program without fusion.
        let program = try Verifier.runtimeProgram(of: Container(runtimeFunctions: [Function(code: try workload.code.assembled())]),
                                                  fusing: false)
        let instructions = program.instructions
        let constants = program.constants
        let n = Double(workload.iterations)
        func medianNanosecondsPerIteration(_ body: () -> Void) -> Double {
            body()
            var samples: [Double] = []
            for _ in 0..<runs {
                let start = threadCPUNanoseconds()
                body()
                samples.append(Double(threadCPUNanoseconds() - start) / n)
            }
            return median(samples)
        }
        let full = try workload.measure(runs: runs, fusing: false).ns
        let fused = try workload.measure(runs: runs).ns
        let switched = medianNanosecondsPerIteration { blackHole(switchLoop(instructions, constants)) }
        let closures = medianNanosecondsPerIteration { blackHole(closureTableLoop(instructions, constants)) }
        let pointers = medianNanosecondsPerIteration { blackHole(functionPointerLoop(instructions, constants)) }
        print("dispatch study, arithmetic loop, ns per iteration (\(instructions.count) decoded instructions)")
        print("  full VM (switch)                 \(tableFormat(full))")
        print("  full VM with superinstructions   \(tableFormat(fused))")
        print("  minimal switch loop              \(tableFormat(switched))")
        print("  minimal closure table            \(tableFormat(closures))")
        print("  minimal C function-pointer table \(tableFormat(pointers))")
    }

    static func switchLoop(_ instructions: [Instruction], _ constants: [UInt256]) -> UInt256 {
        let stack = UnsafeMutablePointer<UInt256>.allocate(capacity: 1024)
        defer { stack.deallocate() }
        var sp = stack
        var gas: Int64 = .max
        var pc = 0
        return instructions.withUnsafeBufferPointer { code in
            while true {
                let instruction = code[pc]
                pc &+= 1
                switch instruction.opcode {
                case .beginBlock: gas &-= Int64(instruction.argument); if gas < 0 { return .zero }
                case .pushInline: sp.pointee = UInt256(UInt64(UInt32(bitPattern: instruction.argument))); sp += 1
                case .pushConstant: sp.pointee = constants[Int(instruction.argument)]; sp += 1
                case .swap1: let top = sp[-1]; sp[-1] = sp[-2]; sp[-2] = top
                case .dup1: sp.pointee = sp[-1]; sp += 1
                case .wmul: sp -= 1; sp[-1] = sp[0] &* sp[-1]
                case .wadd: sp -= 1; sp[-1] = sp[0] &+ sp[-1]
                case .wsub: sp -= 1; sp[-1] = sp[0] &- sp[-1]
                case .rjumpi: sp -= 1; if !sp.pointee.isZero { pc = Int(instruction.argument) }
                case .pop: sp -= 1
                default: return sp[-1]
                }
            }
        }
    }

    typealias Handler = (inout State, Instruction) -> Void

    static func closureTableLoop(_ instructions: [Instruction], _ constants: [UInt256]) -> UInt256 {
        var table = [Handler](repeating: { state, _ in state.running = false }, count: 256)
        table[Int(Opcode.beginBlock.rawValue)] = { state, instruction in
            state.gas &-= Int64(instruction.argument); if state.gas < 0 { state.running = false }
        }
        table[Int(Opcode.pushInline.rawValue)] = { state, instruction in
            state.sp.pointee = UInt256(UInt64(UInt32(bitPattern: instruction.argument))); state.sp += 1
        }
        table[Int(Opcode.swap1.rawValue)] = { state, _ in let top = state.sp[-1]; state.sp[-1] = state.sp[-2]; state.sp[-2] = top }
        table[Int(Opcode.dup1.rawValue)] = { state, _ in state.sp.pointee = state.sp[-1]; state.sp += 1 }
        table[Int(Opcode.wmul.rawValue)] = { state, _ in state.sp -= 1; state.sp[-1] = state.sp[0] &* state.sp[-1] }
        table[Int(Opcode.wadd.rawValue)] = { state, _ in state.sp -= 1; state.sp[-1] = state.sp[0] &+ state.sp[-1] }
        table[Int(Opcode.wsub.rawValue)] = { state, _ in state.sp -= 1; state.sp[-1] = state.sp[0] &- state.sp[-1] }
        table[Int(Opcode.rjumpi.rawValue)] = { state, instruction in
            state.sp -= 1; if !state.sp.pointee.isZero { state.pc = Int(instruction.argument) }
        }
        table[Int(Opcode.pop.rawValue)] = { state, _ in state.sp -= 1 }
        let stack = UnsafeMutablePointer<UInt256>.allocate(capacity: 1024)
        defer { stack.deallocate() }
        var state = State(sp: stack, pc: 0, gas: .max)
        return instructions.withUnsafeBufferPointer { code in
            table.withUnsafeBufferPointer { handlers in
                while state.running {
                    let instruction = code[state.pc]
                    state.pc &+= 1
                    handlers[Int(instruction.opcode.rawValue)](&state, instruction)
                }
                return state.sp[-1]
            }
        }
    }

    typealias CHandler = @convention(c) (UnsafeMutableRawPointer, Int32) -> Void

    static func functionPointerLoop(_ instructions: [Instruction], _ constants: [UInt256]) -> UInt256 {
        let stop: CHandler = { raw, _ in raw.assumingMemoryBound(to: State.self).pointee.running = false }
        var table = [CHandler](repeating: stop, count: 256)
        table[Int(Opcode.beginBlock.rawValue)] = { raw, argument in
            let state = raw.assumingMemoryBound(to: State.self)
            state.pointee.gas &-= Int64(argument); if state.pointee.gas < 0 { state.pointee.running = false }
        }
        table[Int(Opcode.pushInline.rawValue)] = { raw, argument in
            let state = raw.assumingMemoryBound(to: State.self)
            state.pointee.sp.pointee = UInt256(UInt64(UInt32(bitPattern: argument))); state.pointee.sp += 1
        }
        table[Int(Opcode.swap1.rawValue)] = { raw, _ in
            let sp = raw.assumingMemoryBound(to: State.self).pointee.sp
            let top = sp[-1]; sp[-1] = sp[-2]; sp[-2] = top
        }
        table[Int(Opcode.dup1.rawValue)] = { raw, _ in
            let state = raw.assumingMemoryBound(to: State.self)
            state.pointee.sp.pointee = state.pointee.sp[-1]; state.pointee.sp += 1
        }
        table[Int(Opcode.wmul.rawValue)] = { raw, _ in
            let state = raw.assumingMemoryBound(to: State.self)
            state.pointee.sp -= 1; let sp = state.pointee.sp; sp[-1] = sp[0] &* sp[-1]
        }
        table[Int(Opcode.wadd.rawValue)] = { raw, _ in
            let state = raw.assumingMemoryBound(to: State.self)
            state.pointee.sp -= 1; let sp = state.pointee.sp; sp[-1] = sp[0] &+ sp[-1]
        }
        table[Int(Opcode.wsub.rawValue)] = { raw, _ in
            let state = raw.assumingMemoryBound(to: State.self)
            state.pointee.sp -= 1; let sp = state.pointee.sp; sp[-1] = sp[0] &- sp[-1]
        }
        table[Int(Opcode.rjumpi.rawValue)] = { raw, argument in
            let state = raw.assumingMemoryBound(to: State.self)
            state.pointee.sp -= 1; if !state.pointee.sp.pointee.isZero { state.pointee.pc = Int(argument) }
        }
        table[Int(Opcode.pop.rawValue)] = { raw, _ in raw.assumingMemoryBound(to: State.self).pointee.sp -= 1 }
        let stack = UnsafeMutablePointer<UInt256>.allocate(capacity: 1024)
        defer { stack.deallocate() }
        let state = UnsafeMutablePointer<State>.allocate(capacity: 1)
        defer { state.deallocate() }
        state.initialize(to: State(sp: stack, pc: 0, gas: .max))
        return instructions.withUnsafeBufferPointer { code in
            table.withUnsafeBufferPointer { handlers in
                while state.pointee.running {
                    let instruction = code[state.pointee.pc]
                    state.pointee.pc &+= 1
                    handlers[Int(instruction.opcode.rawValue)](UnsafeMutableRawPointer(state), instruction.argument)
                }
                return state.pointee.sp[-1]
            }
        }
    }
}
