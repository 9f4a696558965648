import Batchwise // public API only: this file is what an embedding program can write
import Testing

/// A custom model written outside the library: least-squares linear regression
/// ℓ_i = ½ (w·x_i + b − y_i)², whose only duty is to add gradient and loss sums into buffers.
final class LinearRegression: GradientModel {
    final class Scratch {}
    let inputWidth: Int
    var parameterCount: Int { inputWidth + 1 }
    var targetWidth: Int { 1 }

    init(inputs: Int) { inputWidth = inputs }

    func initialize(parameters: UnsafeMutableBufferPointer<Float>, seed: UInt64) {
        parameters.update(repeating: 0)
    }

    func makeWorkspace(maxSamples: Int, topology: Topology, numaNode: Int?) -> Scratch { Scratch() }

    func accumulateGradient(parameters: UnsafePointer<Float>, samples: ShardSamples,
                            gradient: UnsafeMutablePointer<Float>, workspace: Scratch) -> ShardLoss {
        var loss = 0.0
        for s in 0..<samples.count {
            let x = samples.inputs + s * inputWidth
            var r = parameters[inputWidth] - samples.targets[s]
            for j in 0..<inputWidth { r += parameters[j] * x[j] }
            for j in 0..<inputWidth { gradient[j] += r * x[j] }
            gradient[inputWidth] += r
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

@Suite struct EmbeddingTests {
    @Test func aCustomModelTrainsThroughThePublicAPI() throws {
        // y = 2·x0 − 3·x1 + 0.5, no noise: SGD must recover the coefficients.
        var features: [Float] = [], targets: [Float] = []
        for i in 0..<400 {
            let x0 = Float(i % 20) / 10 - 1, x1 = Float(i / 20) / 10 - 1
            features += [x0, x1]
            targets.append(2 * x0 - 3 * x1 + 0.5)
        }
        let data = Dataset(name: "plane", features: features, targets: targets, featureWidth: 2, targetWidth: 1, classCount: nil)
        let topology = try Topology()
        let plan = try PlacementPlan(topology: topology, workers: 2, placement: .compact, oversubscribe: true)
        let trainer = try Trainer(model: LinearRegression(inputs: 2), optimizer: try SGD(momentum: 0.5),
                                  topology: topology, plan: plan, maxBatchSize: 20, seed: 1)
        let summaries = try trainer.fit(train: data, test: data, epochs: 40, batchSize: 20, learningRate: 0.1, seed: 1)
        let w = trainer.parameterValues
        #expect(abs(w[0] - 2) < 1e-3 && abs(w[1] + 3) < 1e-3 && abs(w[2] - 0.5) < 1e-3, "learned \(w)")
        #expect(summaries.last!.test!.loss < 1e-6)
        #expect(summaries.last!.test!.accuracy == nil, "regression reports no accuracy")
    }
}
