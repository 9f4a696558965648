/// A 2-D convolution (strictly, cross-correlation, as PyTorch's `Conv2d`) with a square
/// kernel, a stride and zero padding on every side, over inputs C × H × W (an H × W input is
/// taken as 1 × H × W). Output F × H' × W' with H' = ⌊(H + 2·padding − kernel) / stride⌋ + 1.
///
/// Tensors: `weight` [filters, C, kernel, kernel] and `bias` [filters], laid as PyTorch's.
/// Initialisation (PyTorch's default): both U(−1/√fan_in, 1/√fan_in), fan_in = C·kernel².
/// Runs as one im2col and one sgemm per shard forward (see `ConvolutionGeometry`).
public struct Conv2D: Layer {
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
        "Conv2D(\(filters), kernel: \(kernel)" + (stride == 1 ? "" : ", stride: \(stride)") + (padding == 0 ? "" : ", padding: \(padding)") + ")"
    }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        try Self.checkArguments(filters: filters, kernel: kernel, stride: stride, padding: padding)
        let (c, h, w): (Int, Int, Int)
        switch input.rank {
        case 3: (c, h, w) = (input[0], input[1], input[2])
        case 2: (c, h, w) = (1, input[0], input[1])
        default:
            throw ConfigurationError("a 2-D convolution needs input channels × height × width; give flat data its shape with \(parameter: "input"), such as [1, 28, 28], or put a reshape before it")
        }
        guard kernel <= h + 2 * padding && kernel <= w + 2 * padding else {
            throw ConfigurationError("\(parameter: "kernel") \(kernel) is larger than the \(padding == 0 ? "" : "padded ")input's \(h + 2 * padding)×\(w + 2 * padding)")
        }
        geometry = ConvolutionGeometry(channels: c, height: h, width: w, filters: filters, kernelHeight: kernel, kernelWidth: kernel,
                                       strideHeight: stride, strideWidth: stride, paddingHeight: padding, paddingWidth: padding)
        return [filters, geometry.outHeight, geometry.outWidth]
    }

    static func checkArguments(filters: Int, kernel: Int, stride: Int, padding: Int) throws(ConfigurationError) {
        guard filters >= 1 && filters <= 1 << 20 else { throw ConfigurationError("\(parameter: "filters") must be between 1 and 1048576 (got \(filters))") }
        guard kernel >= 1 else { throw ConfigurationError("\(parameter: "kernel") must be at least 1 (got \(kernel))") }
        guard stride >= 1 else { throw ConfigurationError("\(parameter: "stride") must be at least 1 (got \(stride))") }
        guard padding >= 0 && padding < 1 << 16 else { throw ConfigurationError("\(parameter: "padding") must be 0 or more (got \(padding))") }
    }

    public var parameterTensors: [ParameterTensor] {
        [ParameterTensor("weight", shape: [filters, geometry.channels, kernel, kernel], initializer: .fanIn(geometry.patch)),
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
