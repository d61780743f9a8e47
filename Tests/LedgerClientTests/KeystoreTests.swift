// V3 keystores: files written by eth-account open here, ours round-trip, wrong passwords and
// altered files are refused with typed errors.
import Foundation
import LedgerClient
import LedgerCrypto
import LedgerJSON
import LedgerPrimitives
import Testing

@Suite("Keystore")
struct KeystoreTests {
    struct Expected {
        let password: String
        let address: Address
        let privateKey: [UInt8]
    }

    static func expected() throws -> Expected {
        let data = try #require(FileManager.default.contents(atPath: fixturePath("eth-account-keystore.json")))
        let json = try JSONValue(parsing: [UInt8](data))
        return Expected(password: try #require(json["password"]?.stringValue),
                        address: try Address(hex: try #require(json["address"]?.stringValue)),
                        privateKey: try [UInt8](hex: try #require(json["privateKey"]?.stringValue)))
    }

    @Test("eth-account's pbkdf2 keystore decrypts to the right key and address")
    func ethAccountPBKDF2() throws {
        let expected = try Self.expected()
        let keystore = try Keystore(contentsOfFile: fixturePath("eth-account-pbkdf2.json"))
        #expect(keystore.kdf == .pbkdf2(iterations: 10_240))
        let key = try keystore.decrypt(password: expected.password)
        #expect(key.address == expected.address)
        #expect(key.bytes == expected.privateKey)
    }

    @Test("eth-account's default scrypt keystore decrypts through Signer")
    func ethAccountScrypt() throws {
        let expected = try Self.expected()
        let signer = try Signer(keystoreFile: fixturePath("eth-account-scrypt.json"), password: expected.password)
        #expect(signer.address == expected.address)
    }

    @Test("a wrong password is a typed error, not a garbage key")
    func wrongPassword() throws {
        let keystore = try Keystore(contentsOfFile: fixturePath("eth-account-pbkdf2.json"))
        #expect(throws: KeystoreError.wrongPassword) { try keystore.decrypt(password: "not-the-password") }
    }

    @Test("written keystores read back, for both KDFs, with owner-only permissions")
    func writeAndReadBack() throws {
        let key = PrivateKey.generate()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("d6g-keystore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for kdf in [Keystore.KDF.lightScrypt, .pbkdf2(iterations: 2_048)] {
            let path = folder.appendingPathComponent("key.json").path
            let written = try Keystore(encrypting: key, password: "secret ✓", kdf: kdf)
            try written.write(toFile: path)
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
            let read = try Keystore(contentsOfFile: path)
            #expect(read == written)
            #expect(read.kdf == kdf)
            #expect(try read.decrypt(password: "secret ✓").bytes == key.bytes)
            #expect(throws: KeystoreError.wrongPassword) { try read.decrypt(password: "secret") }
        }
    }

    @Test("a keystore whose address does not match its key is refused")
    func alteredAddress() throws {
        let keystore = try Keystore(encrypting: PrivateKey.generate(), password: "pw", kdf: .pbkdf2(iterations: 16))
        guard case .object(var document) = keystore.json else { Issue.record("keystore JSON is not an object"); return }
        document["address"] = .string(String(repeating: "11", count: 20))
        let altered = try Keystore(json: JSONWriter.encode(.object(document)))
        #expect(throws: KeystoreError.self) { try altered.decrypt(password: "pw") }
    }

    @Test("unsupported ciphers and malformed fields name the problem")
    func unsupportedAndMalformed() throws {
        let keystore = try Keystore(encrypting: PrivateKey.generate(), password: "pw", kdf: .pbkdf2(iterations: 16))
        guard case .object(var document) = keystore.json, case .object(var crypto)? = document["crypto"] else {
            Issue.record("keystore JSON is not an object"); return
        }
        crypto["cipher"] = .string("aes-128-cbc")
        document["crypto"] = .object(crypto)
        #expect(throws: KeystoreError.unsupported("cipher \"aes-128-cbc\"")) {
            try Keystore(json: JSONWriter.encode(.object(document)))
        }
        #expect(throws: KeystoreError.self) { try Keystore(json: Array("{\"version\":3}".utf8)) }
    }
}
