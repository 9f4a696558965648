import Foundation

/// Where the workers' time went during an epoch: seconds per worker, averaged over workers.
/// Their sum is about the epoch's wall time; `barrier` is time spent waiting for the slowest
/// worker (load imbalance plus hand-over), the rest is work.
public struct StepPhases: Sendable, Equatable, Codable {
    /// Gathering the shard's rows, forward and backward passes.
    public var compute = 0.0
    /// Waiting at the barriers of each step.
    public var barrier = 0.0
    /// Reducing the partial sums, fused with the optimizer update.
    public var allReduce = 0.0
    /// Summing across processes (MPI_Allreduce), in a multi-process run; worker 0 does it.
    public var crossProcess = 0.0

    /// The given seconds per phase (zero where not given).
    public init(compute: Double = 0, barrier: Double = 0, allReduce: Double = 0, crossProcess: Double = 0) {
        self.compute = compute
        self.barrier = barrier
        self.allReduce = allReduce
        self.crossProcess = crossProcess
    }

    /// Adds `other` divided by `divisor` (1 to add, W to average over W workers).
    mutating func add(_ other: StepPhases, dividedBy divisor: Double = 1) {
        compute += other.compute / divisor
        barrier += other.barrier / divisor
        allReduce += other.allReduce / divisor
        crossProcess += other.crossProcess / divisor
    }

    @inline(__always) static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

/// What to do when a batch's loss is NaN or infinite.
public enum NonFinitePolicy: String, Sendable, Codable, CaseIterable {
    /// Stop training with an error naming the step (the default).
    case stop
    /// Skip the batch (no update) and count it.
    case skip
}

/// What a run of steps measured.
public struct StepsReport: Sendable, Equatable, Codable {
    /// Steps that updated the weights.
    public var steps = 0
    /// Batches skipped because their loss was not finite (`NonFinitePolicy.skip`).
    public var skipped = 0
    /// Samples in the steps that updated the weights.
    public var samples = 0
    /// Σ ℓ over those samples.
    public var lossSum = 0.0
    /// Samples whose predicted class was the label, over those samples (0 for regression).
    public var correct = 0
    /// Wall time of the run, in seconds.
    public var seconds = 0.0
    /// Where the workers' time went.
    public var phases = StepPhases()
    /// Wall time of each step of the job (skipped ones included), as worker 0 saw it from the
    /// end of one step to the end of the next: the first includes waking the workers.
    public var stepSeconds: [Double] = []

    /// An empty report.
    public init() {}

    /// Adds another run's sums (not its per-step times).
    public mutating func add(_ other: StepsReport) {
        steps += other.steps
        skipped += other.skipped
        samples += other.samples
        lossSum += other.lossSum
        correct += other.correct
        seconds += other.seconds
        phases.add(other.phases)
    }
}
