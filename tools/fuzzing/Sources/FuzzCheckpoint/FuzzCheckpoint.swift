import Batchwise

/// Checkpoint bytes (`checkpoint.bwck`) as `Checkpoint.decode(_:name:)` reads them: every input
/// must decode or throw `DataError`.
///
/// A mutated file almost never keeps its SHA-256 trailer, and decoding stops at the checksum;
/// so the harness rewrites the last 32 bytes as the SHA-256 of the rest before decoding, and
/// the fuzzer reaches the header's JSON, its checks and the float sections. (A seed that is a
/// valid checkpoint is left unchanged by this.) Both the raw and the fixed-up bytes are decoded.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    var bytes = [UInt8](UnsafeBufferPointer(start: start, count: start == nil ? 0 : count))
    _ = try? Checkpoint.decode(bytes, name: "fuzz.bwck")
    guard bytes.count >= 32 else { return 0 }
    var hash = SHA256()
    bytes.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[..<(bytes.count - 32)])) }
    bytes.replaceSubrange((bytes.count - 32)..., with: hash.finalizeBytes())
    _ = try? Checkpoint.decode(bytes, name: "fuzz.bwck")
    return 0
}
