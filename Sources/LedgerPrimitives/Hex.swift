// Hexadecimal text <-> bytes, as Ethereum writes it ("0x" prefix, two digits per byte).

public enum HexError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingPrefix
    case oddLength(Int)
    case invalidCharacter(Character, at: Int)
    case wrongLength(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .missingPrefix: return "hex string must start with 0x"
        case .oddLength(let n): return "hex string has an odd number of digits (\(n))"
        case .invalidCharacter(let c, let i): return "invalid hex character '\(c)' at offset \(i)"
        case .wrongLength(let expected, let actual): return "expected \(expected) bytes, got \(actual)"
        }
    }
}

@usableFromInline let lowercaseHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

@inline(__always) @usableFromInline
func hexValue(of ascii: UInt8) -> UInt8? {
    switch ascii {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return ascii &- UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return ascii &- UInt8(ascii: "a") &+ 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return ascii &- UInt8(ascii: "A") &+ 10
    default: return nil
    }
}

public enum Hex {
    /// Decodes hex digits; the "0x" prefix is optional unless `requirePrefix` is set.
    public static func decode(_ text: some StringProtocol, requirePrefix: Bool = false) throws(HexError) -> [UInt8] {
        var utf8 = Substring(text).utf8[...]
        if utf8.count >= 2, utf8.first == UInt8(ascii: "0"),
           utf8.dropFirst().first == UInt8(ascii: "x") || utf8.dropFirst().first == UInt8(ascii: "X") {
            utf8 = utf8.dropFirst(2)
        } else if requirePrefix {
            throw .missingPrefix
        }
        guard utf8.count % 2 == 0 else { throw .oddLength(utf8.count) }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var high: UInt8 = 0
        var offset = 0
        for byte in utf8 {
            guard let nibble = hexValue(of: byte) else {
                throw .invalidCharacter(Character(Unicode.Scalar(byte)), at: offset)
            }
            if offset & 1 == 0 { high = nibble << 4 } else { out.append(high | nibble) }
            offset += 1
        }
        return out
    }

    /// Lowercase hex, "0x"-prefixed unless told otherwise.
    public static func encode(_ bytes: some Sequence<UInt8>, prefix: Bool = true) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2 + 2)
        if prefix { out.append(UInt8(ascii: "0")); out.append(UInt8(ascii: "x")) }
        for byte in bytes {
            out.append(lowercaseHexDigits[Int(byte >> 4)])
            out.append(lowercaseHexDigits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Bytes from hex text, with or without "0x".
    public init(hex text: some StringProtocol) throws(HexError) {
        self = try Hex.decode(text)
    }

    /// "0x"-prefixed lowercase hex.
    public var hexString: String { Hex.encode(self) }
}

extension ArraySlice where Element == UInt8 {
    public var hexString: String { Hex.encode(self) }
}
