// keccak-256 as Ethereum uses it (the original Keccak padding 0x01, not SHA3's 0x06), in pure Swift.
// It lives in the primitives because addresses (EIP-55) and every hash of the chain need it,
// and it needs no C library (OpenSSL 3.0 has no legacy Keccak).
//
// It is on the hot path of the trie and the VM, so it is written for speed (Docs/benchmarks.md,
// "keccak-256"): the state is 25 lanes held in locals during the permutation, each round is
// spelled out with constant rotations, and input is absorbed straight from the caller's memory,
// with the padding XORed into the state instead of built in a buffer, so hashing allocates nothing.

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
        var state = KeccakState()
        var offset = 0
        while input.count - offset >= rate {
            state.absorbBlock(input, at: offset)
            offset += rate
        }
        state.xor(input, from: offset, atByte: 0)
        return state.paddedDigest(after: input.count - offset)
    }

    /// The hash of a 32-byte value (a trie node reference, a storage key), without a byte array.
    public static func hash(_ value: Hash32) -> Hash32 {
        var state = KeccakState()
        state.xor(value, atLane: 0)
        return state.paddedDigest(after: 32)
    }

    /// The hash of two 32-byte values one after the other (64 bytes), without a byte array.
    public static func hash(_ first: Hash32, _ second: Hash32) -> Hash32 {
        var state = KeccakState()
        state.xor(first, atLane: 0)
        state.xor(second, atLane: 4)
        return state.paddedDigest(after: 64)
    }

    /// Incremental hashing, for inputs assembled from parts (contexts, headers).
    /// Bytes are XORed into the state as they arrive, so the hasher needs no block buffer.
    public struct Hasher: Sendable {
        var state = KeccakState()
        /// Bytes of the current block already XORed into the state, always less than the rate.
        var position = 0

        public init() {}

        public mutating func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBytes { update($0) }
        }

        public mutating func update(_ bytes: ArraySlice<UInt8>) {
            bytes.withUnsafeBytes { update($0) }
        }

        public mutating func update(_ value: Hash32) {
            // The general path: the value may straddle a block boundary.
            withUnsafeBytes(of: value.bigEndianBytes) { update($0) }
        }

        public mutating func update(_ input: UnsafeRawBufferPointer) {
            var offset = 0
            // Complete a partly filled block first.
            if position > 0 {
                let end = Swift.min(input.count, Keccak256.rate - position)
                state.xor(UnsafeRawBufferPointer(rebasing: input[..<end]), from: 0, atByte: position)
                position += end
                offset = end
                guard position == Keccak256.rate else { return }
                state.permute()
                position = 0
            }
            while input.count - offset >= Keccak256.rate {
                state.absorbBlock(input, at: offset)
                offset += Keccak256.rate
            }
            state.xor(input, from: offset, atByte: 0)
            position = input.count - offset
        }

        public consuming func finalize() -> Hash32 {
            state.paddedDigest(after: position)
        }
    }
}

extension Hash32 {
    /// The 32 bytes in order, as a tuple that lives on the stack.
    fileprivate var bigEndianBytes: (UInt64, UInt64, UInt64, UInt64) {
        (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)
    }
}

/// The 1600-bit sponge state: 25 lanes, lane (x, y) at index x + 5y, each lane holding eight
/// bytes of the block in little-endian order. A tuple keeps it inline (no heap array).
struct KeccakState: Sendable {
    var lanes: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                                  UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    init() {}

    /// Homogeneous tuples are laid out contiguously, so the lanes can be indexed through a pointer.
    @inline(__always)
    private mutating func withLanes<Result>(_ body: (UnsafeMutablePointer<UInt64>) -> Result) -> Result {
        withUnsafeMutablePointer(to: &lanes) { $0.withMemoryRebound(to: UInt64.self, capacity: 25, body) }
    }

    /// XORs one whole block from `input` at `offset` into the state and permutes.
    mutating func absorbBlock(_ input: UnsafeRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && input.count - offset >= Keccak256.rate)
        let base = input.baseAddress! + offset
        withLanes { lanes in
            for i in 0..<(Keccak256.rate / 8) {
                lanes[i] ^= UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
            }
            keccakF1600(lanes)
        }
    }

    /// XORs `input[start...]` into the state from byte `position` of the block on; the caller
    /// guarantees it fits in the block. Whole lanes go eight bytes at a time, the rest byte by byte.
    mutating func xor(_ input: UnsafeRawBufferPointer, from start: Int, atByte position: Int) {
        let count = input.count - start
        precondition(start >= 0 && count >= 0 && position >= 0 && position + count <= Keccak256.rate)
        guard count > 0, let base = input.baseAddress.map({ $0 + start }) else { return }
        withLanes { lanes in
            var done = 0
            // Bytes up to the next lane boundary.
            while done < count && (position + done) % 8 != 0 {
                let at = position + done
                lanes[at / 8] ^= UInt64(base.load(fromByteOffset: done, as: UInt8.self)) << (8 * (at % 8))
                done += 1
            }
            while count - done >= 8 {
                lanes[(position + done) / 8] ^= UInt64(littleEndian: base.loadUnaligned(fromByteOffset: done, as: UInt64.self))
                done += 8
            }
            while done < count {
                let at = position + done
                lanes[at / 8] ^= UInt64(base.load(fromByteOffset: done, as: UInt8.self)) << (8 * (at % 8))
                done += 1
            }
        }
    }

    /// XORs a 32-byte value into four lanes starting at `lane`.
    mutating func xor(_ value: Hash32, atLane lane: Int) {
        // Hash32's words read the bytes big-endian; a lane reads them little-endian.
        withLanes { lanes in
            lanes[lane] ^= value.w0.byteSwapped
            lanes[lane + 1] ^= value.w1.byteSwapped
            lanes[lane + 2] ^= value.w2.byteSwapped
            lanes[lane + 3] ^= value.w3.byteSwapped
        }
    }

    mutating func permute() {
        withLanes { keccakF1600($0) }
    }

    /// Pads the last block, `length` bytes of which are absorbed, permutes, and reads the digest.
    /// Keccak padding: 0x01 right after the message, 0x80 in the last byte of the block (the two
    /// share a byte when only one is free, which XORing handles).
    consuming func paddedDigest(after length: Int) -> Hash32 {
        precondition(length >= 0 && length < Keccak256.rate)
        return withLanes { lanes in
            lanes[length / 8] ^= 0x01 << (8 * UInt64(length % 8))
            lanes[Keccak256.rate / 8 - 1] ^= 0x80 << 56
            keccakF1600(lanes)
            return Hash32(words: lanes[0].byteSwapped, lanes[1].byteSwapped, lanes[2].byteSwapped, lanes[3].byteSwapped)
        }
    }
}

/// Round constants of iota (FIPS 202 §3.2.5), one per round.
private let roundConstants: [UInt64] = [
    0x0000_0000_0000_0001, 0x0000_0000_0000_8082, 0x8000_0000_0000_808A, 0x8000_0000_8000_8000,
    0x0000_0000_0000_808B, 0x0000_0000_8000_0001, 0x8000_0000_8000_8081, 0x8000_0000_0000_8009,
    0x0000_0000_0000_008A, 0x0000_0000_0000_0088, 0x0000_0000_8000_8009, 0x0000_0000_8000_000A,
    0x0000_0000_8000_808B, 0x8000_0000_0000_008B, 0x8000_0000_0000_8089, 0x8000_0000_0000_8003,
    0x8000_0000_0000_8002, 0x8000_0000_0000_0080, 0x0000_0000_0000_800A, 0x8000_0000_8000_000A,
    0x8000_0000_8000_8081, 0x8000_0000_0000_8080, 0x0000_0000_8000_0001, 0x8000_0000_8000_8008,
]

/// A left rotation by a constant; the masking shifts let it compile to one rotate instruction.
@inline(__always) private func rotated(_ x: UInt64, by n: UInt64) -> UInt64 {
    (x &<< n) | (x &>> (64 &- n))
}

/// The Keccak-f[1600] permutation (FIPS 202 §3.3) on 25 lanes, lane (x, y) at index x + 5y.
///
/// Why it looks like this (each measured with `d6g-bench keccak`, see Docs/benchmarks.md):
/// - The lanes live in local variables for all 24 rounds and each round is written out lane by
///   lane, so rho's rotations and pi's moves are constants. With allocation-free absorbing this
///   took 32-byte hashes from 1.1 to 3.7 M/s (the former loop over index tables on heap arrays).
///   Unrolling all 24 rounds was slower (2.7 M/s, code size); two rounds per iteration
///   ping-ponging between two sets of lanes, or working on lanes in memory, were no faster.
/// - Lane complementing (the Keccak team's implementation overview, §2.2): lanes 1, 2, 8, 12,
///   17 and 20 are held inverted during the rounds. Theta and rho-pi only XOR and rotate, so
///   which b's arrive inverted is fixed, and each chi output `b0 ^ (~b1 & b2)` can then be
///   rewritten by De Morgan (`~x & y == ~(x | ~y)`) so that the row's inverted inputs cancel
///   the NOTs and the output comes out inverted exactly where the mask wants it: 5 NOTs per
///   round instead of 25, about 7% faster. The row forms were derived by a small search over
///   the choices and are checked, like everything here, against a reference in KeccakTests.
private func keccakF1600(_ state: UnsafeMutablePointer<UInt64>) {
    var (a0, a1, a2, a3, a4) = (state[0], state[1], state[2], state[3], state[4])
    var (a5, a6, a7, a8, a9) = (state[5], state[6], state[7], state[8], state[9])
    var (a10, a11, a12, a13, a14) = (state[10], state[11], state[12], state[13], state[14])
    var (a15, a16, a17, a18, a19) = (state[15], state[16], state[17], state[18], state[19])
    var (a20, a21, a22, a23, a24) = (state[20], state[21], state[22], state[23], state[24])
    // Enter the complemented representation (see above); leave it after the last round.
    (a1, a2, a8, a12, a17, a20) = (~a1, ~a2, ~a8, ~a12, ~a17, ~a20)
    for constant in roundConstants {
        // theta: each column's parity, folded into the two neighbouring columns.
        let c0 = a0 ^ a5 ^ a10 ^ a15 ^ a20
        let c1 = a1 ^ a6 ^ a11 ^ a16 ^ a21
        let c2 = a2 ^ a7 ^ a12 ^ a17 ^ a22
        let c3 = a3 ^ a8 ^ a13 ^ a18 ^ a23
        let c4 = a4 ^ a9 ^ a14 ^ a19 ^ a24
        let d0 = c4 ^ rotated(c1, by: 1)
        let d1 = c0 ^ rotated(c2, by: 1)
        let d2 = c1 ^ rotated(c3, by: 1)
        let d3 = c2 ^ rotated(c4, by: 1)
        let d4 = c3 ^ rotated(c0, by: 1)
        // rho and pi: b[X + 5Y] takes lane (x, y) rotated, with X = y and Y = 2x + 3y.
        let b0 = a0 ^ d0, b1 = rotated(a6 ^ d1, by: 44), b2 = rotated(a12 ^ d2, by: 43)
        let b3 = rotated(a18 ^ d3, by: 21), b4 = rotated(a24 ^ d4, by: 14)
        let b5 = rotated(a3 ^ d3, by: 28), b6 = rotated(a9 ^ d4, by: 20), b7 = rotated(a10 ^ d0, by: 3)
        let b8 = rotated(a16 ^ d1, by: 45), b9 = rotated(a22 ^ d2, by: 61)
        let b10 = rotated(a1 ^ d1, by: 1), b11 = rotated(a7 ^ d2, by: 6), b12 = rotated(a13 ^ d3, by: 25)
        let b13 = rotated(a19 ^ d4, by: 8), b14 = rotated(a20 ^ d0, by: 18)
        let b15 = rotated(a4 ^ d4, by: 27), b16 = rotated(a5 ^ d0, by: 36), b17 = rotated(a11 ^ d1, by: 10)
        let b18 = rotated(a17 ^ d2, by: 15), b19 = rotated(a23 ^ d3, by: 56)
        let b20 = rotated(a2 ^ d2, by: 62), b21 = rotated(a8 ^ d3, by: 55), b22 = rotated(a14 ^ d4, by: 39)
        let b23 = rotated(a15 ^ d0, by: 41), b24 = rotated(a21 ^ d1, by: 2)
        // chi on the complemented lanes (one NOT per row), with iota folded into lane 0.
        let n2 = ~b2
        a0 = b0 ^ (b1 | b2) ^ constant
        a1 = b1 ^ (n2 | b3)
        a2 = b2 ^ (b3 & b4)
        a3 = b3 ^ (b4 | b0)
        a4 = b4 ^ (b0 & b1)
        let n9 = ~b9
        a5 = b5 ^ (b6 | b7)
        a6 = b6 ^ (b7 & b8)
        a7 = b7 ^ (b8 | n9)
        a8 = b8 ^ (b9 | b5)
        a9 = b9 ^ (b5 & b6)
        let n13 = ~b13
        a10 = b10 ^ (b11 | b12)
        a11 = b11 ^ (b12 & b13)
        a12 = b12 ^ (n13 & b14)
        a13 = n13 ^ (b14 | b10)
        a14 = b14 ^ (b10 & b11)
        let n18 = ~b18
        a15 = b15 ^ (b16 & b17)
        a16 = b16 ^ (b17 | b18)
        a17 = b17 ^ (n18 | b19)
        a18 = n18 ^ (b19 & b15)
        a19 = b19 ^ (b15 | b16)
        let n21 = ~b21
        a20 = b20 ^ (n21 & b22)
        a21 = n21 ^ (b22 | b23)
        a22 = b22 ^ (b23 & b24)
        a23 = b23 ^ (b24 | b20)
        a24 = b24 ^ (b20 & b21)
    }
    (a1, a2, a8, a12, a17, a20) = (~a1, ~a2, ~a8, ~a12, ~a17, ~a20)
    (state[0], state[1], state[2], state[3], state[4]) = (a0, a1, a2, a3, a4)
    (state[5], state[6], state[7], state[8], state[9]) = (a5, a6, a7, a8, a9)
    (state[10], state[11], state[12], state[13], state[14]) = (a10, a11, a12, a13, a14)
    (state[15], state[16], state[17], state[18], state[19]) = (a15, a16, a17, a18, a19)
    (state[20], state[21], state[22], state[23], state[24]) = (a20, a21, a22, a23, a24)
}
