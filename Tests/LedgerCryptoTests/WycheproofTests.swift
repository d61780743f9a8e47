// Every Wycheproof vector for secp256k1 ECDSA (plain and Bitcoin/low-s) and ECDH, with the
// verdict each must get. Failures name their tcId. No vector is skipped.
import Foundation
import LedgerCrypto
import LedgerPrimitives
import TestSupport
import Testing

@Suite("Wycheproof")
struct WycheproofTests {
    /// One vector that got the wrong verdict.
    struct Failure: CustomStringConvertible {
        let tcId: Int
        let comment: String
        let detail: String
        var description: String { "tcId \(tcId) (\(comment)): \(detail)" }
    }

    @Test("ECDSA secp256k1/SHA-256, plain verifier: high-s counts as valid")
    func ecdsaPlain() throws {
        let (count, failures) = try runECDSA(file: "ecdsa_secp256k1_sha256_test.json", requiringLowS: false)
        #expect(count == 476)
        #expect(failures.isEmpty, "\(failures.count) wrong verdicts:\n\(failures.map(\.description).joined(separator: "\n"))")
    }

    @Test("ECDSA secp256k1/SHA-256, Bitcoin variant: high-s is invalid")
    func ecdsaBitcoin() throws {
        let (count, failures) = try runECDSA(file: "ecdsa_secp256k1_sha256_bitcoin_test.json", requiringLowS: true)
        #expect(count == 463)
        #expect(failures.isEmpty, "\(failures.count) wrong verdicts:\n\(failures.map(\.description).joined(separator: "\n"))")
    }

    @Test("ECDH secp256k1 with DER SubjectPublicKeyInfo keys: shared secret is the raw x")
    func ecdh() throws {
        let (count, failures) = try runECDH()
        #expect(count == 752)
        #expect(failures.isEmpty, "\(failures.count) wrong verdicts:\n\(failures.map(\.description).joined(separator: "\n"))")
    }

    // MARK: - ECDSA

    /// Valid iff the DER signature parses strictly and verifies over SHA-256(msg). The files
    /// have no "acceptable" ECDSA vectors; one would be reported as a failure to decide on.
    private func runECDSA(file: String, requiringLowS: Bool) throws -> (Int, [Failure]) {
        let root = try #require(TestData.json("wycheproof/testvectors_v1/\(file)") as? [String: Any])
        let groups = try #require(root["testGroups"] as? [[String: Any]])
        var failures: [Failure] = []
        var count = 0
        for group in groups {
            let keyInfo = try #require(group["publicKey"] as? [String: Any])
            let uncompressed = try [UInt8](hex: try #require(keyInfo["uncompressed"] as? String))
            let der = try [UInt8](hex: try #require(group["publicKeyDer"] as? String))
            // Both encodings of the group's key must parse to the same point.
            let publicKey = try PublicKey(bytes: uncompressed)
            #expect(try PublicKey(subjectPublicKeyInfo: der) == publicKey)
            for test in try #require(group["tests"] as? [[String: Any]]) {
                count += 1
                let tcId = try #require(test["tcId"] as? Int)
                let comment = test["comment"] as? String ?? ""
                let result = try #require(test["result"] as? String)
                let message = try [UInt8](hex: try #require(test["msg"] as? String))
                let signatureDER = try [UInt8](hex: try #require(test["sig"] as? String))
                let digest = try SHA256.hash(message)
                var accepted = false
                var reason = "verification returned false"
                do {
                    let signature = try ECDSASignature(derEncoded: signatureDER)
                    accepted = publicKey.isValidSignature(signature, for: digest, requiringLowS: requiringLowS)
                } catch {
                    reason = "refused: \(error)"
                }
                switch result {
                case "valid" where !accepted:
                    failures.append(Failure(tcId: tcId, comment: comment, detail: "valid but \(reason)"))
                case "invalid" where accepted:
                    failures.append(Failure(tcId: tcId, comment: comment, detail: "invalid but accepted"))
                case "valid", "invalid":
                    break
                default:
                    failures.append(Failure(tcId: tcId, comment: comment, detail: "verdict \(result) has no policy"))
                }
            }
        }
        return (count, failures)
    }

    // MARK: - ECDH

    /// Our decision for each "acceptable" ECDH flag (Wycheproof leaves these to the library):
    /// - CompressedPublic / CompressedPoint: accepted, since PublicKey parses compressed points;
    ///   the shared secret must then match.
    /// - InvalidAsn: refused. The parser is strict DER on purpose: a key that only a lax
    ///   parser reads is a malleable encoding, and nothing we talk to produces one.
    /// - UnnamedCurve (with UnusedParam, ModifiedCofactor, ModifiedGenerator, WrongOrder,
    ///   NoCofactor, ModifiedCurveParameter): refused. Only the named-curve OID of secp256k1
    ///   is supported; explicit parameters are never parsed, so none can be misused.
    private func acceptsAcceptable(flags: [String]) -> Bool? {
        if flags.contains("InvalidAsn") || flags.contains("UnnamedCurve") { return false }
        if flags.contains("CompressedPublic") { return true }
        return nil
    }

    private func runECDH() throws -> (Int, [Failure]) {
        let root = try #require(TestData.json("wycheproof/testvectors_v1/ecdh_secp256k1_test.json") as? [String: Any])
        let groups = try #require(root["testGroups"] as? [[String: Any]])
        var failures: [Failure] = []
        var count = 0
        for group in groups {
            for test in try #require(group["tests"] as? [[String: Any]]) {
                count += 1
                let tcId = try #require(test["tcId"] as? Int)
                let comment = test["comment"] as? String ?? ""
                let flags = test["flags"] as? [String] ?? []
                let result = try #require(test["result"] as? String)
                let expectedShared = try [UInt8](hex: try #require(test["shared"] as? String))
                var shared: [UInt8]?
                var reason = ""
                do {
                    let publicKey = try PublicKey(subjectPublicKeyInfo: [UInt8](hex: try #require(test["public"] as? String)))
                    let privateKey = try PrivateKey(bytes: scalar32(try #require(test["private"] as? String)))
                    shared = try privateKey.sharedSecret(with: publicKey)
                } catch {
                    reason = "\(error)"
                }
                let shouldAccept: Bool
                switch result {
                case "valid": shouldAccept = true
                case "invalid": shouldAccept = false
                case "acceptable":
                    guard let decision = acceptsAcceptable(flags: flags) else {
                        failures.append(Failure(tcId: tcId, comment: comment, detail: "acceptable with flags \(flags) has no policy"))
                        continue
                    }
                    shouldAccept = decision
                default:
                    failures.append(Failure(tcId: tcId, comment: comment, detail: "unknown verdict \(result)"))
                    continue
                }
                if shouldAccept {
                    if let shared, shared != expectedShared {
                        failures.append(Failure(tcId: tcId, comment: comment, detail: "shared \(shared.hexString), expected \(expectedShared.hexString)"))
                    } else if shared == nil {
                        failures.append(Failure(tcId: tcId, comment: comment, detail: "\(result) \(flags) but refused: \(reason)"))
                    }
                } else if let shared {
                    failures.append(Failure(tcId: tcId, comment: comment, detail: "\(result) \(flags) but accepted, shared \(shared.hexString)"))
                }
            }
        }
        return (count, failures)
    }

    /// Wycheproof writes private keys as big-endian integers of any length (a leading 00 for
    /// the sign, or fewer than 32 bytes): as 32 bytes. A value needing more than 32 bytes is
    /// kept too long, so that PrivateKey refuses it.
    private func scalar32(_ hex: String) throws -> [UInt8] {
        let significant = Array(try [UInt8](hex: hex).drop(while: { $0 == 0 }))
        guard significant.count <= 32 else { return significant }
        return [UInt8](repeating: 0, count: 32 - significant.count) + significant
    }
}
