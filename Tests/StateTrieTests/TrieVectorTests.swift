// The trie against ethereum-tests: every TrieTests file (roots after inserts and deletes, plain and
// keccak-keyed, and next/previous key) and BasicTests/hexencodetest.json (hex-prefix paths).
import Foundation
import LedgerPrimitives
import StateTrie
import Testing
import TestSupport

/// One fixture: its name, the updates in order (nil value = delete), and the expected root.
struct TrieFixture {
    var name: String
    var updates: [(key: [UInt8], value: [UInt8]?)]
    var root: Hash32

    /// Fixture strings are hex when they start with "0x", else UTF-8 text (as the suite's runners read them).
    static func bytes(_ text: String) throws -> [UInt8] {
        text.hasPrefix("0x") ? try [UInt8](hex: text) : Array(text.utf8)
    }

    static func load(_ file: String) throws -> [TrieFixture] {
        let fixtures = try #require(try TestData.json("ethereum-tests/TrieTests/\(file)") as? [String: [String: Any]])
        return try fixtures.keys.sorted().map { name in
            let fixture = fixtures[name]!
            var pairs: [(String, Any)] = []
            if let list = fixture["in"] as? [[Any]] {
                pairs = list.map { ($0[0] as! String, $0[1]) }       // ordered: deletes depend on it
            } else if let table = fixture["in"] as? [String: Any] {
                pairs = table.keys.sorted().map { ($0, table[$0]!) }  // "any order" fixtures
            }
            let updates = try pairs.map { key, value in
                (try bytes(key), value is NSNull ? nil : try bytes(value as! String))
            }
            return TrieFixture(name: name, updates: updates, root: try Hash32(hex: fixture["root"] as! String))
        }
    }

    func applied(to trie: inout MerklePatriciaTrie, secure: Bool, order: [Int]? = nil) throws {
        for index in order ?? Array(updates.indices) {
            let update = updates[index]
            let key = secure ? SecureTrie.hashedKey(update.key) : update.key
            if let value = update.value {
                try trie.insert(value, forKey: key)
            } else {
                try trie.removeValue(forKey: key)
            }
        }
    }
}

struct TrieVectorTests {
    static let rootFiles: [(file: String, secure: Bool, count: Int)] = [
        ("trietest.json", false, 5),
        ("trieanyorder.json", false, 7),
        ("trietest_secureTrie.json", true, 3),
        ("trieanyorder_secureTrie.json", true, 7),
        ("hex_encoded_securetrie_test.json", true, 3),
    ]

    @Test(arguments: rootFiles)
    func rootsMatch(file: String, secure: Bool, count: Int) throws {
        let fixtures = try TrieFixture.load(file)
        #expect(fixtures.count == count, "\(file) case count")
        for fixture in fixtures {
            var trie = MerklePatriciaTrie()
            try fixture.applied(to: &trie, secure: secure)
            #expect(trie.rootHash == fixture.root, "\(file) / \(fixture.name)")
        }
    }

    @Test func anyOrderFixturesMatchInReverseOrder() throws {
        for (file, secure) in [("trieanyorder.json", false), ("trieanyorder_secureTrie.json", true)] {
            for fixture in try TrieFixture.load(file) {
                var trie = MerklePatriciaTrie()
                try fixture.applied(to: &trie, secure: secure, order: fixture.updates.indices.reversed())
                #expect(trie.rootHash == fixture.root, "\(file) / \(fixture.name) reversed")
            }
        }
    }

    @Test func secureTrieWrapperMatchesSecureFixtures() throws {
        for fixture in try TrieFixture.load("trietest_secureTrie.json") + TrieFixture.load("hex_encoded_securetrie_test.json") {
            var trie = SecureTrie()
            for update in fixture.updates {
                if let value = update.value { try trie.insert(value, forKey: update.key) } else { try trie.removeValue(forKey: update.key) }
            }
            #expect(trie.rootHash == fixture.root, "SecureTrie / \(fixture.name)")
        }
    }

    /// trietestnextprev.json: keys are inserted with their own text as value; each test names a key
    /// and the keys before and after it ("" for none).
    @Test func nextAndPreviousKeys() throws {
        let fixtures = try #require(try TestData.json("ethereum-tests/TrieTests/trietestnextprev.json") as? [String: [String: Any]])
        #expect(fixtures.count == 1)
        for (name, fixture) in fixtures {
            var trie = MerklePatriciaTrie()
            for key in fixture["in"] as! [String] { try trie.insert(Array(key.utf8), forKey: Array(key.utf8)) }
            let tests = fixture["tests"] as! [[String]]
            #expect(tests.count == 12)
            for test in tests {
                let key = Array(test[0].utf8)
                let previous = try trie.key(before: key).map { String(decoding: $0, as: UTF8.self) } ?? ""
                let next = try trie.key(after: key).map { String(decoding: $0, as: UTF8.self) } ?? ""
                #expect(previous == test[1], "\(name) / before \"\(test[0])\"")
                #expect(next == test[2], "\(name) / after \"\(test[0])\"")
            }
        }
    }

    @Test func hexPrefixVectors() throws {
        let fixtures = try #require(try TestData.json("ethereum-tests/BasicTests/hexencodetest.json") as? [String: [String: Any]])
        #expect(fixtures.count == 12)
        for (name, fixture) in fixtures {
            let nibbles = (fixture["seq"] as! [NSNumber]).map { $0.uint8Value }
            let isLeaf = (fixture["term"] as! NSNumber).boolValue
            let expected = try [UInt8](hex: fixture["out"] as! String)
            #expect(HexPrefix.encode(nibbles: nibbles, isLeaf: isLeaf) == expected, "encode \(name)")
            let decoded = try HexPrefix.decode(expected)
            #expect(decoded.nibbles == nibbles && decoded.isLeaf == isLeaf, "decode \(name)")
        }
    }

    @Test func hexPrefixRejectsNonCanonicalInput() {
        #expect(throws: HexPrefixError.empty) { try HexPrefix.decode([UInt8]()) }
        #expect(throws: HexPrefixError.invalidFlag(4)) { try HexPrefix.decode([0x41]) }
        #expect(throws: HexPrefixError.nonZeroPadding(5)) { try HexPrefix.decode([0x25, 0x12]) }
    }
}
