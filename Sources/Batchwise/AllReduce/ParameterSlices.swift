/// How the flat parameter vector is split among workers for the reduce-scatter.
///
/// Slices are contiguous runs of whole all-reduce chunks (`AllReduce.chunk` floats; the last
/// one may be short), as equal as that granularity allows. Chunks are on a fixed grid, so
/// everything computed per chunk is the same whichever worker computes it, and no two
/// workers ever write the same cache line.
public struct ParameterSlices: Sendable, Equatable {
    /// Length of the flat parameter vector, in floats.
    public let parameterCount: Int
    /// Number of slices: one per worker.
    public let workers: Int

    /// Splits `parameterCount` floats among `workers` workers.
    public init(parameterCount: Int, workers: Int) {
        self.parameterCount = parameterCount
        self.workers = workers
    }

    /// The parameter indices worker `w` reduces and updates.
    @inline(__always)
    public func slice(_ w: Int) -> Range<Int> {
        let chunks = AllReduce.chunkCount(parameterCount)
        let r = ShardPlan(batchSize: chunks, workers: workers).shard(w)
        return min(r.lowerBound * AllReduce.chunk, parameterCount) ..< min(r.upperBound * AllReduce.chunk, parameterCount)
    }
}
