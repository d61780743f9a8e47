// Genesis files: the devnet file loads and its keys derive from the documented seeds; every bad
// field is reported by its path; the state and block 0 built from a genesis are what they claim.
import Execution
import ExecutionTestSupport
import Foundation
import LedgerCrypto
import LedgerPrimitives
import LedgerTypes
import StateTrie
import Testing
import TestSupport

/// The package's Genesis/ folder (this file is Tests/ExecutionTests/GenesisTests.swift).
private let genesisFolder = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Genesis")

/// A development key: keccak-256 of its seed text (Genesis/README.md).
private func devKey(_ seed: String) throws -> PrivateKey {
    try PrivateKey(bytes: Keccak256.hash(Array(seed.utf8)).bytes)
}

private let validatorKey = "0x03f8b2f2a60f3ee8486052f4b5048f102a708ecfff7c3f0159eb46a18ad4c18be5"
private let nodeKey = "0x038bdc1d37274a14acabb050b1df14cf38ffdea31d8c987765a2000a10fdd0f457"

/// A valid minimal genesis whose fields the catalogue below breaks one at a time.
private func genesisText(chainId: String = "7", gasLimit: String = "\"0x1c9c380\"", baseFee: String = "\"0x1\"",
                         extra: String = "", d6gExtra: String = "", validators: String? = nil,
                         alloc: String = "{\"0x1111111111111111111111111111111111111111\": {\"balance\": \"0x10\"}}") -> String {
    let validatorList = validators ?? "[{\"consensusKey\": \"\(validatorKey)\", \"nodeKey\": \"\(nodeKey)\", \"power\": 1}]"
    return """
    {"config": {"chainId": \(chainId), "d6g": {"validators": \(validatorList)\(d6gExtra)}},
     "gasLimit": \(gasLimit), "baseFeePerGas": \(baseFee)\(extra), "alloc": \(alloc)}
    """
}

struct GenesisTests {
    @Test func devnetLoadsWithItsDocumentedKeys() throws {
        let data = try Data(contentsOf: genesisFolder.appendingPathComponent("devnet.json"))
        let genesis = try Genesis(json: [UInt8](data))
        #expect(genesis.chainId == 1337 && genesis.gasLimit == 100_000_000 && genesis.baseFeePerGas == gwei)
        #expect(genesis.settings.sendAllowlist == nil && genesis.settings.deployAllowlist == nil)
        #expect(genesis.settings.minBlockIntervalMs == 250 && genesis.settings.emptyBlockPeriodMs == 5_000)
        let validator = try #require(genesis.settings.validators.first)
        #expect(validator.address == (try devKey("d6g-dev-validator-0")).address)
        #expect(validator.consensusKey == (try devKey("d6g-dev-validator-0")).publicKey.compressedBytes)
        #expect(validator.nodeKey == (try devKey("d6g-dev-node-0")).publicKey.compressedBytes)
        let accounts = try (0..<5).map { try devKey("d6g-dev-account-\($0)").address }
        #expect(Set(genesis.alloc.keys) == Set(accounts))
        #expect(genesis.alloc.values.allSatisfy { $0.balance == ether * UInt256(1_000_000) })
    }

    @Test func devnetBlockZeroCommitsToItsState() throws {
        let data = try Data(contentsOf: genesisFolder.appendingPathComponent("devnet.json"))
        let genesis = try Genesis(json: [UInt8](data))
        let (block, diff) = genesis.build()
        #expect(block.header.number == 0 && block.header.stateRoot == diff.stateRoot)
        #expect(block.header.transactionsRoot == MerklePatriciaTrie.emptyRootHash)
        #expect(block.header.validatorsHash == genesis.validatorsHash)
        let nodes = InMemoryTrieNodeStore()
        nodes.write(TrieCommit(rootHash: diff.stateRoot, nodes: diff.trieNodes))
        let state = try TrieStateReader(stateRoot: diff.stateRoot, nodes: nodes, codes: InMemoryCodeStore())
        for (address, account) in genesis.alloc { #expect(try state.balance(of: address) == account.balance) }
        #expect(try Block(decoding: block.encoded) == block)
    }

    @Test func allocationsWithCodeStorageAndNonceBuildTheirAccounts() throws {
        let genesis = try Genesis(json: genesisText(alloc: """
            {"2222222222222222222222222222222222222222": {"balance": "1000", "nonce": "0x2", "code": "0x6001",
             "storage": {"0x01": "0x2a", "0x0000000000000000000000000000000000000000000000000000000000000002": "0x00"}}}
            """))
        let account = try #require(genesis.alloc[Address(bytes: [UInt8](repeating: 0x22, count: 20))!])
        #expect(account.balance == UInt256(1000) && account.nonce == 2 && account.code == [0x60, 0x01])
        let (_, diff) = genesis.build()
        let allocated = Address(bytes: [UInt8](repeating: 0x22, count: 20))!
        let built = try #require(diff.accounts[allocated])
        #expect(built.codeHash == Keccak256.hash([0x60, 0x01]) && built.nonce == 2)
        #expect(diff.storage[allocated] == [UInt256(1): UInt256(42)])
        // Besides the allocation, only the Permissions system contract.
        #expect(Set(diff.accounts.keys) == [allocated, Permissions.address])
        #expect(diff.code[Keccak256.hash([0x60, 0x01])] == [0x60, 0x01])
    }

    @Test func defaultsApplyWhenOptionalFieldsAreAbsent() throws {
        let genesis = try Genesis(json: genesisText())
        #expect(genesis.settings.baseFeeFloats == false && genesis.settings.feeRecipient == nil)
        #expect(genesis.settings.minBlockIntervalMs == 250 && genesis.settings.emptyBlockPeriodMs == 5_000)
        #expect(genesis.timestamp == 0 && genesis.extraData.isEmpty)
        #expect(genesis.rules == ChainRules(chainId: 7))
    }

    @Test func zeroBaseFeeWithBothAllowlistsIsAccepted() throws {
        let genesis = try Genesis(json: genesisText(baseFee: "0", d6gExtra: """
            , "sendAllowlist": ["0x1111111111111111111111111111111111111111"], "deployAllowlist": []
            """))
        #expect(genesis.settings.sendAllowlist?.count == 1 && genesis.settings.deployAllowlist == [])
    }

    @Test func thePermissionsContractHoldsTheGenesisLists() throws {
        let admin = Address(bytes: [UInt8](repeating: 0x11, count: 20))!
        let other = Address(bytes: [UInt8](repeating: 0x22, count: 20))!
        let genesis = try Genesis(json: genesisText(d6gExtra: """
            , "admin": "\(admin)", "sendAllowlist": ["\(admin)", "\(other)"], "deployAllowlist": ["\(admin)"]
            """))
        let (_, diff) = genesis.build()
        let nodes = InMemoryTrieNodeStore()
        nodes.write(TrieCommit(rootHash: diff.stateRoot, nodes: diff.trieNodes))
        let codes = InMemoryCodeStore()
        codes.write(diff)
        let state = try TrieStateReader(stateRoot: diff.stateRoot, nodes: nodes, codes: codes)
        #expect(try state.code(at: Permissions.address) == Permissions.runtimeCode)
        #expect(try state.storageValue(at: Permissions.Slot.admin, of: Permissions.address) == UInt256(admin))
        #expect(try Permissions.maySend(admin, in: state) && Permissions.maySend(other, in: state))
        #expect(try Permissions.mayDeploy(admin, in: state) && !Permissions.mayDeploy(other, in: state))
        let stranger = Address(bytes: [UInt8](repeating: 0x33, count: 20))!
        #expect(try !Permissions.maySend(stranger, in: state))

        // Without lists, anyone may send and deploy, and nobody administers them.
        let (_, openDiff) = try Genesis(json: genesisText()).build()
        nodes.write(TrieCommit(rootHash: openDiff.stateRoot, nodes: openDiff.trieNodes))
        let open = try TrieStateReader(stateRoot: openDiff.stateRoot, nodes: nodes, codes: codes)
        #expect(try Permissions.maySend(stranger, in: open) && Permissions.mayDeploy(stranger, in: open))
        #expect(try open.storageValue(at: Permissions.Slot.admin, of: Permissions.address) == .zero)
    }

    /// The catalogue: each broken file and the field its error must name.
    @Test(arguments: [
        (genesisText(chainId: "\"seven\""), "config.chainId"),
        (genesisText(gasLimit: "\"0xzz\""), "gasLimit"),
        (genesisText(gasLimit: "100"), "gasLimit"),
        (genesisText(baseFee: "true"), "baseFeePerGas"),
        (genesisText(extra: ", \"extraData\": \"0x\(String(repeating: "00", count: 33))\""), "extraData"),
        (genesisText(extra: ", \"timestamp\": -1"), "timestamp"),
        (genesisText(validators: "[]"), "config.d6g.validators"),
        (genesisText(validators: "[{\"consensusKey\": \"0x02\", \"nodeKey\": \"\(nodeKey)\", \"power\": 1}]"),
         "config.d6g.validators.0.consensusKey"),
        (genesisText(validators: "[{\"consensusKey\": \"\(validatorKey)\", \"nodeKey\": \"0x05\(String(repeating: "11", count: 32))\", \"power\": 1}]"),
         "config.d6g.validators.0.nodeKey"),
        (genesisText(validators: "[{\"consensusKey\": \"\(validatorKey)\", \"nodeKey\": \"\(nodeKey)\", \"power\": 0}]"),
         "config.d6g.validators.0.power"),
        (genesisText(validators: "[{\"consensusKey\": \"\(validatorKey)\", \"nodeKey\": \"\(nodeKey)\"}]"),
         "config.d6g.validators.0.power"),
        // A power past the consensus core's total once overflowed its Int sum at start-up.
        (genesisText(validators: "[{\"consensusKey\": \"\(validatorKey)\", \"nodeKey\": \"\(nodeKey)\", \"power\": 9223372036854775807}]"),
         "config.d6g.validators.0.power"),
        // A timestamp near 2^64 ms left the block schedule no room to count up.
        (genesisText(extra: ", \"timestamp\": \"0xffffffffffffff\""), "timestamp"),
        // Balances adding up past 2^256 would let a later transfer overflow its recipient.
        (genesisText(alloc: """
            {"0x1111111111111111111111111111111111111111": {"balance": "0x\(String(repeating: "f", count: 64))"},
             "0x2222222222222222222222222222222222222222": {"balance": "0x1"}}
            """), "alloc.0x2222222222222222222222222222222222222222.balance"),
        (genesisText(d6gExtra: ", \"feeRecipient\": \"0x12\""), "config.d6g.feeRecipient"),
        (genesisText(d6gExtra: ", \"baseFeeFloats\": \"yes\""), "config.d6g.baseFeeFloats"),
        (genesisText(d6gExtra: ", \"minBlockIntervalMs\": 0"), "config.d6g.minBlockIntervalMs"),
        (genesisText(d6gExtra: ", \"emptyBlockPeriodMs\": 100"), "config.d6g.emptyBlockPeriodMs"),
        (genesisText(d6gExtra: ", \"sendAllowlist\": [\"nope\"]"), "config.d6g.sendAllowlist.0"),
        (genesisText(d6gExtra: ", \"blockTime\": 1"), "config.d6g.blockTime"),
        (genesisText(baseFee: "\"0x0\""), "config.d6g.sendAllowlist"),
        (genesisText(baseFee: "0", d6gExtra: ", \"sendAllowlist\": []"), "config.d6g.deployAllowlist"),
        (genesisText(d6gExtra: ", \"admin\": \"0x1111111111111111111111111111111111111111\", \"sendAllowlist\": []"), "config.d6g.admin"),
        (genesisText(d6gExtra: ", \"admin\": \"root\""), "config.d6g.admin"),
        (genesisText(alloc: "{\"0xd6e0000000000000000000000000000000000001\": {\"balance\": \"1\"}}"),
         "alloc.0xd6e0000000000000000000000000000000000001"),
        (genesisText(alloc: "{\"0xabc\": {\"balance\": \"1\"}}"), "alloc.0xabc"),
        (genesisText(alloc: "{\"0x1111111111111111111111111111111111111111\": {\"balance\": \"ten\"}}"),
         "alloc.0x1111111111111111111111111111111111111111.balance"),
        (genesisText(alloc: "{\"0x1111111111111111111111111111111111111111\": {}}"),
         "alloc.0x1111111111111111111111111111111111111111.balance"),
        (genesisText(alloc: "{\"0x1111111111111111111111111111111111111111\": {\"balance\": \"1\", \"code\": \"0x6\"}}"),
         "alloc.0x1111111111111111111111111111111111111111.code"),
        (genesisText(alloc: "{\"0x1111111111111111111111111111111111111111\": {\"balance\": \"1\", \"storage\": {\"0x01\": 5}}}"),
         "alloc.0x1111111111111111111111111111111111111111.storage.0x01"),
        (genesisText(alloc: "{\"0x1111111111111111111111111111111111111111\": {\"balance\": \"1\", \"nonce\": \"0x1\", \"nonce\": \"0x2\"}}"),
         "alloc.0x1111111111111111111111111111111111111111.nonce"),
        // Also in a part the reader ignores (geth's other fields).
        (genesisText(extra: ", \"mixHash\": {\"a\": [{\"b\": 1, \"b\": 2}]}"), "mixHash.a[0].b"),
        (genesisText(alloc: """
            {"0x1111111111111111111111111111111111111111": {"balance": "1"}, "1111111111111111111111111111111111111111": {"balance": "2"}}
            """), "alloc.1111111111111111111111111111111111111111"),
        ("{\"gasLimit\": 1", "(document)"),
        ("{\"gasLimit\": 30000000}", "config"),
    ])
    func badFieldIsNamed(text: String, field: String) throws {
        do {
            let genesis = try Genesis(json: text)
            Issue.record("accepted: \(genesis.chainId) for \(field)")
        } catch {
            #expect(error.field == field, "\(error)")
            #expect(error.description.hasPrefix(error.field + ": "))
        }
    }

    @Test func theSetsTotalPowerAndSizeAreBounded() throws {
        func genesis(_ powers: [UInt64]) throws -> String {
            var members: [String] = []
            for (index, power) in powers.enumerated() {
                let consensus = Hex.encode(try devKey("v\(index)").publicKey.compressedBytes)
                let node = Hex.encode(try devKey("n\(index)").publicKey.compressedBytes)
                members.append("{\"consensusKey\": \"\(consensus)\", \"nodeKey\": \"\(node)\", \"power\": \(power)}")
            }
            return "{\"config\": {\"chainId\": 5, \"d6g\": {\"validators\": [\(members.joined(separator: ","))]}}, "
                + "\"gasLimit\": \"0x1c9c380\", \"baseFeePerGas\": \"0x3b9aca00\", \"alloc\": {}}"
        }
        do { _ = try Genesis(json: try genesis([65_535, 1])) } catch { Issue.record("a total of 65,536 was refused: \(error)") }
        do {
            _ = try Genesis(json: try genesis([65_535, 2]))
            Issue.record("a total power above 65,536 was accepted")
        } catch let error as GenesisError { #expect(error.field == "config.d6g.validators.1.power", "\(error)") }
        do {
            _ = try Genesis(json: try genesis([UInt64](repeating: 1, count: 129)))
            Issue.record("129 validators were accepted")
        } catch let error as GenesisError { #expect(error.field == "config.d6g.validators", "\(error)") }
    }

    @Test func validatorsHashIsOrderIndependentAndPowerSensitive() throws {
        let a = GenesisValidator(consensusKey: try devKey("a").publicKey, nodeKey: try devKey("b").publicKey, power: 1)
        let b = GenesisValidator(consensusKey: try devKey("c").publicKey, nodeKey: try devKey("d").publicKey, power: 1)
        #expect(ValidatorMember.setHash(of: [a.member, b.member]) == ValidatorMember.setHash(of: [b.member, a.member]))
        var heavier = b
        heavier.power = 2
        #expect(ValidatorMember.setHash(of: [a.member, b.member]) != ValidatorMember.setHash(of: [a.member, heavier.member]))
        var moved = b.member
        moved.nodeKey = a.nodeKey
        #expect(ValidatorMember.setHash(of: [a.member, b.member]) != ValidatorMember.setHash(of: [a.member, moved]),
                "the node key is part of the set")
    }
}
