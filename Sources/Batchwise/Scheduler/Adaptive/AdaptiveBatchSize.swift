import Foundation

/// `--batch-size auto`: the batch size chosen while training, from the measured gradient noise
/// and throughput (Pollux/AdaptDL, Qiao et al., OSDI 2021; AdaScale SGD, Johnson et al. 2020).
///
/// The run starts at `minimum` (B₀, the batch the learning rate is given for). At every
/// decision point — the start of each epoch and every `adaptEvery` steps — it moves to the
/// batch size of `grid` that maximises
///
///     goodput G(B) = T(B) · E(B)
///
/// with T(B) the samples per second the `ThroughputModel` predicts and E(B) the
/// `StatisticalEfficiency` — unless the batch in use comes within `switchMargin` of the best,
/// so that measurement noise between two nearly equal sizes does not flip the batch back and
/// forth at every decision. When the decision must not depend on timing (`reproducible`), it
/// takes the largest batch of the grid with E(B) ≥ `minimumEfficiency` instead (about
/// B_noise for the default 0.5), so the run stays bit-identical across thread counts.
///
/// The learning rate follows the batch by `scaling`; schedules and warmup advance by the gain
/// r(s) per step (scale-invariant steps, in base-batch steps), so they mean the same at any
/// batch, while epochs stay passes over the data.
public struct AdaptiveBatchSize: Sendable, Equatable, Codable {
    /// How the learning rate follows the batch size B against the base B₀ (s = B / B₀).
    public enum Scaling: String, Sendable, Equatable, Codable, CaseIterable {
        /// × r(s), the gain (AdaScale); the default for SGD.
        case adascale
        /// × √s; the default for Adam and AdamW, whose steps are already normalised.
        case sqrt
        /// × s (Goyal et al. 2017).
        case linear
        /// The rate as given, at every batch.
        case none
    }

    /// B₀: the first batch size, the smallest allowed, and the one the learning rate is for.
    public let minimum: Int
    /// The largest batch size allowed.
    public let maximum: Int
    /// The most steps between two decisions (besides one at each epoch's start).
    public let adaptEvery: Int
    /// Under `reproducible`: the efficiency the chosen batch must keep.
    public let minimumEfficiency: Double
    /// How the learning rate follows the batch.
    public let scaling: Scaling

    /// The defaults of `--batch-size auto`.
    public static let defaultMinimum = 32, defaultMaximumCap = 4096, defaultAdaptEvery = 50
    /// The default of `--min-efficiency`.
    public static let defaultMinimumEfficiency = 0.5
    /// A goodput decision keeps the batch in use unless another promises more than this
    /// factor of its goodput.
    public static let switchMargin = 1.05

    /// Checks the settings: 1 ≤ minimum ≤ maximum, adaptEvery ≥ 1, 0 < minimumEfficiency ≤ 1.
    public init(minimum: Int, maximum: Int, adaptEvery: Int = defaultAdaptEvery,
                minimumEfficiency: Double = defaultMinimumEfficiency, scaling: Scaling) throws(ConfigurationError) {
        guard minimum >= 1 else { throw ConfigurationError("the smallest batch size of \(parameter: "batchSize", value: "auto") must be at least 1 (got \(minimum))") }
        guard maximum >= minimum else {
            throw ConfigurationError("the batch-size range of \(parameter: "batchSize", value: "auto") must not end below its start (got \(minimum)..\(maximum))")
        }
        guard adaptEvery >= 1 else { throw ConfigurationError("\(parameter: "adaptEvery") must be at least 1 step (got \(adaptEvery))") }
        guard minimumEfficiency.isFinite && minimumEfficiency > 0 && minimumEfficiency <= 1 else {
            throw ConfigurationError("\(parameter: "minimumEfficiency") must be above 0 and at most 1 (got \(minimumEfficiency))")
        }
        self.minimum = minimum
        self.maximum = maximum
        self.adaptEvery = adaptEvery
        self.minimumEfficiency = minimumEfficiency
        self.scaling = scaling
    }

    /// The default largest batch for a training set of `trainingSamples`: min(4096, samples / 4),
    /// never below `minimum`.
    public static func defaultMaximum(trainingSamples: Int, minimum: Int) -> Int {
        max(minimum, min(defaultMaximumCap, trainingSamples / 4))
    }

    /// The batch sizes a decision chooses from: the powers of two and their midpoints (3·2^k)
    /// inside [minimum, maximum], and the two ends themselves, ascending.
    public var grid: [Int] {
        var sizes: Set<Int> = [minimum, maximum]
        var p = 1
        while p <= maximum {
            for b in [p, p + p / 2] where b >= minimum && b <= maximum { sizes.insert(b) }
            if p > maximum / 2 { break }
            p *= 2
        }
        return sizes.sorted()
    }

    /// What one decision saw and chose.
    public struct Decision: Sendable, Equatable, Codable {
        /// The batch size chosen.
        public let batchSize: Int
        /// r(s) at that batch.
        public let gain: Double
        /// E(B) at that batch.
        public let efficiency: Double
        /// Predicted goodput (base-batch samples of progress per second) at that batch; nil
        /// when timing took no part (`reproducible`) or nothing was measured yet.
        public let goodput: Double?
        /// B_noise at the time, +∞ when |G|² was 0.
        public let noiseScale: Double
    }

    /// The batch size of `grid` to train at next.
    /// - Parameters:
    ///   - statistics: the gradient statistics now.
    ///   - throughput: the fitted step-time model (`ThroughputModel.fit`), nil when nothing
    ///     was measured; ignored when `reproducible`.
    ///   - model: turns the fit into samples per second.
    ///   - reproducible: decide by efficiency alone.
    ///   - current: the batch in use, kept by a goodput decision unless another size promises
    ///     more than `switchMargin` times its goodput; nil: the best size, whatever it is.
    public func decide(statistics: StatisticalEfficiency, throughput: (alpha: Double, beta: Double)?,
                       model: ThroughputModel, reproducible: Bool, current: Int? = nil) -> Decision {
        precondition(statistics.baseBatchSize == minimum)
        func decision(_ b: Int, goodput: Double?) -> Decision {
            Decision(batchSize: b, gain: statistics.gain(batchSize: b), efficiency: statistics.efficiency(batchSize: b),
                     goodput: goodput, noiseScale: statistics.noiseScale)
        }
        let sizes = grid
        guard !reproducible, let fit = throughput else {
            // Efficiency falls as the batch grows: the largest size that keeps enough of it.
            let b = sizes.last { statistics.efficiency(batchSize: $0) >= minimumEfficiency } ?? minimum
            return decision(b, goodput: nil)
        }
        func goodput(_ b: Int) -> Double? { model.samplesPerSecond(batchSize: b, fit: fit).map { $0 * statistics.efficiency(batchSize: b) } }
        var best: (size: Int, goodput: Double)?
        for b in sizes {
            guard let g = goodput(b) else { continue }
            // Strictly greater: of equal goodputs the smaller batch (more steps) is kept.
            if g > (best?.goodput ?? -.infinity) { best = (b, g) }
        }
        guard let best else { return decision(minimum, goodput: nil) }
        if let current, current != best.size, let kept = goodput(current), kept * Self.switchMargin >= best.goodput {
            return decision(current, goodput: kept)
        }
        return decision(best.size, goodput: best.goodput)
    }

    /// The factor the learning rate is multiplied by at `batchSize`, whose gain is `gain`.
    public func learningRateFactor(batchSize: Int, gain: Double) -> Double {
        let s = Double(batchSize) / Double(minimum)
        switch scaling {
        case .adascale: return gain
        case .sqrt: return s.squareRoot()
        case .linear: return s
        case .none: return 1
        }
    }
}
