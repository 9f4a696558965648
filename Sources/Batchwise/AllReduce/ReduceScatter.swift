import CBatchwiseKernels

/// Partial gradient sums → one averaged gradient, fused with the optimizer update: the
/// reduce-scatter, two barriers per step.
///
/// The partial sums come from S *sources*: one per worker by default, or one per microshard in
/// reproducible mode. After the step's first barrier, worker w owns parameter slice w. For
/// each chunk of its slice it adds g_0 … g_{S−1} *in source order* (so the result does not
/// depend on timing, nor — when the sources are microshards — on the thread count), clears
/// those partial sums for the next step while the lines are hot, multiplies by 1 / Σ b_s, and
/// hands the chunk to the optimizer. All workers update the one parameter vector; the closing
/// barrier keeps anyone from starting the next step on a half-updated one.
///
/// Alongside, it measures per chunk |g_s|² for every source and |Σ_s g_s|², the raw material
/// of the gradient-noise-scale estimate; chunks sit on a fixed grid, so these sums, added in
/// chunk order, do not depend on how the slices fall either.
final class ReduceScatter: GradientReduction, @unchecked Sendable {
    let slices: ParameterSlices
    let parameterCount: Int
    let maxSources: Int
    var closingBarrier: Bool { true }
    /// The partial sums, one per source (the buffers stay owned by `partialSums`).
    private let partialSums: [FloatBuffer]
    private let sources: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>?>
    private let scratch: [FloatBuffer]
    /// Per chunk: |g_0|², …, |g_{S−1}|², then |Σ g_s|² (each over the chunk's elements).
    private let norms: UnsafeMutableBufferPointer<Double>
    private let updated: UpdateTarget

    /// One partial-sum buffer per source, source s's on `sourceNodes[s]`; one slice per worker,
    /// each worker's scratch on its node in `workerNodes`. Every worker updates `parameters`
    /// and `state`, which the trainer keeps alive as long as this reduction.
    init(sourceNodes: [Int?], parameters: FloatBuffer, state: FloatBuffer, topology: Topology, workerNodes: [Int?]) {
        parameterCount = parameters.count
        maxSources = sourceNodes.count
        slices = ParameterSlices(parameterCount: parameterCount, workers: workerNodes.count)
        let sources = sourceNodes.map { FloatBuffer(count: parameters.count, topology: topology, numaNode: $0) }
        partialSums = sources
        self.sources = .allocate(capacity: sources.count)
        _ = self.sources.initialize(from: sources.map(\.pointer))
        scratch = workerNodes.map { FloatBuffer(count: AllReduce.chunk, topology: topology, numaNode: $0) }
        norms = .allocate(capacity: AllReduce.chunkCount(parameterCount) * (sources.count + 1))
        norms.initialize(repeating: 0)
        updated = UpdateTarget(parameters: parameters.pointer, state: state.pointer)
    }

    deinit {
        sources.deallocate()
        norms.deallocate()
    }

    func partialSum(source: Int, parity: Int) -> UnsafeMutablePointer<Float> { partialSums[source].pointer }
    func statsSlot(source: Int, parity: Int) -> Int { source }
    func target(worker: Int) -> UpdateTarget { updated }
    func beginJob(worker: Int, clock: inout PhaseClock) {}
    func afterCompute(worker: Int, parity: Int, clock: inout PhaseClock) {}
    func combine(_ local: StepSums, worker: Int, sourceCount: Int, sourceCounts: [Int], barrier: Barrier, clock: inout PhaseClock) -> StepSums? { local }

    func reduceAndUpdate<Update: Optimizer>(worker: Int, sourceCount: Int, parity: Int, totalCount: Int,
                                            update: OptimizerStep<Update>) {
        let acc = scratch[worker].pointer
        let scale = 1 / Float(max(totalCount, 1))
        forEachChunk(of: worker) { start, n in
            sumSources(start: start, count: n, sourceCount: sourceCount, scale: scale, into: acc)
            update.apply(start..<(start + n), acc)
        }
    }

    func discard(worker: Int, written: Range<Int>, parity: Int) {
        for s in written { partialSums[s].fill(0) }
    }

    func noiseStatistics(sourceCount: Int, into perSource: inout [Double]) -> Double? {
        let stride = maxSources + 1
        for s in 0..<sourceCount { perSource[s] = 0 }
        var total = 0.0
        for c in 0..<AllReduce.chunkCount(parameterCount) {
            let norm = norms.baseAddress! + c * stride
            for s in 0..<sourceCount { perSource[s] += norm[s] }
            total += norm[maxSources]
        }
        return total
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
    /// clears it for the next step, and applies `update` chunk by chunk; records each chunk's
    /// |Σ|² (before the division) in `chunkNorms[chunk]`.
    @inline(__always)
    func applyMean<Update: Optimizer>(worker: Int, of processSum: UnsafeMutablePointer<Float>, totalCount: Int,
                                      update: OptimizerStep<Update>, chunkNorms: UnsafeMutablePointer<Double>) {
        let acc = scratch[worker].pointer
        let scale = 1 / Float(max(totalCount, 1))
        forEachChunk(of: worker) { start, n in
            let sum = processSum + start
            var norm = 0.0
            for k in 0..<n {
                norm += Double(sum[k]) * Double(sum[k])
                acc[k] = sum[k] * scale
                sum[k] = 0
            }
            chunkNorms[start / AllReduce.chunk] = norm
            update.apply(start..<(start + n), acc)
        }
    }

    @inline(__always)
    private func forEachChunk(of worker: Int, _ body: (_ start: Int, _ count: Int) -> Void) {
        AllReduce.forEachChunk(in: slices.slice(worker), body)
    }

    /// acc[0..<n] = scale · Σ_s g_s[start..<start+n] in source order, clearing the g_s, and
    /// records the chunk's squared norms (|Σ_s g_s|² before the scale). The loop is C compiled
    /// for AVX-512, AVX2 and the baseline, picked at run time: every level gives the same bits.
    @inline(__always)
    private func sumSources(start: Int, count n: Int, sourceCount: Int, scale: Float,
                            into acc: UnsafeMutablePointer<Float>) {
        let norm = norms.baseAddress! + (start / AllReduce.chunk) * (maxSources + 1)
        bw_reduce_chunk(acc, sources.baseAddress!, Int64(max(sourceCount, 1)), Int64(start), Int64(n),
                        scale, norm, Int64(maxSources))
    }
}
