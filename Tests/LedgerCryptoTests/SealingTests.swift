// Sealing (PROTOCOL.md §Sealing): round trips, every kind of tampering refused, and the
// recorded vectors of Docs/crypto.md reproduced byte for byte.
import Foundation
import LedgerCrypto
import LedgerPrimitives
import Testing

@Suite("Sealing")
struct SealingTests {
    let recipient = PrivateKey.generate()
    let context = Array("d6g test context".utf8)
    let plaintext = Array("group key: 32 bytes of secret...".utf8)

    @Test("Seal then open returns the plaintext; two seals of one plaintext differ")
    func roundTrip() throws {
        let box = try Sealing.seal(plaintext, to: recipient.publicKey, context: context)
        #expect(box.count == plaintext.count + Sealing.overhead)
        #expect(try Sealing.open(box, with: recipient, context: context) == plaintext)
        #expect(try Sealing.seal(plaintext, to: recipient.publicKey, context: context) != box)
        let empty = try Sealing.seal([UInt8](), to: recipient.publicKey, context: [UInt8]())
        #expect(try Sealing.open(empty, with: recipient, context: [UInt8]()) == [])
    }

    @Test("Any flipped bit in nonce, ciphertext or tag fails authentication")
    func tamperedBody() throws {
        let box = try Sealing.seal(plaintext, to: recipient.publicKey, context: context)
        for index in 33..<box.count {
            var altered = box
            altered[index] ^= 0x80
            #expect(throws: CryptoError.authenticationFailed) {
                try Sealing.open(altered, with: recipient, context: context)
            }
        }
    }

    @Test("An altered ephemeral key is refused as invalid or fails authentication")
    func tamperedEphemeralKey() throws {
        let box = try Sealing.seal(plaintext, to: recipient.publicKey, context: context)
        for index in 0..<33 {
            var altered = box
            altered[index] ^= 0x01
            #expect(throws: CryptoError.self) { try Sealing.open(altered, with: recipient, context: context) }
        }
        var notAPoint = box
        notAPoint.replaceSubrange(0..<33, with: [0x02] + [UInt8](repeating: 0, count: 32))
        #expect(throws: CryptoError.invalidEphemeralKey) { try Sealing.open(notAPoint, with: recipient, context: context) }
        var uncompressedPrefix = box
        uncompressedPrefix[0] = 0x04
        #expect(throws: CryptoError.invalidEphemeralKey) {
            try Sealing.open(uncompressedPrefix, with: recipient, context: context)
        }
    }

    @Test("Wrong context, wrong key, truncation and short input are refused")
    func wrongInputs() throws {
        let box = try Sealing.seal(plaintext, to: recipient.publicKey, context: context)
        #expect(throws: CryptoError.authenticationFailed) {
            try Sealing.open(box, with: recipient, context: Array("d6g test context!".utf8))
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try Sealing.open(box, with: PrivateKey.generate(), context: context)
        }
        #expect(throws: CryptoError.authenticationFailed) {
            try Sealing.open(box.dropLast(), with: recipient, context: context)
        }
        #expect(throws: CryptoError.sealedBoxTooShort(60)) {
            try Sealing.open(box.prefix(60), with: recipient, context: context)
        }
    }

    /// The vectors of Docs/crypto.md §Sealing test vectors.
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let recipientKey: String
        let ephemeralKey: String
        let nonce: String
        let context: String
        let plaintext: String
        let sealed: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(
            name: "32-byte group key, 64-byte context",
            recipientKey: "0x1111111111111111111111111111111111111111111111111111111111111111",
            ephemeralKey: "0x2222222222222222222222222222222222222222222222222222222222222222",
            nonce: "0x000102030405060708090a0b",
            context: "0x944228b255e444a29b1757fa422bc9bfecbdbef5d0b4f8d12cdcaeedef52ca58d58c3ff67e65c869478c19c3bc8c4bab1805a1146a2ea498ce3a3b79d05d9969",
            plaintext: "0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
            sealed: "0x02466d7fcae563e5cb09a0d1870bb580344804617879a14949cf22285f1bae3f27000102030405060708090a0b6f4f3aeeaa4d42c43ba47410d07f8cff3b6de2b5f1af5f1895beeb1825d2e06d138e1578b4bf18789a4bb550549772c9"),
        Vector(
            name: "empty plaintext, empty context",
            recipientKey: "0x0000000000000000000000000000000000000000000000000000000000000001",
            ephemeralKey: "0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140",
            nonce: "0xffffffffffffffffffffffff",
            context: "0x",
            plaintext: "0x",
            sealed: "0x0379be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798ffffffffffffffffffffffff012e313830fe000a297d779e1c83ed1d"),
        Vector(
            name: "84-byte challenge (prover, salt, nonce), ASCII context",
            recipientKey: "0xc85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4",
            ephemeralKey: "0x7e5bd1b5e2a0c2d1f0b6f5c1c9a8a3e2d4b5c6a7f8e9d0c1b2a3948576a5b4c3",
            nonce: "0xa1a2a3a4a5a6a7a8a9aaabac",
            context: "0x643667207365616c696e67207465737420766563746f72",
            plaintext: "0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1ffffefdfcfbfaf9f8f7f6f5f4f3f2f1f0efeeedecebeae9e8e7e6e5e4e3e2e1e0",
            sealed: "0x02c0af794da7bbeaa19faf77766d3d1e804d8070c1ff106a4b4d720013bdc51e62a1a2a3a4a5a6a7a8a9aaabac43b32ac71ea2fe8166a6853c18c26362572b67655087b772fec31b99e79b1fbd5bbffc74e1e3e14534f601a80c5c60e53b7202beb37c16d41c4c13c86e213adbcfd519b52bd13ddc4a3a67b047f6e199000c01ce162f242d5f150599e370a88efc854f15"),
    ]

    @Test("Recorded vectors: deterministic seal gives the recorded bytes, open gives the plaintext",
          arguments: vectors)
    func recordedVector(_ vector: Vector) throws {
        let recipient = try PrivateKey(bytes: [UInt8](hex: vector.recipientKey))
        let box = try Sealing.sealDeterministically(
            [UInt8](hex: vector.plaintext), to: recipient.publicKey, context: [UInt8](hex: vector.context),
            ephemeralKey: PrivateKey(bytes: [UInt8](hex: vector.ephemeralKey)), nonce: [UInt8](hex: vector.nonce))
        #expect(box.hexString == vector.sealed)
        #expect(try Sealing.open([UInt8](hex: vector.sealed), with: recipient, context: [UInt8](hex: vector.context))
            == [UInt8](hex: vector.plaintext))
    }

    @Test("Docs/crypto.md shows the same vectors as this test")
    func documentedVectors() throws {
        // #filePath is Tests/LedgerCryptoTests/SealingTests.swift inside the package.
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Docs/crypto.md")
        // The page splits long values into `part` `part` runs: join them back.
        let text = try String(contentsOf: docs, encoding: .utf8).replacingOccurrences(of: "` `", with: "")
        for vector in Self.vectors {
            for value in [vector.recipientKey, vector.ephemeralKey, vector.nonce, vector.sealed] {
                #expect(text.contains("`" + value.dropFirst(2) + "`"), "\(vector.name): \(value) not in Docs/crypto.md")
            }
        }
    }
}
