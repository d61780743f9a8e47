// The part of TOML (v1.0.0) a node's configuration file needs, read strictly (Docs/adr/0008):
// comments, `key = value` pairs, `[table]` and `[table.sub]` headers, basic and literal strings,
// integers (decimal, with `_` separators), floats, booleans and arrays of those. Anything else —
// inline tables, dates, multi-line strings, dotted keys, hex integers — is refused with the
// line and a reason, never guessed at. A key written twice is an error, as in TOML.

/// A value of the file.
public enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case bool(Bool)
    case array([TOMLValue])
    case table([String: TOMLValue])

    var kind: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a number"
        case .bool: return "true or false"
        case .array: return "an array"
        case .table: return "a table"
        }
    }
}

public struct TOMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public let line: Int
    public let reason: String

    public var description: String { "line \(line): \(reason)" }
}

public enum TOML {
    /// Limits against hostile files: a configuration is small.
    public static let maximumBytes = 1 << 20
    static let maximumArrayNesting = 8

    /// The document's root table.
    public static func parse(_ text: String) throws(TOMLError) -> [String: TOMLValue] {
        guard text.utf8.count <= maximumBytes else {
            throw TOMLError(line: 0, reason: "the file is larger than \(maximumBytes) bytes")
        }
        var root: [String: TOMLValue] = [:]
        var current: [String] = []
        var declaredTables: Set<String> = []
        // Lines split on the byte \n, with a trailing \r dropped: Swift reads "\r\n" as one
        // Character, so splitting the String on "\n" would leave a CRLF file in one line.
        for (index, rawBytes) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let bytes = rawBytes.last == 0x0D ? rawBytes.dropLast() : rawBytes[...]
            var line = Scanner(Substring(decoding: bytes, as: UTF8.self), line: number)
            line.skipSpaces()
            if line.isAtEnd || line.peek == "#" { continue }
            if line.peek == "[" {
                line.advance()
                guard line.peek != "[" else { throw line.error("arrays of tables ([[…]]) are not supported") }
                var path: [String] = []
                repeat {
                    line.skipSpaces()
                    path.append(try line.key())
                    line.skipSpaces()
                    guard path.count <= maximumArrayNesting else {
                        throw line.error("table names deeper than \(maximumArrayNesting) levels")
                    }
                } while line.consume(".")
                guard line.consume("]") else { throw line.error("expected ] to close the table header") }
                try line.expectEndOfLine()
                let name = path.joined(separator: ".")
                guard declaredTables.insert(name).inserted else { throw line.error("table [\(name)] is declared twice") }
                try Self.ensureTable(at: path, in: &root, line: number)
                current = path
                continue
            }
            let key = try line.key()
            line.skipSpaces()
            guard line.consume("=") else {
                throw line.error(line.peek == "." ? "dotted keys are not supported; use a [table]" : "expected = after \(key)")
            }
            line.skipSpaces()
            let value = try line.value(depth: 0)
            try line.expectEndOfLine()
            try Self.insert(value, forKey: key, at: current, in: &root, line: number)
        }
        return root
    }

    private static func ensureTable(at path: [String], in table: inout [String: TOMLValue], line: Int) throws(TOMLError) {
        guard let first = path.first else { return }
        var inner: [String: TOMLValue]
        switch table[first] {
        case nil: inner = [:]
        case .table(let existing): inner = existing
        default: throw TOMLError(line: line, reason: "\(first) is already a value, not a table")
        }
        try ensureTable(at: Array(path.dropFirst()), in: &inner, line: line)
        table[first] = .table(inner)
    }

    private static func insert(_ value: TOMLValue, forKey key: String, at path: [String],
                               in table: inout [String: TOMLValue], line: Int) throws(TOMLError) {
        guard let first = path.first else {
            guard table[key] == nil else { throw TOMLError(line: line, reason: "\(key) is written twice") }
            table[key] = value
            return
        }
        guard case .table(var inner) = table[first] else {
            throw TOMLError(line: line, reason: "\(first) is not a table")
        }
        try insert(value, forKey: key, at: Array(path.dropFirst()), in: &inner, line: line)
        table[first] = .table(inner)
    }
}

/// One line, read character by character.
private struct Scanner {
    var text: Substring
    let line: Int

    init(_ text: Substring, line: Int) {
        self.text = text
        self.line = line
    }

    var isAtEnd: Bool { text.isEmpty }
    var peek: Character? { text.first }

    mutating func advance() { text = text.dropFirst() }

    mutating func consume(_ character: Character) -> Bool {
        guard text.first == character else { return false }
        advance()
        return true
    }

    mutating func skipSpaces() {
        while let character = text.first, character == " " || character == "\t" { advance() }
    }

    func error(_ reason: String) -> TOMLError { TOMLError(line: line, reason: reason) }

    mutating func expectEndOfLine() throws(TOMLError) {
        skipSpaces()
        guard isAtEnd || peek == "#" else { throw error("unexpected text after the value: \(String(text.prefix(20)))") }
    }

    /// A bare key (letters, digits, `-`, `_`) or a quoted one.
    mutating func key() throws(TOMLError) -> String {
        if peek == "\"" { return try basicString() }
        if peek == "'" { return try literalString() }
        var key = ""
        while let character = peek, character.isASCII, character.isLetter || character.isNumber || character == "-" || character == "_" {
            key.append(character)
            advance()
        }
        guard !key.isEmpty else { throw error("expected a key") }
        return key
    }

    mutating func value(depth: Int) throws(TOMLError) -> TOMLValue {
        guard let first = peek else { throw error("expected a value") }
        switch first {
        case "\"":
            if text.hasPrefix("\"\"\"") { throw error("multi-line strings are not supported") }
            return .string(try basicString())
        case "'":
            if text.hasPrefix("'''") { throw error("multi-line strings are not supported") }
            return .string(try literalString())
        case "[":
            guard depth < TOML.maximumArrayNesting else { throw error("arrays nested deeper than \(TOML.maximumArrayNesting)") }
            advance()
            var items: [TOMLValue] = []
            while true {
                skipSpaces()
                if consume("]") { return .array(items) }
                items.append(try value(depth: depth + 1))
                skipSpaces()
                if consume(",") { continue }
                guard consume("]") else { throw error("expected , or ] in the array") }
                return .array(items)
            }
        case "{":
            throw error("inline tables are not supported; use a [table]")
        default:
            var word = ""
            while let character = peek, !" \t,]#".contains(character) {
                word.append(character)
                advance()
            }
            return try scalar(word)
        }
    }

    func scalar(_ word: String) throws(TOMLError) -> TOMLValue {
        switch word {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "": throw error("expected a value")
        default: break
        }
        guard word.allSatisfy({ $0.isASCII && ($0.isNumber || "+-._eE".contains($0)) }) else {
            throw error("\(word) is not a value (strings need quotes; dates and hex are not supported)")
        }
        // `_` only between digits, as TOML says.
        let characters = Array(word)
        for (index, character) in characters.enumerated() where character == "_" {
            guard index > 0, index < characters.count - 1, characters[index - 1].isNumber, characters[index + 1].isNumber else {
                throw error("\(word): _ must sit between digits")
            }
        }
        let plain = String(word.filter { $0 != "_" })
        if !plain.contains(where: { ".eE".contains($0) }) {
            let digits = plain.hasPrefix("+") || plain.hasPrefix("-") ? plain.dropFirst() : Substring(plain)
            guard !digits.isEmpty, digits.allSatisfy(\.isNumber), digits == "0" || !digits.hasPrefix("0") else {
                throw error("\(word) is not an integer (no leading zeros)")
            }
            guard let integer = Int64(plain) else { throw error("\(word) does not fit in 64 bits") }
            return .integer(integer)
        }
        guard let number = Double(plain), number.isFinite else { throw error("\(word) is not a number") }
        return .float(number)
    }

    mutating func basicString() throws(TOMLError) -> String {
        advance()
        var result = ""
        while let character = peek {
            advance()
            switch character {
            case "\"": return result
            case "\\":
                guard let escaped = peek else { throw error("unfinished escape") }
                advance()
                switch escaped {
                case "\"": result.append("\"")
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "t": result.append("\t")
                case "r": result.append("\r")
                case "u", "U":
                    let count = escaped == "u" ? 4 : 8
                    let hex = String(text.prefix(count))
                    guard hex.count == count, let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                        throw error("bad \\\(escaped) escape")
                    }
                    text = text.dropFirst(count)
                    result.unicodeScalars.append(scalar)
                default: throw error("unknown escape \\\(escaped)")
                }
            default:
                guard !(character.asciiValue.map { $0 < 0x20 && $0 != 0x09 } ?? false) else {
                    throw error("control character in a string")
                }
                result.append(character)
            }
        }
        throw error("unterminated string")
    }

    mutating func literalString() throws(TOMLError) -> String {
        advance()
        var result = ""
        while let character = peek {
            advance()
            if character == "'" { return result }
            result.append(character)
        }
        throw error("unterminated string")
    }
}
