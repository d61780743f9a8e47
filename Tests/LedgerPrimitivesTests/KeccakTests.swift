// keccak-256: known digests, and the fast implementation against a slow reference written
// straight from FIPS 202 §3 over random inputs of every length and random incremental splits.
import LedgerPrimitives
import Testing
import TestSupport

struct KeccakTests {
    @Test(arguments: [
        ("", "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        ("abc", "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
        ("The quick brown fox jumps over the lazy dog",
         "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15"),
    ])
    func knownDigests(input: String, digest: String) throws {
        let expected = try Hash32(hex: digest)
        #expect(Keccak256.hash(Array(input.utf8)) == expected)
        // The reference must know the same vectors, or agreeing with it would prove nothing.
        #expect(Hash32(bytes: ReferenceKeccak.digest(Array(input.utf8))) == expected)
    }

    @Test func millionAsIsAKnownDigest() {
        // keccak-256 of one million 'a' bytes, a standard long-message vector.
        let digest = Keccak256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(digest.hexString == "0xfadae6b49f129bbb812be8407b7b2894f34aecf6dbd1f9b0f0c7e9853098fc96")
    }

    @Test func everyLengthMatchesTheReference() {
        // 0…600 bytes covers empty input, every tail length and up to four whole blocks.
        var random = SplitMix64(seed: 0x6b65_6363_616b)
        for length in 0...600 {
            let data = random.bytes(length)
            let expected = Hash32(bytes: ReferenceKeccak.digest(data))
            #expect(Keccak256.hash(data) == expected, "length \(length)")
        }
    }

    @Test func unalignedInputMatchesTheReference() {
        // Slices starting at odd offsets make every eight-byte load unaligned.
        var random = SplitMix64(seed: 7)
        for length in [0, 1, 7, 8, 9, 31, 32, 33, 135, 136, 137, 300] {
            let data = random.bytes(length + 3)
            for start in 1...3 {
                let slice = data[start..<(start + length)]
                #expect(Keccak256.hash(slice) == Hash32(bytes: ReferenceKeccak.digest(Array(slice))),
                        "length \(length) from offset \(start)")
            }
        }
    }

    @Test func randomIncrementalSplitsMatchTheReference() {
        var random = SplitMix64(seed: 42)
        for _ in 0..<300 {
            let data = random.bytes(Int(random.next() % 600))
            let expected = Hash32(bytes: ReferenceKeccak.digest(data))
            var hasher = Keccak256.Hasher()
            var start = 0
            while start < data.count {
                // Mostly small pieces, sometimes empty, sometimes longer than a block.
                let piece = random.next() % 4 == 0 ? Int(random.next() % 300) : Int(random.next() % 20)
                let end = Swift.min(data.count, start + piece)
                hasher.update(data[start..<end])
                start = end
            }
            #expect(hasher.finalize() == expected, "length \(data.count)")
        }
    }

    @Test func blockBoundariesAndIncrementalUpdatesAgree() {
        // 135, 136 and 137 bytes straddle the 136-byte rate; feeding in pieces must not matter.
        for length in [0, 1, 31, 32, 135, 136, 137, 271, 272, 273, 1024] {
            let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let whole = Keccak256.hash(data)
            #expect(whole == Hash32(bytes: ReferenceKeccak.digest(data)), "length \(length)")
            for split in [0, 1, length / 3, length] where split <= length {
                var hasher = Keccak256.Hasher()
                hasher.update(Array(data[..<split]))
                hasher.update(Array(data[split...]))
                #expect(hasher.finalize() == whole, "length \(length) split at \(split)")
            }
        }
    }

    @Test func hashesOfHashValuesMatchTheirBytes() throws {
        var random = SplitMix64(seed: 99)
        for _ in 0..<50 {
            let first = try #require(Hash32(bytes: random.bytes(32)))
            let second = try #require(Hash32(bytes: random.bytes(32)))
            #expect(Keccak256.hash(first) == Hash32(bytes: ReferenceKeccak.digest(first.bytes)))
            #expect(Keccak256.hash(first, second) == Hash32(bytes: ReferenceKeccak.digest(first.bytes + second.bytes)))
        }
    }

    @Test func hasherTakesHashValuesAtAnyPosition() throws {
        // A 32-byte value fed after 0…140 bytes lands across every lane and the block boundary.
        var random = SplitMix64(seed: 5)
        for prefixLength in 0...140 {
            let prefix = random.bytes(prefixLength)
            let value = try #require(Hash32(bytes: random.bytes(32)))
            var hasher = Keccak256.Hasher()
            hasher.update(prefix)
            hasher.update(value)
            #expect(hasher.finalize() == Hash32(bytes: ReferenceKeccak.digest(prefix + value.bytes)),
                    "after \(prefixLength) bytes")
        }
    }
}

/// Keccak-256 as FIPS 202 §3 writes it, with the original Keccak padding (pad10*1, no SHA-3
/// suffix bits): a 5×5 array of lanes and the five step mappings one after another, built for
/// being obviously right rather than fast. The round constants and rotation offsets are computed
/// from their definitions, not copied, so a wrong table in the fast code cannot be mirrored here.
private enum ReferenceKeccak {
    static let rateInBytes = 136

    /// The state: lane (x, y) at index x + 5y, as in FIPS 202 §3.1.2 with w = 64.
    typealias State = [UInt64]
    static func index(_ x: Int, _ y: Int) -> Int { (x % 5) + 5 * (y % 5) }

    static func digest(_ message: [UInt8]) -> [UInt8] {
        // pad10*1 on bytes: a 1 bit right after the message, a 1 bit at the end of the block.
        var padded = message + [0x01]
        while padded.count % rateInBytes != 0 { padded.append(0) }
        padded[padded.count - 1] |= 0x80

        var a = State(repeating: 0, count: 25)
        for block in stride(from: 0, to: padded.count, by: rateInBytes) {
            for lane in 0..<(rateInBytes / 8) {
                var word: UInt64 = 0
                for byte in 0..<8 { word |= UInt64(padded[block + 8 * lane + byte]) << (8 * byte) }
                a[lane] ^= word
            }
            a = keccakF(a)
        }
        var output: [UInt8] = []
        for lane in 0..<4 {
            for byte in 0..<8 { output.append(UInt8(truncatingIfNeeded: a[lane] >> (8 * byte))) }
        }
        return output
    }

    static func keccakF(_ state: State) -> State {
        var a = state
        for round in 0..<24 { a = iota(chi(pi(rho(theta(a)))), round: round) }
        return a
    }

    static func theta(_ a: State) -> State {
        var c = [UInt64](repeating: 0, count: 5)
        for x in 0..<5 { c[x] = a[index(x, 0)] ^ a[index(x, 1)] ^ a[index(x, 2)] ^ a[index(x, 3)] ^ a[index(x, 4)] }
        var result = a
        for x in 0..<5 {
            let d = c[(x + 4) % 5] ^ rotate(c[(x + 1) % 5], 1)
            for y in 0..<5 { result[index(x, y)] ^= d }
        }
        return result
    }

    static func rho(_ a: State) -> State {
        var result = a
        for (i, offset) in rotationOffsets.enumerated() { result[i] = rotate(a[i], offset) }
        return result
    }

    static func pi(_ a: State) -> State {
        var result = a
        for x in 0..<5 { for y in 0..<5 { result[index(x, y)] = a[index(x + 3 * y, x)] } }
        return result
    }

    static func chi(_ a: State) -> State {
        var result = a
        for x in 0..<5 {
            for y in 0..<5 { result[index(x, y)] = a[index(x, y)] ^ (~a[index(x + 1, y)] & a[index(x + 2, y)]) }
        }
        return result
    }

    static func iota(_ a: State, round: Int) -> State {
        var result = a
        result[0] ^= roundConstants[round]
        return result
    }

    /// rho's offsets (§3.2.2): lane (x, y) on the walk from (1, 0) turns by (t + 1)(t + 2)/2.
    static let rotationOffsets: [Int] = {
        var offsets = [Int](repeating: 0, count: 25)
        var (x, y) = (1, 0)
        for t in 0..<24 {
            offsets[index(x, y)] = ((t + 1) * (t + 2) / 2) % 64
            (x, y) = (y, (2 * x + 3 * y) % 5)
        }
        return offsets
    }()

    /// iota's constants (§3.2.5): bit 2^j − 1 of round i's constant is rc(j + 7i).
    static let roundConstants: [UInt64] = (0..<24).map { round in
        var constant: UInt64 = 0
        for j in 0...6 where rc(j + 7 * round) { constant |= 1 << ((1 << j) - 1) }
        return constant
    }

    /// The round-constant bit generator of FIPS 202 Algorithm 5 (an LFSR of 8 bits).
    static func rc(_ t: Int) -> Bool {
        if t % 255 == 0 { return true }
        var r: [UInt8] = [1, 0, 0, 0, 0, 0, 0, 0]
        for _ in 0..<(t % 255) {
            r.insert(0, at: 0)
            r[0] ^= r[8]; r[4] ^= r[8]; r[5] ^= r[8]; r[6] ^= r[8]
            r.removeLast()
        }
        return r[0] == 1
    }

    static func rotate(_ word: UInt64, _ count: Int) -> UInt64 {
        count == 0 ? word : (word << count) | (word >> (64 - count))
    }
}

private extension SplitMix64 {
    /// Seeded random bytes, so a failing input reproduces exactly.
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }
}
