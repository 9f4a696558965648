import Foundation

extension ContiguousBytes {
    /// `withUnsafeBytes` for a body that throws only `DataError`: Foundation's version is an
    /// untyped `rethrows`, so the error travels through a `Result` to keep the loaders'
    /// `throws(DataError)` exact. The pointer is valid only inside `body`.
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(DataError) -> T) throws(DataError) -> T {
        try withUnsafeBytes { raw in Result { () throws(DataError) in try body(raw) } }.get()
    }
}
