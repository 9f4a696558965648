import Foundation

/// How much one step at a larger batch is worth, from the gradient's noise statistics
/// (AdaScale SGD, Johnson, Agrawal, Gu & Guestrin 2020; Pollux/AdaptDL, Qiao et al., OSDI 2021).
///
/// With |G|² the squared norm of the true mean gradient and tr Σ the trace of the *per-sample*
/// gradient covariance, a mean gradient over B samples has E|g_B|² = |G|² + tr Σ / B. Against
/// the base batch B₀ (the one the learning rate was tuned at) and s = B / B₀:
///
///     gain        r(s) = (tr Σ / B₀ + |G|²) / (tr Σ / B + |G|²)     (AdaScale's r_t)
///     efficiency  E(B) = r(s) / s = (B_noise + B₀) / (B_noise + B),  B_noise = tr Σ / |G|²
///
/// r(s) is how many base-batch steps one step at B is worth (1 ≤ r ≤ s); E(B) is the share of
/// the extra samples that still pays. Written with per-sample statistics, both stay valid when
/// the batch changes. A non-positive |G|² estimate (the mean gradient lost in the noise, as near
/// a minimum) counts as 0, so r = s; a non-positive trace (no noise) gives r = 1.
public struct StatisticalEfficiency: Sendable, Equatable, Codable {
    /// |G|², the squared norm of the mean gradient (clamped at 0).
    public let gradientSquared: Double
    /// tr Σ, the trace of the per-sample gradient covariance (clamped at 0).
    public let trace: Double
    /// B₀: the batch size at which the gain is 1.
    public let baseBatchSize: Int

    /// The statistics as measured; negative estimates (noise) are clamped at 0.
    public init(gradientSquared: Double, trace: Double, baseBatchSize: Int) {
        precondition(baseBatchSize >= 1)
        self.gradientSquared = gradientSquared.isFinite ? max(gradientSquared, 0) : 0
        self.trace = trace.isFinite ? max(trace, 0) : 0
        self.baseBatchSize = baseBatchSize
    }

    /// The smoothed statistics of `noiseScale`, or nil before it has a step.
    public init?(_ noiseScale: GradientNoiseScale, baseBatchSize: Int) {
        guard let g = noiseScale.gradientSquared, let t = noiseScale.trace else { return nil }
        self.init(gradientSquared: g, trace: t, baseBatchSize: baseBatchSize)
    }

    /// r(s) for a batch of `batchSize`: base-batch steps one step at this batch is worth.
    public func gain(batchSize: Int) -> Double {
        let s = Double(batchSize) / Double(baseBatchSize)
        let denominator = trace / Double(batchSize) + gradientSquared
        // Neither noise nor signal: every batch is as good as the base one per step.
        guard denominator > 0 else { return 1 }
        return min(max((trace / Double(baseBatchSize) + gradientSquared) / denominator, min(1, s)), max(1, s))
    }

    /// E(B) = r(s) / s: the share of the samples of a step at `batchSize` that does the work
    /// of base-batch samples (1 at B₀).
    public func efficiency(batchSize: Int) -> Double {
        gain(batchSize: batchSize) * Double(baseBatchSize) / Double(batchSize)
    }

    /// B_noise = tr Σ / |G|²; +∞ when |G|² is 0.
    public var noiseScale: Double { gradientSquared > 0 ? trace / gradientSquared : .infinity }
}
