// `d6g-contract encode | decode`: the ABI codec on the command line, for scripts and for the
// round-trip tests against eth-abi.
import ArgumentParser
import ContractCompiler
import ContractDSL
import LedgerPrimitives

func parseTypes(_ text: String) throws -> [ValueType] {
    try text.split(separator: ",").map { name in
        guard let type = ABICodec.valueType(named: String(name)) else {
            throw ValidationError("'\(name)' is not a type the DSL knows (uintN, intN, bool, address, bytesN)")
        }
        return type
    }
}

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode", abstract: "ABI-encode values of the given types; prints hex.",
        discussion: "Example: d6g-contract encode uint8,address 7 0x00000000000000000000000000000000000000aa")

    @Argument(help: "Comma-separated types.")
    var types: String
    @Argument(parsing: .allUnrecognized, help: "One value per type (negative numbers allowed).")
    var values: [String] = []

    func run() throws {
        let parsed = try parseTypes(types)
        guard parsed.count == values.count else { throw ValidationError("\(parsed.count) types but \(values.count) values") }
        let encoded = try zip(values, parsed).map { text, type in
            do { return try ABIValue.parse(text, as: type) } catch { throw ValidationError("\(error)") }
        }
        print(Hex.encode(ABICodec.encode(encoded)))
    }
}

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode", abstract: "Decode ABI-encoded hex as values of the given types, one per line.")

    @Argument(help: "Comma-separated types.")
    var types: String
    @Argument(help: "The encoded values, hex.")
    var data: String

    func run() throws {
        let parsed = try parseTypes(types)
        guard let bytes = try? Hex.decode(data) else { throw ValidationError("'\(data)' is not hex") }
        guard let values = ABICodec.decode(bytes, as: parsed) else {
            throw ValidationError("the data is not an ABI encoding of (\(parsed.map(\.description).joined(separator: ","))): too short, a word out of its type's range, or an offset or length past the end")
        }
        for (value, type) in zip(values, parsed) { print(value.text(as: type)) }
    }
}
