import Foundation
@testable import Batchwise
import BatchwiseTestSupport

/// Shared fixtures for the `Sequential` tests.
enum LayersFixture {
    static func trainer(_ model: Sequential, workers: Int, optimizer: any Optimizer = try! SGD(), maxBatchSize: Int = 64,
                        seed: UInt64 = 7, microsharding: Microsharding? = nil) throws -> Trainer<Sequential> {
        let plan = try PlacementPlan(topology: Fixture.topology, workers: workers, placement: .compact, oversubscribe: true)
        return try Trainer(model: model, optimizer: optimizer, topology: Fixture.topology, plan: plan,
                           maxBatchSize: maxBatchSize, seed: seed, microsharding: microsharding)
    }

    /// A small CNN for 1 × 8 × 8 images (the digits) with a residual block, dropout and
    /// layer normalisation.
    static func smallCNN() throws -> Sequential {
        try Sequential(input: [1, 8, 8], loss: .crossEntropy) {
            Conv2D(4, kernel: 3, padding: 1); ReLU(); MaxPool2D(2)
            Residual { Conv2D(4, kernel: 3, padding: 1); Tanh() }
            Dropout(0.3)
            Flatten(); LayerNorm()
            Dense(16); GELU(); Dense(10)
        }
    }

    /// L = (1/B) Σ_b ℓ_b in float64: `LayerReference` through every layer, then the loss as
    /// `Loss` defines it. Sample b of the batch sits at position b of the epoch.
    static func referenceLoss(_ model: Sequential, theta: [Double], data: Dataset, position: TrainingPosition?) -> Double {
        var total = 0.0
        let randomness = position.map { LayerRandomness(position: $0, stream: 0) }
        for s in 0..<data.count {
            let x = (0..<data.featureWidth).map { Double(data.features[s * data.featureWidth + $0]) }
            let z = LayerReference.chain(model.chain, x, theta: theta, randomness: randomness, row: s)
            switch model.loss {
            case .crossEntropy:
                let m = z.max()!
                total += Foundation.log(z.map { Foundation.exp($0 - m) }.reduce(0, +)) + m - z[Int(data.targets[s])]
            case .mse, .l1:
                total += z.indices.map { j -> Double in
                    let d = z[j] - Double(data.targets[s * z.count + j])
                    return model.loss == .mse ? d * d : abs(d)
                }.reduce(0, +) / Double(z.count)
            }
        }
        return total / Double(data.count)
    }
}
