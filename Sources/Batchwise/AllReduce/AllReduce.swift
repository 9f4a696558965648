/// The chunk grid every all-reduce walks.
///
/// Reductions go over the flat parameter vector in chunks of `chunk` floats on a fixed grid:
/// the averaged gradient exists one chunk at a time, in a small per-worker scratch that stays
/// in L1, and everything computed per chunk (the squared norms of the noise scale) is the same
/// whichever worker computes it.
public enum AllReduce {
    /// Floats per chunk: 4 KiB, well inside L1 with the parameters and state beside it.
    public static let chunk = 1024

    /// Chunks covering `parameters` floats (the last one may be short).
    static func chunkCount(_ parameters: Int) -> Int { (parameters + chunk - 1) / chunk }

    /// Calls `body(start, count)` for each chunk of `range` in order: `chunk` floats each, the
    /// last one shorter. Ranges start on the chunk grid, so the chunks do too.
    @inline(__always)
    static func forEachChunk(in range: Range<Int>, _ body: (_ start: Int, _ count: Int) -> Void) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + chunk, range.upperBound)
            body(start, end - start)
            start = end
        }
    }
}
