// ethereum-tests BasicTests/keyaddrtest.json: private key → address.
//
// Not checked: each entry's `sig_of_emptystring`. It verifies over none of keccak256(""),
// SHA-256(""), SHA3-256("") or 32 zero bytes under its own key (checked independently with
// OpenSSL through Python `cryptography`), so it cannot say anything about our signer.
import LedgerCrypto
import LedgerPrimitives
import TestSupport
import Testing

@Suite("Key → address (ethereum-tests)")
struct KeyAddressTests {
    @Test("Every private key gives its address")
    func addresses() throws {
        let list = try #require(TestData.json("ethereum-tests/BasicTests/keyaddrtest.json") as? [[String: Any]])
        #expect(list.count == 2)
        for item in list {
            let key = try PrivateKey(bytes: [UInt8](hex: try #require(item["key"] as? String)))
            let address = try #require(item["addr"] as? String)
            #expect(key.address.hexString == "0x" + address.lowercased(), "seed \(item["seed"] ?? "?")")
        }
    }

    @Test("A signature by every key recovers its address")
    func recoveredAddresses() throws {
        let list = try #require(TestData.json("ethereum-tests/BasicTests/keyaddrtest.json") as? [[String: Any]])
        let digest = Keccak256.hash([UInt8]())
        for item in list {
            let key = try PrivateKey(bytes: [UInt8](hex: try #require(item["key"] as? String)))
            let address = try #require(item["addr"] as? String)
            #expect(try key.signature(for: digest).recoverAddress(for: digest).hexString == "0x" + address.lowercased())
        }
    }
}
