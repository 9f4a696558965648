/// Max pooling over windows of `size` samples of each channel of a C × L input (a flat input
/// of L features is taken as 1 × L), as PyTorch's `MaxPool1d` without padding:
/// L' = ⌊(L − size) / stride⌋ + 1. No parameters; keeps its arg-max in the workspace.
public struct MaxPool1D: Layer {
    public let size: Int
    public let stride: Int
    private var geometry = PoolingGeometry()

    /// `stride` defaults to `size` (windows side by side).
    public init(_ size: Int, stride: Int? = nil) {
        self.size = size
        self.stride = stride ?? size
    }

    public var description: String { "MaxPool1D(\(size)" + (stride == size ? "" : ", stride: \(stride)") + ")" }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        try PoolingGeometry.checkArguments(size: size, stride: stride)
        let (c, l): (Int, Int)
        switch input.rank {
        case 2: (c, l) = (input[0], input[1])
        case 1: (c, l) = (1, input[0])
        default: throw ConfigurationError("1-D pooling needs input channels × length")
        }
        guard size <= l else { throw ConfigurationError("the window \(parameter: "size") \(size) is longer than the input length \(l)") }
        geometry = PoolingGeometry(channels: c, height: 1, width: l, windowHeight: 1, windowWidth: size, strideHeight: 1, strideWidth: stride)
        return [c, geometry.outWidth]
    }

    public func scratchCount(samples: Int) -> Int { samples * geometry.outputCount }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        geometry.maxForward(x, into: y, argmax: pass.scratch, count: pass.count)
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let inputGradient else { return }
        geometry.maxBackward(outputGradient: outputGradient, argmax: pass.scratch, inputGradient: inputGradient, count: pass.count)
    }
}

/// Max pooling over `size` × `size` windows of each channel of a C × H × W input (H × W is
/// taken as 1 × H × W), as PyTorch's `MaxPool2d` without padding:
/// H' = ⌊(H − size) / stride⌋ + 1. No parameters; keeps its arg-max in the workspace.
public struct MaxPool2D: Layer {
    public let size: Int
    public let stride: Int
    private var geometry = PoolingGeometry()

    /// `stride` defaults to `size` (windows side by side).
    public init(_ size: Int, stride: Int? = nil) {
        self.size = size
        self.stride = stride ?? size
    }

    public var description: String { "MaxPool2D(\(size)" + (stride == size ? "" : ", stride: \(stride)") + ")" }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        geometry = try PoolingGeometry.square(input: input, size: size, stride: stride)
        return [geometry.channels, geometry.outHeight, geometry.outWidth]
    }

    public func scratchCount(samples: Int) -> Int { samples * geometry.outputCount }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        geometry.maxForward(x, into: y, argmax: pass.scratch, count: pass.count)
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let inputGradient else { return }
        geometry.maxBackward(outputGradient: outputGradient, argmax: pass.scratch, inputGradient: inputGradient, count: pass.count)
    }
}

/// Average pooling over `size` × `size` windows of each channel of a C × H × W input (H × W
/// is taken as 1 × H × W), as PyTorch's `AvgPool2d` without padding:
/// H' = ⌊(H − size) / stride⌋ + 1. No parameters.
public struct AvgPool2D: Layer {
    public let size: Int
    public let stride: Int
    private var geometry = PoolingGeometry()

    /// `stride` defaults to `size` (windows side by side).
    public init(_ size: Int, stride: Int? = nil) {
        self.size = size
        self.stride = stride ?? size
    }

    public var description: String { "AvgPool2D(\(size)" + (stride == size ? "" : ", stride: \(stride)") + ")" }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        geometry = try PoolingGeometry.square(input: input, size: size, stride: stride)
        return [geometry.channels, geometry.outHeight, geometry.outWidth]
    }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        geometry.averageForward(x, into: y, count: pass.count)
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let inputGradient else { return }
        geometry.averageBackward(outputGradient: outputGradient, inputGradient: inputGradient, count: pass.count)
    }
}

/// The mean of each channel over all its positions: C × … → C (as PyTorch's
/// `AdaptiveAvgPool` to size 1, then flattened). No parameters.
public struct GlobalAvgPool: Layer {
    private var channels = 0
    private var positions = 0

    public init() {}

    public var description: String { "GlobalAvgPool()" }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        guard input.rank >= 2 else {
            throw ConfigurationError("global average pooling needs input channels × positions, such as C × L or C × H × W")
        }
        channels = input[0]
        positions = input.count / channels
        return [channels]
    }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        let scale = 1 / Float(positions)
        for r in 0..<(pass.count * channels) {
            let row = x + r * positions
            var sum: Float = 0
            for j in 0..<positions { sum += row[j] }
            y[r] = sum * scale
        }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let dx else { return }
        let scale = 1 / Float(positions)
        for r in 0..<(pass.count * channels) { (dx + r * positions).update(repeating: dy[r] * scale, count: positions) }
    }
}

extension PoolingGeometry {
    /// Square windows over a C × H × W (or H × W) input.
    static func square(input: TensorShape, size: Int, stride: Int) throws(ConfigurationError) -> PoolingGeometry {
        try checkArguments(size: size, stride: stride)
        let (c, h, w): (Int, Int, Int)
        switch input.rank {
        case 3: (c, h, w) = (input[0], input[1], input[2])
        case 2: (c, h, w) = (1, input[0], input[1])
        default:
            throw ConfigurationError("2-D pooling needs input channels × height × width; give flat data its shape with \(parameter: "input"), such as [1, 28, 28], or put a reshape before it")
        }
        guard size <= h && size <= w else {
            throw ConfigurationError("the window \(parameter: "size") \(size) is larger than the input's \(h)×\(w)")
        }
        return PoolingGeometry(channels: c, height: h, width: w, windowHeight: size, windowWidth: size,
                               strideHeight: stride, strideWidth: stride)
    }
}
