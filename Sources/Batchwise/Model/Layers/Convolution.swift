/// What `Conv1D` and `Conv2D` share: their arguments, their checks, their tensors and, once
/// connected, their `ConvolutionGeometry` (whose kernels both run). A 1-D convolution is the
/// 2-D one over an input 1 high with a kernel 1 high.
struct Convolution: Sendable {
    /// The layer: a kernel along a line (C × L) or a square one over a plane (C × H × W).
    enum Kind: Sendable { case line, square }

    let kind: Kind
    let filters: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    private(set) var geometry = ConvolutionGeometry()

    init(_ kind: Kind, filters: Int, kernel: Int, stride: Int, padding: Int) {
        (self.kind, self.filters, self.kernel, self.stride, self.padding) = (kind, filters, kernel, stride, padding)
    }

    var description: String {
        (kind == .line ? "Conv1D" : "Conv2D") + "(\(filters), kernel: \(kernel)" + (stride == 1 ? "" : ", stride: \(stride)")
            + (padding == 0 ? "" : ", padding: \(padding)") + ")"
    }

    /// Checks the arguments against `input` and fixes the geometry; returns F × L' or F × H' × W'.
    mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        try checkArguments()
        switch kind {
        case .line:
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
        case .square:
            let (c, h, w): (Int, Int, Int)
            switch input.rank {
            case 3: (c, h, w) = (input[0], input[1], input[2])
            case 2: (c, h, w) = (1, input[0], input[1])
            default:
                throw ConfigurationError("a 2-D convolution needs input channels × height × width; give flat data its shape, such as \(parameter: "input", value: "[1, 28, 28]"), or put a reshape before it")
            }
            guard kernel <= h + 2 * padding && kernel <= w + 2 * padding else {
                throw ConfigurationError("\(parameter: "kernel") \(kernel) is larger than the \(padding == 0 ? "" : "padded ")input's \(h + 2 * padding)×\(w + 2 * padding)")
            }
            geometry = ConvolutionGeometry(channels: c, height: h, width: w, filters: filters, kernelHeight: kernel, kernelWidth: kernel,
                                           strideHeight: stride, strideWidth: stride, paddingHeight: padding, paddingWidth: padding)
            return [filters, geometry.outHeight, geometry.outWidth]
        }
    }

    private func checkArguments() throws(ConfigurationError) {
        guard filters >= 1 && filters <= 1 << 20 else { throw ConfigurationError("\(parameter: "filters") must be between 1 and 1048576 (got \(filters))") }
        guard kernel >= 1 else { throw ConfigurationError("\(parameter: "kernel") must be at least 1 (got \(kernel))") }
        guard stride >= 1 else { throw ConfigurationError("\(parameter: "stride") must be at least 1 (got \(stride))") }
        guard padding >= 0 && padding < 1 << 16 else { throw ConfigurationError("\(parameter: "padding") must be 0 or more (got \(padding))") }
    }

    /// `weight` [filters, C, kernel] or [filters, C, kernel, kernel], and `bias` [filters], as
    /// PyTorch lays them; both U(−1/√fan_in, 1/√fan_in) with fan_in the patch size.
    var parameterTensors: [ParameterTensor] {
        let kernelShape = kind == .line ? [kernel] : [kernel, kernel]
        return [ParameterTensor("weight", shape: TensorShape([filters, geometry.channels] + kernelShape), initializer: .fanIn(geometry.patch)),
                ParameterTensor("bias", shape: [filters], initializer: .fanIn(geometry.patch))]
    }
}
