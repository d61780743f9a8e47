// A strict JSON parser (RFC 8259) over UTF-8 bytes: validates UTF-8, decodes escapes
// including surrogate pairs, rejects lone surrogates, and bounds nesting depth and input size.
// It reads raw bytes rather than going through Foundation, because a 1,000-transaction batch
// must parse in well under the time the node needs to admit it (Docs/rpc.md §Transport).

/// Why a JSON text was rejected, and the byte offset where it went wrong.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUnicodeEscape
        case loneSurrogate
        case invalidUTF8
        case controlCharacterInString
        case tooDeep(limit: Int)
        case tooLarge(limit: Int)
        case trailingContent
    }

    public let reason: Reason
    public let offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let byte):
            if byte >= 0x21 && byte < 0x7f {
                what = "unexpected character '\(Character(Unicode.Scalar(byte)))'"
            } else {
                what = "unexpected byte 0x\(String(byte, radix: 16))"
            }
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence in string"
        case .invalidUnicodeEscape: what = "invalid \\u escape in string"
        case .loneSurrogate: what = "lone UTF-16 surrogate in \\u escape"
        case .invalidUTF8: what = "invalid UTF-8"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .tooLarge(let limit): what = "input larger than \(limit) bytes"
        case .trailingContent: what = "unexpected content after the JSON value"
        }
        return "\(what) at offset \(offset)"
    }
}

public enum JSONParser {
    public struct Limits: Sendable, Equatable {
        /// Arrays and objects nested deeper than this are rejected (a JSON-RPC batch of
        /// eth_call objects needs about 6).
        public var maxDepth: Int
        /// Inputs longer than this are rejected before any parsing.
        public var maxBytes: Int

        public init(maxDepth: Int = 64, maxBytes: Int = 5 * 1024 * 1024) {
            self.maxDepth = maxDepth
            self.maxBytes = maxBytes
        }
    }

    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: Limits = Limits()) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else { throw JSONParseError(.tooLarge(limit: limits.maxBytes), at: 0) }
        guard let base = bytes.baseAddress, bytes.count > 0 else { throw JSONParseError(.unexpectedEnd, at: 0) }
        var reader = Reader(base: base.assumingMemoryBound(to: UInt8.self), count: bytes.count, maxDepth: limits.maxDepth)
        return try reader.parseDocument()
    }

    public static func parse(_ bytes: [UInt8], limits: Limits = Limits()) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> = bytes.withUnsafeBytes { raw in
            do throws(JSONParseError) { return .success(try parse(raw, limits: limits)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    public static func parse(_ text: String, limits: Limits = Limits()) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), limits: limits)
    }
}

private let quote = UInt8(ascii: "\"")
private let backslash = UInt8(ascii: "\\")

/// The cursor over the input. Offsets in errors are byte offsets from the start.
private struct Reader {
    let base: UnsafePointer<UInt8>
    let count: Int
    let maxDepth: Int
    var position = 0
    var depth = 0

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.base = base
        self.count = count
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        let value = try parseValue()
        skipWhitespace()
        guard position == count else { throw JSONParseError(.trailingContent, at: position) }
        return value
    }

    @inline(__always) mutating func skipWhitespace() {
        while position < count {
            switch base[position] {
            case 0x20, 0x0a, 0x0d, 0x09: position += 1
            default: return
            }
        }
    }

    @inline(__always) func unexpected(at offset: Int) -> JSONParseError {
        offset < count ? JSONParseError(.unexpectedByte(base[offset]), at: offset) : JSONParseError(.unexpectedEnd, at: offset)
    }

    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        guard position < count else { throw JSONParseError(.unexpectedEnd, at: position) }
        switch base[position] {
        case quote: return .string(try parseString())
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw unexpected(at: position)
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let length = literal.utf8CodeUnitCount
        let text = literal.utf8Start
        for index in 0..<length {
            guard position + index < count, base[position + index] == text[index] else {
                throw unexpected(at: position + index)
            }
        }
        position += length
    }

    mutating func enterContainer() throws(JSONParseError) {
        depth += 1
        guard depth <= maxDepth else { throw JSONParseError(.tooDeep(limit: maxDepth), at: position) }
    }

    mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // "["
        var items: [JSONValue] = []
        skipWhitespace()
        if position < count, base[position] == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return .array(items)
        }
        while true {
            items.append(try parseValue())
            skipWhitespace()
            guard position < count else { throw JSONParseError(.unexpectedEnd, at: position) }
            switch base[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return .array(items)
            default: throw unexpected(at: position)
            }
        }
    }

    mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enterContainer()
        position += 1  // "{"
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if position < count, base[position] == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return .object(JSONObject(members))
        }
        while true {
            skipWhitespace()
            guard position < count, base[position] == quote else { throw unexpected(at: position) }
            let key = try parseString()
            skipWhitespace()
            guard position < count, base[position] == UInt8(ascii: ":") else { throw unexpected(at: position) }
            position += 1
            let value = try parseValue()
            members.append((key, value))
            skipWhitespace()
            guard position < count else { throw JSONParseError(.unexpectedEnd, at: position) }
            switch base[position] {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return .object(JSONObject(members))
            default: throw unexpected(at: position)
            }
        }
    }

    /// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, kept as its literal text.
    mutating func parseNumber() throws(JSONParseError) -> String {
        let start = position
        if base[position] == UInt8(ascii: "-") { position += 1 }
        guard position < count else { throw JSONParseError(.invalidNumber, at: start) }
        if base[position] == UInt8(ascii: "0") {
            position += 1
        } else if isDigit(base[position]) {
            while position < count, isDigit(base[position]) { position += 1 }
        } else {
            throw JSONParseError(.invalidNumber, at: start)
        }
        if position < count, base[position] == UInt8(ascii: ".") {
            position += 1
            guard position < count, isDigit(base[position]) else { throw JSONParseError(.invalidNumber, at: start) }
            while position < count, isDigit(base[position]) { position += 1 }
        }
        if position < count, base[position] | 0x20 == UInt8(ascii: "e") {
            position += 1
            if position < count, base[position] == UInt8(ascii: "+") || base[position] == UInt8(ascii: "-") { position += 1 }
            guard position < count, isDigit(base[position]) else { throw JSONParseError(.invalidNumber, at: start) }
            while position < count, isDigit(base[position]) { position += 1 }
        }
        // A digit straight after "0" ("01") is not a number continuing: report it there.
        if position < count, isDigit(base[position]) { throw JSONParseError(.invalidNumber, at: start) }
        return String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
    }

    @inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// Reads a string starting at its opening quote. The common case — ASCII without escapes,
    /// like every key and hex value of a JSON-RPC request — becomes a String in one copy.
    mutating func parseString() throws(JSONParseError) -> String {
        position += 1  // opening quote
        let start = position
        while position < count {
            let byte = base[position]
            if byte == quote {
                let text = String(decoding: UnsafeBufferPointer(start: base + start, count: position - start), as: UTF8.self)
                position += 1
                return text
            }
            if byte == backslash || byte < 0x20 || byte >= 0x80 { return try parseStringSlowly(from: start) }
            position += 1
        }
        throw JSONParseError(.unexpectedEnd, at: position)
    }

    /// Strings with escapes, control characters (an error) or non-ASCII UTF-8 (validated here,
    /// so that a bad sequence is reported at its own offset).
    mutating func parseStringSlowly(from start: Int) throws(JSONParseError) -> String {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(position - start + 16)
        decoded.append(contentsOf: UnsafeBufferPointer(start: base + start, count: position - start))
        while position < count {
            let byte = base[position]
            switch byte {
            case quote:
                position += 1
                return String(decoding: decoded, as: UTF8.self)
            case backslash:
                try decodeEscape(into: &decoded)
            case 0..<0x20:
                throw JSONParseError(.controlCharacterInString, at: position)
            case 0x20..<0x80:
                decoded.append(byte)
                position += 1
            default:
                let length = try validUTF8SequenceLength(at: position)
                decoded.append(contentsOf: UnsafeBufferPointer(start: base + position, count: length))
                position += length
            }
        }
        throw JSONParseError(.unexpectedEnd, at: position)
    }

    mutating func decodeEscape(into decoded: inout [UInt8]) throws(JSONParseError) {
        let escapeStart = position
        position += 1
        guard position < count else { throw JSONParseError(.unexpectedEnd, at: position) }
        let letter = base[position]
        position += 1
        switch letter {
        case quote: decoded.append(quote)
        case backslash: decoded.append(backslash)
        case UInt8(ascii: "/"): decoded.append(UInt8(ascii: "/"))
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0c)
        case UInt8(ascii: "n"): decoded.append(0x0a)
        case UInt8(ascii: "r"): decoded.append(0x0d)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4()
            if scalar >= 0xD800 && scalar <= 0xDBFF {
                // A high surrogate must be followed by \u and a low surrogate.
                guard position + 1 < count, base[position] == backslash, base[position + 1] == UInt8(ascii: "u") else {
                    throw JSONParseError(.loneSurrogate, at: escapeStart)
                }
                position += 2
                let low = try readHex4()
                guard low >= 0xDC00 && low <= 0xDFFF else { throw JSONParseError(.loneSurrogate, at: escapeStart) }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar <= 0xDFFF {
                throw JSONParseError(.loneSurrogate, at: escapeStart)
            }
            appendUTF8(of: scalar, to: &decoded)
        default:
            throw JSONParseError(.invalidEscape, at: escapeStart)
        }
    }

    mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= count else { throw JSONParseError(.invalidUnicodeEscape, at: position) }
        var value: UInt32 = 0
        for index in 0..<4 {
            let byte = base[position + index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseError(.invalidUnicodeEscape, at: position + index)
            }
            value = value << 4 | UInt32(digit)
        }
        position += 4
        return value
    }

    func appendUTF8(of scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }

    /// The length of the well-formed UTF-8 sequence at `offset` (RFC 3629 §4: no overlong
    /// forms, no surrogates, nothing above U+10FFFF), or an error at that offset.
    func validUTF8SequenceLength(at offset: Int) throws(JSONParseError) -> Int {
        let lead = base[offset]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw JSONParseError(.invalidUTF8, at: offset)
        }
        guard offset + length <= count, secondRange.contains(base[offset + 1]) else {
            throw JSONParseError(.invalidUTF8, at: offset)
        }
        for index in 2..<max(2, length) where base[offset + index] & 0xC0 != 0x80 {
            throw JSONParseError(.invalidUTF8, at: offset)
        }
        return length
    }
}
