// Transactions against ethereum-tests/TransactionTests: every fixture, judged by its newest fork.
import Foundation
import LedgerPrimitives
import LedgerTypes
import Testing
import TestSupport

/// Forks in the order they activated. A fixture's `result` has one entry per fork; we judge each
/// fixture by the newest fork it lists (Cancun for most, Shanghai or London for older fillers),
/// because our rules are the current ones: EIP-155, EIP-2 low-s, EIP-2028 calldata, EIP-2681
/// nonce cap, EIP-2930/1559 types, EIP-3860 init code.
private let forkOrder = ["Frontier", "Homestead", "EIP150", "EIP158", "Byzantium", "Constantinople",
                         "ConstantinopleFix", "Istanbul", "Berlin", "London", "Paris", "Shanghai",
                         "Cancun", "Prague"]

struct TransactionFixture {
    let file: String
    let name: String
    let fork: String
    let raw: [UInt8]
    /// nil when the fork's result is an exception.
    let expected: (hash: Hash32, sender: Address, intrinsicGas: UInt64)?
    let exception: String?

    static func all() throws -> [TransactionFixture] {
        let root = try TestData.url("ethereum-tests/TransactionTests")
        let files = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }.filter { $0.pathExtension == "json" }
            .sorted { $0.path < $1.path }
        var fixtures = [TransactionFixture]()
        for url in files {
            let relative = url.pathComponents.suffix(2).joined(separator: "/")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            for (name, body) in json.sorted(by: { $0.key < $1.key }) {
                let body = try #require(body as? [String: Any])
                let results = try #require(body["result"] as? [String: [String: String]])
                let fork = try #require(forkOrder.last { results[$0] != nil }, "\(relative): no known fork")
                let result = results[fork]!
                let rawText = try #require(body["txbytes"] as? String)
                let raw = try [UInt8](hex: rawText)
                var expected: (Hash32, Address, UInt64)?
                if let hash = result["hash"], let sender = result["sender"] {
                    let gasText = try #require(result["intrinsicGas"])
                    let gas = try #require(UInt64(gasText.dropFirst(2), radix: 16))
                    expected = (try Hash32(hex: hash), try Address(hex: sender), gas)
                }
                fixtures.append(TransactionFixture(file: relative, name: name, fork: fork, raw: raw,
                                                   expected: expected, exception: result["exception"]))
            }
        }
        return fixtures
    }
}

struct TransactionVectorTests {
    /// The fixtures assume chain id 1 and Ethereum's acceptance of pre-EIP-155 legacy
    /// transactions, so the runner allows unprotected ones (our default refuses them).
    static let options = TransactionValidationOptions(allowsUnprotectedLegacy: true)

    @Test func everyFixtureMatchesItsNewestFork() throws {
        let fixtures = try TransactionFixture.all()
        // The shared copy holds 210 cases (the two 10 MB String10MbData files are left out);
        // 50 of them expect a sender. A smaller count means the runner silently lost cases.
        #expect(fixtures.count == 210)
        #expect(fixtures.filter { $0.expected != nil }.count == 50)

        var failures = [String]()
        for fixture in fixtures {
            let label = "\(fixture.file) [\(fixture.name), \(fixture.fork)]"
            let outcome = Result { () throws(TransactionError) in
                try RecoveredTransaction(decoding: fixture.raw, chainId: 1, options: Self.options)
            }
            switch (fixture.expected, outcome) {
            case (let expected?, .success(let recovered)):
                if recovered.hash != expected.hash || recovered.sender != expected.sender {
                    failures.append("\(label): expected hash \(expected.hash) sender \(expected.sender.hexString), "
                                    + "got hash \(recovered.hash) sender \(recovered.sender.hexString)")
                }
                if recovered.transaction.intrinsicGas != expected.intrinsicGas {
                    failures.append("\(label): expected intrinsic gas \(expected.intrinsicGas), "
                                    + "got \(recovered.transaction.intrinsicGas)")
                }
                // Two paths to the signing hash: sliced from the input, and re-encoded from the fields.
                if recovered.transaction.signingHash != recovered.transaction.unsigned.signingHash {
                    failures.append("\(label): signing hash from the encoding differs from the re-encoded one")
                }
                let reencoded = SignedTransaction(recovered.transaction.unsigned, signature: recovered.transaction.signature)
                if reencoded.encoded != fixture.raw {
                    failures.append("\(label): re-encoding differs from the input")
                }
            case (let expected?, .failure(let error)):
                failures.append("\(label): expected sender \(expected.sender.hexString), got rejection: \(error)")
            case (nil, .success(let recovered)):
                failures.append("\(label): expected \(fixture.exception ?? "an exception"), "
                                + "got sender \(recovered.sender.hexString)")
            case (nil, .failure(let error)):
                // Rejected, but it must be for the fixture's reason, not some earlier accident.
                let exception = fixture.exception ?? "none"
                switch fixtureException(exception, accepts: error) {
                case true?: break
                case false?: failures.append("\(label): expected \(exception), got a different rejection: \(error)")
                case nil: failures.append("\(label): exception \(exception) has no mapping in fixtureException(_:accepts:)")
                }
            }
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        #expect(failures.isEmpty, "\(failures.count) of \(fixtures.count) fixtures failed")
    }

    /// Without the flag, every valid unprotected fixture is refused, and only for that reason.
    @Test func unprotectedFixturesNeedTheFlag() throws {
        let unprotected = try TransactionFixture.all().filter { fixture in
            guard fixture.expected != nil, let tx = try? SignedTransaction(decoding: fixture.raw) else { return false }
            return tx.type == .legacy && tx.chainId == nil
        }
        #expect(unprotected.count == 33)
        for fixture in unprotected {
            let tx = try SignedTransaction(decoding: fixture.raw)
            #expect(throws: TransactionValidationError.unprotectedTransaction, "\(fixture.file)") {
                try tx.checkIntrinsicValidity(chainId: 1)
            }
        }
    }
}

/// Whether our error is the kind the fixture's `TransactionException.*` names; nil when the name is
/// unknown here, so a new fixture forces a decision instead of passing on any rejection.
func fixtureException(_ exception: String, accepts error: TransactionError) -> Bool? {
    func field(_ error: TransactionError) -> TransactionField? {
        if case .decoding(.invalidField(let field, _)) = error { return field }
        return nil
    }
    let name = exception.replacingOccurrences(of: "TransactionException.", with: "")
    switch name {
    case "ADDRESS_TOO_LONG", "ADDRESS_TOO_SHORT", "RLP_INVALID_TO":
        return field(error) == .to
    case "NONCE_OVERFLOW", "RLP_LEADING_ZEROS_NONCE", "RLP_INVALID_NONCE":
        return field(error) == .nonce
    case "GASLIMIT_OVERFLOW", "RLP_LEADING_ZEROS_GASLIMIT", "RLP_INVALID_GASLIMIT":
        return field(error) == .gas
    case "GASPRICE_OVERFLOW", "RLP_LEADING_ZEROS_GASPRICE":
        return field(error) == .gasPrice || field(error) == .maxFeePerGas
    case "RLP_LEADING_ZEROS_BASEFEE":
        return field(error) == .maxFeePerGas
    case "PRIORITY_OVERFLOW", "RLP_LEADING_ZEROS_PRIORITY_FEE":
        return field(error) == .maxPriorityFeePerGas
    case "VALUE_OVERFLOW", "RLP_LEADING_ZEROS_VALUE":
        return field(error) == .value
    case "RLP_INVALID_DATA":
        return field(error) == .input
    case "RLP_LEADING_ZEROS_R", "RLP_INVALID_SIGNATURE_R":
        return field(error) == .r
    case "RLP_LEADING_ZEROS_S", "RLP_INVALID_SIGNATURE_S":
        return field(error) == .s
    case "RLP_LEADING_ZEROS_V":
        return field(error) == .v
    case "RLP_ERROR_SIZE", "RLP_ERROR_SIZE_LEADING_ZEROS", "RLP_LEADING_ZEROS_DATA_SIZE", "RLP_LEADING_ZEROS_NONCE_SIZE":
        if case .decoding(.malformedRLP) = error { return true }
        return false
    case "RLP_ERROR_EOF", "RLP_INVALID_HEADER":
        switch error {
        case .decoding(.notAList), .decoding(.malformedRLP): return true
        default: return false
        }
    case "TYPE_NOT_SUPPORTED":
        switch error {
        case .decoding(.notAList), .decoding(.unsupportedType): return true
        default: return false
        }
    case "RLP_TOO_FEW_ELEMENTS", "RLP_TOO_MANY_ELEMENTS":
        if case .decoding(.wrongFieldCount) = error { return true }
        return false
    case _ where name.hasPrefix("RLP_INVALID_ACCESS_LIST"):
        if case .decoding(.invalidAccessListEntry) = error { return true }
        return false
    case "INVALID_CHAINID":
        switch error {
        case .validation(.invalidChainId), .decoding(.chainIdTooLarge), .decoding(.invalidV): return true
        default: return false
        }
    case "INVALID_SIGNATURE_VRS":
        switch error {
        case .validation(.signatureOutOfRange), .validation(.highS), .decoding(.invalidV): return true
        default: return field(error) == .r || field(error) == .s
        }
    case "EC_RECOVERY_FAIL":
        return error == .validation(.invalidSender)
    case "GASLIMIT_PRICE_PRODUCT_OVERFLOW":
        return error == .validation(.gasTimesFeeOverflow)
    case "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS", "PRIORITY_GREATER_THAN_MAX_FEE_PER_GAS_2":
        return error == .validation(.tipAboveFeeCap)
    case "INTRINSIC_GAS_TOO_LOW":
        if case .validation(.intrinsicGasTooLow) = error { return true }
        return false
    case "INITCODE_SIZE_EXCEEDED":
        if case .validation(.initcodeTooLarge) = error { return true }
        return false
    case "NONCE_TOO_BIG":
        return error == .validation(.nonceMax)
    default:
        return nil
    }
}
