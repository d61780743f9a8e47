// The files the MLFO, SECaaS and agent programs hand each other and keep (Docs/operator-guide.md
// §The D6G programs). Public files (where the contracts are, an agent's registration request,
// its provisioning bundle) are plain JSON; files holding secrets (keys, plans, wrapped images)
// are sealed at rest with AES-256-GCM under a key the operator gives each program (`StoreKey`).
import D6GProtocol
import Foundation
import LedgerCrypto
import LedgerPrimitives

/// A failure of a program's work, said so that the operator knows what to do.
public struct ActorError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Where the contracts are: written by `d6g-mlfo deploy-contracts`, read by all three programs.
public struct DeploymentFile: Codable, Equatable, Sendable {
    public var chainId: UInt64
    public var registry: String
    public var keyExchange: String
    public var mlfo: String
    public var secaas: String
    public var deployedAtBlock: UInt64

    public init(chainId: UInt64, registry: Address, keyExchange: Address, mlfo: Address, secaas: Address, deployedAtBlock: UInt64) {
        self.chainId = chainId
        self.registry = registry.description
        self.keyExchange = keyExchange.description
        self.mlfo = mlfo.description
        self.secaas = secaas.description
        self.deployedAtBlock = deployedAtBlock
    }

    public func deployment() throws(ActorError) -> Deployment {
        Deployment(chainId: chainId, registry: try address(registry, "registry"), keyExchange: try address(keyExchange, "keyExchange"))
    }

    public var secaasAddress: Address { get throws(ActorError) { try address(secaas, "secaas") } }
    public var mlfoAddress: Address { get throws(ActorError) { try address(mlfo, "mlfo") } }
}

/// What an agent asks the MLFO to register: public values only (`d6g-agent init` prints it).
public struct RegistrationRequest: Codable, Equatable, Sendable {
    public var agentId: String
    public var account: String
    public var encryptionKey: String
    /// r ‖ s ‖ v over encPubMsg(account, encryptionKey) for the registry it names.
    public var signature: String
    public var registry: String
    public var chainId: UInt64

    public init(agentId: String, account: Address, encryptionKey: PublicKey, signature: [UInt8], deployment: Deployment) {
        self.agentId = agentId
        self.account = account.description
        self.encryptionKey = Hex.encode(encryptionKey.compressedBytes)
        self.signature = Hex.encode(signature)
        self.registry = deployment.registry.description
        self.chainId = deployment.chainId
    }

    public var accountAddress: Address { get throws(ActorError) { try address(account, "account") } }

    public var encryptionPublicKey: PublicKey {
        get throws(ActorError) {
            guard let bytes = try? Hex.decode(encryptionKey), bytes.count == 33, let key = try? PublicKey(bytes: bytes) else {
                throw ActorError("encryptionKey is not a compressed secp256k1 public key (33 bytes in hex)")
            }
            return key
        }
    }

    public var signatureBytes: [UInt8] {
        get throws(ActorError) {
            guard let bytes = try? Hex.decode(signature), bytes.count == 65 else { throw ActorError("signature is not 65 bytes in hex") }
            return bytes
        }
    }
}

/// The on-chain id of an agent or pipeline named `name`: keccak-256 of the name.
public func identifier(_ name: String) -> Hash32 { Keccak256.hash(Array(name.utf8)) }

func address(_ text: String, _ field: String) throws(ActorError) -> Address {
    guard let value = try? Address(hex: text) else { throw ActorError("\(field) is not an address: \(text)") }
    return value
}

// MARK: - Secrets at rest

/// The 32-byte key that seals a program's secret files: from `--store-key-file` (64 hex
/// characters) or the environment variable the program names. Never written by the programs.
public struct StoreKey: Sendable {
    let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(ActorError) {
        guard bytes.count == 32 else { throw ActorError("a store key is 32 bytes (64 hex characters), not \(bytes.count)") }
        self.bytes = bytes
    }

    /// From the file if given, else from `environmentVariable`.
    public static func resolve(file: String?, environmentVariable: String) throws(ActorError) -> StoreKey {
        let text: String
        if let file {
            guard let contents = try? String(contentsOfFile: file, encoding: .utf8) else { throw ActorError("cannot read the store key file \(file)") }
            text = contents
        } else if let value = ProcessInfo.processInfo.environment[environmentVariable] {
            text = value
        } else {
            throw ActorError("no store key: give --store-key-file FILE or set \(environmentVariable) (64 hex characters; "
                             + "`openssl rand -hex 32` makes one)")
        }
        guard let bytes = try? Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw ActorError("the store key is not hex")
        }
        return try StoreKey(bytes: bytes)
    }
}

/// A file sealed with AES-256-GCM: "D6GSEAL1" ‖ nonce (12) ‖ ciphertext ‖ tag, the file's purpose
/// as associated data (a plan file cannot be passed off as a key file).
public enum SealedFile {
    static let magic = Array("D6GSEAL1".utf8)

    public static func write(_ plaintext: [UInt8], to path: String, purpose: String, key: StoreKey) throws(ActorError) {
        do {
            let nonce = try SecureRandom.bytes(count: AESGCM.nonceByteCount)
            let sealed = try AESGCM.encrypt(plaintext, key: key.bytes, nonce: nonce, associatedData: Array(purpose.utf8))
            try writeAtomically(magic + nonce + sealed, to: path)
        } catch let error as ActorError {
            throw error
        } catch {
            throw ActorError("cannot seal \(path): \(error)")
        }
    }

    public static func read(_ path: String, purpose: String, key: StoreKey) throws(ActorError) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ActorError("cannot read \(path)") }
        let bytes = [UInt8](data)
        let header = magic.count + AESGCM.nonceByteCount
        guard bytes.count >= header + AESGCM.tagByteCount, Array(bytes.prefix(magic.count)) == magic else {
            throw ActorError("\(path) is not a sealed d6g file")
        }
        do {
            return try AESGCM.decrypt(bytes[header...], key: key.bytes, nonce: bytes[magic.count..<header],
                                      associatedData: Array(purpose.utf8))
        } catch {
            throw ActorError("cannot open \(path): wrong store key, or the file is not a \(purpose) file or was altered")
        }
    }

    public static func writeJSON(_ value: some Encodable, to path: String, purpose: String, key: StoreKey) throws(ActorError) {
        guard let data = try? JSONEncoder().encode(value) else { throw ActorError("cannot encode \(purpose)") }
        try write([UInt8](data), to: path, purpose: purpose, key: key)
    }

    public static func readJSON<Value: Decodable>(_ type: Value.Type, from path: String, purpose: String,
                                                  key: StoreKey) throws(ActorError) -> Value {
        let bytes = try read(path, purpose: purpose, key: key)
        guard let value = try? JSONDecoder().decode(type, from: Data(bytes)) else { throw ActorError("\(path) does not hold a \(purpose)") }
        return value
    }
}

/// Writes through a temporary file and a rename, so a crash leaves the old file or the new one.
public func writeAtomically(_ bytes: [UInt8], to path: String) throws(ActorError) {
    let temporary = path + ".tmp"
    guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
        throw ActorError("cannot write \(temporary)")
    }
    if rename(temporary, path) != 0 { throw ActorError("cannot move \(temporary) to \(path)") }
}

/// Reads a plain JSON file.
public func readJSONFile<Value: Decodable>(_ type: Value.Type, from path: String) throws(ActorError) -> Value {
    guard let data = FileManager.default.contents(atPath: path) else { throw ActorError("cannot read \(path)") }
    do { return try JSONDecoder().decode(type, from: data) } catch { throw ActorError("\(path) is not a valid \(type): \(error)") }
}

/// Writes a plain JSON file (public values only), pretty-printed for the operator.
public func writeJSONFile(_ value: some Encodable, to path: String) throws(ActorError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    guard let data = try? encoder.encode(value) else { throw ActorError("cannot encode \(path)") }
    try writeAtomically([UInt8](data) + [0x0a], to: path)
}
