// RocksDB reports failures through `char** errptr`: a malloc'd message we must free. Each one
// becomes a thrown StorageError carrying RocksDB's text.
import CRocksDB
import StorageAPI

/// Calls `body` with an error slot; if RocksDB filled it, frees the message and throws.
func checkingErrors<Result>(
    _ makeError: (String) -> StorageError,
    _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result
) throws(StorageError) -> Result {
    var message: UnsafeMutablePointer<CChar>? = nil
    let result = body(&message)
    if let message {
        let text = String(cString: message)
        rocksdb_free(message)
        throw makeError(text)
    }
    return result
}

/// The usual case: an engine failure during `operation`.
func checkingErrors<Result>(
    during operation: String,
    _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> Result
) throws(StorageError) -> Result {
    try checkingErrors({ StorageError.engine(operation: operation, message: $0) }, body)
}

/// Byte arrays handed to C as (pointer, length). Empty arrays may have no storage, and a
/// nil pointer is not a valid slice start for RocksDB, so they get a pointer to a spare byte.
func withCBytes<Result, Failure: Error>(
    _ bytes: [UInt8], _ body: (UnsafePointer<CChar>, Int) throws(Failure) -> Result
) throws(Failure) -> Result {
    let result: Swift.Result<Result, Failure> = bytes.withUnsafeBytes { raw in
        let base = raw.count > 0 ? raw.baseAddress!.assumingMemoryBound(to: CChar.self) : UnsafePointer(spareByte)
        do throws(Failure) { return .success(try body(base, raw.count)) } catch { return .failure(error) }
    }
    return try result.get()
}

/// Never written or freed: only its address is used, with length 0.
nonisolated(unsafe) private let spareByte = UnsafeMutablePointer<CChar>.allocate(capacity: 1)

/// Copies `length` bytes that RocksDB owns into a Swift array.
func copyBytes(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> [UInt8] {
    guard let pointer, length > 0 else { return [] }
    return Array(UnsafeRawBufferPointer(start: pointer, count: length))
}
