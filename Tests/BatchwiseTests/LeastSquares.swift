import Batchwise // public API only: a model an embedding program could write

/// A custom model written outside the library: least-squares linear regression
/// ℓ_i = ½ (w·x_i + b − y_i)², or ½ (w·x_i − y_i)² without the bias b, whose only duty is to
/// add gradient and loss sums into buffers. Parameters: w, then b.
final class LeastSquares: GradientModel {
    final class Scratch {}
    let inputWidth: Int
    /// Whether the last parameter is a bias b.
    let bias: Bool
    var parameterCount: Int { inputWidth + (bias ? 1 : 0) }
    var targetWidth: Int { 1 }

    init(inputs: Int, bias: Bool) {
        inputWidth = inputs
        self.bias = bias
    }

    func initialize(parameters: UnsafeMutableBufferPointer<Float>, seed: UInt64) {
        parameters.update(repeating: 0)
    }

    func makeWorkspace(maxSamples: Int, topology: Topology, numaNode: Int?) -> Scratch { Scratch() }

    /// Adds ∂ℓ_i/∂w = r_i x_i (and ∂ℓ_i/∂b = r_i), r_i = w·x_i + b − y_i, for every sample.
    func accumulateGradient(parameters: UnsafePointer<Float>, samples: ShardSamples,
                            gradient: UnsafeMutablePointer<Float>, workspace: Scratch) -> ShardLoss {
        var loss = 0.0
        for s in 0..<samples.count {
            let x = samples.inputs + s * inputWidth
            var r = -samples.targets[s]
            if bias { r += parameters[inputWidth] }
            for j in 0..<inputWidth { r += parameters[j] * x[j] }
            for j in 0..<inputWidth { gradient[j] += r * x[j] }
            if bias { gradient[inputWidth] += r }
            loss += Double(r * r / 2)
        }
        return ShardLoss(lossSum: loss)
    }

    func evaluate(parameters: UnsafePointer<Float>, samples: ShardSamples, workspace: Scratch) -> ShardLoss {
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: parameterCount)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: parameterCount)
        return accumulateGradient(parameters: parameters, samples: samples, gradient: scratch, workspace: workspace)
    }
}
