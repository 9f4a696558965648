import Foundation

/// The gradient noise scale B_simple = tr(Σ) / |G|² (McCandlish, Kaplan, Amodei et al. 2018,
/// "An Empirical Model of Large-Batch Training", appendix A), estimated from what the
/// all-reduce already has: the partial gradient sums of S small batches (worker shards, or
/// microshards in reproducible mode) and their total.
///
/// For a mean gradient over b independent samples, E|G_b|² = |G|² + tr(Σ)/b. With the big
/// batch (all B samples) and the small batches (sizes b_s, mean of |G_{b_s}|² over the S
/// sources, and 1/B_small the mean of 1/b_s), the unbiased estimates are
///
///     |G|²  ≈ (B·|G_B|² − B_small·|G_small|²) / (B − B_small)
///     tr(Σ) ≈ (|G_small|² − |G_B|²) / (1/B_small − 1/B)
///
/// Each is noisy, so both are smoothed by exponential moving averages over steps before the
/// ratio is taken, as the paper recommends (bias-corrected like Adam's moments; the
/// correction cancels in the ratio).
public struct GradientNoiseScale: Sendable, Equatable, Codable {
    /// Weight of the newest step in the moving averages.
    public var smoothing: Double
    private var gradientAverage = 0.0
    private var traceAverage = 0.0
    /// Steps that contributed.
    public private(set) var steps = 0

    /// An estimate with no steps yet; `smoothing` is the weight of each new step in the moving
    /// averages (0.05: about the last 20 steps count).
    public init(smoothing: Double = 0.05) { self.smoothing = smoothing }

    private var correction: Double { 1 - pow(1 - smoothing, Double(steps)) }
    /// Smoothed estimate of |G|², the squared norm of the true mean gradient; nil before the
    /// first usable step.
    public var gradientSquared: Double? { steps > 0 ? gradientAverage / correction : nil }
    /// Smoothed estimate of tr(Σ), the trace of the per-sample gradient covariance; nil before
    /// the first usable step.
    public var trace: Double? { steps > 0 ? traceAverage / correction : nil }

    /// B_simple from the smoothed estimates: nil until a step contributed; +∞ when the
    /// estimate of |G|² is not above 0 — the mean gradient is lost in the noise, as happens
    /// near a minimum.
    public var value: Double? {
        guard steps > 0 else { return nil }
        guard gradientAverage > 0 else { return .infinity }
        return traceAverage / gradientAverage
    }

    /// One step's unbiased estimates, or nil when fewer than two sources held samples.
    /// - Parameters:
    ///   - sourceNorms: |g_s|² of each source's gradient *sum*.
    ///   - counts: samples per source.
    ///   - totalNorm: |Σ_s g_s|².
    public static func estimate(sourceNorms: some Collection<Double>, counts: some Collection<Int>, totalNorm: Double) -> (gradientSquared: Double, trace: Double)? {
        estimate(NoiseSums(sourceNorms: sourceNorms, counts: counts), totalNorm: totalNorm)
    }

    /// One step's estimates from the sources' sums (see ``NoiseSums``) and |Σ_s g_s|², or nil
    /// when fewer than two sources held samples.
    static func estimate(_ sums: NoiseSums, totalNorm: Double) -> (gradientSquared: Double, trace: Double)? {
        guard sums.sources >= 2 else { return nil }
        let used = sums.sources, total = sums.samples
        let smallSquared = sums.squaredMeans / Double(used)
        let smallSize = Double(used) / sums.inverseSizes
        let bigSize = Double(total)
        let bigSquared = totalNorm / (bigSize * bigSize)
        let g = (bigSize * bigSquared - smallSize * smallSquared) / (bigSize - smallSize)
        let trace = (smallSquared - bigSquared) / (1 / smallSize - 1 / bigSize)
        return (g, trace)
    }

    /// What the estimate needs of the sources of one step, reduced to four sums that add up
    /// across the processes of a run: Σ_s |g_s|²/b_s², Σ_s 1/b_s, the sources with samples,
    /// and their samples.
    struct NoiseSums {
        var squaredMeans = 0.0
        var inverseSizes = 0.0
        var sources = 0
        var samples = 0

        init(squaredMeans: Double = 0, inverseSizes: Double = 0, sources: Int = 0, samples: Int = 0) {
            (self.squaredMeans, self.inverseSizes, self.sources, self.samples) = (squaredMeans, inverseSizes, sources, samples)
        }

        /// The sums over the sources with samples (|g_s|² of each source's gradient sum, b_s its samples).
        init(sourceNorms: some Collection<Double>, counts: some Collection<Int>) {
            for (norm, b) in zip(sourceNorms, counts) where b > 0 {
                squaredMeans += norm / Double(b * b)
                inverseSizes += 1 / Double(b)
                sources += 1
                samples += b
            }
        }
    }

    /// Folds one step's estimates into the moving averages.
    public mutating func add(gradientSquared g: Double, trace t: Double) {
        guard g.isFinite && t.isFinite else { return }
        gradientAverage += smoothing * (g - gradientAverage)
        traceAverage += smoothing * (t - traceAverage)
        steps += 1
    }
}
