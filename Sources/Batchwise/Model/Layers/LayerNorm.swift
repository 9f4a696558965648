/// Layer normalisation over all of each sample's values (PyTorch's `LayerNorm` with the
/// sample's whole shape as `normalized_shape`): y = γ ⊙ (x − μ) / √(σ² + ε) + β, with μ and
/// the biased variance σ² over the sample's values, ε = 1e-5.
///
/// Tensors: `weight` (the gain γ) and `bias` (β), each of the input's shape.
/// Initialisation (PyTorch's default): γ = 1, β = 0. Keeps x̂ and 1/√(σ² + ε) per sample in
/// the workspace for the backward pass:
/// ∂ℓ/∂x = (1/√(σ² + ε))·(g − mean(g) − x̂·mean(g ⊙ x̂)) with g = γ ⊙ ∂ℓ/∂y.
public struct LayerNorm: Layer {
    /// ε, added to the variance before the square root (PyTorch's default).
    public static let epsilon: Float = 1e-5
    private var shape: TensorShape = []

    /// A layer normalisation over the whole of each sample; its shape is the input's.
    public init() {}

    public var description: String { "LayerNorm()" }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        shape = input
        return input
    }

    public var parameterTensors: [ParameterTensor] {
        [ParameterTensor("weight", shape: shape, initializer: .ones), ParameterTensor("bias", shape: shape, initializer: .zeros)]
    }

    /// x̂ for every sample, then 1/√(σ² + ε) for every sample.
    public func scratchCount(samples: Int) -> Int { ParameterTensor.aligned(samples * shape.count) + samples }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        let f = shape.count, n = pass.count
        let gain = pass.parameter(0), bias = pass.parameter(1)
        let normalized = pass.scratch, inverseDeviation = pass.scratch + ParameterTensor.aligned(pass.capacity * f)
        for r in 0..<n {
            let row = x + r * f, xhat = normalized + r * f, out = y + r * f
            var sum = 0.0
            for j in 0..<f { sum += Double(row[j]) }
            let mean = sum / Double(f)
            var squares = 0.0
            for j in 0..<f { squares += (Double(row[j]) - mean) * (Double(row[j]) - mean) }
            let inverse = Float(1 / (squares / Double(f) + Double(Self.epsilon)).squareRoot())
            inverseDeviation[r] = inverse
            let m = Float(mean)
            for j in 0..<f {
                xhat[j] = (row[j] - m) * inverse
                out[j] = gain[j] * xhat[j] + bias[j]
            }
        }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        let f = shape.count, n = pass.count
        let gain = pass.parameter(0), gainGradient = pass.gradient(0), biasGradient = pass.gradient(1)
        let normalized = pass.scratch, inverseDeviation = pass.scratch + ParameterTensor.aligned(pass.capacity * f)
        for r in 0..<n {
            let d = dy + r * f, xhat = normalized + r * f
            var meanG = 0.0, meanGX = 0.0
            for j in 0..<f {
                gainGradient[j] += d[j] * xhat[j]
                biasGradient[j] += d[j]
                let g = Double(gain[j] * d[j])
                meanG += g
                meanGX += g * Double(xhat[j])
            }
            guard let dx else { continue }
            let a = Float(meanG / Double(f)), b = Float(meanGX / Double(f)), inverse = inverseDeviation[r]
            let out = dx + r * f
            for j in 0..<f { out[j] = inverse * (gain[j] * d[j] - a - xhat[j] * b) }
        }
    }
}
