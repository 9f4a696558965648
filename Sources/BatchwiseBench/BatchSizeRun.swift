import Batchwise

/// One batch size's line of a batch-size sweep: how long training took to reach the target,
/// counted in optimizer steps, samples, epochs and seconds, and what it ended at. Every figure
/// `batchwise bench batch-size` prints, writes to JSON (under the snake_case names of
/// ``CodingKeys``; a figure that does not exist is `null`) and plots.
///
/// The `…ToTarget` figures come from the first epoch whose end-of-epoch validation meets the
/// target: the validation set is evaluated once per epoch, so they are exact at that epoch
/// boundary (the target may have been crossed at any step of that epoch) — or, when the sweep
/// also checks every N steps (`BatchSizeSweep.checkEvery`), from the first such check that met
/// it. They are nil when no check reached it.
public struct BatchSizeRun: Sendable, Equatable, Codable {
    /// Samples per optimizer step (for an auto run, the last batch size it trained at).
    public var batchSize: Int
    /// For a run that chose its batch size as it trained (`--batch-size auto`): the batch
    /// sizes it went through, in order; the JSON then writes `batch_size` as `"auto"` and this
    /// list as `batch_sizes`. nil for a fixed batch size (`batch_sizes` is `null`).
    public var batchSizes: [Int]? = nil
    /// The learning rate the run trained with (the base rate, scaled for this batch size).
    public var learningRate: Double
    /// Worker threads the run trained on.
    public var threads: Int
    /// `validation_loss` or `validation_accuracy`: the metric the target is on.
    public var targetMetric: String
    /// The value of `targetMetric` to reach (at most, for a loss; at least, for an accuracy).
    public var targetValue: Double
    /// Whether an end-of-epoch validation met the target.
    public var reached: Bool
    /// True when the loss became NaN or infinite and the run was stopped there.
    public var diverged: Bool
    /// Optimizer steps taken from the start to the end of the first epoch that met the target
    /// (or to the check between epoch ends that met it).
    public var stepsToTarget: Int?
    /// Training samples processed by then: epochs × training-set size (every epoch visits every
    /// sample), or up to the check between epoch ends.
    public var samplesToTarget: Int?
    /// The epoch that met the target, counting from 1: completed by then, or (a check between
    /// epoch ends) in progress.
    public var epochsToTarget: Int?
    /// Seconds the workers spent training up to the end of that epoch, or to that check
    /// (validation not counted).
    public var secondsToTarget: Double?
    /// Epochs the run completed (up to the target, or all `maxEpochs`).
    public var epochsRun: Int
    /// Optimizer steps the run took in those epochs (and, when a check between epoch ends met
    /// the target, in the epoch it stopped in).
    public var stepsRun: Int
    /// Training samples / training seconds over the completed epochs (validation not counted);
    /// nil when no epoch completed.
    public var samplesPerSecond: Double?
    /// Seconds the workers spent training (validation not counted), to where the run stopped.
    public var trainingSeconds: Double
    /// Wall-clock seconds of the whole run: set-up, training and validation.
    public var wallSeconds: Double
    /// Mean per-sample validation loss after the last completed epoch (or at the check between
    /// epoch ends that met the target, where the run stopped).
    public var finalValidationLoss: Double?
    /// Share of validation samples classified correctly after the last completed epoch (or at
    /// that check), in [0, 1].
    public var finalValidationAccuracy: Double?
    /// The gradient noise scale B_simple = tr(Σ)/|G|² the trainer estimated, as of the last
    /// completed epoch; nil with one thread (it needs two shards per batch) or when not finite.
    public var noiseScale: Double?

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case batchSize = "batch_size", batchSizes = "batch_sizes", learningRate = "learning_rate", threads
        case targetMetric = "target_metric", targetValue = "target_value", reached, diverged
        case stepsToTarget = "steps_to_target", samplesToTarget = "samples_to_target", epochsToTarget = "epochs_to_target"
        case secondsToTarget = "seconds_to_target"
        case epochsRun = "epochs_run", stepsRun = "steps_run"
        case samplesPerSecond = "samples_per_second", trainingSeconds = "training_seconds", wallSeconds = "wall_seconds"
        case finalValidationLoss = "final_validation_loss", finalValidationAccuracy = "final_validation_accuracy"
        case noiseScale = "noise_scale"
    }

    /// A target met between epoch ends: where the run stood at the check that met it.
    public struct Crossing: Sendable, Equatable {
        /// The epoch in progress (1-based).
        public var epoch: Int
        /// Optimizer steps taken from the start.
        public var steps: Int
        /// Training samples processed from the start.
        public var samples: Int
        /// Training seconds from the start (validation not counted).
        public var seconds: Double
        /// The validation figures that met the target.
        public var validationLoss: Double
        public var validationAccuracy: Double?
    }

    /// The figures of a run from its epoch records (in order, epoch 1 first). Pure arithmetic:
    /// the crossing is the first record that meets `target`, whatever follows it.
    /// - Parameters:
    ///   - batchSize: samples per optimizer step.
    ///   - learningRate: the rate the run trained with.
    ///   - threads: worker threads the run trained on.
    ///   - target: what the run trained until.
    ///   - trainingSamples: samples in the training set (one epoch).
    ///   - records: the run's epoch records, epoch 1 first; they carry the training time and
    ///     the validation figures.
    ///   - wallSeconds: the run's wall-clock time, measured by the caller.
    ///   - diverged: the run stopped on a non-finite loss after the last record.
    ///   - midEpoch: the check between epoch ends that met the target, after the last record
    ///     (none of which met it); nil when none did.
    public init(batchSize: Int, learningRate: Double, threads: Int, target: BatchSizeTarget, trainingSamples: Int,
                records: [EpochRecord], wallSeconds: Double, diverged: Bool = false, midEpoch: Crossing? = nil) {
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.threads = threads
        targetMetric = target.metric
        targetValue = target.value
        let hit = records.first(where: target.isReached)
        reached = hit != nil
        self.diverged = diverged
        stepsToTarget = hit?.step
        epochsToTarget = hit?.epoch
        secondsToTarget = hit?.wallSeconds
        samplesToTarget = hit.map { $0.epoch * trainingSamples }
        let last = records.last
        epochsRun = last?.epoch ?? 0
        stepsRun = last?.step ?? 0
        trainingSeconds = last?.wallSeconds ?? 0
        samplesPerSecond = trainingSeconds > 0 ? Double(epochsRun * trainingSamples) / trainingSeconds : nil
        if hit == nil, let midEpoch {
            // The run stopped at that check: its steps and training time run to there.
            reached = true
            stepsToTarget = midEpoch.steps
            epochsToTarget = midEpoch.epoch
            secondsToTarget = midEpoch.seconds
            samplesToTarget = midEpoch.samples
            stepsRun = midEpoch.steps
            trainingSeconds = midEpoch.seconds
        }
        self.wallSeconds = wallSeconds
        finalValidationLoss = midEpoch.map(\.validationLoss) ?? last?.validationLoss
        finalValidationAccuracy = midEpoch.map(\.validationAccuracy) ?? last?.validationAccuracy
        noiseScale = last?.noiseScale.flatMap { $0.isFinite ? $0 : nil }
    }

    /// Decodes what `encode(to:)` writes: `batch_size` a number, or `"auto"` with the
    /// `batch_sizes` it went through (the last of them is `batchSize`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSizes = try c.decodeIfPresent([Int].self, forKey: .batchSizes)
        if let sizes = batchSizes {
            guard try c.decode(String.self, forKey: .batchSize) == "auto", let last = sizes.last else {
                throw DecodingError.dataCorruptedError(forKey: .batchSize, in: c, debugDescription: "batch_sizes goes with batch_size \"auto\"")
            }
            batchSize = last
        } else {
            batchSize = try c.decode(Int.self, forKey: .batchSize)
        }
        learningRate = try c.decode(Double.self, forKey: .learningRate)
        threads = try c.decode(Int.self, forKey: .threads)
        targetMetric = try c.decode(String.self, forKey: .targetMetric)
        targetValue = try c.decode(Double.self, forKey: .targetValue)
        reached = try c.decode(Bool.self, forKey: .reached)
        diverged = try c.decode(Bool.self, forKey: .diverged)
        stepsToTarget = try c.decodeIfPresent(Int.self, forKey: .stepsToTarget)
        samplesToTarget = try c.decodeIfPresent(Int.self, forKey: .samplesToTarget)
        epochsToTarget = try c.decodeIfPresent(Int.self, forKey: .epochsToTarget)
        secondsToTarget = try c.decodeIfPresent(Double.self, forKey: .secondsToTarget)
        epochsRun = try c.decode(Int.self, forKey: .epochsRun)
        stepsRun = try c.decode(Int.self, forKey: .stepsRun)
        samplesPerSecond = try c.decodeIfPresent(Double.self, forKey: .samplesPerSecond)
        trainingSeconds = try c.decode(Double.self, forKey: .trainingSeconds)
        wallSeconds = try c.decode(Double.self, forKey: .wallSeconds)
        finalValidationLoss = try c.decodeIfPresent(Double.self, forKey: .finalValidationLoss)
        finalValidationAccuracy = try c.decodeIfPresent(Double.self, forKey: .finalValidationAccuracy)
        noiseScale = try c.decodeIfPresent(Double.self, forKey: .noiseScale)
    }

    /// Encodes every key, writing `null` for a figure that does not exist (the synthesized
    /// encoder would leave such keys out).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        if batchSizes != nil { try c.encode("auto", forKey: .batchSize) } else { try c.encode(batchSize, forKey: .batchSize) }
        try c.encode(batchSizes, forKey: .batchSizes)
        try c.encode(learningRate, forKey: .learningRate)
        try c.encode(threads, forKey: .threads)
        try c.encode(targetMetric, forKey: .targetMetric)
        try c.encode(targetValue, forKey: .targetValue)
        try c.encode(reached, forKey: .reached)
        try c.encode(diverged, forKey: .diverged)
        try c.encode(stepsToTarget, forKey: .stepsToTarget)
        try c.encode(samplesToTarget, forKey: .samplesToTarget)
        try c.encode(epochsToTarget, forKey: .epochsToTarget)
        try c.encode(secondsToTarget, forKey: .secondsToTarget)
        try c.encode(epochsRun, forKey: .epochsRun)
        try c.encode(stepsRun, forKey: .stepsRun)
        try c.encode(samplesPerSecond, forKey: .samplesPerSecond)
        try c.encode(trainingSeconds, forKey: .trainingSeconds)
        try c.encode(wallSeconds, forKey: .wallSeconds)
        try c.encode(finalValidationLoss.flatMap { $0.isFinite ? $0 : nil }, forKey: .finalValidationLoss)
        try c.encode(finalValidationAccuracy, forKey: .finalValidationAccuracy)
        try c.encode(noiseScale, forKey: .noiseScale)
    }
}
