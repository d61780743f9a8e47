// Call data with one word changed: the bad-input catalogues build their cases from a good call.
import LedgerPrimitives

/// `data` with the 32 bytes at `offset` replaced by `value`.
func replacingWord(in data: [UInt8], at offset: Int, with value: UInt256) -> [UInt8] {
    var copy = data
    copy.replaceSubrange(offset..<(offset + 32), with: value.bigEndianBytes)
    return copy
}
