// keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3's 0x06), in pure Swift.
// It lives in the primitives because addresses (EIP-55) and every hash of the chain need it,
// and it needs no C library (OpenSSL 3 has no legacy Keccak).

public enum Keccak256 {
    /// Bytes absorbed per permutation: 1600 bits of state minus 2 × 256 bits of capacity.
    public static let rate = 136

    public static func hash(_ bytes: [UInt8]) -> Hash32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ bytes: ArraySlice<UInt8>) -> Hash32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    public static func hash(_ input: UnsafeRawBufferPointer) -> Hash32 {
        var hasher = Hasher()
        hasher.update(input)
        return hasher.finalize()
    }

    /// Incremental hashing, for inputs assembled from parts (contexts, headers).
    public struct Hasher: Sendable {
        @usableFromInline var state = KeccakState()
        @usableFromInline var buffer = KeccakBlock()
        @usableFromInline var buffered = 0

        public init() {}

        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        public mutating func update(_ input: UnsafeRawBufferPointer) {
            var offset = 0
            let count = input.count
            // Fill a partially filled block first.
            if buffered > 0 {
                let take = Swift.min(Keccak256.rate - buffered, count)
                buffer.copy(from: input, range: 0..<take, to: buffered)
                buffered += take
                offset = take
                if buffered == Keccak256.rate {
                    state.absorb(block: buffer)
                    buffered = 0
                }
            }
            // Whole blocks straight from the input.
            while count - offset >= Keccak256.rate {
                state.absorb(input, at: offset)
                offset += Keccak256.rate
            }
            if offset < count {
                buffer.copy(from: input, range: offset..<count, to: 0)
                buffered = count - offset
            }
        }

        public consuming func finalize() -> Hash32 {
            buffer.pad(after: buffered)
            state.absorb(block: buffer)
            return state.digest()
        }
    }
}

/// One 136-byte block, held as 17 little-endian lanes.
@usableFromInline struct KeccakBlock: Sendable {
    @usableFromInline var bytes = [UInt8](repeating: 0, count: Keccak256.rate)

    mutating func copy(from input: UnsafeRawBufferPointer, range: Range<Int>, to start: Int) {
        for (i, index) in range.enumerated() { bytes[start + i] = input[index] }
    }

    /// Keccak padding: 0x01 after the message, 0x80 on the last byte of the block.
    mutating func pad(after length: Int) {
        for i in length..<Keccak256.rate { bytes[i] = 0 }
        bytes[length] ^= 0x01
        bytes[Keccak256.rate - 1] ^= 0x80
    }
}

@usableFromInline struct KeccakState: Sendable {
    @usableFromInline var lanes = [UInt64](repeating: 0, count: 25)

    mutating func absorb(block: KeccakBlock) {
        block.bytes.withUnsafeBytes { absorb($0, at: 0) }
    }

    mutating func absorb(_ input: UnsafeRawBufferPointer, at offset: Int) {
        lanes.withUnsafeMutableBufferPointer { lanes in
            for i in 0..<(Keccak256.rate / 8) {
                lanes[i] ^= UInt64(littleEndian: input.loadUnaligned(fromByteOffset: offset + 8 * i, as: UInt64.self))
            }
            keccakF1600(lanes.baseAddress!)
        }
    }

    func digest() -> Hash32 {
        Hash32(words: lanes[0].byteSwapped, lanes[1].byteSwapped, lanes[2].byteSwapped, lanes[3].byteSwapped)
    }
}

private let roundConstants: [UInt64] = [
    0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
    0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
    0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
    0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
    0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
    0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
]

@inline(__always) private func rotl(_ x: UInt64, _ n: UInt64) -> UInt64 { (x << n) | (x >> (64 &- n)) }

/// The Keccak-f[1600] permutation over 25 lanes (lane (x, y) at index x + 5y).
func keccakF1600(_ a: UnsafeMutablePointer<UInt64>) {
    // Rotation offsets and the pi lane order, walked in the standard single cycle.
    let rho: [UInt64] = [1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44]
    let pi: [Int] = [10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1]
    for round in 0..<24 {
        // θ
        let c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]
        let c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]
        let c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]
        let c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]
        let c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]
        let d0 = c4 ^ rotl(c1, 1), d1 = c0 ^ rotl(c2, 1), d2 = c1 ^ rotl(c3, 1)
        let d3 = c2 ^ rotl(c4, 1), d4 = c3 ^ rotl(c0, 1)
        for y in stride(from: 0, to: 25, by: 5) {
            a[y] ^= d0; a[y + 1] ^= d1; a[y + 2] ^= d2; a[y + 3] ^= d3; a[y + 4] ^= d4
        }
        // ρ and π
        var carried = a[1]
        for i in 0..<24 {
            let target = pi[i]
            let next = a[target]
            a[target] = rotl(carried, rho[i])
            carried = next
        }
        // χ
        for y in stride(from: 0, to: 25, by: 5) {
            let b0 = a[y], b1 = a[y + 1], b2 = a[y + 2], b3 = a[y + 3], b4 = a[y + 4]
            a[y] = b0 ^ (~b1 & b2)
            a[y + 1] = b1 ^ (~b2 & b3)
            a[y + 2] = b2 ^ (~b3 & b4)
            a[y + 3] = b3 ^ (~b4 & b0)
            a[y + 4] = b4 ^ (~b0 & b1)
        }
        // ι
        a[0] ^= roundConstants[round]
    }
}
