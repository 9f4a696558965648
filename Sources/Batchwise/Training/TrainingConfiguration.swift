/// Where a run's data came from, so a resumed run (and `eval`/`predict`) can find it again.
public struct DataSource: Sendable, Equatable, Codable {
    /// The training file, or nil for the built-in digits (or synthetic data).
    public var path: String?
    /// The labels file that goes with `path` (IDX or NPY), or nil when the labels are in it.
    public var labels: String?
    /// The test file, or nil to hold out `validationSplit` of the training data instead.
    public var test: String?
    /// The labels file that goes with `test`, or nil.
    public var testLabels: String?
    /// The CSV label column as given (`--label`), or nil for the last column.
    public var labelColumn: String?
    /// Samples of a synthetic task, when training on one.
    public var synthetic: Int?
    /// Share of the training data held out for validation (when no test file is given).
    public var validationSplit: Double
    /// The feature scaling fitted on the training set (`--normalize`).
    public var normalize: FeatureScaling.Kind
    /// The divisor every raw feature value is divided by first (`--scale`; 1 for none).
    public var scale: Float
    /// The CSV delimiter as given (`--delimiter`), or nil to detect it.
    public var delimiter: String?
    /// Whether a CSV's first row is a header (`--header yes|no`), or nil to detect it.
    public var header: Bool?
    /// CSV columns left out (`--drop`), as given: names or 0-based indices.
    public var drop: [String]?
    /// The number of classes when given (`--classes`), rather than read from the labels.
    public var classes: Int?
    /// Whether regression targets are standardised for training (`--normalize-targets`).
    public var normalizeTargets: Bool?

    /// A data source; the defaults are the built-in digits with 20 % held out for validation.
    public init(path: String? = nil, labels: String? = nil, test: String? = nil, testLabels: String? = nil,
                labelColumn: String? = nil, synthetic: Int? = nil, validationSplit: Double = 0.2,
                normalize: FeatureScaling.Kind = .none, scale: Float = 1, delimiter: String? = nil, header: Bool? = nil,
                drop: [String]? = nil, classes: Int? = nil, normalizeTargets: Bool? = nil) {
        self.path = path
        self.labels = labels
        self.test = test
        self.testLabels = testLabels
        self.labelColumn = labelColumn
        self.synthetic = synthetic
        self.validationSplit = validationSplit
        self.normalize = normalize
        self.scale = scale
        self.delimiter = delimiter
        self.header = header
        self.drop = drop
        self.classes = classes
        self.normalizeTargets = normalizeTargets
    }
}

/// Everything that defines a training run: model, optimizer, schedules, data, seed. It is
/// written into every checkpoint, so a resumed run continues the same run.
public struct TrainingConfiguration: Sendable, Equatable, Codable {
    /// Every layer's width, input first and output last (`[64, 128, 10]`).
    public var layers: [Int]
    /// The activation between the dense layers.
    public var activation: Activation
    /// The per-sample loss.
    public var loss: Loss
    /// The update rule and its settings.
    public var optimizer: OptimizerChoice
    /// The learning rate at every step.
    public var learningRate: LearningRateSchedule
    /// The batch size of every epoch.
    public var batchSizes: BatchSizeSchedule
    /// What happens to the samples left over by the last full batch of an epoch.
    public var lastBatch: LastBatchPolicy
    /// Epochs to run (at least 1), unless early stopping ends the run first.
    public var epochs: Int
    /// The seed of the initial weights, the validation split and every epoch's shuffle.
    public var seed: UInt64
    /// Stop when the validation loss has not improved for this many epochs (keeping the best weights).
    public var patience: Int?
    /// What a NaN or infinite batch loss does: stop the run or skip the batch.
    public var onNonFinite: NonFinitePolicy
    /// Where the data came from.
    public var data: DataSource
    /// The feature scaling fitted on the training set (set once the data is loaded).
    public var scaling: FeatureScaling?
    /// The regression targets' standardisation fitted on the training set (`--normalize-targets`).
    public var targetScaling: TargetScaling?
    /// The class names, in class-number order, when the labels were names; nil for class numbers.
    /// (Checkpoints written before class names existed have none.)
    public var classNames: [String]?
    /// Worker threads the run was started with (informational: resuming with another count
    /// continues correctly, and bit-identically only in reproducible mode).
    public var threads: Int
    /// Reproducible mode: how batches are cut into microshards, weights bit-identical for any
    /// thread count and placement. nil: the default mode (bit-identical at a fixed thread count).
    public var microsharding: Microsharding?
    /// Checkpoint every this many steps besides each epoch's end (`--checkpoint-every`), so a
    /// resumed run keeps doing so; nil: only at epoch ends. Not part of the run's math. Older
    /// checkpoints have none (nil when decoded).
    public var checkpointEvery: Int? = nil
    /// The model as a layer spec (`ModelSpec`'s canonical text, `--model`), or nil for the MLP
    /// of `layers`. Checkpoints written before models had specs have none.
    public var modelSpec: String? = nil
    /// The per-sample input shape the spec's model takes (set once the data is loaded); nil
    /// for the MLP of `layers`.
    public var inputShape: [Int]? = nil
    /// `--batch-size auto`: the batch chosen while training, from `batchSizes`' constant
    /// `minimum` on; nil for the batch sizes of `batchSizes`. Checkpoints written before it
    /// existed have none.
    public var adaptiveBatch: AdaptiveBatchSize? = nil

    /// Checks the settings the parts do not check themselves: at least 1 epoch, a patience of at
    /// least 1, a valid microsharding. The model is checked by `makeModel()`.
    public init(layers: [Int], activation: Activation = .relu, loss: Loss = .crossEntropy,
                optimizer: OptimizerChoice, learningRate: LearningRateSchedule, batchSizes: BatchSizeSchedule,
                lastBatch: LastBatchPolicy = .keep, epochs: Int, seed: UInt64, patience: Int? = nil,
                onNonFinite: NonFinitePolicy = .stop, data: DataSource = DataSource(), scaling: FeatureScaling? = nil,
                threads: Int, microsharding: Microsharding? = nil) throws(ConfigurationError) {
        if let m = microsharding { _ = try Microsharding(validating: m) }
        guard epochs >= 1 else { throw ConfigurationError("epochs must be at least 1 (got \(epochs))") }
        if let patience, patience < 1 { throw ConfigurationError("patience must be at least 1 epoch (got \(patience))") }
        self.layers = layers
        self.activation = activation
        self.loss = loss
        self.optimizer = optimizer
        self.learningRate = learningRate
        self.batchSizes = batchSizes
        self.lastBatch = lastBatch
        self.epochs = epochs
        self.seed = seed
        self.patience = patience
        self.onNonFinite = onNonFinite
        self.data = data
        self.scaling = scaling
        self.threads = threads
        self.microsharding = microsharding
    }

    /// The model this configuration describes.
    public func makeModel() throws(ConfigurationError) -> MLP {
        try MLP(widths: layers, activation: activation, loss: loss)
    }

    /// The model this configuration describes: the `Sequential` of `modelSpec` on
    /// `inputShape`, or else the MLP of `layers`.
    public func makeTrainingModel() throws(ConfigurationError) -> any PredictionModel {
        guard let sequential = try makeSequential() else { return try makeModel() }
        return sequential
    }

    /// The `Sequential` of `modelSpec` on `inputShape`, or nil when the model is an MLP.
    public func makeSequential() throws(ConfigurationError) -> Sequential? {
        guard let modelSpec else { return nil }
        guard let inputShape else { throw ConfigurationError("the model spec '\(modelSpec)' has no input shape") }
        return try Sequential(spec: modelSpec, input: TensorShape(inputShape), loss: loss)
    }

    /// `64-128-10 relu, cross-entropy`, or a spec's `conv2d(8,3) relu flatten dense(10) on 1×8×8, cross-entropy`.
    public var modelDescription: String {
        if let modelSpec {
            return "\(modelSpec)\(inputShape.map { " on " + TensorShape($0).description } ?? ""), \(loss.rawValue)"
        }
        return "\(layers.map(String.init).joined(separator: "-")) \(activation.rawValue), \(loss.rawValue)"
    }
}

/// Where a run stands: enough, with the weights and optimizer state, to continue it exactly.
public struct TrainingState: Sendable, Equatable, Codable {
    /// The epoch in progress (1-based); `epochs + 1` once training is complete.
    public var epoch = 1
    /// The next step to run within `epoch`.
    public var stepInEpoch = 0
    /// Batches processed since the start (updates and skipped batches): the schedules' clock.
    public var scheduleStep = 0
    /// Optimizer updates taken since the start (Adam's t).
    public var optimizerSteps = 0
    /// Sums over the part of `epoch` done so far.
    public var epochSums = StepsReport()
    /// Batches skipped for a non-finite loss since the start.
    public var skippedTotal = 0
    /// Training wall time since the start, over all sessions.
    public var wallSeconds = 0.0
    /// The lowest validation loss after any epoch so far; nil without validation data or before
    /// the first epoch ends.
    public var bestValidationLoss: Double?
    /// The epoch (1-based) of `bestValidationLoss`.
    public var bestEpoch: Int?
    /// Epochs since `bestValidationLoss` last improved; early stopping compares it with the patience.
    public var epochsWithoutImprovement = 0
    /// Whether early stopping ended the run.
    public var stoppedEarly = false
    /// The running gradient-noise-scale estimate.
    public var noiseScale = GradientNoiseScale()
    /// Training samples the run was started on (a resumed run must see the same data).
    public var trainingSamples: Int?
    /// SHA-256 (hex) of the training features and targets the run was started on, so that a
    /// resumed run is refused other data of the same size. Checkpoints written before it was
    /// stored have none (nil when decoded), and resume on the sample count alone.
    public var trainingDigest: String?
    /// Where a `--batch-size auto` run stands; nil for other runs.
    public var adaptive: AdaptiveBatchState?
    /// One record per finished epoch.
    public var history: [EpochRecord] = []

    /// The state of a run not started: epoch 1, step 0, no history.
    public init() {}

    /// True once every epoch has run, or early stopping ended the run.
    public func isComplete(epochs: Int) -> Bool { stoppedEarly || epoch > epochs }
}
