/// One epoch's line of the training log: the training report and, when a test set was given,
/// the evaluation of the weights at the end of the epoch.
public struct EpochSummary: Sendable {
    /// What the epoch's training measured.
    public let report: EpochReport
    /// The weights at the end of the epoch on the test set; nil without one.
    public let test: Evaluation?
}

extension Trainer {
    /// The minimal epoch loop: `epochs` passes over `train`, each in a fresh seeded order
    /// (every sample exactly once; the last batch shorter and averaged over its own count),
    /// with a test evaluation after each epoch. `onEpoch` sees each summary as it is made.
    @discardableResult
    public func fit(train: Dataset, test: Dataset?, epochs: Int, batchSize: Int, learningRate: Float, seed: UInt64,
                    onEpoch: (EpochSummary) -> Void = { _ in }) throws -> [EpochSummary] {
        guard epochs >= 1 else { throw ConfigurationError("epochs must be at least 1 (got \(epochs))") }
        guard learningRate.isFinite && learningRate > 0 else {
            throw ConfigurationError("the learning rate must be a finite number above 0 (got \(learningRate))")
        }
        try validate(train)
        if let test { try validate(test) }
        var summaries: [EpochSummary] = []
        for epoch in 1...epochs {
            let report = try trainEpoch(on: train, epoch: epoch, batchSize: batchSize, learningRate: learningRate, seed: seed)
            let summary = EpochSummary(report: report, test: try test.map { try evaluate(on: $0) })
            onEpoch(summary)
            summaries.append(summary)
        }
        return summaries
    }
}
