/// Partial gradient sums → one averaged gradient, fused with the optimizer update.
///
/// After the step's first barrier, worker w owns parameter slice w. For each chunk of its
/// slice it adds g_0 … g_{W−1} *in worker order* (so the result does not depend on timing),
/// clears those partial sums for the next step while the lines are hot, multiplies by
/// 1 / Σ b_w, and hands the chunk to the update. The averaged gradient exists only one chunk at
/// a time, in a small per-worker scratch that stays in L1.
///
/// The seam for multi-process runs is here: a process would all-reduce its slice's sums and
/// the counts across processes (MPI) between the local sum and the division.
public final class AllReduce: @unchecked Sendable {
    /// Floats per chunk: 16 KiB, well inside L1 with the parameters and state beside it.
    public static let chunk = 4096

    public let slices: ParameterSlices
    private let partialSums: UnsafeMutableBufferPointer<UnsafeMutablePointer<Float>>
    private let scratch: [FloatBuffer]

    /// `partialSums[w]` is worker w's gradient-sum buffer (`parameterCount` floats each).
    init(partialSums: [FloatBuffer], topology: Topology, numaNodes: [Int?]) {
        let workers = partialSums.count
        slices = ParameterSlices(parameterCount: partialSums.first?.count ?? 0, workers: workers)
        self.partialSums = .allocate(capacity: workers)
        _ = self.partialSums.initialize(from: partialSums.map(\.pointer))
        scratch = numaNodes.map { FloatBuffer(count: Self.chunk, topology: topology, numaNode: $0) }
    }

    deinit { partialSums.deallocate() }

    /// Reduces worker `worker`'s slice, dividing by `totalCount`, and calls `apply(range, mean)`
    /// for each chunk with the averaged gradient of `range`.
    @inline(__always)
    func reduceScatter(worker: Int, totalCount: Int,
                       apply: (_ range: Range<Int>, _ mean: UnsafePointer<Float>) -> Void) {
        let slice = slices.slice(worker)
        let acc = scratch[worker].pointer
        let scale = 1 / Float(max(totalCount, 1))
        var start = slice.lowerBound
        while start < slice.upperBound {
            let end = min(start + Self.chunk, slice.upperBound)
            let n = end - start
            let first = partialSums[0] + start
            for k in 0..<n { acc[k] = first[k]; first[k] = 0 }
            for w in 1..<partialSums.count {
                let g = partialSums[w] + start
                for k in 0..<n { acc[k] += g[k]; g[k] = 0 }
            }
            for k in 0..<n { acc[k] *= scale }
            apply(start..<end, acc)
            start = end
        }
    }
}
