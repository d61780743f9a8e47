// Decoders that meet bytes from the network or from users: RLP, signed transactions, bytecode
// containers, assembly text and JSON. Each must refuse bad input with a typed error and, where it
// accepts, round-trip exactly (the strict decoders promise one encoding per value).
import Bytecode
import LedgerJSON
import LedgerPrimitives
import LedgerTypes
import RPCServer

extension FuzzTarget {
    public static let rlp = FuzzTarget(
        name: "rlp", summary: "RLP.decode; what decodes re-encodes to the same bytes") { input in
        guard let item = try? RLP.decode(input) else { return nil }
        return item.encoded == input ? nil : "RLP value re-encodes to different bytes"
    }

    public static let transaction = FuzzTarget(
        name: "transaction",
        summary: "SignedTransaction(decoding:) then sender recovery (no trap); a decoded transaction re-encodes from its fields to its input") { input in
        guard let transaction = try? SignedTransaction(decoding: input) else { return nil }
        let rebuilt = SignedTransaction(transaction.unsigned, signature: transaction.signature)
        guard rebuilt.encoded == input else { return "transaction re-encodes from its fields to different bytes" }
        guard rebuilt.hash == transaction.hash else { return "re-encoded transaction has another hash" }
        // Recovery may refuse (wrong chain, high s, no signer); what is checked is that it does not
        // trap, on the decoded transaction and on the one rebuilt from its fields.
        let chainId = transaction.chainId ?? 1
        let first = try? transaction.recovered(onChain: chainId)
        let second = try? rebuilt.recovered(onChain: chainId)
        return first?.sender == second?.sender ? nil : "sender recovery differs between equal transactions"
    }

    public static let container = FuzzTarget(
        name: "container",
        summary: "Container.decode / decodeExactly, the verifier and the decoder with and without fusion; accepted containers re-encode") { input in
        if let (container, _) = try? Container.decode(input) {
            guard let encoded = try? container.encoded(), Array(input.prefix(encoded.count)) == encoded else {
                return "decoded deploy container does not re-encode to its prefix"
            }
            let fused = Result { () throws(VerificationError) in try Verifier.deployment(of: container, fusing: true) }
            let plain = Result { () throws(VerificationError) in try Verifier.deployment(of: container, fusing: false) }
            if let problem = agree(fused, plain) { return "deployment: \(problem)" }
        }
        if let container = try? Container.decodeExactly(input) {
            guard (try? container.encoded()) == input else { return "decoded container does not re-encode to its input" }
            let fused = Result { () throws(VerificationError) in try Verifier.runtimeProgram(of: container, fusing: true) }
            let plain = Result { () throws(VerificationError) in try Verifier.runtimeProgram(of: container, fusing: false) }
            if let problem = agree(fused, plain) { return "runtime: \(problem)" }
            // What verifies disassembles into text that assembles back to the same container.
            if case .success = plain {
                guard let again = try? Assembler.assemble(Disassembler.text(of: container)), again == container else {
                    return "disassembly does not assemble back to the container"
                }
            }
        }
        return nil
    }

    public static let assembly = FuzzTarget(
        name: "assembly", summary: "Assembler.assemble on arbitrary text (d6g-node assemble)") { input in
        _ = try? Assembler.assemble(String(decoding: input, as: UTF8.self))
        return nil
    }

    public static let json = FuzzTarget(
        name: "json", summary: "JSONParser.parse; what parses is written and parses back to the same value") { input in
        guard let value = try? JSONParser.parse(input, limits: JSONParser.Limits(maxDepth: 64, maxBytes: 1 << 20)) else { return nil }
        let written = JSONWriter.encode(value)
        guard let again = try? JSONParser.parse(written) else { return "written JSON does not parse" }
        return again == value ? nil : "JSON value changes through the writer"
    }
}

/// Fusion must not change whether a container verifies, the error, nor what the program declares:
/// each function's inputs, outputs and stack growth, the code size gas is charged for, and the data.
/// (Entry indices move with fusion by design.)
private func agree(_ fused: Result<Program, VerificationError>, _ plain: Result<Program, VerificationError>) -> String? {
    func shape(_ program: Program) -> [[Int]] {
        program.functions.map { [$0.inputs, $0.outputs, $0.maxStackIncrease] } + [[program.codeSize]]
    }
    switch (fused, plain) {
    case (.success(let a), .success(let b)):
        return shape(a) == shape(b) && a.data == b.data ? nil : "fused and plain programs differ in shape"
    case (.failure(let a), .failure(let b)):
        return a == b ? nil : "fused and plain verification disagree on the error: \(a) / \(b)"
    default:
        return "fused and plain verification disagree on acceptance"
    }
}
