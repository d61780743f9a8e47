// Conversions between the VM's 256-bit word and the fixed-size byte types, without a byte
// array in between: keccak digests, storage keys and addresses move through the VM's stack
// on hot paths (Docs/vm.md).

extension UInt256 {
    /// The hash read as a big-endian number.
    @inlinable @inline(__always)
    public init(_ hash: Hash32) {
        self.init(limb0: hash.w3, limb1: hash.w2, limb2: hash.w1, limb3: hash.w0)
    }

    /// The address as a number below 2^160 (its 20 bytes right-aligned in a word).
    @inlinable @inline(__always)
    public init(_ address: Address) {
        self.init(limb0: UInt64(address.low) | address.middle << 32,
                  limb1: address.middle >> 32 | address.high << 32,
                  limb2: address.high >> 32, limb3: 0)
    }
}

extension Hash32 {
    /// The word's 32 big-endian bytes.
    @inlinable @inline(__always)
    public init(_ word: UInt256) {
        self.init(words: word.limb3, word.limb2, word.limb1, word.limb0)
    }
}

extension Address {
    /// The low 160 bits of a word (the higher bits are dropped, as the EVM does).
    @inlinable @inline(__always)
    public init(truncating word: UInt256) {
        self.init(high: word.limb2 << 32 | word.limb1 >> 32,
                  middle: word.limb1 << 32 | word.limb0 >> 32,
                  low: UInt32(truncatingIfNeeded: word.limb0))
    }
}
