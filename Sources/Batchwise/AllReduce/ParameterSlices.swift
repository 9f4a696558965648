/// How the flat parameter vector is split among workers for the reduce-scatter.
///
/// Slices are contiguous, whole cache lines (16 floats) except the last, and as equal as the
/// cache-line granularity allows, so no two workers ever write the same line.
public struct ParameterSlices: Sendable, Equatable {
    public let parameterCount: Int
    public let workers: Int

    public init(parameterCount: Int, workers: Int) {
        self.parameterCount = parameterCount
        self.workers = workers
    }

    /// The parameter indices worker `w` reduces and updates.
    @inline(__always)
    public func slice(_ w: Int) -> Range<Int> {
        let lines = (parameterCount + FloatBuffer.floatsPerCacheLine - 1) / FloatBuffer.floatsPerCacheLine
        let plan = ShardPlan(batchSize: lines, workers: workers)
        let r = plan.shard(w)
        return min(r.lowerBound * FloatBuffer.floatsPerCacheLine, parameterCount)
            ..< min(r.upperBound * FloatBuffer.floatsPerCacheLine, parameterCount)
    }
}
