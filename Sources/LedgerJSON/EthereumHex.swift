// Ethereum's JSON encodings of values: quantities ("0x0", "0x1f": no leading zeros), data
// ("0x" + two digits per byte), addresses and 32-byte hashes. Decoding is as strict as geth's
// hexutil (messages included), so a value that geth refuses is refused here too; input digits
// may be upper or lower case, output is lowercase as the execution-apis schemas require. The
// node's RPC server and the client share these.
import LedgerPrimitives

/// Why a JSON value is not the Ethereum value expected; the message reads like geth's.
public struct EthereumDecodingError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    public static let notAString = EthereumDecodingError("expected a hex string")
    public static let missingPrefix = EthereumDecodingError("hex string without 0x prefix")
    public static let emptyNumber = EthereumDecodingError("hex string \"0x\"")
    public static let leadingZero = EthereumDecodingError("hex number with leading zero digits")
    public static let syntax = EthereumDecodingError("invalid hex string")
    public static let oddLength = EthereumDecodingError("hex string of odd length")
}

/// Encoders for results, and the byte-level decoders behind `RPCParamDecodable`.
public enum EthereumHex {
    public static func quantity(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    public static func quantity(_ value: UInt256) -> String {
        let limbs = [value.limb3, value.limb2, value.limb1, value.limb0]
        guard let first = limbs.firstIndex(where: { $0 != 0 }) else { return "0x0" }
        var text = "0x" + String(limbs[first], radix: 16)
        for limb in limbs[(first + 1)...] {
            let digits = String(limb, radix: 16)
            text += String(repeating: "0", count: 16 - digits.count) + digits
        }
        return text
    }

    public static func data(_ bytes: some Sequence<UInt8>) -> String { Hex.encode(bytes) }

    /// The digits after a required "0x"/"0X" prefix.
    public static func digits(of value: JSONValue) throws(EthereumDecodingError) -> Substring.UTF8View {
        guard case .string(let text) = value else { throw .notAString }
        let utf8 = Substring(text).utf8
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "0"), let second = utf8.dropFirst().first,
              second | 0x20 == UInt8(ascii: "x") else { throw .missingPrefix }
        return utf8.dropFirst(2)
    }

    /// Quantity digits: "0x" alone and leading zeros are refused, as geth does.
    public static func quantityDigits(of value: JSONValue, maxDigits: Int, bits: Int) throws(EthereumDecodingError) -> [UInt8] {
        let digits = try digits(of: value)
        guard !digits.isEmpty else { throw .emptyNumber }
        if digits.count > 1, digits.first == UInt8(ascii: "0") { throw .leadingZero }
        var nibbles = [UInt8]()
        nibbles.reserveCapacity(digits.count)
        for digit in digits {
            guard let nibble = nibbleValue(digit) else { throw .syntax }
            nibbles.append(nibble)
        }
        guard nibbles.count <= maxDigits else { throw EthereumDecodingError("hex number > \(bits) bits") }
        return nibbles
    }

    public static func decodeUInt64(_ value: JSONValue) throws(EthereumDecodingError) -> UInt64 {
        try quantityDigits(of: value, maxDigits: 16, bits: 64).reduce(0) { $0 << 4 | UInt64($1) }
    }

    public static func decodeUInt256(_ value: JSONValue) throws(EthereumDecodingError) -> UInt256 {
        let nibbles = try quantityDigits(of: value, maxDigits: 64, bits: 256)
        var limbs: [UInt64] = [0, 0, 0, 0]  // least significant first
        for (position, nibble) in nibbles.reversed().enumerated() {
            limbs[position / 16] |= UInt64(nibble) << (4 * UInt64(position % 16))
        }
        return UInt256(limb0: limbs[0], limb1: limbs[1], limb2: limbs[2], limb3: limbs[3])
    }

    public static func decodeData(_ value: JSONValue) throws(EthereumDecodingError) -> [UInt8] {
        let digits = try digits(of: value)
        guard digits.count % 2 == 0 else { throw .oddLength }
        var bytes = [UInt8]()
        bytes.reserveCapacity(digits.count / 2)
        var high: UInt8 = 0
        var isHigh = true
        for digit in digits {
            guard let nibble = nibbleValue(digit) else { throw .syntax }
            if isHigh { high = nibble << 4 } else { bytes.append(high | nibble) }
            isHigh.toggle()
        }
        return bytes
    }

    /// Exactly `length` bytes of data.
    public static func decodeFixedData(_ value: JSONValue, length: Int, name: String) throws(EthereumDecodingError) -> [UInt8] {
        let digits = try digits(of: value)
        guard digits.count == 2 * length else {
            throw EthereumDecodingError("hex string has length \(digits.count), want \(2 * length) for \(name)")
        }
        return try decodeData(value)
    }

    /// 40 hex digits; mixed case must be a valid EIP-55 checksum (DESIGN.md §2).
    public static func decodeAddress(_ value: JSONValue) throws(EthereumDecodingError) -> Address {
        _ = try decodeFixedData(value, length: 20, name: "address")
        do { return try Address(hex: value.stringValue ?? "") } catch { throw EthereumDecodingError(error.description) }
    }

    public static func decodeHash(_ value: JSONValue, name: String = "hash") throws(EthereumDecodingError) -> Hash32 {
        let bytes = try decodeFixedData(value, length: 32, name: name)
        guard let hash = Hash32(bytes: bytes) else { throw EthereumDecodingError("hash of \(bytes.count) bytes") }
        return hash
    }

    @inline(__always) public static func nibbleValue(_ ascii: UInt8) -> UInt8? {
        switch ascii {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return ascii - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return ascii - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return ascii - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

// MARK: - Result values

extension JSONValue {
    public static func quantity(_ value: UInt64) -> JSONValue { .string(EthereumHex.quantity(value)) }
    public static func quantity(_ value: UInt256) -> JSONValue { .string(EthereumHex.quantity(value)) }
    public static func data(_ bytes: some Sequence<UInt8>) -> JSONValue { .string(EthereumHex.data(bytes)) }
    /// Lowercase, as geth returns addresses inside results.
    public static func address(_ address: Address) -> JSONValue { .string(address.hexString) }
    public static func hash(_ hash: Hash32) -> JSONValue { .string(hash.hexString) }
}
