import Foundation

/// A multi-layer perceptron: dense layers with one activation between them, the last layer
/// linear, followed by a per-sample loss.
///
/// Row-major throughout: a shard of n samples is an n × width matrix; layer l computes
/// `Z = A·W + b` with W stored `inputs × outputs`. All matrix products go through `Gemm`.
public final class MLP: GradientModel {
    /// Every layer's width, input first and output last.
    public let widths: [Int]
    /// The activation after every dense layer but the last.
    public let activation: Activation
    /// The per-sample loss on the last layer's output.
    public let loss: Loss
    /// Where each layer's weights and biases sit in the flat parameter vector.
    public let layout: ParameterLayout

    /// Floats in the flat parameter vector, 64-byte padding included (`layout.count`).
    public var parameterCount: Int { layout.count }
    /// Features per sample: the first width.
    public var inputWidth: Int { widths[0] }
    /// Outputs per sample (logits for cross-entropy): the last width.
    public var outputWidth: Int { widths[widths.count - 1] }
    /// Floats per target: 1 (a class index) for cross-entropy, the output width otherwise.
    public var targetWidth: Int { loss.isClassification ? 1 : outputWidth }
    /// The output width for cross-entropy; nil for a regression loss.
    public var classCount: Int? { loss.isClassification ? outputWidth : nil }

    /// `widths` lists every layer's width, input first and output last (`[64, 128, 10]`).
    public init(widths: [Int], activation: Activation = .relu, loss: Loss = .crossEntropy) throws(ConfigurationError) {
        guard widths.count >= 2 else {
            throw ConfigurationError("layers must list at least an input and an output width, such as 64,128,10 (got \(widths.map(String.init).joined(separator: ",")))")
        }
        guard widths.allSatisfy({ $0 >= 1 && $0 <= 1 << 20 }) else {
            throw ConfigurationError("every layer width must be between 1 and 1048576 (got \(widths.map(String.init).joined(separator: ",")))")
        }
        if loss.isClassification, widths.last! < 2 {
            throw ConfigurationError("cross-entropy needs an output layer of at least 2 classes (got \(widths.last!))")
        }
        self.widths = widths
        self.activation = activation
        self.loss = loss
        self.layout = ParameterLayout(widths: widths)
    }

    /// Glorot-uniform for tanh and sigmoid layers and for the output layer; He-normal
    /// (std √(2/fan_in)) for layers followed by ReLU. Biases start at zero.
    public func initialize(parameters: UnsafeMutableBufferPointer<Float>, seed: UInt64) {
        precondition(parameters.count == parameterCount)
        parameters.update(repeating: 0)
        for (l, layer) in layout.layers.enumerated() {
            var random = RandomStream(seed: seed, stream: UInt64(l), purpose: .initialization)
            let isOutput = l == layout.layers.count - 1
            let weights = parameters.baseAddress! + layer.weightOffset
            let n = layer.inputs * layer.outputs
            if activation == .relu && !isOutput {
                let std = (2 / Float(layer.inputs)).squareRoot()
                for i in 0..<n { weights[i] = random.nextNormal() * std }
            } else {
                let limit = (6 / Float(layer.inputs + layer.outputs)).squareRoot()
                for i in 0..<n { weights[i] = (2 * random.nextUnitFloat() - 1) * limit }
            }
        }
    }

    /// Activations of every layer and two delta buffers, for up to `maxSamples` rows.
    public final class Workspace {
        let capacity: Int
        let activations: [FloatBuffer]
        let deltas: (FloatBuffer, FloatBuffer)

        init(widths: [Int], maxSamples: Int, topology: Topology, numaNode: Int?) {
            capacity = maxSamples
            activations = widths.dropFirst().map { FloatBuffer(count: maxSamples * $0, topology: topology, numaNode: numaNode) }
            let widest = widths.max()!
            deltas = (FloatBuffer(count: maxSamples * widest, topology: topology, numaNode: numaNode),
                      FloatBuffer(count: maxSamples * widest, topology: topology, numaNode: numaNode))
        }
    }

    /// Allocates every layer's activations and two delta buffers for `maxSamples` rows on
    /// `numaNode` (nil: wherever the OS puts them), `maxSamples × (Σ widths after the first
    /// + 2 × max width)` floats in all.
    public func makeWorkspace(maxSamples: Int, topology: Topology, numaNode: Int?) -> Workspace {
        Workspace(widths: widths, maxSamples: maxSamples, topology: topology, numaNode: numaNode)
    }

    /// Forward pass: leaves every layer's output in the workspace and returns the last one.
    @inline(__always)
    private func forward(_ p: UnsafePointer<Float>, _ samples: ShardSamples, _ ws: Workspace) -> UnsafeMutablePointer<Float> {
        let n = samples.count
        precondition(n <= ws.capacity, "shard of \(n) samples exceeds the workspace (\(ws.capacity))")
        var input = samples.inputs
        var output = ws.activations[0].pointer
        for (l, layer) in layout.layers.enumerated() {
            output = ws.activations[l].pointer
            let o = layer.outputs
            for r in 0..<n { (output + r * o).update(from: p + layer.biasOffset, count: o) }
            Gemm.sgemm(transposeA: false, transposeB: false, m: n, n: o, k: layer.inputs,
                       alpha: 1, a: input, lda: layer.inputs, b: p + layer.weightOffset, ldb: o,
                       beta: 1, c: output, ldc: o)
            if l < layout.layers.count - 1 { activation.forward(output, count: n * o) }
            input = UnsafePointer(output)
        }
        return output
    }

    /// Adds the gradient sum of `samples` into `gradient` and returns their loss sum: a forward
    /// pass, then the backward pass layer by layer (∂W += Aᵀ·Δ, ∂b += Σ rows of Δ, Δ ← Δ·Wᵀ through
    /// the activation), each product one `cblas_sgemm` call. About 6 × trainable parameters FLOPs
    /// per sample; no allocation.
    public func accumulateGradient(parameters p: UnsafePointer<Float>, samples: ShardSamples,
                                   gradient g: UnsafeMutablePointer<Float>, workspace ws: Workspace) -> ShardLoss {
        let n = samples.count
        if n == 0 { return ShardLoss() }
        let outputs = forward(p, samples, ws)
        var delta = ws.deltas.0.pointer
        var spare = ws.deltas.1.pointer
        let result = loss.evaluate(outputs: outputs, targets: samples.targets, count: n, width: outputWidth, gradient: delta)
        for l in stride(from: layout.layers.count - 1, through: 0, by: -1) {
            let layer = layout.layers[l]
            let i = layer.inputs, o = layer.outputs
            let input = l == 0 ? samples.inputs : UnsafePointer(ws.activations[l - 1].pointer)
            // ∂W += Aᵀ·Δ
            Gemm.sgemm(transposeA: true, transposeB: false, m: i, n: o, k: n,
                       alpha: 1, a: input, lda: i, b: delta, ldb: o, beta: 1, c: g + layer.weightOffset, ldc: o)
            // ∂b += column sums of Δ
            let gb = g + layer.biasOffset
            for r in 0..<n {
                let row = delta + r * o
                for j in 0..<o { gb[j] += row[j] }
            }
            if l > 0 {
                // ∂A_{l-1} = Δ·Wᵀ, then through the activation.
                Gemm.sgemm(transposeA: false, transposeB: true, m: n, n: i, k: o,
                           alpha: 1, a: delta, lda: o, b: p + layer.weightOffset, ldb: o, beta: 0, c: spare, ldc: i)
                activation.backward(output: ws.activations[l - 1].pointer, delta: spare, count: n * i)
                swap(&delta, &spare)
            }
        }
        return ShardLoss(lossSum: result.lossSum, correct: result.correct)
    }

    /// Runs the forward pass and copies the network's outputs (logits for cross-entropy)
    /// into `into`, `samples.count × outputWidth` floats.
    public func outputs(parameters p: UnsafePointer<Float>, samples: ShardSamples, workspace ws: Workspace,
                        into out: UnsafeMutablePointer<Float>) {
        if samples.count == 0 { return }
        out.update(from: forward(p, samples, ws), count: samples.count * outputWidth)
    }

    /// The loss sum and correct-prediction count of `samples`: the forward pass only, no gradient.
    public func evaluate(parameters p: UnsafePointer<Float>, samples: ShardSamples, workspace ws: Workspace) -> ShardLoss {
        if samples.count == 0 { return ShardLoss() }
        let outputs = forward(p, samples, ws)
        let r = loss.evaluate(outputs: outputs, targets: samples.targets, count: samples.count, width: outputWidth, gradient: nil)
        return ShardLoss(lossSum: r.lossSum, correct: r.correct)
    }

    /// Useful floating-point work per training sample by the usual convention: 6 × trainable
    /// parameters (2 for the forward product, 4 for the two backward products). The real work
    /// is a little lower: the first layer's input gradient is never needed, so never computed.
    public var flopsPerSample: Double { 6 * Double(layout.trainableCount) }
}
