// A JSON value as JSON-RPC carries it: numbers keep their literal text (ids are echoed
// verbatim; Ethereum quantities are hex strings anyway) and objects keep their key order.

public enum JSONValue: Sendable, Hashable {
    case null
    case bool(Bool)
    /// The number's literal text, checked against JSON's number grammar by the parser.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// A number from an integer.
    public static func integer(_ value: some BinaryInteger) -> JSONValue { .number(String(value)) }

    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var stringValue: String? { if case .string(let text) = self { return text } else { return nil } }

    public var boolValue: Bool? { if case .bool(let flag) = self { return flag } else { return nil } }

    public var arrayValue: [JSONValue]? { if case .array(let items) = self { return items } else { return nil } }

    public var objectValue: JSONObject? { if case .object(let object) = self { return object } else { return nil } }

    /// The number as an `Int`, when it is written as an integer that fits.
    public var integerValue: Int? { if case .number(let text) = self { return Int(text) } else { return nil } }

    /// The number as a `Double` (any JSON number converts, possibly rounded).
    public var doubleValue: Double? { if case .number(let text) = self { return Double(text) } else { return nil } }

    /// The member named `key` of an object (nil for other values or a missing key).
    public subscript(key: String) -> JSONValue? { objectValue?[key] }
}

/// A JSON object's members in the order they were written or added. Lookups scan the
/// members (JSON-RPC objects are small); with a duplicated key the last one wins, as in
/// Go's encoding/json, so a request means the same here as in geth.
public struct JSONObject: Sendable, Hashable {
    public var members: [(key: String, value: JSONValue)]

    public init() { members = [] }

    public init(_ members: [(key: String, value: JSONValue)]) { self.members = members }

    public var count: Int { members.count }
    public var isEmpty: Bool { members.isEmpty }
    public var keys: [String] { members.map(\.key) }

    /// The value for `key`; setting appends a new member or replaces the existing one in place.
    public subscript(key: String) -> JSONValue? {
        get {
            for index in members.indices.reversed() where members[index].key == key {
                return members[index].value
            }
            return nil
        }
        set {
            if let index = members.lastIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append((key, newValue))
            }
        }
    }

    public func contains(_ key: String) -> Bool { members.contains { $0.key == key } }

    public static func == (a: JSONObject, b: JSONObject) -> Bool {
        a.members.count == b.members.count && zip(a.members, b.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(members.count)
        for member in members {
            hasher.combine(member.key)
            hasher.combine(member.value)
        }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        members = elements.map { (key: $0.0, value: $0.1) }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByStringLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text.
    public var description: String { String(decoding: JSONWriter.encode(self), as: UTF8.self) }
}

extension JSONValue {
    /// About how many bytes the value takes as JSON (exact for strings without escapes), without
    /// writing it: what a batch has built so far, for the response limit.
    public var encodedSizeEstimate: Int {
        switch self {
        case .null: return 4
        case .bool(let flag): return flag ? 4 : 5
        case .number(let text): return text.utf8.count
        case .string(let text): return text.utf8.count + 2
        case .array(let items): return items.reduce(2) { $0 + $1.encodedSizeEstimate + 1 }
        case .object(let object): return object.members.reduce(2) { $0 + $1.key.utf8.count + 4 + $1.value.encodedSizeEstimate }
        }
    }
}

// MARK: Reading and writing whole documents

extension JSONParser.Limits {
    /// For documents this process asked for and reads whole (a node's responses, a keystore
    /// file): any size, nesting bounded so a hostile one cannot exhaust the stack.
    public static let document = JSONParser.Limits(maxDepth: 512, maxBytes: .max)
}

extension JSONValue {
    /// Parses one JSON document with `limits` (by default any size, 512 levels).
    public init(parsing bytes: some Collection<UInt8>, limits: JSONParser.Limits = .document) throws(JSONParseError) {
        self = try JSONParser.parse(Array(bytes), limits: limits)
    }

    public init(parsing text: String, limits: JSONParser.Limits = .document) throws(JSONParseError) {
        self = try JSONParser.parse(Array(text.utf8), limits: limits)
    }

}
