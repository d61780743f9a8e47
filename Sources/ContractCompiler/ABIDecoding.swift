// Reading what a contract answers by its ABI (Docs/contract-dsl.md §ABI): revert data
// (`Error(string)`, `Panic(uint256)`, declared errors), event logs, and argument text typed on a
// command line. Shared by the test harness and d6g-contract.
import ContractDSL
import LedgerPrimitives

/// Why a call reverted, decoded.
public enum RevertReason: Sendable, Equatable, CustomStringConvertible {
    /// `Require`/`Revert` with a message.
    case message(String)
    /// A declared error with its values.
    case error(name: String, values: [ABIValue])
    /// `Panic(uint256)`: 0x32 for an index out of bounds or RemoveLast on an empty array.
    case panic(UInt256)
    /// Other data (empty for bad call data or a missing function).
    case data([UInt8])

    /// Decodes revert `output` with the errors of `abi`.
    public init(output: [UInt8], abi: [ABIEntry]) {
        guard output.count >= 4 else {
            self = .data(output)
            return
        }
        let selector = Array(output.prefix(4))
        let words = ABICodec.words(Array(output.dropFirst(4))) ?? []
        if selector == [0x08, 0xc3, 0x79, 0xa0], let text = ABICodec.decode(Array(output.dropFirst(4)), as: [.string])?.first?.byteContent {
            self = .message(String(decoding: text, as: UTF8.self))
            return
        }
        if selector == [0x4e, 0x48, 0x7b, 0x71], words.count == 1 {
            self = .panic(words[0])
            return
        }
        for entry in abi where entry.type == "error" {
            guard let types = entry.valueTypes, Array(ABICodec.selector(entry.signature(types)).prefix(4)) == selector,
                  let values = ABICodec.decode(Array(output.dropFirst(4)), as: types) else { continue }
            self = .error(name: entry.name ?? "", values: values)
            return
        }
        self = .data(output)
    }

    /// What Solidity's panic codes mean (the DSL raises 0x31 and 0x32).
    static let panicMeanings: [UInt64: String] = [
        0x01: "assertion failed", 0x11: "arithmetic overflow", 0x12: "division by zero",
        0x31: "RemoveLast on an empty array", 0x32: "array index out of bounds",
    ]

    public var description: String {
        switch self {
        case .message(let text): return "reverted: \(text)"
        case .error(let name, let values): return "reverted: \(name)(\(values.map(\.description).joined(separator: ", ")))"
        case .panic(let code):
            let meaning = Self.panicMeanings[code.exactUInt64 ?? .max].map { ": \($0)" } ?? ""
            return "reverted: Panic(\(code.hexString))\(meaning)"
        case .data(let data): return data.isEmpty ? "reverted without data" : "reverted with \(Hex.encode(data))"
        }
    }
}

/// An event log decoded by the ABI.
public struct DecodedEvent: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var values: [String: ABIValue]
    public var address: Address
    /// The fields' names in declaration order, for printing (not part of equality).
    public var fieldOrder: [String]

    public init(name: String, values: [String: ABIValue], address: Address, fieldOrder: [String] = []) {
        self.name = name
        self.values = values
        self.address = address
        self.fieldOrder = fieldOrder
    }

    public static func == (lhs: DecodedEvent, rhs: DecodedEvent) -> Bool {
        lhs.name == rhs.name && lhs.values == rhs.values && lhs.address == rhs.address
    }

    /// The event of `abi` that `topics` and `data` are, nil when none matches or when its topics
    /// or data are not what the ABI says (no event with fields silently missing).
    public init?(topics: [Hash32], data: [UInt8], address: Address, abi: [ABIEntry]) {
        guard let topic = topics.first else { return nil }
        for entry in abi where entry.type == "event" {
            guard let types = entry.valueTypes, Keccak256.hash(Array(entry.signature(types).utf8)) == topic else { continue }
            let fields = zip(entry.inputs, types)
            guard topics.count == 1 + fields.filter({ $0.0.indexed == true }).count,
                  let decoded = ABICodec.decode(data, as: fields.filter { $0.0.indexed != true }.map(\.1)) else { return nil }
            var values: [String: ABIValue] = [:]
            var remainingTopics = topics.dropFirst().makeIterator()
            var dataValues = decoded.makeIterator()
            for (input, type) in fields {
                guard input.indexed == true else {
                    values[input.name] = dataValues.next()
                    continue
                }
                // An indexed byte string is only its keccak-256 hash in the topic.
                guard let topic = remainingTopics.next(),
                      let value = type.isDynamic ? ABIValue.fixedBytes(UInt256(topic)) : ABIValue.decode(UInt256(topic), as: type) else { return nil }
                values[input.name] = value
            }
            self.init(name: entry.name ?? "", values: values, address: address, fieldOrder: entry.inputs.map(\.name))
            return
        }
        return nil
    }

    public var description: String {
        let names = fieldOrder.isEmpty ? values.keys.sorted() : fieldOrder
        return "\(name)(\(names.compactMap { name in values[name].map { "\(name): \($0)" } }.joined(separator: ", ")))"
    }
}

extension ABIEntry {
    /// The inputs' types, nil if one is not a type the DSL knows.
    public var valueTypes: [ValueType]? {
        let types = inputs.compactMap { ABICodec.valueType(named: $0.type) }
        return types.count == inputs.count ? types : nil
    }

    /// "name(type,…)".
    public func signature(_ types: [ValueType]) -> String {
        "\(name ?? "")(\(types.map(\.description).joined(separator: ",")))"
    }
}

/// Argument text that is not a value of its type.
public struct ABIArgumentError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
}

extension ABIValue {
    /// The value as text for `type`: bytesN shows its N bytes, a string its text, the rest as
    /// `description`.
    public func text(as type: ValueType) -> String {
        if case .fixedBytes(let count) = type, let word { return Hex.encode(word.bigEndianBytes.prefix(count)) }
        if case .string(let text) = self { return text }
        return description
    }

    /// Parses command-line text as `type`: decimal or 0x-hex integers (underscores allowed, a
    /// leading - for signed types), true/false, 0x + 40 hex digits for an address, 0x + 2N hex
    /// digits for bytesN, 0x and an even number of hex digits for bytes, any text for string.
    public static func parse(_ text: String, as type: ValueType) throws(ABIArgumentError) -> ABIValue {
        let cleaned = text.replacingOccurrences(of: "_", with: "")
        /// Hex after exactly one "0x" (UInt256(hexString:) would also take a second one).
        func hexDigits(_ digits: Substring) -> UInt256? {
            digits.allSatisfy(\.isHexDigit) ? UInt256(hexString: digits) : nil
        }
        func integer(_ digits: Substring) -> UInt256? {
            digits.hasPrefix("0x") ? hexDigits(digits.dropFirst(2)) : UInt256(decimalString: digits)
        }
        func fail(_ expected: String) -> ABIArgumentError {
            ABIArgumentError(description: "'\(text)' is not a valid \(type): expected \(expected)")
        }
        switch type {
        case .unsigned(let bits):
            guard let value = integer(Substring(cleaned)), let decoded = decode(value, as: type) else {
                throw fail("a whole number from 0 to 2^\(bits) − 1, decimal or 0x hex")
            }
            return decoded
        case .signed(let bits):
            let negative = cleaned.hasPrefix("-")
            guard let magnitude = integer(negative ? cleaned.dropFirst() : Substring(cleaned)) else {
                throw fail("a whole number from −2^\(bits - 1) to 2^\(bits - 1) − 1")
            }
            let word = negative ? magnitude.negated() : magnitude
            let limit = UInt256.one << (bits - 1)
            guard negative ? magnitude <= limit : magnitude < limit else { throw fail("a whole number from −2^\(bits - 1) to 2^\(bits - 1) − 1") }
            return .signed(word)
        case .bool:
            switch cleaned.lowercased() {
            case "true", "1": return .bool(true)
            case "false", "0": return .bool(false)
            default: throw fail("true or false")
            }
        case .address:
            guard cleaned.hasPrefix("0x"), cleaned.count == 42 else { throw fail("0x and 40 hex digits") }
            // Mixed case must be a correct EIP-55 checksum: a wrong one is most likely a typo.
            do { return .address(try Address(hex: cleaned)) } catch {
                throw ABIArgumentError(description: "'\(text)': \(error); check it, or write it in lower case")
            }
        case .fixedBytes(let count):
            guard cleaned.hasPrefix("0x"), cleaned.count == 2 + 2 * count, let value = hexDigits(cleaned.dropFirst(2)) else {
                throw fail("0x and \(2 * count) hex digits")
            }
            return .fixedBytes(value << (8 * (32 - count)))
        case .bytes:
            guard text.hasPrefix("0x"), let bytes = try? Hex.decode(text) else { throw fail("0x and an even number of hex digits") }
            return .bytes(bytes)
        case .string:
            return .string(text)
        case .array(let element):
            // [a, b, c]: each element written as the element type is.
            let trimmed = cleaned.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { throw fail("[ and the elements, separated by commas, then ]") }
            let inner = trimmed.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
            let parts = inner.isEmpty ? [] : inner.split(separator: ",", omittingEmptySubsequences: false)
            var elements: [ABIValue] = []
            for part in parts { elements.append(try parse(String(part).trimmingCharacters(in: .whitespaces), as: element)) }
            return .array(elements)
        }
    }
}
