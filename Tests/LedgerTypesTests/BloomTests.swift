// Logs blooms against the blooms geth computed for the receipts in execution-apis' RPC examples,
// plus the bit rule worked by hand.
import Foundation
import LedgerPrimitives
import LedgerTypes
import TestSupport
import Testing

/// The receipts (with logs and geth's bloom) in the execution-apis eth_getTransactionReceipt examples.
private func exampleReceipts() throws -> [(name: String, receipt: [String: Any])] {
    let folder = try TestData.url("execution-apis/tests/eth_getTransactionReceipt")
    var receipts: [(String, [String: Any])] = []
    for file in try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("<< ") }) else { continue }
        let response = try JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8)) as! [String: Any]
        if let receipt = response["result"] as? [String: Any] { receipts.append((file, receipt)) }
    }
    return receipts
}

private func logs(of receipt: [String: Any]) throws -> [Log] {
    try (receipt["logs"] as! [[String: Any]]).map { log in
        Log(address: try Address(hex: log["address"] as! String),
            topics: try (log["topics"] as! [String]).map { try Hash32(hex: $0) },
            data: try [UInt8](hex: log["data"] as! String))
    }
}

struct BloomTests {
    @Test func bloomsMatchGethsForRPCExampleReceipts() throws {
        let receipts = try exampleReceipts()
        #expect(receipts.count >= 5)
        var withLogs = 0
        for (name, receipt) in receipts {
            let logs = try logs(of: receipt)
            if !logs.isEmpty { withLogs += 1 }
            let expected = try [UInt8](hex: receipt["logsBloom"] as! String)
            #expect(Bloom(logs: logs).bytes == expected, "\(name)")
        }
        #expect(withLogs >= 3)
    }

    /// The rule by hand for one item: keccak("") = c5d2 4601 86f7 …, so the bits are
    /// 0xc5d2 & 2047 = 0x5d2, 0x4601 & 2047 = 0x601 and 0x86f7 & 2047 = 0x6f7.
    @Test func setsTheThreeBitsOfTheRule() {
        var bloom = Bloom()
        bloom.insert([])
        var expected = [UInt8](repeating: 0, count: 256)
        for bit in [0x5d2, 0x601, 0x6f7] { expected[255 - bit / 8] |= 1 << UInt8(bit % 8) }
        #expect(bloom.bytes == expected)
        #expect(bloom.bytes.reduce(0) { $0 + $1.nonzeroBitCount } == 3)
        #expect(bloom.mayContain([]))
        #expect(!Bloom().mayContain([]))
    }

    @Test func unionContainsBothSides() {
        let a = Log(address: Address(bytes: [UInt8](repeating: 1, count: 20))!)
        let b = Log(address: Address(bytes: [UInt8](repeating: 2, count: 20))!, topics: [Hash32.zero])
        var union = Bloom(logs: [a])
        union.formUnion(Bloom(logs: [b]))
        #expect(union == Bloom(logs: [a, b]))
        #expect(union.contains(Bloom(logs: [a])) && union.contains(Bloom(logs: [b])))
        #expect(union.mayContain(b.address.bytes) && union.mayContain(Hash32.zero.bytes))
    }
}
