// The SHA3-256 reference of `d6g-bench keccak` against FIPS 202 vectors, and how it differs
// from keccak-256 (same permutation, other padding).
import LedgerCrypto
import LedgerPrimitives
import Testing

@Suite("SHA3-256 reference")
struct SHA3ReferenceTests {
    @Test("FIPS 202 vectors: \"\", \"abc\" and a two-block message; the context is reused", arguments: [
        ("", "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"),
        ("abc", "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "41c0dba2a9d6240849100376a8235e2c82e1b9998a999e21db32dd97496d3376"),
    ])
    func vectors(message: String, digest: String) throws {
        let reference = try SHA3_256Reference()
        let expected = try Hash32(hex: digest)
        #expect(try reference.hash(Array(message.utf8)) == expected)
        #expect(try reference.hash(Array(message.utf8)) == expected, "second use of the same context")
    }

    @Test("SHA3-256 is not keccak-256: the padding byte differs")
    func differsFromKeccak() throws {
        let reference = try SHA3_256Reference()
        for length in [0, 32, 135, 136, 1024] {
            let input = [UInt8](repeating: 0x5a, count: length)
            #expect(try reference.hash(input) != Keccak256.hash(input), "length \(length)")
        }
    }
}
