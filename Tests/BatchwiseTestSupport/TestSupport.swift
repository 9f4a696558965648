import Batchwise

/// Shared fixtures for the engine tests.
package enum Fixture {
    package static let topology = try! Topology()

    package static func trainer(_ model: MLP, workers: Int, optimizer: any Optimizer = try! SGD(),
                        maxBatchSize: Int = 256, seed: UInt64 = 7,
                        placement: Placement = .compact) throws -> Trainer<MLP> {
        let plan = try PlacementPlan(topology: topology, workers: workers, placement: placement, oversubscribe: true)
        return try Trainer(model: model, optimizer: optimizer, topology: topology, plan: plan,
                           maxBatchSize: maxBatchSize, seed: seed)
    }

    /// A small dataset that fits `model`: class labels for cross-entropy, values otherwise.
    package static func data(for model: MLP, samples: Int, seed: UInt64 = 3) -> Dataset {
        if model.loss.isClassification {
            return Dataset.synthetic(samples: samples, features: model.inputWidth, classes: model.outputWidth, seed: seed)
        }
        return Dataset.synthetic(samples: samples, features: model.inputWidth, outputs: model.outputWidth, noise: 0.5, seed: seed)
    }

    /// ‖a − b‖ / ‖b‖.
    package static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        var diff = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            diff += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
        return (diff / max(norm, 1e-300)).squareRoot()
    }
}
