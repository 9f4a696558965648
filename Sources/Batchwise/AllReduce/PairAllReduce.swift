import CBatchwiseKernels

/// How the workers combine their partial sums and update the parameters.
public enum AllReduceStrategy: String, Sendable, CaseIterable, Codable {
    /// `replicatedPair` where it applies and is faster (two workers, one source each, one
    /// process, at most `PairAllReduce.parameterLimit` parameters), `reduceScatter` otherwise.
    case automatic
    /// Worker w sums slice w of every partial sum and updates that slice of the one parameter
    /// vector; two barriers per step (`AllReduce`).
    case reduceScatter = "reduce-scatter"
    /// Two workers, each with its own copy of the parameters and optimizer state: each sums
    /// the whole gradient and updates its own copy; one barrier per step (`PairAllReduce`).
    case replicatedPair = "replicated-pair"
}

/// The all-reduce of two workers that each keep a replica of the parameters.
///
/// With the reduce-scatter, every step the parameter lines a worker updates are lines the
/// other core read during its forward pass: each store must first invalidate the other's
/// copy, and on small models that coherence traffic is most of the all-reduce (measured on
/// the 64-128-10 MLP: writing the update to a private buffer instead cut the phase from 4.7
/// to 2.1 µs). Here no parameter line ever crosses cores. Each worker
///
/// 1. after its backward pass, copies its own partial sum g_w into its accumulator
///    (`fold`, before the barrier; nobody else needs g_w's lines after that but the other
///    worker, who reads them once);
/// 2. after the barrier, adds the other worker's partial sum, clearing it as it goes (the
///    lines move to the reader, and back to their owner on its next backward pass), scales,
///    and updates *its own* parameters and optimizer state over the whole vector (`reduce`).
///
/// The partial sums are double-buffered by step parity, so a worker can start the next
/// step's backward pass while the other is still reading the last one: one barrier per step.
/// Both workers add the same two floats per element (g_0 + g_1 = g_1 + g_0 exactly) and run the
/// same update, so the replicas stay bit-identical, and bit-identical to `AllReduce` at two
/// workers; the squared norms use the same 16-lane pattern and chunk grid, so the noise
/// scale is the same too.
final class PairAllReduce: GradientReduction, @unchecked Sendable {
    /// Above this many parameters the whole-vector update on each worker costs more than the
    /// coherence traffic it saves (see Benchmarks/README.md, "replicated pair").
    static let parameterLimit = 131_072

    let parameterCount: Int
    var maxSources: Int { 2 }
    /// Partial sums and stats slots are double-buffered by step parity: no closing barrier.
    var closingBarrier: Bool { false }
    /// gradients[2 · set + w]: worker w's partial sum for steps of parity `set`.
    let gradients: [FloatBuffer]
    /// The parameters and optimizer state each worker computes with and updates: the
    /// trainer's own for worker 0, worker 1's replica (on its node) for worker 1.
    let parameters: [FloatBuffer]
    let state: [FloatBuffer]
    private let accumulators: [FloatBuffer]
    /// Per worker, per chunk: |g_0|², |g_1|², |g_0 + g_1|².
    private let norms: [UnsafeMutableBufferPointer<Double>]

    /// Allocates each worker's two partial sums, accumulator and (for worker 1) replica on its
    /// node in `numaNodes`; `parameters` and `state` are the trainer's, which worker 0 updates.
    init(parameters: FloatBuffer, state: FloatBuffer, topology: Topology, numaNodes: [Int?]) {
        precondition(numaNodes.count == 2)
        parameterCount = parameters.count
        gradients = (numaNodes + numaNodes).map { FloatBuffer(count: parameters.count, topology: topology, numaNode: $0) }
        self.parameters = [parameters, FloatBuffer(count: parameters.count, topology: topology, numaNode: numaNodes[1])]
        self.state = [state, FloatBuffer(count: state.count, topology: topology, numaNode: numaNodes[1])]
        accumulators = numaNodes.map { FloatBuffer(count: parameters.count, topology: topology, numaNode: $0) }
        norms = (0..<2).map { _ in
            let n = UnsafeMutableBufferPointer<Double>.allocate(capacity: 3 * AllReduce.chunkCount(parameters.count))
            n.initialize(repeating: 0)
            return n
        }
    }

    deinit { norms.forEach { $0.deallocate() } }

    /// Which strategy a trainer with this set-up runs.
    static func resolve(_ strategy: AllReduceStrategy, workers: Int, sourcesPerWorker: Bool, processes: Int,
                        parameterCount: Int) throws(ConfigurationError) -> AllReduceStrategy {
        let fits = workers == 2 && sourcesPerWorker && processes == 1
        switch strategy {
        case .automatic:
            return fits && parameterCount <= parameterLimit ? .replicatedPair : .reduceScatter
        case .reduceScatter:
            return .reduceScatter
        case .replicatedPair:
            guard fits else {
                throw ConfigurationError("the replicated-pair all-reduce needs exactly 2 threads, one process and no \(parameter: "microsharding"); use \(parameter: "allReduce", value: "reduce-scatter") or automatic")
            }
            return .replicatedPair
        }
    }

    func partialSum(source: Int, parity: Int) -> UnsafeMutablePointer<Float> { gradients[2 * parity + source].pointer }
    func statsSlot(source: Int, parity: Int) -> Int { 2 * parity + source }
    func target(worker: Int) -> UpdateTarget { UpdateTarget(parameters: parameters[worker].pointer, state: state[worker].pointer) }

    /// Worker 1 brings its replica up to date with the trainer's (set between jobs, say).
    func beginJob(worker: Int, clock: inout PhaseClock) {
        guard worker != 0 else { return }
        parameters[worker].copy(from: parameters[0])
        state[worker].copy(from: state[0])
        clock.lap(.reduce)  // part of the pair's all-reduce cost, paid once per job
    }

    /// Before the barrier: worker `worker`'s accumulator = its own partial sum, and its norms.
    @inline(__always)
    func afterCompute(worker: Int, parity: Int, clock: inout PhaseClock) {
        let acc = accumulators[worker].pointer, g = partialSum(source: worker, parity: parity)
        let norm = norms[worker].baseAddress!
        forEachChunk { start, n in
            bw_reduce_pass(acc + start, g + start, Int64(n), 1, 0, 0, 1, norm + 3 * (start / AllReduce.chunk) + worker, nil)
        }
        clock.lap(.reduce)
    }

    func combine(_ local: StepSums, worker: Int, sourceCount: Int, sourceCounts: [Int], barrier: Barrier, clock: inout PhaseClock) -> StepSums? { local }

    /// After the barrier: adds the other worker's partial sum (clearing it), divides by
    /// `totalCount`, and updates this worker's own copy chunk by chunk over the whole vector.
    @inline(__always)
    func reduceAndUpdate<Update: Optimizer>(worker: Int, sourceCount: Int, parity: Int, totalCount: Int,
                                            update: OptimizerStep<Update>) {
        let acc = accumulators[worker].pointer, other = 1 - worker, g = partialSum(source: other, parity: parity)
        let norm = norms[worker].baseAddress!
        let scale = 1 / Float(max(totalCount, 1))
        forEachChunk { start, n in
            let c = 3 * (start / AllReduce.chunk)
            bw_reduce_pass(acc + start, g + start, Int64(n), 0, 1, 1, scale, norm + c + other, norm + c + 2)
            update.apply(start..<(start + n), acc + start)
        }
    }

    /// A step that takes no update: worker `worker` clears its own partial sum (nobody reads it).
    func discard(worker: Int, written: Range<Int>, parity: Int) {
        gradients[2 * parity + worker].fill(0)
    }

    @inline(__always)
    private func forEachChunk(_ body: (_ start: Int, _ count: Int) -> Void) {
        AllReduce.forEachChunk(in: 0..<parameterCount, body)
    }

    /// |g_0|², |g_1|² (into `perSource`) and |g_0 + g_1|², each summed over chunks in chunk
    /// order, for the last step worker 0 reduced. Read by worker 0 only.
    func noiseStatistics(sourceCount: Int, into perSource: inout [Double]) -> Double? {
        let norm = norms[0]
        perSource[0] = 0
        perSource[1] = 0
        var total = 0.0
        for c in 0..<AllReduce.chunkCount(parameterCount) {
            perSource[0] += norm[3 * c]
            perSource[1] += norm[3 * c + 1]
            total += norm[3 * c + 2]
        }
        return total
    }
}
