// Sources/D6GActors/Files.swift: secrets at rest open only with their store key and purpose,
// and a changed byte is an error, never altered plaintext.
import D6GActors
import Foundation
import LedgerCrypto
import LedgerPrimitives
import Testing

private func temporaryPath(_ name: String) -> String {
    NSTemporaryDirectory() + "d6g-sealed-\(UUID().uuidString)-\(name)"
}

@Test func sealedFilesOpenOnlyWithTheirKeyAndPurpose() throws {
    let key = try StoreKey(bytes: try SecureRandom.bytes(count: 32))
    let path = temporaryPath("secret")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let secret = Array("the per-agent secret 0123456789".utf8)
    try SealedFile.write(secret, to: path, purpose: "d6g-test", key: key)
    #expect(try SealedFile.read(path, purpose: "d6g-test", key: key) == secret)
    // Not in the clear on disk.
    let onDisk = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(!String(decoding: onDisk, as: UTF8.self).contains("per-agent secret"))
    // Another key, another purpose, a flipped byte: refused.
    let other = try StoreKey(bytes: try SecureRandom.bytes(count: 32))
    #expect(throws: ActorError.self) { try SealedFile.read(path, purpose: "d6g-test", key: other) }
    #expect(throws: ActorError.self) { try SealedFile.read(path, purpose: "d6g-account-key", key: key) }
    var flipped = onDisk
    flipped[flipped.count - 1] ^= 1
    try Data(flipped).write(to: URL(fileURLWithPath: path))
    #expect(throws: ActorError.self) { try SealedFile.read(path, purpose: "d6g-test", key: key) }
    // Not a sealed file at all.
    try Data("plain".utf8).write(to: URL(fileURLWithPath: path))
    #expect(throws: ActorError("\(path) is not a sealed d6g file")) { try SealedFile.read(path, purpose: "d6g-test", key: key) }
}

@Test func storeKeysAreThirtyTwoBytes() {
    #expect(throws: ActorError("a store key is 32 bytes (64 hex characters), not 31")) { try StoreKey(bytes: [UInt8](repeating: 1, count: 31)) }
    #expect(throws: ActorError.self) { try StoreKey.resolve(file: "/nonexistent/key", environmentVariable: "D6G_TEST_NO_SUCH_VARIABLE") }
}

@Test func agentKeysSurviveTheirFileAndKeepTheirAccount() throws {
    let key = try StoreKey(bytes: try SecureRandom.bytes(count: 32))
    let path = temporaryPath("keys")
    defer { try? FileManager.default.removeItem(atPath: path) }
    let keys = AgentKeys.generate(agentId: "detect-1")
    try keys.write(to: path, key: key)
    let back = try AgentKeys.read(from: path, key: key)
    #expect(try back.accountKey.address == keys.accountKey.address)
    #expect(try back.allEncryptionKeys.map(\.address) == keys.allEncryptionKeys.map(\.address))
    #expect(back.agentId == "detect-1")
}
