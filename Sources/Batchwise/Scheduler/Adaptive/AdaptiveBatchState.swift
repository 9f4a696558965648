import Foundation

/// Where a `--batch-size auto` run stands, stored in every checkpoint with the rest of the
/// `TrainingState`: the batch in use and where in the epoch it took over, the gain and
/// learning-rate factor of the last decision, the scale-invariant clock, the step times
/// measured, and the batch sizes the run went through.
public struct AdaptiveBatchState: Sendable, Equatable, Codable {
    /// A change of batch size: when it took effect, and the decision behind it.
    public struct Change: Sendable, Equatable, Codable {
        /// Batches run since the start when the change took effect (`TrainingState.scheduleStep`).
        public let step: Int
        /// Passes over the data done when it took effect, with fractions (0.5: half-way through
        /// epoch 1).
        public let epochs: Double
        /// The decision.
        public let decision: AdaptiveBatchSize.Decision
    }

    /// The batch size in use.
    public var batchSize: Int
    /// The position in the epoch's order where `batchSize` took over (0 at an epoch's start).
    public var segmentStart = 0
    /// `TrainingState.stepInEpoch` at `segmentStart`.
    public var segmentFirstStep = 0
    /// `TrainingState.scheduleStep` at the last decision; nil before the first.
    public var lastDecisionStep: Int?
    /// The epoch of the last decision.
    public var lastDecisionEpoch = 0
    /// The last decision, nil before the first.
    public var decision: AdaptiveBatchSize.Decision?
    /// r(s) of `batchSize` at the last decision (1 before the first): what each step adds to
    /// `progress`.
    public var gain = 1.0
    /// The learning-rate factor of `batchSize` at the last decision.
    public var learningRateFactor = 1.0
    /// τ, the scale-invariant steps so far (Σ r over steps): the schedules' clock.
    public var progress = 0.0
    /// The step times measured so far.
    public var throughput: ThroughputModel
    /// The batch sizes the run went through: the first at step 0, then one per change.
    public var changes: [Change] = []

    /// The state of a run not started: at `settings.minimum`.
    public init(settings: AdaptiveBatchSize, workers: Int) {
        batchSize = settings.minimum
        throughput = ThroughputModel(workers: workers)
    }

    /// The position in the epoch's order of the next step, `stepInEpoch` (of `TrainingState`).
    public func position(stepInEpoch: Int, sampleCount: Int) -> Int {
        min(segmentStart + (stepInEpoch - segmentFirstStep) * batchSize, sampleCount)
    }
}
