import Foundation

/// The learning rate at every step: a base rate, a shape over the run, an optional linear
/// warmup, and the optional linear scaling rule.
///
///     η(t) = base · scale(B) · shape(progress) · warmup(t)
///
/// - `constant`: shape = 1.
/// - `step(gamma, epochs)`: shape = γ^k, k = number of listed epochs ≤ the current epoch.
/// - `cosine(floor)`: base · shape goes from base to `floor` as
///   floor + (base − floor)·(1 + cos(π·p))/2, p = fraction of the run done (Loshchilov & Hutter 2017).
/// - warmup over N steps: ×(t + 1)/N for t < N (Goyal et al. 2017).
/// - linear scaling: ×B/B₀ for the current batch size B and a base batch size B₀
///   (Goyal et al. 2017, "Accurate, Large Minibatch SGD").
public struct LearningRateSchedule: Sendable, Equatable, Codable {
    /// How the rate changes over the run (see above).
    public enum Shape: Sendable, Equatable, Codable {
        /// The base rate throughout.
        case constant
        /// ×`gamma` once for each listed epoch (1-based, ascending) reached so far.
        case step(gamma: Float, epochs: [Int])
        /// Cosine annealing from the base rate to `floor` over the run.
        case cosine(floor: Float)
    }

    /// The base rate η (> 0), before the scaling rule, the shape and the warmup.
    public var base: Float
    /// The shape over the run.
    public var shape: Shape
    /// N, the optimizer steps of linear warmup; 0 for none.
    public var warmupSteps: Int
    /// B₀ of the linear scaling rule, or nil for no scaling.
    public var scalingBaseBatchSize: Int?

    /// Checks the settings: base finite and > 0, warmup ≥ 0, B₀ ≥ 1, γ > 0 with ascending
    /// epochs, a cosine floor between 0 and the base rate.
    public init(base: Float, shape: Shape = .constant, warmupSteps: Int = 0, scalingBaseBatchSize: Int? = nil) throws(ConfigurationError) {
        guard base.isFinite && base > 0 else {
            throw ConfigurationError("the learning rate must be a finite number above 0 (got \(base))")
        }
        guard warmupSteps >= 0 else { throw ConfigurationError("warmup steps must be 0 or more (got \(warmupSteps))") }
        if let b = scalingBaseBatchSize, b < 1 {
            throw ConfigurationError("the base batch size of linear scaling must be at least 1 (got \(b))")
        }
        switch shape {
        case .constant: break
        case .step(let gamma, let epochs):
            guard gamma.isFinite && gamma > 0 else { throw ConfigurationError("the step decay factor must be above 0 (got \(gamma))") }
            guard epochs.allSatisfy({ $0 >= 1 }), epochs == epochs.sorted() else {
                throw ConfigurationError("step decay epochs must be ascending epoch numbers ≥ 1 (got \(epochs))")
            }
        case .cosine(let floor):
            guard floor.isFinite && floor >= 0 && floor <= base else {
                throw ConfigurationError("the cosine floor must be between 0 and the learning rate \(base) (got \(floor))")
            }
        }
        self.base = base
        self.shape = shape
        self.warmupSteps = warmupSteps
        self.scalingBaseBatchSize = scalingBaseBatchSize
    }

    /// Parses the shape from the CLI: `constant`, `step:0.1@30,60`, `cosine` or `cosine:0.001`.
    public static func parseShape(_ text: String) throws(ConfigurationError) -> Shape {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        switch parts.first?.lowercased() {
        case "constant" where parts.count == 1: return .constant
        case "cosine":
            if parts.count == 1 { return .cosine(floor: 0) }
            guard let floor = Float(parts[1]) else { break }
            return .cosine(floor: floor)
        case "step" where parts.count == 2:
            let spec = parts[1].split(separator: "@", maxSplits: 1)
            guard spec.count == 2, let gamma = Float(spec[0]) else { break }
            guard let epochs = parseIntegerList(String(spec[1])), !epochs.isEmpty else { break }
            return .step(gamma: gamma, epochs: epochs)
        default: break
        }
        throw ConfigurationError("learning-rate schedule '\(text)' is not one of: constant, step:GAMMA@EPOCH,EPOCH… (such as step:0.1@30,60), cosine, cosine:FLOOR")
    }

    /// The rate for global step `step` (0-based), in `epoch` (1-based) of `epochs`, at step
    /// `stepInEpoch` of `stepsInEpoch`, with batch size `batchSize`.
    public func rate(step: Int, epoch: Int, epochs: Int, stepInEpoch: Int, stepsInEpoch: Int, batchSize: Int) -> Float {
        var lr = Double(base)
        if let b0 = scalingBaseBatchSize { lr *= Double(batchSize) / Double(b0) }
        switch shape {
        case .constant: break
        case .step(let gamma, let milestones):
            lr *= pow(Double(gamma), Double(milestones.filter { $0 <= epoch }.count))
        case .cosine(let floor):
            let progress = (Double(epoch - 1) + Double(stepInEpoch) / Double(max(stepsInEpoch, 1))) / Double(max(epochs, 1))
            let f = Double(floor) * (lr / Double(base))
            lr = f + (lr - f) * (1 + cos(Double.pi * min(max(progress, 0), 1))) / 2
        }
        if warmupSteps > 0 && step < warmupSteps { lr *= Double(step + 1) / Double(warmupSteps) }
        return Float(lr)
    }

    /// The rate at scale-invariant step `tau` — progress counted in steps of the base batch,
    /// each step at batch B adding its gain r(s) (AdaScale; see `AdaptiveBatchSize`) — times
    /// `factor`, the batch-size scaling rule's factor, which replaces `scalingBaseBatchSize`.
    ///
    /// The same shapes as `rate(step:…)`, read on that clock: an epoch of the schedule is
    /// `stepsPerEpoch` base-batch steps (so `step:γ@30` takes over at τ = 29 · stepsPerEpoch),
    /// the cosine runs over `epochs` · `stepsPerEpoch` of them, its floor scaled by `factor`,
    /// and the warmup multiplies by min(1, (τ + 1)/N). At the base batch (gain 1, factor 1),
    /// τ is the step count and the rate is `rate(step:…)`'s.
    public func rate(scaleInvariantStep tau: Double, stepsPerEpoch: Double, epochs: Int, factor: Double) -> Float {
        var lr = Double(base) * factor
        let perEpoch = max(stepsPerEpoch, 1)
        switch shape {
        case .constant: break
        case .step(let gamma, let milestones):
            let epoch = Int((tau / perEpoch).rounded(.down)) + 1
            lr *= pow(Double(gamma), Double(milestones.filter { $0 <= epoch }.count))
        case .cosine(let floor):
            let progress = tau / (perEpoch * Double(max(epochs, 1)))
            let f = Double(floor) * factor
            lr = f + (lr - f) * (1 + cos(Double.pi * min(max(progress, 0), 1))) / 2
        }
        if warmupSteps > 0 && tau < Double(warmupSteps) { lr *= min(1, (tau + 1) / Double(warmupSteps)) }
        return Float(lr)
    }
}
