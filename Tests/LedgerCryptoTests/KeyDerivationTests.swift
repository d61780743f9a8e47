// PBKDF2-HMAC-SHA256 and scrypt against RFC 7914's vectors, AES-128-CTR against NIST SP 800-38A.
import LedgerCrypto
import LedgerPrimitives
import Testing

@Suite("Key derivation and AES-128-CTR")
struct KeyDerivationTests {
    @Test("PBKDF2-HMAC-SHA256 matches RFC 7914 §11")
    func pbkdf2Vectors() throws {
        let short = try PBKDF2.deriveKey(password: Array("passwd".utf8), salt: Array("salt".utf8),
                                         iterations: 1, outputByteCount: 64)
        #expect(short.hexString == "0x55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
            + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783")
        let long = try PBKDF2.deriveKey(password: Array("Password".utf8), salt: Array("NaCl".utf8),
                                        iterations: 80_000, outputByteCount: 64)
        #expect(long.hexString == "0x4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
            + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
    }

    @Test("scrypt matches RFC 7914 §12")
    func scryptVectors() throws {
        let empty = try Scrypt.deriveKey(password: [UInt8](), salt: [UInt8](), cost: 16, blockSize: 1,
                                         parallelism: 1, outputByteCount: 64)
        #expect(empty.hexString == "0x77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442"
            + "fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
        let nacl = try Scrypt.deriveKey(password: Array("password".utf8), salt: Array("NaCl".utf8), cost: 1024,
                                        blockSize: 8, parallelism: 16, outputByteCount: 64)
        #expect(nacl.hexString == "0xfdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"
            + "2eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640")
    }

    @Test("scrypt refuses a cost that is not a power of two or is too large")
    func scryptRejectsBadCost() {
        #expect(throws: CryptoError.self) {
            try Scrypt.deriveKey(password: [1], salt: [2], cost: 1000, blockSize: 8, parallelism: 1, outputByteCount: 32)
        }
        #expect(throws: CryptoError.self) {
            try Scrypt.deriveKey(password: [1], salt: [2], cost: Scrypt.maximumCost << 1, blockSize: 8,
                                 parallelism: 1, outputByteCount: 32)
        }
    }

    @Test("AES-128-CTR matches SP 800-38A F.5.1 and is its own inverse")
    func aesCounterModeVector() throws {
        let key = try [UInt8](hex: "2b7e151628aed2a6abf7158809cf4f3c")
        let counter = try [UInt8](hex: "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
        let plaintext = try [UInt8](hex: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
            + "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
        let ciphertext = try AES128CTR.apply(plaintext, key: key, initialCounter: counter)
        #expect(ciphertext.hexString == "0x874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
            + "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee")
        #expect(try AES128CTR.apply(ciphertext, key: key, initialCounter: counter) == plaintext)
    }

    @Test("AES-128-CTR carries the counter across all 128 bits")
    func aesCounterWraps() throws {
        let key = try [UInt8](hex: "2b7e151628aed2a6abf7158809cf4f3c")
        let stream = try AES128CTR.apply([UInt8](repeating: 0, count: 40), key: key,
                                         initialCounter: [UInt8](repeating: 0xff, count: 16))
        #expect(stream.hexString == "0x8af2860142f786f409307c1a3f7eaaac7df76b0c1ab899b33e42f047b91b546f"
            + "57127d4034b1bebf")
        #expect(try AES128CTR.apply([UInt8](), key: key, initialCounter: [UInt8](repeating: 0, count: 16)) == [])
        #expect(throws: CryptoError.self) { try AES128CTR.apply([1], key: [UInt8](repeating: 0, count: 32),
                                                                initialCounter: [UInt8](repeating: 0, count: 16)) }
    }
}
