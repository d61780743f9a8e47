// Replays the kept fuzz corpus and every past finding (Fuzz/corpus/<target>, Fuzz/findings/<target>)
// through the same checks libFuzzer runs (Docs/fuzzing.md), and a seeded batch of random inputs,
// so that `make test` keeps every input that ever broke something.
import LedgerPrimitives
import Dispatch
import Foundation
import FuzzTargets
import Testing
import TestSupport

/// The package's Fuzz/ folder (this file is Tests/FuzzTargetsTests/CorpusReplayTests.swift).
let fuzzFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz")

/// Every file under Fuzz/corpus/<name> and Fuzz/findings/<name>.
func keptInputs(of name: String) throws -> [(file: String, bytes: [UInt8])] {
    var inputs: [(String, [UInt8])] = []
    for kind in ["corpus", "findings"] {
        let folder = fuzzFolder.appendingPathComponent(kind).appendingPathComponent(name)
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { continue }
        for file in files.sorted() where !file.hasPrefix(".") {
            inputs.append(("\(kind)/\(name)/\(file)", [UInt8](try Data(contentsOf: folder.appendingPathComponent(file)))))
        }
    }
    return inputs
}

/// The problems `target` reports for `inputs`, checked on a Dispatch thread: the rpc target
/// blocks its thread while the node answers, which must not be one of Swift concurrency's few.
func problems(_ target: FuzzTarget, _ inputs: [(name: String, bytes: [UInt8])]) async -> [String] {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(returning: inputs.compactMap { input in target.check(input.bytes).map { "\(input.name): \($0)" } })
        }
    }
}

@Test(arguments: FuzzTarget.all.map(\.name))
func keptInputsStillPass(target name: String) async throws {
    let target = try #require(FuzzTarget.all.first { $0.name == name })
    let inputs = try keptInputs(of: name)
    #expect(!inputs.isEmpty, "Fuzz/corpus/\(name) is empty: run `make fuzz-seed`")
    for problem in await problems(target, inputs.map { (name: $0.file, bytes: $0.bytes) }) { Issue.record("\(problem)") }
}

@Test(arguments: FuzzTarget.all.map(\.name))
func seededRandomInputsPass(target name: String) async throws {
    let target = try #require(FuzzTarget.all.first { $0.name == name })
    var generator = SplitMix64(seed: 0xF022 &+ UInt64(name.utf8.count))
    let count = name == "rpc" ? 300 : 3_000
    let inputs = (0..<count).map { _ in
        let input = (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        return (name: "\(input)", bytes: input)
    }
    for problem in await problems(target, inputs) { Issue.record("\(problem)") }
}
