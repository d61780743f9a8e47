// UInt256 as big-endian bytes: the 32-byte word form (ABI, storage slots, hashing),
// the minimal form without leading zeros (RLP integers), and raw-buffer load and store
// for the VM's memory.

extension UInt256 {
    /// Reads up to 32 bytes as a big-endian number (fewer bytes are zero-extended on the
    /// left, so `[]` is 0); nil if there are more than 32 bytes.
    @inlinable
    public init?<Bytes: Collection>(bigEndianBytes bytes: Bytes) where Bytes.Element == UInt8 {
        let count = bytes.count
        guard count <= 32 else { return nil }
        var limbs: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        // The first byte read has position count - 1, counted from the least significant end.
        var position = count - 1
        for byte in bytes {
            let value = UInt64(byte) << UInt64((position & 7) << 3)
            switch position >> 3 {
            case 0: limbs.0 |= value
            case 1: limbs.1 |= value
            case 2: limbs.2 |= value
            default: limbs.3 |= value
            }
            position -= 1
        }
        self.init(limb0: limbs.0, limb1: limbs.1, limb2: limbs.2, limb3: limbs.3)
    }

    /// Loads 32 big-endian bytes from `pointer` (no alignment needed).
    @inlinable @inline(__always)
    public init(loadingBigEndianFrom pointer: UnsafeRawPointer) {
        self.init(limb0: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 24, as: UInt64.self)),
                  limb1: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                  limb2: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 8, as: UInt64.self)),
                  limb3: UInt64(bigEndian: pointer.loadUnaligned(fromByteOffset: 0, as: UInt64.self)))
    }

    /// Stores the value as 32 big-endian bytes at `pointer` (no alignment needed).
    @inlinable @inline(__always)
    public func storeBigEndian(to pointer: UnsafeMutableRawPointer) {
        pointer.storeBytes(of: limb3.bigEndian, toByteOffset: 0, as: UInt64.self)
        pointer.storeBytes(of: limb2.bigEndian, toByteOffset: 8, as: UInt64.self)
        pointer.storeBytes(of: limb1.bigEndian, toByteOffset: 16, as: UInt64.self)
        pointer.storeBytes(of: limb0.bigEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Writes the value as 32 big-endian bytes into the start of `buffer`, which must hold
    /// at least 32 bytes (a caller's bug otherwise, so it traps).
    @inlinable @inline(__always)
    public func write(bigEndianInto buffer: UnsafeMutableRawBufferPointer) {
        precondition(buffer.count >= 32, "UInt256.write needs a 32-byte buffer")
        storeBigEndian(to: buffer.baseAddress!)
    }

    /// The 32-byte big-endian form.
    @inlinable
    public var bigEndianBytes: [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 32) { buffer, initializedCount in
            storeBigEndian(to: UnsafeMutableRawPointer(buffer.baseAddress!))
            initializedCount = 32
        }
    }

    /// The big-endian form without leading zero bytes; empty for 0 (RLP's integer form).
    @inlinable
    public var minimalBigEndianBytes: [UInt8] {
        let length = significantByteCount
        var word: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &word) { scratch in
            storeBigEndian(to: scratch.baseAddress!)
            return [UInt8](scratch[(32 - length)...])
        }
    }
}
