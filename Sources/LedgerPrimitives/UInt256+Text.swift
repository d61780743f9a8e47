// UInt256 as text: decimal (`description`, `init?(decimalString:)`) and hexadecimal
// in the Ethereum quantity style ("0x0", "0x1f", no leading zeros) for JSON-RPC.

extension UInt256: CustomStringConvertible, LosslessStringConvertible {
    /// The decimal digits, e.g. "115792089237316195423570985008687907853269984665640564039457584007913129639935".
    public var description: String {
        if (limb1 | limb2 | limb3) == 0 { return String(limb0) }
        // Peel off 19 decimal digits at a time (10^19 is the largest power of ten in a limb).
        let chunkDivisor: UInt64 = 10_000_000_000_000_000_000
        var chunks: [UInt64] = []
        chunks.reserveCapacity(5)
        var rest = self
        while !rest.isZero {
            let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: chunkDivisor)
            chunks.append(remainder)
            rest = quotient
        }
        var text = String(chunks.removeLast())
        for chunk in chunks.reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: 19 - digits.count) + digits
        }
        return text
    }

    /// Parses decimal digits, as `init?(decimalString:)`.
    public init?(_ description: String) {
        self.init(decimalString: description)
    }

    /// Parses a non-empty string of decimal digits (no sign, no separators); nil if it
    /// has any other character or the value needs more than 256 bits. Leading zeros are allowed.
    public init?(decimalString text: some StringProtocol) {
        var value = UInt256.zero
        var chunk: UInt64 = 0
        var chunkDigits = 0
        var scale: UInt64 = 1
        var sawDigit = false
        for character in text.utf8 {
            guard character >= UInt8(ascii: "0") && character <= UInt8(ascii: "9") else { return nil }
            sawDigit = true
            chunk = chunk * 10 + UInt64(character - UInt8(ascii: "0"))
            scale *= 10
            chunkDigits += 1
            if chunkDigits == 19 {
                guard let next = value.timesAdding(scale, chunk) else { return nil }
                value = next
                chunk = 0
                chunkDigits = 0
                scale = 1
            }
        }
        guard sawDigit else { return nil }
        if chunkDigits > 0 {
            guard let next = value.timesAdding(scale, chunk) else { return nil }
            value = next
        }
        self = value
    }

    /// `self × factor + addend`, or nil if it needs more than 256 bits.
    private func timesAdding(_ factor: UInt64, _ addend: UInt64) -> UInt256? {
        let (high, low) = multipliedFullWidth(by: factor)
        guard high == 0 else { return nil }
        let (sum, overflow) = low.addingReportingOverflow(UInt256(addend))
        return overflow ? nil : sum
    }
}

extension UInt256 {
    /// The Ethereum quantity form: "0x" and lowercase hex digits without leading zeros
    /// ("0x0" for zero).
    public var hexString: String {
        var digits: [UInt8] = [UInt8(ascii: "0"), UInt8(ascii: "x")]
        digits.reserveCapacity(66)
        let alphabet: StaticString = "0123456789abcdef"
        let significantDigits = Swift.max(1, (significantBitCount + 3) >> 2)
        alphabet.withUTF8Buffer { alphabet in
            var index = significantDigits - 1
            while index >= 0 {
                let nibble = self[limb: index >> 4] >> UInt64((index & 15) << 2) & 0xf
                digits.append(alphabet[Int(nibble)])
                index -= 1
            }
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// Parses hexadecimal digits with or without a "0x"/"0X" prefix, either case, leading
    /// zeros allowed; nil if there are no digits, any other character, or more than 256 bits.
    public init?(hexString text: some StringProtocol) {
        var utf8 = Substring(text).utf8[...]
        if utf8.count >= 2, utf8.first == UInt8(ascii: "0"),
           utf8.dropFirst().first == UInt8(ascii: "x") || utf8.dropFirst().first == UInt8(ascii: "X") {
            utf8 = utf8.dropFirst(2)
        }
        guard !utf8.isEmpty else { return nil }
        var value = UInt256.zero
        var significantDigits = 0
        for character in utf8 {
            let nibble: UInt8
            switch character {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = character - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = character - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): nibble = character - UInt8(ascii: "A") + 10
            default: return nil
            }
            if significantDigits == 0 && nibble == 0 { continue }
            significantDigits += 1
            guard significantDigits <= 64 else { return nil }
            value = value.shiftedLeft(by: 4) | UInt256(UInt64(nibble))
        }
        self = value
    }
}
