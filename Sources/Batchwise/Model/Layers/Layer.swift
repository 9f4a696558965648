/// One stage of a `Sequential` model: a map from a shard of n input tensors to n output
/// tensors, with named parameter tensors laid over the model's one flat parameter vector.
///
/// The model calls a layer in this order: `connect(input:)` once when it is built (the layer
/// checks its arguments against its input shape and keeps what its passes need), then
/// `parameterTensors` and `scratchCount(samples:)` to lay out the parameters and the
/// workspace, then any number of `forward` / `backward` pairs, concurrently from several
/// workers, each with its own scratch. Data is row-major, sample first: a shard of n samples
/// of shape C × H × W is n·C·H·W floats.
///
/// A layer never allocates in `forward` or `backward`: what it needs between the two (im2col
/// columns, pooling arg-maxes, dropout masks) lives in `pass.scratch`.
public protocol Layer: Sendable, CustomStringConvertible {
    /// Fixes the layer to `input` (the shape of one sample) and returns the shape of one
    /// output sample.
    ///
    /// - Throws: `ConfigurationError` saying what in the layer's arguments does not fit the
    ///   input; the model adds the layer's position, its description and the input shape.
    mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape

    /// The layer's parameters, in the order `LayerPass.parameter(_:)` numbers them. Read
    /// after `connect`. None by default.
    var parameterTensors: [ParameterTensor] { get }

    /// The layer as a model spec writes it (`conv2d(6,5,padding=2)`; see `ModelSpec`), which
    /// parses back to the same layer; nil by default, for a layer the spec grammar has no
    /// name for (one written outside Batchwise).
    var specText: String? { get }

    /// Floats of scratch the layer needs for a shard of `samples` samples (never fewer for
    /// more samples). None by default.
    func scratchCount(samples: Int) -> Int

    /// Writes the `pass.count` outputs for the `pass.count` inputs.
    func forward(_ input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>, pass: LayerPass)

    /// Given ∂ℓ/∂output, *adds* ∂ℓ/∂θ into `pass.gradient(_:)` (summed over the shard's
    /// samples, never averaged) and, when `inputGradient` is not nil, *writes* ∂ℓ/∂input there
    /// (nil for a model's first layer, whose input gradient nobody needs). `input`, `output`
    /// and the scratch are as the matching `forward` left them.
    func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                  inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass)

    /// Whether the layer's output may take its input's memory instead of a buffer of its own
    /// (`LayerPlacement`); `.ownBuffer` by default. The model decides per position: a layer
    /// is only placed over its input where that input is an earlier layer's own buffer.
    var placement: LayerPlacement { get }

    /// Whether `backward` reads `output`. When it does not, the next layer may be placed
    /// `.overInput`, writing its output over this layer's. True by default (the safe answer).
    var backwardReadsOutput: Bool { get }
}

/// Where a layer's output may live, against its input (see `Layer.placement`). Placing an
/// output in its input's memory saves a buffer of the shard's size per layer and worker: the
/// ReLU after each convolution of LeNet-5 takes a quarter of its workspace otherwise.
public enum LayerPlacement: Sendable, Equatable {
    /// A buffer of its own (any layer may be placed so).
    case ownBuffer
    /// Over its input, element for element: output element j depends on input element j
    /// alone, so `forward` may be called with `output == input`; `backward` is then given
    /// the output as `input` too and must still be right (ReLU, tanh and sigmoid read only
    /// their output; a leaky ReLU with slope ≥ 0 reads the sign, which both share). The model
    /// places a layer so only where the layer before it does not read its own output in
    /// backward.
    case overInput
    /// The input's memory as it is: `forward` leaves the values unchanged (flatten, reshape),
    /// is called with `output == input`, and must not copy then.
    case sameAsInput
}

extension Layer {
    public var parameterTensors: [ParameterTensor] { [] }
    public var specText: String? { nil }
    public func scratchCount(samples: Int) -> Int { 0 }
    public var placement: LayerPlacement { .ownBuffer }
    public var backwardReadsOutput: Bool { true }
}

/// What one forward or backward call of a layer sees of the shard and the model.
public struct LayerPass {
    /// Samples in the shard.
    public let count: Int
    /// The most samples the workspace was sized for (`count` ≤ `capacity`).
    public let capacity: Int
    /// The shape of one input sample (the layer's connected input).
    public let inputShape: TensorShape
    /// The shape of one output sample.
    public let outputShape: TensorShape
    /// The layer's own `scratchCount(samples: capacity)` floats, 64-byte aligned; kept from
    /// `forward` to the matching `backward`.
    public let scratch: UnsafeMutablePointer<Float>
    /// The key of the shard's random draws while training; nil in evaluation and prediction,
    /// where a random layer is the identity.
    public let randomness: LayerRandomness?
    let parameterBlock: UnsafePointer<Float>
    let gradientBlock: UnsafeMutablePointer<Float>?
    let tensorOffsets: UnsafeBufferPointer<Int>

    /// True while training (random layers draw).
    public var isTraining: Bool { randomness != nil }

    /// The values of the layer's parameter tensor `index` (in `parameterTensors` order).
    @inline(__always)
    public func parameter(_ index: Int) -> UnsafePointer<Float> { parameterBlock + tensorOffsets[index] }

    /// The gradient sum of the layer's parameter tensor `index`; only in `backward`.
    @inline(__always)
    public func gradient(_ index: Int) -> UnsafeMutablePointer<Float> {
        guard let gradientBlock else { preconditionFailure("a parameter gradient is only there in backward") }
        return gradientBlock + tensorOffsets[index]
    }
}

/// The random draws of one layer over a training shard: Philox4x32-10 keyed by the run's
/// seed, with the counter (word block, the sample's position in the epoch, the step, the
/// layer's stream). A sample's draws therefore depend on where it sits in the epoch, never on
/// the worker or the shard that computes it.
public struct LayerRandomness: Sendable {
    /// The run's seed, the step and the epoch position of the shard's first sample.
    public let position: TrainingPosition
    /// Distinct for every layer of a model, nested ones included.
    public let stream: UInt32

    /// Four uniform 32-bit words: the draws 4·`block` … 4·`block` + 3 of the shard's row `row`.
    @inline(__always)
    public func words(row: Int, block: Int) -> (UInt32, UInt32, UInt32, UInt32) {
        let seed = position.seed
        // The top bit of the last word keeps these counters apart from RandomStream's
        // (whose last word is a small purpose number) under the same seed.
        return Philox4x32(key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
            .block((UInt32(truncatingIfNeeded: block), UInt32(truncatingIfNeeded: position.firstPosition + row),
                    UInt32(truncatingIfNeeded: position.step), 0x8000_0000 | (stream & 0x7FFF_FFFF)))
    }
}
