/// Max pooling over windows of `size` samples of each channel of a C × L input (a flat input
/// of L features is taken as 1 × L), as PyTorch's `MaxPool1d` without padding:
/// L' = ⌊(L − size) / stride⌋ + 1. No parameters; keeps its arg-max in the workspace.
/// O(n·C·L'·size) forward, O(n·C·L) backward.
public struct MaxPool1D: Layer {
    /// The window's length, in positions.
    public var size: Int { pooling.size }
    /// The step between neighbouring windows, in positions; `size` unless given.
    public var stride: Int { pooling.stride }
    private var pooling: WindowPooling

    /// `stride` defaults to `size` (windows side by side).
    public init(_ size: Int, stride: Int? = nil) { pooling = WindowPooling(.max1D, size: size, stride: stride) }

    public var description: String { pooling.description }
    /// Its backward does not read its output, so a ReLU after it can write over it.
    public var backwardReadsOutput: Bool { false }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { try pooling.connect(input: input) }

    public func scratchCount(samples: Int) -> Int { pooling.scratchCount(samples: samples) }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        pooling.forward(x, into: y, count: pass.count, scratch: pass.scratch)
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let inputGradient else { return }
        pooling.backward(outputGradient: outputGradient, inputGradient: inputGradient, count: pass.count, scratch: pass.scratch)
    }
}

/// Max pooling over `size` × `size` windows of each channel of a C × H × W input (H × W is
/// taken as 1 × H × W), as PyTorch's `MaxPool2d` without padding:
/// H' = ⌊(H − size) / stride⌋ + 1. No parameters; keeps its arg-max in the workspace.
/// O(n·C·H'·W'·size²) forward, O(n·C·H·W) backward.
public struct MaxPool2D: Layer {
    /// The window's side, in positions.
    public var size: Int { pooling.size }
    /// The step between neighbouring windows, in positions; `size` unless given.
    public var stride: Int { pooling.stride }
    private var pooling: WindowPooling

    /// `stride` defaults to `size` (windows side by side).
    public init(_ size: Int, stride: Int? = nil) { pooling = WindowPooling(.max2D, size: size, stride: stride) }

    public var description: String { pooling.description }
    /// Its backward does not read its output, so a ReLU after it can write over it.
    public var backwardReadsOutput: Bool { false }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { try pooling.connect(input: input) }

    public func scratchCount(samples: Int) -> Int { pooling.scratchCount(samples: samples) }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        pooling.forward(x, into: y, count: pass.count, scratch: pass.scratch)
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let inputGradient else { return }
        pooling.backward(outputGradient: outputGradient, inputGradient: inputGradient, count: pass.count, scratch: pass.scratch)
    }
}

/// Average pooling over `size` × `size` windows of each channel of a C × H × W input (H × W
/// is taken as 1 × H × W), as PyTorch's `AvgPool2d` without padding:
/// H' = ⌊(H − size) / stride⌋ + 1. No parameters. O(n·C·H'·W'·size²) each way.
public struct AvgPool2D: Layer {
    /// The window's side, in positions.
    public var size: Int { pooling.size }
    /// The step between neighbouring windows, in positions; `size` unless given.
    public var stride: Int { pooling.stride }
    private var pooling: WindowPooling

    /// `stride` defaults to `size` (windows side by side).
    public init(_ size: Int, stride: Int? = nil) { pooling = WindowPooling(.average2D, size: size, stride: stride) }

    public var description: String { pooling.description }
    /// Its backward does not read its output, so a ReLU after it can write over it.
    public var backwardReadsOutput: Bool { false }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { try pooling.connect(input: input) }

    public func scratchCount(samples: Int) -> Int { pooling.scratchCount(samples: samples) }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        pooling.forward(x, into: y, count: pass.count, scratch: pass.scratch)
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                         inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let inputGradient else { return }
        pooling.backward(outputGradient: outputGradient, inputGradient: inputGradient, count: pass.count, scratch: pass.scratch)
    }
}

/// The mean of each channel over all its positions: C × … → C (as PyTorch's
/// `AdaptiveAvgPool` to size 1, then flattened). No parameters.
public struct GlobalAvgPool: Layer {
    private var channels = 0
    private var positions = 0

    /// A global average pooling; the channels are the input's first dimension.
    public init() {}

    public var description: String { "GlobalAvgPool()" }
    /// Its backward does not read its output, so a ReLU after it can write over it.
    public var backwardReadsOutput: Bool { false }

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

/// What the window poolings share: their arguments, their geometry once connected, and which
/// kernels of `PoolingGeometry` they run. The layers themselves only name their kind.
struct WindowPooling: Sendable {
    /// The layer: its windows' dimensions and what it takes of each window.
    enum Kind: Sendable {
        case max1D, max2D, average2D

        var name: String {
            switch self {
            case .max1D: "MaxPool1D"
            case .max2D: "MaxPool2D"
            case .average2D: "AvgPool2D"
            }
        }
    }

    let kind: Kind
    let size: Int
    let stride: Int
    private(set) var geometry = PoolingGeometry()

    /// `stride` defaults to `size`.
    init(_ kind: Kind, size: Int, stride: Int?) {
        self.kind = kind
        self.size = size
        self.stride = stride ?? size
    }

    var description: String { "\(kind.name)(\(size)" + (stride == size ? "" : ", stride: \(stride)") + ")" }

    /// Fixes the geometry to `input`; returns the output shape (C × L' or C × H' × W').
    mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        if kind == .max1D {
            geometry = try PoolingGeometry.line(input: input, size: size, stride: stride)
            return [geometry.channels, geometry.outWidth]
        }
        geometry = try PoolingGeometry.square(input: input, size: size, stride: stride)
        return [geometry.channels, geometry.outHeight, geometry.outWidth]
    }

    /// Max pooling keeps one arg-max per output; average pooling needs nothing.
    func scratchCount(samples: Int) -> Int { kind == .average2D ? 0 : samples * geometry.outputCount }

    func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, scratch: UnsafeMutablePointer<Float>) {
        switch kind {
        case .max1D, .max2D: geometry.maxForward(x, into: y, argmax: scratch, count: count)
        case .average2D: geometry.averageForward(x, into: y, count: count)
        }
    }

    func backward(outputGradient dy: UnsafePointer<Float>, inputGradient dx: UnsafeMutablePointer<Float>, count: Int,
                  scratch: UnsafeMutablePointer<Float>) {
        switch kind {
        case .max1D, .max2D: geometry.maxBackward(outputGradient: dy, argmax: scratch, inputGradient: dx, count: count)
        case .average2D: geometry.averageBackward(outputGradient: dy, inputGradient: dx, count: count)
        }
    }
}
