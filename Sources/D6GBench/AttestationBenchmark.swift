// `d6g-bench attestation --agents 8 16 32 64`: P1 and P2 of TARGETS.md with the real programs on
// a local 4-validator network. The scenario (network, contracts, N agents over three sites, the
// initial attestation, rounds chained through the RoT, a tampered and a silent agent) is the one
// `make demo` tells, driven by scripts/bench_attestation.py over scripts/demo.py; this command
// finds that script beside the build and runs it with the repository's Python environment, so
// the scenario exists once.
import ArgumentParser
import Foundation

struct AttestationBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attestation",
        abstract: "Step latency, round time, tamper → revocation and the exposure windows with N agents (TARGETS.md P1, P2).",
        discussion: "Runs scripts/bench_attestation.py with .venv/bin/python (`make bench-attestation` sets it up); run it with nothing else building.")

    @Option(parsing: .upToNextOption, help: "Agent counts, one run each.")
    var agents: [Int] = [8, 16, 32, 64]

    @Option(help: "Where the runs' output goes (default: bench-output/attestation in the repository).")
    var out: String?

    func validate() throws {
        // At least 5: the scenario tampers with one agent and silences another of another function.
        guard !agents.isEmpty, agents.allSatisfy({ (5...128).contains($0) }) else { throw ValidationError("--agents takes counts from 5 to 128") }
    }

    func run() throws {
        let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        // The repository holds the build folder: look upwards for the script.
        var folder = binaries
        var root: URL?
        for _ in 0..<6 {
            folder = folder.deletingLastPathComponent()
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("scripts/bench_attestation.py").path) {
                root = folder
                break
            }
        }
        guard let root else { throw ValidationError("scripts/bench_attestation.py not found above \(binaries.path): run the d6g-bench of a checkout") }
        let python = root.appendingPathComponent(".venv/bin/python")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            throw ValidationError("no \(python.path): run `make bench-attestation` (or scripts/setup-venv.sh) once to set up the Python environment")
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [root.appendingPathComponent("scripts/bench_attestation.py").path, "--bin", binaries.path, "--agents"]
            + agents.map(String.init) + (out.map { ["--out", $0] } ?? [])
        process.currentDirectoryURL = root
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
    }
}
