// SHA-256, HKDF-SHA256 and AES-256-GCM against published vectors (FIPS 180-2, RFC 5869,
// the GCM specification's test cases), so that the recorded sealing vectors rest on checked parts.
import LedgerCrypto
import LedgerPrimitives
import Testing

@Suite("Standard vectors")
struct StandardVectorTests {
    @Test("SHA-256 of FIPS 180-2's examples and of the empty string")
    func sha256KnownAnswers() throws {
        #expect(try SHA256.hash(Array("abc".utf8)).hexString
            == "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try SHA256.hash([UInt8]()).hexString
            == "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(try SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hexString
            == "0x248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("Incremental SHA-256 equals one-shot, and copies fork the computation")
    func sha256Incremental() throws {
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        var hasher = try SHA256Hasher()
        try hasher.update(message[..<10])
        var fork = hasher
        try hasher.update(message[10...])
        try fork.update(Array("x".utf8))
        #expect(try hasher.finalize() == SHA256.hash(message))
        #expect(try fork.finalize() == SHA256.hash(Array(message[..<10]) + Array("x".utf8)))
    }

    @Test("HKDF-SHA256, RFC 5869 test case 1 (extract, expand, both)")
    func hkdfCase1() throws {
        let ikm = [UInt8](repeating: 0x0b, count: 22)
        let salt = try [UInt8](hex: "000102030405060708090a0b0c")
        let info = try [UInt8](hex: "f0f1f2f3f4f5f6f7f8f9")
        let prk = try HKDF.extract(inputKeyMaterial: ikm, salt: salt)
        #expect(prk.hexString == "0x077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5")
        let okm = "0x3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
        #expect(try HKDF.expand(pseudorandomKey: prk, info: info, outputByteCount: 42).hexString == okm)
        #expect(try HKDF.deriveKey(inputKeyMaterial: ikm, salt: salt, info: info, outputByteCount: 42).hexString == okm)
    }

    @Test("HKDF-SHA256, RFC 5869 test case 3 (empty salt and info)")
    func hkdfCase3() throws {
        let okm = try HKDF.deriveKey(inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22),
                                     salt: [UInt8](), info: [UInt8](), outputByteCount: 42)
        #expect(okm.hexString
            == "0x8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8")
    }

    @Test("HKDF refuses output lengths outside 1...8160")
    func hkdfLengthLimits() {
        #expect(throws: CryptoError.self) {
            try HKDF.deriveKey(inputKeyMaterial: [1], salt: [UInt8](), info: [UInt8](), outputByteCount: 8161)
        }
        #expect(throws: CryptoError.self) {
            try HKDF.deriveKey(inputKeyMaterial: [1], salt: [UInt8](), info: [UInt8](), outputByteCount: 0)
        }
    }

    @Test("AES-256-GCM, GCM specification test case 14 (zero key, zero block)")
    func gcmCase14() throws {
        let sealed = try AESGCM.encrypt([UInt8](repeating: 0, count: 16), key: [UInt8](repeating: 0, count: 32),
                                        nonce: [UInt8](repeating: 0, count: 12), associatedData: [UInt8]())
        #expect(sealed.hexString == "0xcea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919")
    }

    @Test("AES-256-GCM, GCM specification test case 16 (with associated data), both ways")
    func gcmCase16() throws {
        let key = try [UInt8](hex: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let plaintext = try [UInt8](hex: "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
            + "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = try [UInt8](hex: "feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let nonce = try [UInt8](hex: "cafebabefacedbaddecaf888")
        let expected = "0x522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b10568288"
            + "38c5f61e6393ba7a0abcc9f662" + "76fc6ece0f4e1768cddf8853bb2d551b"
        let sealed = try AESGCM.encrypt(plaintext, key: key, nonce: nonce, associatedData: aad)
        #expect(sealed.hexString == expected)
        #expect(try AESGCM.decrypt(sealed, key: key, nonce: nonce, associatedData: aad) == plaintext)
    }
}
