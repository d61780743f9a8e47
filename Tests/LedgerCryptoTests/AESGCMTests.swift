// AES-256-GCM refuses every altered input with a typed error.
import LedgerCrypto
import Testing

@Suite("AES-256-GCM")
struct AESGCMTests {
    let key = [UInt8](repeating: 0x42, count: 32)
    let nonce = [UInt8](repeating: 0x24, count: 12)
    let aad = Array("header".utf8)
    let plaintext = Array("attack at dawn".utf8)

    @Test("Round trip, including an empty plaintext")
    func roundTrip() throws {
        let sealed = try AESGCM.encrypt(plaintext, key: key, nonce: nonce, associatedData: aad)
        #expect(sealed.count == plaintext.count + 16)
        #expect(try AESGCM.decrypt(sealed, key: key, nonce: nonce, associatedData: aad) == plaintext)
        let empty = try AESGCM.encrypt([UInt8](), key: key, nonce: nonce, associatedData: [UInt8]())
        #expect(try AESGCM.decrypt(empty, key: key, nonce: nonce, associatedData: [UInt8]()) == [])
    }

    @Test("Any flipped bit in ciphertext or tag, or another nonce, key or AAD, fails authentication")
    func tampering() throws {
        let sealed = try AESGCM.encrypt(plaintext, key: key, nonce: nonce, associatedData: aad)
        for index in sealed.indices {
            var altered = sealed
            altered[index] ^= 0x01
            #expect(throws: CryptoError.authenticationFailed) {
                try AESGCM.decrypt(altered, key: key, nonce: nonce, associatedData: aad)
            }
        }
        var otherNonce = nonce
        otherNonce[0] ^= 1
        var otherKey = key
        otherKey[31] ^= 1
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.decrypt(sealed, key: key, nonce: otherNonce, associatedData: aad)
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.decrypt(sealed, key: otherKey, nonce: nonce, associatedData: aad)
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try AESGCM.decrypt(sealed, key: key, nonce: nonce, associatedData: Array("Header".utf8))
        }
    }

    @Test("Wrong key or nonce lengths and inputs shorter than a tag are refused")
    func lengths() {
        #expect(throws: CryptoError.self) {
            try AESGCM.encrypt(plaintext, key: [UInt8](repeating: 0, count: 16), nonce: nonce, associatedData: aad)
        }
        #expect(throws: CryptoError.self) {
            try AESGCM.encrypt(plaintext, key: key, nonce: [UInt8](repeating: 0, count: 16), associatedData: aad)
        }
        #expect(throws: CryptoError.self) {
            try AESGCM.decrypt([UInt8](repeating: 0, count: 15), key: key, nonce: nonce, associatedData: aad)
        }
    }
}
