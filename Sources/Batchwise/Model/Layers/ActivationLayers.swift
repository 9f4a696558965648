import Foundation

/// max(x, 0), element-wise, any shape. No parameters.
public struct ReLU: Layer {
    /// The ReLU layer; its output shape is its input's.
    public init() {}
    public var description: String { "ReLU()" }
    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { input }
    /// Over its input: its backward reads only the output.
    public var placement: LayerPlacement { .overInput }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        Activation.relu.forward(x, into: y, pass: pass)
    }

    public func backward(input: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        Activation.relu.backward(output: y, outputGradient: dy, inputGradient: dx, pass: pass)
    }
}

/// x for x > 0, slope·x otherwise, element-wise, any shape (PyTorch's `LeakyReLU`, whose
/// gradient at 0 is the slope's). No parameters.
public struct LeakyReLU: Layer {
    /// The factor on negative inputs; finite (0.01 by default, PyTorch's).
    public let slope: Float

    /// A leaky ReLU with `slope` for x ≤ 0; its output shape is its input's.
    public init(slope: Float = 0.01) { self.slope = slope }

    public var description: String { slope == 0.01 ? "LeakyReLU()" : "LeakyReLU(slope: \(slope))" }
    /// Over its input when slope ≥ 0: the backward reads the input's sign, which the output
    /// then shares (not so for a negative slope).
    public var placement: LayerPlacement { slope >= 0 ? .overInput : .ownBuffer }
    public var backwardReadsOutput: Bool { false }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        guard slope.isFinite else { throw ConfigurationError("\(parameter: "slope") must be a finite number (got \(slope))") }
        return input
    }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        for i in 0..<(pass.count * pass.inputShape.count) { y[i] = x[i] > 0 ? x[i] : slope * x[i] }
    }

    public func backward(input x: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let dx else { return }
        for i in 0..<(pass.count * pass.inputShape.count) { dx[i] = x[i] > 0 ? dy[i] : slope * dy[i] }
    }
}

/// The Gaussian error linear unit in its exact form, x·Φ(x) = ½·x·(1 + erf(x/√2))
/// (PyTorch's `GELU()` default, not the tanh approximation), element-wise, any shape.
/// Its derivative is Φ(x) + x·φ(x). No parameters.
public struct GELU: Layer {
    /// The GELU layer; its output shape is its input's.
    public init() {}
    public var description: String { "GELU()" }
    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { input }
    public var backwardReadsOutput: Bool { false }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        for i in 0..<(pass.count * pass.inputShape.count) { y[i] = 0.5 * x[i] * (1 + Foundation.erf(x[i] * 0.70710678118654752)) }
    }

    public func backward(input x: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let dx else { return }
        for i in 0..<(pass.count * pass.inputShape.count) {
            let v = x[i]
            let cdf = 0.5 * (1 + Foundation.erf(v * 0.70710678118654752))
            let pdf = 0.39894228040143268 * Foundation.exp(-0.5 * v * v)
            dx[i] = dy[i] * (cdf + v * pdf)
        }
    }
}

/// tanh(x), element-wise, any shape. No parameters.
public struct Tanh: Layer {
    /// The Tanh layer; its output shape is its input's.
    public init() {}
    public var description: String { "Tanh()" }
    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { input }
    /// Over its input: its backward reads only the output.
    public var placement: LayerPlacement { .overInput }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        Activation.tanh.forward(x, into: y, pass: pass)
    }

    public func backward(input: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        Activation.tanh.backward(output: y, outputGradient: dy, inputGradient: dx, pass: pass)
    }
}

/// 1 / (1 + e^(−x)), element-wise, any shape. No parameters.
public struct Sigmoid: Layer {
    /// The Sigmoid layer; its output shape is its input's.
    public init() {}
    public var description: String { "Sigmoid()" }
    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { input }
    /// Over its input: its backward reads only the output.
    public var placement: LayerPlacement { .overInput }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        Activation.sigmoid.forward(x, into: y, pass: pass)
    }

    public func backward(input: UnsafePointer<Float>, output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        Activation.sigmoid.backward(output: y, outputGradient: dy, inputGradient: dx, pass: pass)
    }
}

extension Activation {
    /// y = f(x) over a layer's shard, element-wise: `ReLU`, `Tanh` and `Sigmoid` as layers.
    func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        let n = pass.count * pass.inputShape.count
        if UnsafePointer(y) != x { y.update(from: x, count: n) }
        forward(y, count: n)
    }

    /// ∂ℓ/∂x = ∂ℓ/∂y ⊙ f′, with f′ from the output y; nothing when no input gradient is wanted.
    func backward(output y: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                  inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let dx else { return }
        let n = pass.count * pass.inputShape.count
        if self == .relu {
            // One pass, not a copy and a pass: the same selects as `backward(output:delta:count:)`.
            Self.vectorLoop(n) { i in
                Self.store(Self.load(dy + i).replacing(with: 0, where: Self.load(y + i) .<= 0), dx + i)
            } scalar: { i in dx[i] = y[i] <= 0 ? 0 : dy[i] }
            return
        }
        dx.update(from: dy, count: n)
        backward(output: y, delta: dx, count: n)
    }
}
