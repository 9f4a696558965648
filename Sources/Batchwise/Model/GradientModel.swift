/// The samples of one shard, gathered into contiguous row-major storage by the worker.
public struct ShardSamples {
    /// `count × inputWidth` floats.
    public let inputs: UnsafePointer<Float>
    /// `count × targetWidth` floats (a class index stored as a float, or regression targets).
    public let targets: UnsafePointer<Float>
    /// The number of samples in the shard (0 is allowed).
    public let count: Int
    /// Where the shard sits in training, for the draws of random layers (dropout); nil outside
    /// training (evaluation, prediction), where random layers are the identity.
    public var training: TrainingPosition?

    /// Views `count` samples at `inputs` and `targets`; the memory stays the caller's and must
    /// outlive the model call. `training` says where the shard sits in training (nil outside it).
    public init(inputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int, training: TrainingPosition? = nil) {
        self.inputs = inputs
        self.targets = targets
        self.count = count
        self.training = training
    }
}

/// The key of a training shard's random draws: the run's seed, the optimizer step, and the
/// position in the epoch of the shard's first sample (row r sits at `firstPosition + r`).
/// Nothing in it names a worker or thread, so a sample's draws are the same however the batch
/// is cut.
public struct TrainingPosition: Sendable, Hashable {
    /// The run's seed (the trainer's), which keys every random draw of the run.
    public var seed: UInt64
    /// Optimizer steps taken before this one.
    public var step: Int
    /// The position in the epoch's order of the shard's first sample; row r is at
    /// `firstPosition + r`.
    public var firstPosition: Int

    /// The key of a shard whose first sample sits at `firstPosition` of step `step`'s epoch order.
    public init(seed: UInt64, step: Int, firstPosition: Int) {
        self.seed = seed
        self.step = step
        self.firstPosition = firstPosition
    }
}

/// Sums over the samples of a shard: never means.
public struct ShardLoss: Sendable, Equatable {
    /// Σ ℓ_i over the shard.
    public var lossSum: Double
    /// Number of samples whose predicted class equals the label (0 for regression).
    public var correct: Int

    /// Sums as given; the default is an empty shard's.
    public init(lossSum: Double = 0, correct: Int = 0) {
        self.lossSum = lossSum
        self.correct = correct
    }
}

/// A model Batchwise can train: anything that can add the gradient sum and the loss sum of some
/// samples into a buffer.
///
/// The model never averages: the engine divides the sum of all workers' sums by the total
/// sample count once, in the all-reduce. Methods are called concurrently from several worker
/// threads, each with its own workspace and gradient buffer; `parameters` is shared and
/// read-only during the call.
public protocol GradientModel: AnyObject, Sendable {
    /// Per-worker scratch memory (activations and the like).
    associatedtype Workspace: AnyObject

    /// Length of the flat parameter vector.
    var parameterCount: Int { get }
    /// Floats per input sample.
    var inputWidth: Int { get }
    /// Floats per target (1 for a class index).
    var targetWidth: Int { get }
    /// For a classifier, the number of classes it scores (labels must be below it); nil otherwise.
    var classCount: Int? { get }

    /// Writes the initial parameters, deterministically for `seed`.
    func initialize(parameters: UnsafeMutableBufferPointer<Float>, seed: UInt64)

    /// Scratch for shards of up to `maxSamples` samples, allocated on `numaNode`.
    func makeWorkspace(maxSamples: Int, topology: Topology, numaNode: Int?) -> Workspace

    /// Adds Σ_i ∇ℓ_i over `samples` into `gradient` (`parameterCount` floats) and returns Σ_i ℓ_i.
    func accumulateGradient(parameters: UnsafePointer<Float>, samples: ShardSamples,
                            gradient: UnsafeMutablePointer<Float>, workspace: Workspace) -> ShardLoss

    /// Σ_i ℓ_i and the correct-prediction count over `samples`, without gradients.
    func evaluate(parameters: UnsafePointer<Float>, samples: ShardSamples, workspace: Workspace) -> ShardLoss

    /// How `dataset` fails to fit this model and what to change, in the model's own terms: the
    /// words that follow "… has N features per sample" (or "… target value(s) per sample but
    /// the model", or "… has labels up to K but") in `validate`'s message. Nil gives a plain
    /// statement of the mismatch.
    func fitAdvice(_ mismatch: DataMismatch, for dataset: Dataset) -> ErrorText?
}

/// What does not fit between a dataset and a model (`GradientModel.validate`).
public enum DataMismatch: Sendable, Equatable {
    /// The features per sample differ from the model's input width.
    case inputWidth
    /// The target values per sample differ from what the model outputs for its loss.
    case targetWidth
    /// The labels need this many classes, more than the model scores.
    case classes(needed: Int)
}

extension GradientModel {
    /// Not a classifier unless the model says so.
    public var classCount: Int? { nil }

    /// No advice of the model's own: `validate` states the mismatch.
    public func fitAdvice(_ mismatch: DataMismatch, for dataset: Dataset) -> ErrorText? { nil }
}
