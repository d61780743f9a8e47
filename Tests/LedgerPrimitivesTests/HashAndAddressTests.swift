// Hex, Hash32 and Address (EIP-55) against known values (keccak-256 is in KeccakTests.swift).
import LedgerPrimitives
import Testing

struct HexTests {
    @Test func decodesBothFormsAndRejectsBadInput() throws {
        #expect(try [UInt8](hex: "0x00ff10") == [0x00, 0xff, 0x10])
        #expect(try [UInt8](hex: "ABcd") == [0xab, 0xcd])
        #expect(try [UInt8](hex: "0x") == [])
        #expect(throws: HexError.oddLength(3)) { try [UInt8](hex: "0xabc") }
        #expect(throws: HexError.invalidCharacter("g", at: 1)) { try [UInt8](hex: "0xag") }
        #expect(throws: HexError.missingPrefix) { try Hex.decode("abcd", requirePrefix: true) }
        #expect([UInt8]([0, 1, 0xab]).hexString == "0x0001ab")
    }

    @Test func hashParsesOnly32Bytes() throws {
        #expect(throws: HexError.wrongLength(expected: 32, actual: 31)) { try Hash32(hex: String(repeating: "ab", count: 31)) }
        let hash = try Hash32(hex: "0x" + String(repeating: "01", count: 32))
        #expect(hash.bytes == [UInt8](repeating: 1, count: 32))
        #expect(Hash32.zero < hash)
    }
}

struct AddressTests {
    // EIP-55's own examples.
    @Test(arguments: [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ])
    func checksumRoundTrips(text: String) throws {
        let address = try Address(hex: text)
        #expect(address.checksummed == text)
        #expect(try Address(hex: text.lowercased()) == address)
    }

    @Test func wrongChecksumIsRejected() {
        #expect(throws: Address.ParseError.self) { try Address(hex: "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD") }
        #expect(throws: Address.ParseError.self) { try Address(hex: "0x1234") }
    }

    @Test func publicKeyDerivation() throws {
        // The secp256k1 generator point G is the public key of private key 1.
        let g = try [UInt8](hex: "79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798"
            + "483ada7726a3c4655da4fbfc0e1108a8fd17b448a68554199c47d08ffb10d4b8")
        #expect(Address(publicKey: g)?.checksummed == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
        #expect(Address(publicKey: [0x04] + g) == Address(publicKey: g))
        #expect(Address(publicKey: g.dropLast()) == nil)
    }
}
