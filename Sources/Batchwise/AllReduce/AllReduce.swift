import CBatchwiseKernels

/// Partial gradient sums → one averaged gradient, fused with the optimizer update.
///
/// The partial sums come from S *sources*: one per worker by default, or one per microshard in
/// reproducible mode. After the step's first barrier, worker w owns parameter slice w. For
/// each chunk of its slice it adds g_0 … g_{S−1} *in source order* (so the result does not
/// depend on timing, nor — when the sources are microshards — on the thread count), clears
/// those partial sums for the next step while the lines are hot, multiplies by 1 / Σ b_s, and
/// hands the chunk to the update. The averaged gradient exists only one chunk at a time, in a
/// small per-worker scratch that stays in L1.
///
/// Alongside, it measures per chunk |g_s|² for every source and |Σ_s g_s|², the raw material
/// of the gradient-noise-scale estimate; chunks sit on a fixed grid, so these sums, added in
/// chunk order, do not depend on how the slices fall either.
///
/// The seam for multi-process runs is here: a process would all-reduce its slice's sums and
/// the counts across processes (MPI) between the local sum and the division.
public final class AllReduce: @unchecked Sendable {
    /// Floats per chunk: 4 KiB, well inside L1 with the parameters and state beside it.
    public static let chunk = 1024

    public let slices: ParameterSlices
    public let parameterCount: Int
    /// The most sources a step may have.
    public let maxSources: Int
    private let sources: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>?>
    private let scratch: [FloatBuffer]
    /// Per chunk: |g_0|², …, |g_{S−1}|², then |Σ g_s|² (each over the chunk's elements).
    private let norms: UnsafeMutableBufferPointer<Double>

    /// `sources[s]` is source s's gradient-sum buffer (`parameterCount` floats each);
    /// `workers` slices are cut; each worker's scratch lives on its NUMA node.
    init(sources: [FloatBuffer], workers: Int, topology: Topology, numaNodes: [Int?]) {
        parameterCount = sources.first?.count ?? 0
        maxSources = sources.count
        slices = ParameterSlices(parameterCount: parameterCount, workers: workers)
        self.sources = .allocate(capacity: sources.count)
        _ = self.sources.initialize(from: sources.map(\.pointer))
        scratch = numaNodes.map { FloatBuffer(count: Self.chunk, topology: topology, numaNode: $0) }
        norms = .allocate(capacity: Self.chunkCount(parameterCount) * (sources.count + 1))
        norms.initialize(repeating: 0)
    }

    deinit {
        sources.deallocate()
        norms.deallocate()
    }

    static func chunkCount(_ parameters: Int) -> Int { (parameters + chunk - 1) / chunk }

    /// Reduces worker `worker`'s slice over sources `0..<sourceCount`, dividing by
    /// `totalCount`, and calls `apply(range, mean)` for each chunk with the averaged gradient of
    /// `range`. Records the chunk's squared norms for `noiseStatistics`.
    @inline(__always)
    func reduceScatter(worker: Int, sourceCount: Int, totalCount: Int,
                       apply: (_ range: Range<Int>, _ mean: UnsafePointer<Float>) -> Void) {
        let acc = scratch[worker].pointer
        let scale = 1 / Float(max(totalCount, 1))
        forEachChunk(of: worker) { start, n in
            sumSources(start: start, count: n, sourceCount: sourceCount, scale: scale, into: acc)
            apply(start..<(start + n), acc)
        }
    }

    /// First half of the hierarchical all-reduce: sums the sources over worker `worker`'s
    /// slice into `processSum` (this process's gradient sum, to be summed across processes).
    @inline(__always)
    func reduceLocally(worker: Int, sourceCount: Int, into processSum: UnsafeMutablePointer<Float>) {
        forEachChunk(of: worker) { start, n in
            sumSources(start: start, count: n, sourceCount: sourceCount, scale: 1, into: processSum + start)
        }
    }

    /// Second half: divides worker `worker`'s slice of the all-processes sum by `totalCount`,
    /// clears it for the next step, and applies the update chunk by chunk.
    @inline(__always)
    func applyMean(worker: Int, of processSum: UnsafeMutablePointer<Float>, totalCount: Int,
                   apply: (_ range: Range<Int>, _ mean: UnsafePointer<Float>) -> Void) {
        let acc = scratch[worker].pointer
        let scale = 1 / Float(max(totalCount, 1))
        forEachChunk(of: worker) { start, n in
            let sum = processSum + start
            for k in 0..<n {
                acc[k] = sum[k] * scale
                sum[k] = 0
            }
            apply(start..<(start + n), acc)
        }
    }

    @inline(__always)
    private func forEachChunk(of worker: Int, _ body: (_ start: Int, _ count: Int) -> Void) {
        Self.forEachChunk(in: slices.slice(worker), body)
    }

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

    /// acc[0..<n] = scale · Σ_s g_s[start..<start+n] in source order, clearing the g_s, and
    /// records the chunk's squared norms (|Σ_s g_s|² before the scale). The loop is C compiled
    /// for AVX-512, AVX2 and the baseline, picked at run time: every level gives the same bits.
    @inline(__always)
    private func sumSources(start: Int, count n: Int, sourceCount: Int, scale: Float,
                            into acc: UnsafeMutablePointer<Float>) {
        let norm = norms.baseAddress! + (start / Self.chunk) * (maxSources + 1)
        bw_reduce_chunk(acc, sources.baseAddress!, Int64(max(sourceCount, 1)), Int64(start), Int64(n),
                        scale, norm, Int64(maxSources))
    }

    /// Σ over chunks, in chunk order, of each source's |g_s|², written into `perSource`
    /// (no allocation). Read after the barrier that ends the reduce.
    func noiseStatistics(sourceCount: Int, into perSource: inout [Double]) {
        let stride = maxSources + 1
        for s in 0..<sourceCount { perSource[s] = 0 }
        for c in 0..<Self.chunkCount(parameterCount) {
            let norm = norms.baseAddress! + c * stride
            for s in 0..<sourceCount { perSource[s] += norm[s] }
        }
    }

    /// Σ over chunks, in chunk order, of |Σ_s g_s|² for the last step.
    func totalNorm(sourceCount: Int) -> Double {
        let stride = maxSources + 1
        var sum = 0.0
        for c in 0..<Self.chunkCount(parameterCount) { sum += norms[c * stride + maxSources] }
        return sum
    }
}
