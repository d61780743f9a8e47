// A call frame's byte-addressed memory: grows in 32-byte words, charged by gas on growth
// (Gas.memoryCost), zero-filled, freed when the frame ends.
import LedgerPrimitives

struct Memory {
    private(set) var base: UnsafeMutableRawPointer?
    /// Bytes in use, a multiple of 32 (what MSIZE reports).
    private(set) var size = 0
    private var capacity = 0

    func deallocate() { base?.deallocate() }

    /// Makes `[offset, offset + length)` addressable, charging growth to `gas`. Returns the
    /// offset, or nil when out of gas (which includes ranges beyond 4 GiB). A zero length
    /// touches nothing and costs nothing, whatever the offset.
    @inline(__always)
    mutating func reserve(offset: UInt256, length: UInt256, gas: inout Int64) -> Int? {
        guard length.limb0 | length.limb1 | length.limb2 | length.limb3 != 0 else { return 0 }
        guard offset.limb1 | offset.limb2 | offset.limb3 == 0, length.limb1 | length.limb2 | length.limb3 == 0,
              offset.limb0 < Gas.maxMemoryAddress, length.limb0 < Gas.maxMemoryAddress else { return nil }
        let start = Int(offset.limb0)
        let end = start + Int(length.limb0)
        if end > size && !grow(to: end, gas: &gas) { return nil }
        return start
    }

    /// `reserve` for a fixed length (MLOAD, MSTORE, MSTORE8).
    @inline(__always)
    mutating func reserve(offset: UInt256, length: Int, gas: inout Int64) -> Int? {
        guard offset.limb1 | offset.limb2 | offset.limb3 == 0, offset.limb0 < Gas.maxMemoryAddress else { return nil }
        let start = Int(offset.limb0)
        if start + length > size && !grow(to: start + length, gas: &gas) { return nil }
        return start
    }

    private mutating func grow(to end: Int, gas: inout Int64) -> Bool {
        let newWords = Gas.words(end)
        let cost = Gas.memoryCost(words: newWords) - Gas.memoryCost(words: Int64(size >> 5))
        gas -= cost
        if gas < 0 { return false }
        let newSize = Int(newWords) << 5
        if newSize > capacity {
            let newCapacity = max(newSize, capacity * 2, 1024)
            let fresh = UnsafeMutableRawPointer.allocate(byteCount: newCapacity, alignment: 32)
            if let base {
                fresh.copyMemory(from: base, byteCount: size)
                base.deallocate()
            }
            fresh.advanced(by: size).initializeMemory(as: UInt8.self, repeating: 0, count: newCapacity - size)
            base = fresh
            capacity = newCapacity
        }
        size = newSize
        return true
    }

    @inline(__always) func load(at offset: Int) -> UInt256 { UInt256(loadingBigEndianFrom: base! + offset) }
    @inline(__always) func store(_ value: UInt256, at offset: Int) { value.storeBigEndian(to: base! + offset) }
    @inline(__always) func storeByte(_ value: UInt8, at offset: Int) { base!.storeBytes(of: value, toByteOffset: offset, as: UInt8.self) }

    /// A copy of a reserved range.
    func bytes(at offset: Int, count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: base! + offset, count: count))
    }

    /// A view of a reserved range, valid until memory next grows.
    @inline(__always)
    func buffer(at offset: Int, count: Int) -> UnsafeRawBufferPointer {
        count > 0 ? UnsafeRawBufferPointer(start: base! + offset, count: count) : UnsafeRawBufferPointer(start: nil, count: 0)
    }

    /// Copies `source[sourceOffset...]` into a reserved range, zero-filling past its end.
    func write(_ source: UnsafeRawBufferPointer, from sourceOffset: UInt256, to offset: Int, count: Int) {
        guard count > 0 else { return }
        let destination = base! + offset
        let available: Int
        if let start = sourceOffset.exactUInt64, start < UInt64(source.count) {
            available = min(count, source.count - Int(start))
            destination.copyMemory(from: source.baseAddress! + Int(start), byteCount: available)
        } else {
            available = 0
        }
        if available < count { (destination + available).initializeMemory(as: UInt8.self, repeating: 0, count: count - available) }
    }

    func copyWithin(from source: Int, to destination: Int, count: Int) {
        guard count > 0 else { return }
        (base! + destination).copyMemory(from: base! + source, byteCount: count)
    }
}
