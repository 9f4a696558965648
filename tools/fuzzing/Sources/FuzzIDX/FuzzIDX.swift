import Batchwise

/// IDX bytes, plain or gzip (the loader inflates gzip itself, capped at `maximumBytes`): every
/// input must decode to an array or throw `DataError`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzIDX(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : count)
    // A cap well under libFuzzer's -malloc_limit_mb, so that a gzip bomb is the loader's error.
    _ = try? IDXLoader(maximumBytes: 64 << 20).parse([UInt8](bytes), name: "fuzz.idx")
    return 0
}
