// Ethereum V3 keystore files (the "Web3 Secret Storage" format of geth and eth-account):
// a private key encrypted with AES-128-CTR under a key derived from a password by scrypt or
// PBKDF2-HMAC-SHA256, and a keccak-256 MAC that tells a wrong password from a right one.
import Foundation
import LedgerCrypto
import LedgerJSON
import LedgerPrimitives

/// Why a keystore could not be read, decrypted or written.
public enum KeystoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The JSON is not a V3 keystore; the text names the field.
    case malformed(String)
    /// A V3 keystore using a cipher, KDF or PRF this client does not implement.
    case unsupported(String)
    /// The MAC did not match: the password is wrong (or the file was altered).
    case wrongPassword
    /// The file's "address" is not the address of the key it decrypts to.
    case addressMismatch(stated: Address, actual: Address)
    case file(path: String, reason: String)
    case crypto(CryptoError)

    public var description: String {
        switch self {
        case .malformed(let what): return "not a V3 keystore: \(what)"
        case .unsupported(let what): return "unsupported keystore: \(what) (supported: aes-128-ctr with scrypt or pbkdf2/hmac-sha256)"
        case .wrongPassword: return "wrong password for this keystore (its MAC does not match)"
        case .addressMismatch(let stated, let actual):
            return "keystore says address \(stated) but its key belongs to \(actual); the file was altered or assembled wrongly"
        case .file(let path, let reason): return "keystore file \(path): \(reason)"
        case .crypto(let error): return "keystore cryptography failed: \(error)"
        }
    }
}

/// A V3 keystore: parse, decrypt, create, serialize.
public struct Keystore: Hashable, Sendable {
    /// The key-derivation function and its cost.
    public enum KDF: Hashable, Sendable {
        case scrypt(cost: UInt64, blockSize: UInt32, parallelism: UInt32)
        case pbkdf2(iterations: UInt64)

        /// eth-account's and geth's standard: n = 2^18, r = 8, p = 1 (256 MiB, ~1 s).
        public static let standardScrypt = KDF.scrypt(cost: 1 << 18, blockSize: 8, parallelism: 1)
        /// Cheap parameters for tests and throwaway keys only (geth's "light" scrypt).
        public static let lightScrypt = KDF.scrypt(cost: 1 << 12, blockSize: 8, parallelism: 6)
    }

    public let kdf: KDF
    public let salt: [UInt8]
    public let initialCounter: [UInt8]
    public let ciphertext: [UInt8]
    public let mac: [UInt8]
    /// The address stated in the file (optional in the format).
    public let address: Address?
    public let id: String

    // MARK: Reading

    /// Parses keystore JSON text (V3; "crypto" or geth's older "Crypto").
    public init(json text: some Collection<UInt8>) throws(KeystoreError) {
        let document: JSONValue
        do { document = try JSONValue(parsing: text) } catch { throw .malformed(error.description) }
        guard document["version"]?.integerValue == 3 else { throw .unsupported("version \(document["version"]?.description ?? "missing"), only 3") }
        guard let crypto = document["crypto"] ?? document["Crypto"] else { throw .malformed("no crypto object") }
        guard crypto["cipher"]?.stringValue == "aes-128-ctr" else {
            throw .unsupported("cipher \(crypto["cipher"]?.description ?? "missing")")
        }
        initialCounter = try Self.hex(crypto["cipherparams"]?["iv"], "crypto.cipherparams.iv", count: 16)
        ciphertext = try Self.hex(crypto["ciphertext"], "crypto.ciphertext", count: 32)
        mac = try Self.hex(crypto["mac"], "crypto.mac", count: 32)
        guard let parameters = crypto["kdfparams"] else { throw .malformed("no crypto.kdfparams") }
        guard parameters["dklen"]?.integerValue == 32 else { throw .unsupported("kdfparams.dklen other than 32") }
        salt = try Self.hex(parameters["salt"], "crypto.kdfparams.salt", count: nil)
        switch crypto["kdf"]?.stringValue {
        case "scrypt":
            guard let n = parameters["n"]?.integerValue, let r = parameters["r"]?.integerValue,
                  let p = parameters["p"]?.integerValue, n > 1, r > 0, p > 0, r <= UInt32.max, p <= UInt32.max else {
                throw .malformed("kdfparams n, r, p must be positive integers")
            }
            kdf = .scrypt(cost: UInt64(n), blockSize: UInt32(r), parallelism: UInt32(p))
        case "pbkdf2":
            guard parameters["prf"]?.stringValue == "hmac-sha256" else {
                throw .unsupported("pbkdf2 prf \(parameters["prf"]?.description ?? "missing")")
            }
            guard let c = parameters["c"]?.integerValue, c > 0 else { throw .malformed("kdfparams.c must be a positive integer") }
            kdf = .pbkdf2(iterations: UInt64(c))
        default:
            throw .unsupported("kdf \(crypto["kdf"]?.description ?? "missing")")
        }
        if let stated = document["address"]?.stringValue {
            guard let parsed = try? Address(hex: stated.hasPrefix("0x") ? stated : "0x" + stated) else {
                throw .malformed("address \(stated)")
            }
            address = parsed
        } else {
            address = nil
        }
        id = document["id"]?.stringValue ?? ""
    }

    /// Reads a keystore file.
    public init(contentsOfFile path: String) throws(KeystoreError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .file(path: path, reason: "cannot read it (missing or not readable)")
        }
        try self.init(json: [UInt8](data))
    }

    private static func hex(_ value: JSONValue?, _ field: String, count: Int?) throws(KeystoreError) -> [UInt8] {
        guard let text = value?.stringValue, let bytes = try? Hex.decode(text) else {
            throw .malformed("\(field) must be hex")
        }
        if let count, bytes.count != count { throw .malformed("\(field) must be \(count) bytes, is \(bytes.count)") }
        return bytes
    }

    // MARK: Decrypting

    /// The private key; `.wrongPassword` if the MAC does not match.
    public func decrypt(password: String) throws(KeystoreError) -> PrivateKey {
        do {
            let derived = try Self.deriveKey(password: password, salt: salt, kdf: kdf)
            let expected = Keccak256.hash(Array(derived[16..<32]) + ciphertext)
            guard Self.constantTimeEqual(expected.bytes, mac) else { throw KeystoreError.wrongPassword }
            let secret = try AES128CTR.apply(ciphertext, key: derived[0..<16], initialCounter: initialCounter)
            let key = try PrivateKey(bytes: secret)
            if let address, address != key.address { throw KeystoreError.addressMismatch(stated: address, actual: key.address) }
            return key
        } catch let error as KeystoreError {
            throw error
        } catch let error as CryptoError {
            throw .crypto(error)
        } catch {
            throw .malformed("\(error)")
        }
    }

    static func deriveKey(password: String, salt: [UInt8], kdf: KDF) throws(CryptoError) -> [UInt8] {
        let passwordBytes = Array(password.utf8)
        switch kdf {
        case .scrypt(let cost, let blockSize, let parallelism):
            return try Scrypt.deriveKey(password: passwordBytes, salt: salt, cost: cost, blockSize: blockSize,
                                        parallelism: parallelism, outputByteCount: 32)
        case .pbkdf2(let iterations):
            return try PBKDF2.deriveKey(password: passwordBytes, salt: salt, iterations: iterations, outputByteCount: 32)
        }
    }

    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    // MARK: Creating and writing

    /// Encrypts `key` under `password` with a fresh random salt, counter and id.
    public init(encrypting key: PrivateKey, password: String, kdf: KDF = .standardScrypt) throws(KeystoreError) {
        do throws(CryptoError) {
            let salt = try SecureRandom.bytes(count: 32)
            let counter = try SecureRandom.bytes(count: 16)
            let derived = try Self.deriveKey(password: password, salt: salt, kdf: kdf)
            let ciphertext = try AES128CTR.apply(key.bytes, key: derived[0..<16], initialCounter: counter)
            self.kdf = kdf
            self.salt = salt
            self.initialCounter = counter
            self.ciphertext = ciphertext
            self.mac = Keccak256.hash(Array(derived[16..<32]) + ciphertext).bytes
            self.address = key.address
            self.id = Self.randomUUID(try SecureRandom.bytes(count: 16))
        } catch {
            throw .crypto(error)
        }
    }

    /// A version-4 UUID string from 16 random bytes, as the format's "id".
    private static func randomUUID(_ random: [UInt8]) -> String {
        var bytes = random
        bytes[6] = bytes[6] & 0x0f | 0x40
        bytes[8] = bytes[8] & 0x3f | 0x80
        let hex = Hex.encode(bytes, prefix: false)
        let characters = Array(hex)
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
        return groups.joined(separator: "-")
    }

    /// The keystore as JSON, in the layout eth-account writes (address without "0x").
    public var json: JSONValue {
        let kdfName: String
        let parameters: JSONObject
        let salt = JSONValue.string(Hex.encode(self.salt, prefix: false))
        switch kdf {
        case .scrypt(let cost, let blockSize, let parallelism):
            kdfName = "scrypt"
            parameters = ["dklen": .integer(32), "n": .integer(cost), "r": .integer(blockSize), "p": .integer(parallelism), "salt": salt]
        case .pbkdf2(let iterations):
            kdfName = "pbkdf2"
            parameters = ["c": .integer(iterations), "dklen": .integer(32), "prf": .string("hmac-sha256"), "salt": salt]
        }
        var document = JSONObject()
        if let address { document["address"] = .string(Hex.encode(address.bytes, prefix: false)) }
        document.members += [
            ("crypto", .object([
                "cipher": .string("aes-128-ctr"),
                "cipherparams": .object(["iv": .string(Hex.encode(initialCounter, prefix: false))]),
                "ciphertext": .string(Hex.encode(ciphertext, prefix: false)),
                "kdf": .string(kdfName),
                "kdfparams": .object(parameters),
                "mac": .string(Hex.encode(mac, prefix: false)),
            ])),
            ("id", .string(id)),
            ("version", .integer(3)),
        ]
        return .object(document)
    }

    /// Writes the keystore to `path`, readable by its owner only (mode 0600), replacing any file.
    public func write(toFile path: String) throws(KeystoreError) {
        let data = Data(JSONWriter.encode(json))
        guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw .file(path: path, reason: "cannot create it (does the directory exist and is it writable?)")
        }
    }
}
