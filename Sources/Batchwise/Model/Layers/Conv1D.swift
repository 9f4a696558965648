/// A 1-D convolution (cross-correlation, as PyTorch's `Conv1d`) with a stride and zero
/// padding at both ends, over inputs C × L (a flat input of L features is taken as 1 × L).
/// Output F × L' with L' = ⌊(L + 2·padding − kernel) / stride⌋ + 1.
///
/// Tensors: `weight` [filters, C, kernel] and `bias` [filters], laid as PyTorch's.
/// Initialisation (PyTorch's default): both U(−1/√fan_in, 1/√fan_in), fan_in = C·kernel.
/// Runs as one im2col and one sgemm per shard forward (see `ConvolutionGeometry`).
public struct Conv1D: Layer {
    public let filters: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    private var geometry = ConvolutionGeometry()

    public init(_ filters: Int, kernel: Int, stride: Int = 1, padding: Int = 0) {
        self.filters = filters
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public var description: String {
        "Conv1D(\(filters), kernel: \(kernel)" + (stride == 1 ? "" : ", stride: \(stride)") + (padding == 0 ? "" : ", padding: \(padding)") + ")"
    }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        try Conv2D.checkArguments(filters: filters, kernel: kernel, stride: stride, padding: padding)
        let (c, l): (Int, Int)
        switch input.rank {
        case 2: (c, l) = (input[0], input[1])
        case 1: (c, l) = (1, input[0])
        default: throw ConfigurationError("a 1-D convolution needs input channels × length")
        }
        guard kernel <= l + 2 * padding else {
            throw ConfigurationError("\(parameter: "kernel") \(kernel) is longer than the \(padding == 0 ? "" : "padded ")input's length \(l + 2 * padding)")
        }
        geometry = ConvolutionGeometry(channels: c, height: 1, width: l, filters: filters, kernelHeight: 1, kernelWidth: kernel,
                                       strideHeight: 1, strideWidth: stride, paddingHeight: 0, paddingWidth: padding)
        return [filters, geometry.outWidth]
    }

    public var parameterTensors: [ParameterTensor] {
        [ParameterTensor("weight", shape: [filters, geometry.channels, kernel], initializer: .fanIn(geometry.patch)),
         ParameterTensor("bias", shape: [filters], initializer: .fanIn(geometry.patch))]
    }

    public func scratchCount(samples: Int) -> Int { geometry.scratchCount(samples: samples) }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        geometry.forward(x, into: y, count: pass.count, weight: pass.parameter(0), bias: pass.parameter(1), scratch: pass.scratch)
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        geometry.backward(outputGradient: outputGradient, inputGradient: inputGradient, count: pass.count,
                          weight: pass.parameter(0), weightGradient: pass.gradient(0), biasGradient: pass.gradient(1),
                          scratch: pass.scratch)
    }
}
