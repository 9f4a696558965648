/// A 1-D convolution (cross-correlation, as PyTorch's `Conv1d`) with a stride and zero
/// padding at both ends, over inputs C × L (a flat input of L features is taken as 1 × L).
/// Output F × L' with L' = ⌊(L + 2·padding − kernel) / stride⌋ + 1.
///
/// Tensors: `weight` [filters, C, kernel] and `bias` [filters], laid as PyTorch's.
/// Initialisation (PyTorch's default): both U(−1/√fan_in, 1/√fan_in), fan_in = C·kernel.
/// Runs as im2col and one sgemm per cache-sized chunk of the shard (see `ConvolutionGeometry`).
public struct Conv1D: Layer {
    /// F, the number of output channels (filters), 1 to 2²⁰.
    public var filters: Int { convolution.filters }
    /// The kernel's length, in input positions.
    public var kernel: Int { convolution.kernel }
    /// The step between neighbouring output positions, in input positions (1 by default).
    public var stride: Int { convolution.stride }
    /// Zeros added at each end, in positions (0 by default).
    public var padding: Int { convolution.padding }
    private var convolution: Convolution

    /// `filters` kernels of `kernel` positions; the input channels are fixed by `connect(input:)`.
    public init(_ filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        convolution = Convolution(.line, filters: filters, kernel: kernel, stride: stride, padding: padding)
    }

    public var description: String { convolution.description }
    /// Its backward does not read its output, so a ReLU after it can write over it.
    public var backwardReadsOutput: Bool { false }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { try convolution.connect(input: input) }

    public var parameterTensors: [ParameterTensor] { convolution.parameterTensors }

    public func scratchCount(samples: Int) -> Int { convolution.geometry.scratchCount(samples: samples) }

    /// Samples per sgemm when a shard of `shard` samples runs through this (connected) layer:
    /// the shard is cut into chunks of this many samples (the last one may be shorter) so that
    /// each chunk's columns stay in cache (see `ConvolutionGeometry`).
    public func chunkSamples(shard: Int) -> Int { convolution.geometry.chunkSamples(shard) }

    /// The rule `chunkSamples(shard:)` follows, for tools that replay a step's products.
    public var chunking: ConvolutionChunking { convolution.geometry.chunking }

    /// Whether backward forms the weight gradient transposed, ∂Wᵀ = X̂ · Δ̂ᵀ (patches of 64 or
    /// more), rather than ∂W = Δ̂ · X̂ᵀ: a fixed rule by shape (see `ConvolutionGeometry`).
    public var transposesWeightGradient: Bool { convolution.geometry.transposesWeightGradient }

    /// The sgemm products this (connected) layer makes on a shard, for tools that replay them.
    public var products: ConvolutionProducts { ConvolutionProducts(geometry: convolution.geometry) }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        convolution.geometry.forward(x, into: y, count: pass.count, weight: pass.parameter(0), bias: pass.parameter(1),
                                     scratch: pass.scratch)
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        convolution.geometry.backward(input: input, outputGradient: outputGradient, inputGradient: inputGradient, count: pass.count,
                                      weight: pass.parameter(0), weightGradient: pass.gradient(0), biasGradient: pass.gradient(1),
                                      scratch: pass.scratch)
    }
}
