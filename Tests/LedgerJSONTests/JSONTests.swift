// The JSON parser and writer: round trips, a catalogue of malformed inputs, limits, UTF-8
// and surrogates, and agreement with Foundation's JSONSerialization on valid documents.
import Foundation
import LedgerJSON
import Testing
import TestSupport

@Suite("JSON parser and writer")
struct JSONTests {
    @Test("round trips keep key order, number literals and escapes")
    func roundTrip() throws {
        let texts = [
            #"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}"#,
            #"[null,true,false,0,-0,1.5,-2e10,3E+2,4.25e-3,"",{}]"#,
            #"{"z":1,"a":2,"m":[{"k":"v"}]}"#,
            #"{"id":12345678901234567890123456789,"big":-1.000000000000000000001}"#,
            #""quote \" backslash \\ newline \n tab \t ctrl \u0001 \u001f""#,
            #""héllo wörld ✓ 😀""#,
        ]
        for text in texts {
            let value = try JSONParser.parse(text)
            let written = String(decoding: JSONWriter.encode(value), as: UTF8.self)
            #expect(try JSONParser.parse(written) == value, "\(text)")
        }
        // Compact input with only escapes that the writer also produces comes back byte for byte.
        let compact = #"{"b":[1,2.5,"x\"y"],"a":{"c":null}}"#
        #expect(String(decoding: JSONWriter.encode(try JSONParser.parse(compact)), as: UTF8.self) == compact)
    }

    @Test("whitespace around and between tokens is accepted")
    func whitespace() throws {
        let value = try JSONParser.parse(" \n\t{ \"a\" :\r\n [ 1 , 2 ] } \n")
        #expect(value == ["a": [1, 2]])
    }

    @Test("escapes decode, including surrogate pairs")
    func escapes() throws {
        #expect(try JSONParser.parse(#""\u00e9\u4e2d\ud83d\ude00\/\b\f\r""#) == .string("é中😀/\u{8}\u{c}\r"))
        #expect(try JSONParser.parse(#""\u0041\u00410""#) == .string("AA0"))
    }

    @Test("numbers keep their literal text; huge ones do not overflow")
    func numbers() throws {
        let huge = "1" + String(repeating: "0", count: 400)
        #expect(try JSONParser.parse(huge) == .number(huge))
        #expect(try JSONParser.parse(huge).integerValue == nil)
        #expect(try JSONParser.parse("-12").integerValue == -12)
        #expect(try JSONParser.parse("[0]") == [0])
    }


    @Test("malformed documents are rejected at the right offset")
    func malformedCatalogue() {
        for (text, offset) in MalformedJSON.documents {
            do {
                let value = try JSONParser.parse(text)
                Issue.record("accepted \(text.debugDescription) as \(value)")
            } catch {
                #expect(error.offset == offset, "\(text.debugDescription): \(error)")
            }
        }
    }

    @Test("lone and misordered surrogates are rejected")
    func loneSurrogates() {
        for text in [#""\ud800""#, #""\udc00""#, #""\ud800x""#, #""\ud800\u0041""#, #""\udfff\ud800""#, #""\ud800\""#] {
            #expect(throws: JSONParseError.self, "\(text)") { try JSONParser.parse(text) }
        }
        do {
            _ = try JSONParser.parse(#"["ok","\ud800"]"#)
            Issue.record("accepted a lone surrogate")
        } catch {
            #expect(error == JSONParseError(.loneSurrogate, at: 7))
        }
    }

    @Test("invalid UTF-8 is rejected where it starts")
    func invalidUTF8() throws {
        let cases: [[UInt8]] = [
            [0x22, 0xFF, 0x22],                    // never valid
            [0x22, 0xC0, 0xAF, 0x22],              // overlong "/"
            [0x22, 0xE0, 0x80, 0xAF, 0x22],        // overlong 3-byte
            [0x22, 0xED, 0xA0, 0x80, 0x22],        // encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xC3, 0x22],                    // truncated sequence
            [0x22, 0x80, 0x22],                    // lone continuation byte
        ]
        for bytes in cases {
            do {
                _ = try JSONParser.parse(bytes)
                Issue.record("accepted \(bytes)")
            } catch {
                #expect(error == JSONParseError(.invalidUTF8, at: 1), "\(bytes): \(error)")
            }
        }
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0xFF]) }  // outside a string
        #expect(try JSONParser.parse([0x22, 0xC3, 0xA9, 0x22]) == .string("é"))
    }

    @Test("nesting deeper than the limit is refused")
    func depthLimit() throws {
        let limits = JSONParser.Limits(maxDepth: 10)
        let ten = String(repeating: "[", count: 10) + String(repeating: "]", count: 10)
        #expect(try JSONParser.parse(ten, limits: limits).arrayValue != nil)
        let eleven = String(repeating: "[", count: 11) + String(repeating: "]", count: 11)
        #expect(throws: JSONParseError(.tooDeep(limit: 10), at: 10)) { try JSONParser.parse(eleven, limits: limits) }
        // Far deeper than any stack could take recursively is still a clean error.
        let deep = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONParseError(.tooDeep(limit: 64), at: 64)) { try JSONParser.parse(deep) }
        let objects = String(repeating: "{\"a\":", count: 100) + "1" + String(repeating: "}", count: 100)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(objects) }
    }

    @Test("inputs above the size limit are refused before parsing")
    func sizeLimit() {
        #expect(throws: JSONParseError(.tooLarge(limit: 8), at: 0)) {
            try JSONParser.parse("[1,2,3,4]", limits: JSONParser.Limits(maxBytes: 8))
        }
    }

    @Test("duplicate keys: the last one wins, as in geth")
    func duplicateKeys() throws {
        let value = try JSONParser.parse(#"{"id":1,"id":2}"#)
        #expect(value["id"] == 2)
        #expect(value.objectValue?.count == 2)
    }

    @Test("the writer escapes what JSON requires")
    func writerEscapes() {
        let text = "a\"b\\c\n\u{1}\u{1F}é😀"
        let written = String(decoding: JSONWriter.encode(.string(text)), as: UTF8.self)
        #expect(written == #""a\"b\\c\n\u0001\u001fé😀""#)
    }

    @Test("agrees with Foundation's JSONSerialization on seeded random documents")
    func agreesWithFoundation() throws {
        var random = SeededRandom(seed: 0x5EED)
        for _ in 0..<300 {
            let value = random.value(depth: 0)
            let bytes = JSONWriter.encode(value)
            let foundation = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            let reencoded = try JSONSerialization.data(withJSONObject: foundation, options: [.fragmentsAllowed])
            let ours = try JSONParser.parse(Array(reencoded))
            #expect(Self.sameShape(ours, value), "\(value)")
        }
    }

    /// Equal up to key order and number spelling (Foundation reorders keys and reformats numbers).
    static func sameShape(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.members.allSatisfy { member in y[member.key].map { sameShape(member.value, $0) } ?? false }
        case (.array(let x), .array(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameShape($0, $1) }
        case (.number(let x), .number(let y)):
            return Double(x) == Double(y)
        default:
            return a == b
        }
    }
}

/// Random JSON documents for the differential test.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    mutating func string() -> String {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "\n", "\u{1}", "é", "中", "😀", "/"]
        return String((0..<below(8)).map { _ in alphabet[below(alphabet.count)] })
    }

    mutating func value(depth: Int) -> JSONValue {
        switch below(depth > 3 ? 5 : 7) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .integer(Int(truncatingIfNeeded: next()) >> below(60))
        case 3: return .number(String(Double(below(1_000_000)) / 64))
        case 4: return .string(string())
        case 5: return .array((0..<below(5)).map { _ in value(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<below(5) { object[string()] = value(depth: depth + 1) }
            return .object(object)
        }
    }
}
