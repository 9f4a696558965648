/// How one batch of `batchSize` samples is cut into `workers` contiguous shards.
///
/// Shards are made of microshards of `grain` samples (the last microshard may be short).
/// Worker w gets a contiguous run of microshards; run lengths differ by at most one
/// microshard, the longer runs going to the first workers. With fewer microshards than
/// workers, the last workers get empty shards (count 0) and contribute nothing to the sums.
/// The plan depends only on (batchSize, workers, grain).
public struct ShardPlan: Sendable, Equatable {
    /// Samples in the batch (0 is allowed: every shard is empty).
    public let batchSize: Int
    /// Shards to cut, one per worker (at least 1).
    public let workers: Int
    /// Samples per microshard (at least 1); 1 cuts the batch as evenly as possible.
    public let grain: Int

    /// The plan for these sizes; traps on a negative batch or fewer than 1 worker or sample per
    /// microshard.
    public init(batchSize: Int, workers: Int, grain: Int = 1) {
        precondition(batchSize >= 0 && workers >= 1 && grain >= 1, "invalid shard plan (B=\(batchSize), W=\(workers), grain=\(grain))")
        self.batchSize = batchSize
        self.workers = workers
        self.grain = grain
    }

    /// Number of microshards in the batch.
    public var microshardCount: Int { batchSize / grain + (batchSize % grain > 0 ? 1 : 0) }

    /// The sample positions (within the batch) that worker `w` handles.
    @inline(__always)
    public func shard(_ w: Int) -> Range<Int> {
        let m = microshardCount
        let base = m / workers, extra = m % workers
        let first = w * base + min(w, extra)
        let length = base + (w < extra ? 1 : 0)
        let lower = min(first * grain, batchSize)
        let upper = min((first + length) * grain, batchSize)
        return lower..<upper
    }

    /// Every worker's shard, in worker order.
    public var shards: [Range<Int>] { (0..<workers).map(shard) }
}
