// Big-endian loads and stores shared by the fixed-size byte types (Hash32, Address).

@inline(__always) @usableFromInline
func loadBigEndianUInt64(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt64 {
    var value: UInt64 = 0
    for i in 0..<8 { value = (value << 8) | UInt64(bytes[offset + i]) }
    return value
}

@inline(__always) @usableFromInline
func storeBigEndian(_ value: UInt64, into bytes: inout [UInt8], at offset: Int) {
    for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (56 - 8 * i)) }
}
