// Trapping UInt256 operators for readable expectations in tests. The library's UInt256 offers
// only wrapping and overflow-reporting forms, because untrusted input must never trap a node.
import LedgerPrimitives

public func + (a: UInt256, b: UInt256) -> UInt256 {
    let (sum, overflow) = a.addingReportingOverflow(b)
    precondition(!overflow, "test arithmetic overflowed")
    return sum
}

public func - (a: UInt256, b: UInt256) -> UInt256 {
    let (difference, overflow) = a.subtractingReportingOverflow(b)
    precondition(!overflow, "test arithmetic underflowed")
    return difference
}

public func * (a: UInt256, b: UInt256) -> UInt256 {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    precondition(!overflow, "test arithmetic overflowed")
    return product
}
