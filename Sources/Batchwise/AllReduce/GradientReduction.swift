/// How the workers of a trainer turn their partial gradient sums into one update: the part of
/// a step between "every worker has its partial sum" and "the parameters are the new ones".
///
/// A step runs, on every worker, `afterCompute` → barrier → `combine` → `reduceAndUpdate` (or
/// `discard` for a batch that takes no update) → a closing barrier when `closingBarrier` says
/// so (see `TrainingStep`). The conformers are the reduce-scatter (`ReduceScatter`), the
/// replicated pair (`PairAllReduce`) and the hierarchical cross-process reduction
/// (`ProcessAllReduce`). Each keeps the per-step rule of the engine: no allocation, no lock, no
/// Dispatch call, and sums taken in an order that never depends on timing.
protocol GradientReduction: AnyObject, Sendable {
    /// Partial sums a step may have (workers, or microshards in reproducible mode).
    var maxSources: Int { get }
    /// Whether workers must meet once more at the end of a step before any of them starts the
    /// next one (the reduce-scatter: nobody may overwrite its stats or the parameter slice
    /// another is still reading).
    var closingBarrier: Bool { get }
    /// The buffer source `source` adds its gradient sum into, for a step of parity `parity`
    /// (the step's index in the job modulo 2; only the replicated pair double-buffers).
    func partialSum(source: Int, parity: Int) -> UnsafeMutablePointer<Float>
    /// The stats slot source `source` reports its sample count and loss in, for `parity`.
    func statsSlot(source: Int, parity: Int) -> Int
    /// The parameters and optimizer state worker `worker` computes with and updates.
    func target(worker: Int) -> UpdateTarget
    /// At the start of every job, on every worker, before its first step.
    func beginJob(worker: Int, clock: inout PhaseClock)
    /// After worker `worker` has written its partial sums, before the step's barrier.
    func afterCompute(worker: Int, parity: Int, clock: inout PhaseClock)
    /// After the barrier: the totals the update divides by, from this process's `local` sums
    /// (the same on every worker). Nil when the step cannot go on (a cross-process sum failed):
    /// every worker then gets nil at the same step.
    /// `sourceCounts` holds each source's samples on worker 0 (empty on the others).
    func combine(_ local: StepSums, worker: Int, sourceCount: Int, sourceCounts: [Int], barrier: Barrier, clock: inout PhaseClock) -> StepSums?
    /// Reduces the partial sums of sources `0..<sourceCount` and applies `update` with their
    /// mean (Σ / `totalCount`), over the part of the parameters worker `worker` owns.
    func reduceAndUpdate<Update: Optimizer>(worker: Int, sourceCount: Int, parity: Int, totalCount: Int,
                                            update: OptimizerStep<Update>)
    /// A step that takes no update: worker `worker` clears what it wrote (sources `written`).
    func discard(worker: Int, written: Range<Int>, parity: Int)
    /// Worker 0, after a step that updated: |g_s|² of each source's sum into `perSource` and
    /// |Σ_s g_s|² returned, for the noise scale; nil when this reduction cannot measure them.
    func noiseStatistics(sourceCount: Int, into perSource: inout [Double]) -> Double?
    /// Worker 0, after a step that updated: the step's (|G|², tr Σ) estimate from the sources
    /// of every process, `counts` their samples (this process's), `scratch` room for
    /// `maxSources` values; nil when fewer than two sources held samples or this reduction
    /// cannot measure them. By default, from `noiseStatistics`.
    func noiseEstimate(sourceCount: Int, counts: ArraySlice<Int>, scratch: inout [Double]) -> (gradientSquared: Double, trace: Double)?
    /// Why the last job stopped early, when `combine` gave nil (a cross-process sum failed).
    var failure: (any Error)? { get }
}

extension GradientReduction {
    var failure: (any Error)? { nil }
}

/// One step's totals over every source (and every process): what the update divides by.
extension GradientReduction {
    func noiseEstimate(sourceCount: Int, counts: ArraySlice<Int>, scratch: inout [Double]) -> (gradientSquared: Double, trace: Double)? {
        guard sourceCount >= 2, let total = noiseStatistics(sourceCount: sourceCount, into: &scratch) else { return nil }
        return GradientNoiseScale.estimate(sourceNorms: scratch[..<sourceCount], counts: counts, totalNorm: total)
    }
}

struct StepSums {
    var samples = 0
    var lossSum = 0.0
    var correct = 0
    /// Whether the job is to end after this step (a ``StopRequest`` seen by worker 0 before
    /// the step's first barrier), the same on every worker and process.
    var stopRequested = false

    /// These sums with `stopRequested` set as given.
    func with(stopRequested: Bool) -> StepSums {
        var sums = self
        sums.stopRequested = stopRequested
        return sums
    }
}

/// The parameters and optimizer state one worker updates (the trainer's, or its replica).
struct UpdateTarget: @unchecked Sendable {
    let parameters: UnsafeMutablePointer<Float>
    let state: UnsafeMutablePointer<Float>
}

/// One optimizer update as the reduction applies it, chunk by chunk: the optimizer itself
/// (not a closure), what it updates, and the step's number and learning rate.
struct OptimizerStep<Update: Optimizer> {
    let optimizer: Update
    let target: UpdateTarget
    let parameterCount: Int
    /// 1 for the first update, counting every optimizer step taken.
    let step: Int
    let learningRate: Float

    /// Updates `range` of the target with `mean`, the averaged gradient of `range`.
    @inline(__always)
    func apply(_ range: Range<Int>, _ mean: UnsafePointer<Float>) {
        optimizer.update(parameters: target.parameters, gradient: mean, state: target.state,
                         parameterCount: parameterCount, range: range, step: step, learningRate: learningRate)
    }
}

/// Where one worker's time goes inside a job, lapped at each phase boundary.
struct PhaseClock {
    enum Phase { case compute, barrier, reduce, crossProcess }
    private var nanoseconds: (compute: UInt64, barrier: UInt64, reduce: UInt64, crossProcess: UInt64) = (0, 0, 0, 0)
    /// When the last lap ended.
    private(set) var last = StepPhases.now()

    /// Charges the time since the last lap to `phase`.
    @inline(__always)
    mutating func lap(_ phase: Phase) {
        let now = StepPhases.now()
        let elapsed = now &- last
        switch phase {
        case .compute: nanoseconds.compute &+= elapsed
        case .barrier: nanoseconds.barrier &+= elapsed
        case .reduce: nanoseconds.reduce &+= elapsed
        case .crossProcess: nanoseconds.crossProcess &+= elapsed
        }
        last = now
    }

    /// The laps so far, in seconds.
    var phases: StepPhases {
        StepPhases(compute: Double(nanoseconds.compute) / 1e9, barrier: Double(nanoseconds.barrier) / 1e9,
                   allReduce: Double(nanoseconds.reduce) / 1e9, crossProcess: Double(nanoseconds.crossProcess) / 1e9)
    }
}
