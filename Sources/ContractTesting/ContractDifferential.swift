// The compiler's differential fuzzing (Docs/fuzzing.md §dsl): random contracts from
// ContractGenerator, compiled and run on the VM, and run by the reference evaluator; for random
// call data, callers and values, both must agree on status, return or revert data, logs and
// storage after every call.
import Bytecode
import ContractCompiler
import ContractDSL
import LedgerPrimitives
import VM

public enum ContractDifferential {
    public struct Summary: Sendable {
        public var contracts = 0
        public var calls = 0
        /// Calls compared (the rest ran out of gas on the VM, which the evaluator does not model).
        public var compared = 0
        public var outcomes: [String: Int] = [:]
        public var divergences: [String] = []

        public init() {}
    }

    static let callers = [ContractHarness.defaultSender, Address(truncating: UInt256(0xB0B)), Address(truncating: UInt256(0xCA201))]

    /// Contracts `first..<first+count` of `seed`, `calls` calls each.
    public static func run(seed: UInt64, first: Int = 0, count: Int, calls: Int, maxDivergences: Int = 3) -> Summary {
        var summary = Summary()
        for index in first..<(first + count) {
            let contractSeed = SplitMix64.mix(seed &+ UInt64(index))
            check(seed: contractSeed, calls: calls, into: &summary)
            if summary.divergences.count >= maxDivergences { break }
        }
        return summary
    }

    /// One generated contract: the same calls on both sides.
    static func check(seed: UInt64, calls: Int, into summary: inout Summary) {
        var generator = ContractGenerator(seed: seed)
        let contract = generator.contract()
        summary.contracts += 1
        let artifact: ContractArtifact
        let reference: ReferenceContract
        do {
            artifact = try ContractCompiler.compile(contract)
            reference = try ReferenceContract(contract)
        } catch {
            summary.divergences.append("contract seed \(seed) does not compile: \(error)")
            return
        }
        let harness = ContractHarness()
        let deployed: DeployedContract
        do { deployed = try harness.deploy(artifact) } catch {
            summary.divergences.append("contract seed \(seed) does not deploy: \(error)")
            return
        }
        for caller in callers { harness.host.setBalance(UInt256(1) << 100, of: caller) }
        var random = SplitMix64(seed: seed ^ 0x5EED)
        let functions = artifact.abi.filter { $0.type == "function" }
        for call in 0..<calls {
            guard let entry = functions.isEmpty ? nil : functions[Int(random.next() % UInt64(functions.count))],
                  let types = entry.valueTypes else { continue }
            let arguments = types.map { argument(for: $0, random: &random) }
            var data = ABICodec.callData(entry.signature(types), [])
            data += encode(arguments, random: &random)
            if random.next() % 50 == 0 { data.removeLast(Int(random.next() % UInt64(data.count + 1))) }
            let caller = callers[Int(random.next() % UInt64(callers.count))]
            let value = random.next() % 8 == 0 ? UInt256(random.next() % 1000) : .zero
            summary.calls += 1

            let result = deployed.send(data, from: caller, value: value, gas: 30_000_000)
            let vmStatus: ReferenceOutcome.Status
            switch result.failure {
            case nil: vmStatus = .success
            case .failure(.arithmeticOverflow): vmStatus = .failure("arithmeticOverflow")
            case .failure(.divisionByZero): vmStatus = .failure("divisionByZero")
            // The evaluator does not model gas; any other VM failure is a compiler bug and is
            // reported as a divergence below.
            case .failure(.outOfGas): continue
            case .failure(let failure): vmStatus = .failure("\(failure)")
            default: vmStatus = .revert
            }
            let vmLogs = harness.host.logs.map { ReferenceLog(topics: $0.topics.map { UInt256($0) }, data: $0.data) }
            let environment = ReferenceEnvironment(
                caller: caller, value: value, blockNumber: harness.host.block.number, timestamp: harness.host.block.timestamp,
                chainID: harness.host.block.chainID, contractAddress: deployed.address,
                sha256: StandardCryptography.sha256, recoverSigner: StandardCryptography.recoverSigner)
            let expected = reference.call(data, environment: environment)
            summary.compared += 1
            summary.outcomes["\(expected.status)", default: 0] += 1
            var problems: [String] = []
            if expected.status != vmStatus { problems.append("status: evaluator \(expected.status), VM \(vmStatus)") }
            if expected.output != result.output { problems.append("output: evaluator \(Hex.encode(expected.output)), VM \(Hex.encode(result.output))") }
            if expected.logs != vmLogs { problems.append("logs: evaluator \(expected.logs), VM \(vmLogs)") }
            if reference.nonzeroStorage != harness.host.storageSlots(of: deployed.address) { problems.append("storage differs") }
            if !problems.isEmpty {
                summary.divergences.append("contract seed \(seed), call \(call) \(entry.name ?? "")(\(arguments.map(\.description).joined(separator: ", "))) "
                                           + "from \(caller) value \(value): " + problems.joined(separator: "; "))
                return
            }
        }
    }

    /// An argument as sent: a head word, or a byte string's content.
    enum Argument: CustomStringConvertible {
        case word(UInt256)
        case bytes([UInt8])

        var description: String {
            switch self {
            case .word(let word): return word.description
            case .bytes(let bytes): return Hex.encode(bytes)
            }
        }
    }

    /// The arguments as an ABI tuple; one in twelve calls with a byte string gets a bad offset or
    /// length (past the end, huge, off by one) in one of them.
    static func encode(_ arguments: [Argument], random: inout SplitMix64) -> [UInt8] {
        var values: [ABIValue] = []
        for argument in arguments {
            switch argument {
            case .word(let word): values.append(.unsigned(word))
            case .bytes(let bytes): values.append(.bytes(bytes))
            }
        }
        var data = ABICodec.encode(values)
        let dynamic = arguments.indices.filter { if case .bytes = arguments[$0] { return true }; return false }
        guard let index = dynamic.randomElement(using: &random), random.next() % 12 == 0 else { return data }
        let head = 32 * index
        guard let offset = UInt256(bigEndianBytes: data[head..<(head + 32)])?.exactInt else { return data }
        let size = UInt64(data.count)
        let edges: [UInt256] = [UInt256(size), UInt256(size - 31), UInt256(size + 1), .max, UInt256.one << 64, UInt256(random.next() % (size + 64))]
        let bad = edges[Int(random.next() % UInt64(edges.count))]
        // Either the offset in the head or the length word it points at.
        let target = random.next() % 2 == 0 ? head : offset
        data.replaceSubrange(target..<(target + 32), with: bad.bigEndianBytes)
        return data
    }

    /// Mostly valid values of `type` at its edges, sometimes a word outside it.
    static func argument(for type: ValueType, random: inout SplitMix64) -> Argument {
        if type.isDynamic {
            let length = ContractGenerator.byteStringLengths[Int(random.next() % UInt64(ContractGenerator.byteStringLengths.count))]
            return .bytes((0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) })
        }
        return .word(word(for: type, random: &random))
    }

    static func word(for type: ValueType, random: inout SplitMix64) -> UInt256 {
        let choice = random.next() % 16
        if choice == 0 { return UInt256(limb0: random.next(), limb1: random.next(), limb2: random.next(), limb3: random.next()) }
        switch type {
        case .unsigned(let bits):
            let maximum = bits == 256 ? UInt256.max : (UInt256.one << bits) &- .one
            return [UInt256.zero, .one, UInt256(2), maximum, maximum &- .one, maximum >> 1, UInt256(random.next() % 300) & maximum][Int(choice % 7)]
        case .signed(let bits):
            let top = UInt256.one << (bits - 1)
            return [UInt256.zero, .one, UInt256.max, top.negated(), top &- .one, UInt256(random.next() % 100), UInt256(random.next() % 100).negated()][Int(choice % 7)]
        case .bool: return choice % 2 == 0 ? .zero : .one
        case .address: return UInt256(callers[Int(choice % 3)])
        // Generated contracts have no array parameters (ArrayParameterTests covers them).
        case .fixedBytes, .bytes, .string, .array: return .zero
        }
    }
}
