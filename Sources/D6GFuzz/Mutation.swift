// `d6g-fuzz mutate TARGET`: many more executions of a target than libFuzzer reaches under
// AddressSanitizer and coverage instrumentation. It runs the plain release build over mutants of
// the kept corpus (bit flips, edge bytes, inserts, deletes, copies, splices), seeded so that a run
// can be repeated. There is no coverage feedback: this complements the guided runs (whose corpus
// it starts from), it does not replace them. A broken property, or a trap, leaves the input in
// Fuzz/findings/<target>/ as libFuzzer would, so `make test` replays it.
import Foundation
import FuzzTargets
import LedgerPrimitives

#if canImport(Glibc)
import Glibc
#endif

enum MutationRun {
    /// The input being checked, for the trap handler: written to the findings file descriptor
    /// with async-signal-safe calls only.
    nonisolated(unsafe) static var current: UnsafeMutableBufferPointer<UInt8> = .allocate(capacity: maxLength)
    nonisolated(unsafe) static var currentLength = 0
    nonisolated(unsafe) static var crashFile: CInt = -1
    /// The crash file is written beside the findings (not replayed) and renamed into them only
    /// when something traps, so an interrupted run leaves no empty "finding" behind.
    nonisolated(unsafe) static var pendingPath: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) static var findingPath: UnsafeMutablePointer<CChar>?
    static let maxLength = 4096

    static func run(target: FuzzTarget, corpus: String, findings: String, runs: Int, seed: UInt64) -> Never {
        let seeds = loadCorpus(corpus)
        try? FileManager.default.createDirectory(atPath: findings, withIntermediateDirectories: true)
        installTrapHandler(pending: "\(findings).trap-seed-\(seed).pending", finding: "\(findings)/trap-seed-\(seed)")
        var random = SplitMix64(seed: seed)
        var input: [UInt8] = []
        let started = ContinuousClock.now
        for _ in 0..<runs {
            input = mutant(of: seeds, random: &random)
            remember(input)
            if let problem = target.check(input) {
                let path = "\(findings)/mutant-\(Hex.encode(Keccak256.hash(input).bytes.prefix(8)))"
                _ = FileManager.default.createFile(atPath: path, contents: Data(input))
                print("\(target.name): \(problem); input kept in \(path)")
                discardCrashFile()
                exit(1)
            }
        }
        let elapsed = started.duration(to: .now)
        let seconds = max(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, 1e-9)
        // Nothing trapped: the file the handler would have written is not needed.
        discardCrashFile()
        print("\(target.name): \(runs) mutants of \(seeds.count) corpus inputs, seed \(seed), no findings, exec/s \(Int(Double(runs) / seconds))")
        exit(0)
    }

    static func loadCorpus(_ folder: String) -> [[UInt8]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
        let inputs = names.compactMap { FileManager.default.contents(atPath: "\(folder)/\($0)").map { [UInt8]($0) } }
        return inputs.isEmpty ? [[]] : inputs
    }

    /// One to four mutations of a corpus input, never longer than `maxLength`.
    static func mutant(of seeds: [[UInt8]], random: inout SplitMix64) -> [UInt8] {
        var bytes = seeds[Int(random.next() % UInt64(seeds.count))]
        for _ in 0...(random.next() % 4) {
            let position = bytes.isEmpty ? 0 : Int(random.next() % UInt64(bytes.count + 1))
            switch random.next() % 7 {
            case 0 where position < bytes.count:
                bytes[position] ^= 1 << UInt8(random.next() % 8)
            case 1 where position < bytes.count:
                bytes[position] = [0, 1, 0x7f, 0x80, 0xff, 0x22, 0x5b, 0x7b, 0x30, 0x78][Int(random.next() % 10)]
            case 2:
                let count = Int(random.next() % 16) + 1
                bytes.insert(contentsOf: (0..<count).map { _ in UInt8(truncatingIfNeeded: random.next()) }, at: position)
            case 3 where position < bytes.count:
                let count = min(Int(random.next() % 16) + 1, bytes.count - position)
                bytes.removeSubrange(position..<(position + count))
            case 4 where position < bytes.count:
                let count = min(Int(random.next() % 32) + 1, bytes.count - position)
                let copy = Array(bytes[position..<(position + count)])
                bytes.insert(contentsOf: copy, at: Int(random.next() % UInt64(bytes.count + 1)))
            case 5:
                let other = seeds[Int(random.next() % UInt64(seeds.count))]
                let cut = other.isEmpty ? 0 : Int(random.next() % UInt64(other.count))
                bytes = Array(bytes[..<position]) + other[cut...]
            default:
                if !bytes.isEmpty { bytes[position == bytes.count ? position - 1 : position] = UInt8(truncatingIfNeeded: random.next()) }
            }
        }
        return Array(bytes.prefix(maxLength))
    }

    private static func remember(_ input: [UInt8]) {
        currentLength = input.count
        _ = current.initialize(from: input)
    }

    /// A Swift runtime trap raises SIGILL or SIGTRAP; the handler writes the input that caused it
    /// to a file opened in advance, then lets the signal end the process.
    private static func installTrapHandler(pending: String, finding: String) {
        pendingPath = strdup(pending)
        findingPath = strdup(finding)
        crashFile = open(pending, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        // Async-signal-safe calls only: write, fsync, rename, unlink, signal, raise.
        let trapped: @convention(c) (CInt) -> Void = { signal in
            if MutationRun.crashFile >= 0 {
                _ = write(MutationRun.crashFile, MutationRun.current.baseAddress, MutationRun.currentLength)
                _ = fsync(MutationRun.crashFile)
                _ = rename(MutationRun.pendingPath, MutationRun.findingPath)
            }
            Glibc.signal(signal, SIG_DFL)
            raise(signal)
        }
        let interrupted: @convention(c) (CInt) -> Void = { signal in
            if let path = MutationRun.pendingPath { _ = unlink(path) }
            Glibc.signal(signal, SIG_DFL)
            raise(signal)
        }
        for trap in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] { signal(trap, trapped) }
        for stop in [SIGINT, SIGTERM] { signal(stop, interrupted) }
    }

    private static func discardCrashFile() {
        close(crashFile)
        crashFile = -1
        if let pendingPath { unlink(pendingPath) }
    }
}
