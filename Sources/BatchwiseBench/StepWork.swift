import Batchwise

/// The work of one training step of a model, for the scaling benchmark: the useful
/// floating-point work per sample by the convention DESIGN.md states, and the sgemm products
/// the step really makes on a shard, which are what the sgemm limit is measured on.
///
/// Useful work per sample, forward + backward (three times the forward pass):
/// - a dense layer: 6 × its parameters (weights and biases), as `MLP.flopsPerSample`;
/// - a convolution: 3 × 2 × output elements × (input channels × kernel size), kernel size k
///   for `Conv1D` and k² for `Conv2D` (the biases are not counted);
/// - a residual block: its layers' work;
/// - pooling, activations, normalisation, dropout, reshapes: none (they make no products).
///
/// The products a step runs on a shard of n samples, per layer (see `Dense` and
/// `ConvolutionGeometry`): a dense layer of i inputs and o units runs Y += X·Wᵀ (NT, n×o×i),
/// ∂W += ΔYᵀ·X (TN, o×i×n) and ∂X = ΔY·W (NN, n×i×o); a convolution runs what its
/// `ConvolutionProducts` lists (per chunk of the shard: Ŷ = W·X̂, ∂W, X̂' = Wᵀ·Δ̂; or the
/// shifted products, per sample and kernel tap). The model's first layer computes no input
/// gradient.
public struct StepWork: Sendable, Equatable {
    /// One layer that makes products.
    enum Product: Sendable, Equatable {
        case mlp(widths: [Int])
        case dense(inputs: Int, units: Int, inputGradient: Bool)
        case convolution(ConvolutionProducts, inputGradient: Bool)
    }

    /// Useful floating-point work per training sample (see the rules above).
    public let flopsPerSample: Double
    /// Trainable parameters (the flat vector's padding left out).
    public let parameters: Int
    let products: [Product]

    /// The work of `model`: an `MLP`, a `Sequential`, or (for another kind of model) 6 ×
    /// its parameters and no products known.
    public init(model: any PredictionModel) {
        switch model {
        case let mlp as MLP:
            flopsPerSample = mlp.flopsPerSample
            parameters = mlp.layout.trainableCount
            products = [.mlp(widths: mlp.widths)]
        case let sequential as Sequential:
            var walk = Walk()
            walk.visit(sequential.layers, shapes: [sequential.inputShape] + sequential.layerOutputShapes, firstNeedsGradient: false)
            flopsPerSample = walk.flops
            parameters = sequential.tensorTable.trainableCount
            products = walk.products
        default:
            flopsPerSample = 6 * Double(model.parameterCount)
            parameters = model.parameterCount
            products = []
        }
    }

    /// The sgemm products one training step makes on a shard of `shard` samples, layer by
    /// layer: every forward product first, then the backward ones from the last layer back.
    public func gemmShapes(shard n: Int) -> [GemmShape] {
        var forward: [GemmShape] = [], backward: [GemmShape] = []
        for product in products {
            switch product {
            case .mlp(let widths):
                return GemmShape.trainingStep(widths: widths, shard: n)
            case .dense(let i, let o, let gradient):
                forward.append(GemmShape(transposeA: false, transposeB: true, m: n, n: o, k: i, accumulates: true))
                var back = [GemmShape(transposeA: true, transposeB: false, m: o, n: i, k: n, accumulates: true)]
                if gradient { back.append(GemmShape(transposeA: false, transposeB: false, m: n, n: i, k: o, accumulates: false)) }
                backward.insert(contentsOf: back, at: 0)
            case .convolution(let products, let gradient):
                forward += products.forward(shard: n)
                let back = products.backward(shard: n, inputGradient: gradient)
                backward.insert(contentsOf: back, at: 0)
            }
        }
        return forward + backward
    }

    /// The walk over a `Sequential`'s layers (and into residual blocks), with each layer's
    /// input and output shapes.
    private struct Walk {
        var flops = 0.0
        var products: [Product] = []

        /// `shapes[i]` is layer i's input, `shapes[i + 1]` its output.
        mutating func visit(_ layers: [any Layer], shapes: [TensorShape], firstNeedsGradient: Bool) {
            for (i, layer) in layers.enumerated() {
                let input = shapes[i], output = shapes[i + 1]
                let gradient = i > 0 || firstNeedsGradient
                switch layer {
                case let dense as Dense:
                    let inputs = input.count
                    flops += 6 * Double(inputs * dense.units + dense.units)
                    products.append(.dense(inputs: inputs, units: dense.units, inputGradient: gradient))
                case let conv as Conv1D:
                    convolution(conv.products, kernelSize: conv.kernel, input: input, output: output, line: true,
                                gradient: gradient)
                case let conv as Conv2D:
                    convolution(conv.products, kernelSize: conv.kernel * conv.kernel, input: input, output: output,
                                line: false, gradient: gradient)
                case let residual as Residual:
                    // The block keeps its body unconnected: connect copies to find the inner shapes.
                    var inner = [input], connected: [any Layer] = []
                    for var body in residual.body {
                        guard let out = try? body.connect(input: inner[inner.count - 1]) else { return }
                        inner.append(out)
                        connected.append(body)
                    }
                    visit(connected, shapes: inner, firstNeedsGradient: gradient)
                default:
                    continue
                }
            }
        }

        /// Channels: the first size of a C × L (C × H × W) input; 1 for a flat (plane) one.
        private mutating func convolution(_ convolution: ConvolutionProducts, kernelSize: Int, input: TensorShape,
                                          output: TensorShape, line: Bool, gradient: Bool) {
            let channels = input.rank == (line ? 2 : 3) ? input[0] : 1
            let patch = channels * kernelSize
            flops += 6 * Double(output.count) * Double(patch)
            products.append(.convolution(convolution, inputGradient: gradient))
        }
    }
}
