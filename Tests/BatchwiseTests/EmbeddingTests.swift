import Batchwise // public API only: this file is what an embedding program can write
import Testing

/// The model is `LeastSquares` (LeastSquares.swift), written against the public API only too.
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
        let trainer = try Trainer(model: LeastSquares(inputs: 2, bias: true), optimizer: try SGD(momentum: 0.5),
                                  topology: topology, plan: plan, maxBatchSize: 20, seed: 1)
        let summaries = try trainer.fit(train: data, test: data, epochs: 40, batchSize: 20, learningRate: 0.1, seed: 1)
        let w = trainer.parameterValues
        #expect(abs(w[0] - 2) < 1e-3 && abs(w[1] + 3) < 1e-3 && abs(w[2] - 0.5) < 1e-3, "learned \(w)")
        #expect(summaries.last!.test!.loss < 1e-6)
        #expect(summaries.last!.test!.accuracy == nil, "regression reports no accuracy")
    }
}
