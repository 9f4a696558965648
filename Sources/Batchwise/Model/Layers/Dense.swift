/// A fully connected layer: y = W·x + b on a flat input of `inputs` features, as PyTorch's
/// `Linear`.
///
/// Tensors: `weight` [units, inputs] (row-major, as PyTorch stores it) and `bias` [units].
/// Initialisation (PyTorch's default): both U(−1/√inputs, 1/√inputs). Over a shard it is one
/// sgemm forward and two backward (one when no input gradient is needed).
public struct Dense: Layer {
    /// The number of outputs (the rows of `weight`), 1 to 2²⁴.
    public let units: Int
    private var inputs = 0

    /// A layer of `units` outputs; its input width is fixed by `connect(input:)`.
    public init(_ units: Int) { self.units = units }

    public var description: String { "Dense(\(units))" }
    /// Its backward does not read its output, so a ReLU after it can write over it.
    public var backwardReadsOutput: Bool { false }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        guard units >= 1 && units <= 1 << 24 else {
            throw ConfigurationError("\(parameter: "units") must be between 1 and 16777216 (got \(units))")
        }
        guard input.rank == 1 else {
            throw ConfigurationError("a dense layer needs flat input of one dimension; put Flatten() (flatten in a spec) before it")
        }
        inputs = input[0]
        return [units]
    }

    public var parameterTensors: [ParameterTensor] {
        [ParameterTensor("weight", shape: [units, inputs], initializer: .fanIn(inputs)),
         ParameterTensor("bias", shape: [units], initializer: .fanIn(inputs))]
    }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        let n = pass.count, i = inputs, o = units
        let bias = pass.parameter(1)
        for r in 0..<n { (y + r * o).update(from: bias, count: o) }
        // Y[n×o] += X[n×i] · Wᵀ
        Gemm.sgemm(transposeA: false, transposeB: true, m: n, n: o, k: i, alpha: 1, a: x, lda: i,
                   b: pass.parameter(0), ldb: i, beta: 1, c: y, ldc: o)
    }

    public func backward(input x: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        let n = pass.count, i = inputs, o = units
        // ∂W[o×i] += ΔYᵀ · X
        Gemm.sgemm(transposeA: true, transposeB: false, m: o, n: i, k: n, alpha: 1, a: dy, lda: o,
                   b: x, ldb: i, beta: 1, c: pass.gradient(0), ldc: i)
        let gb = pass.gradient(1)
        for r in 0..<n {
            let row = dy + r * o
            for j in 0..<o { gb[j] += row[j] }
        }
        if let dx {
            // ∂X[n×i] = ΔY · W
            Gemm.sgemm(transposeA: false, transposeB: false, m: n, n: i, k: o, alpha: 1, a: dy, lda: o,
                       b: pass.parameter(0), ldb: i, beta: 0, c: dx, ldc: i)
        }
    }
}
