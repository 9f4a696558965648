import Foundation

/// The steps–samples trade-off of McCandlish et al. (2018, "An Empirical Model of Large-Batch
/// Training", eq. 2.11), fitted to the batch sizes of a sweep that reached the target:
///
///     (S / S_min − 1) · (E / E_min − 1) = 1
///
/// where S is the optimizer steps and E the training samples it took to reach the target, S_min
/// the fewest steps any batch size could take (B → ∞) and E_min the fewest samples (B → 0).
/// The critical batch size is B_crit = E_min / S_min. With E = B·S the curve is, per batch size,
///
///     S(B) = S_min · (1 + B_crit / B),    E(B) = E_min · (1 + B / B_crit),
///
/// and McCandlish et al. find B_crit close to the gradient noise scale B_simple.
///
/// The fit: each point's batch size is taken as B = E / S (the samples a step really took, so a
/// shorter last batch of an epoch is counted as it ran), and S_min, E_min > 0 minimise
/// Σ (ln S − ln Ŝ(B))². The residual in ln E is the same number (Ê = B·Ŝ), so this is the
/// least-squares fit in log space in the (S, E) plane. For a fixed B_crit the best ln S_min is the
/// mean of ln S − ln(1 + B_crit/B) (closed form); B_crit itself is found by a scan of ln B_crit
/// over a fixed grid from 10⁻⁴ × the smallest B to 10⁴ × the largest, refined by golden-section
/// search. Pure and deterministic: the same points give the same fit. O(points × 3,000).
public struct BatchSizeTradeoff: Sendable, Equatable {
    /// One batch size's measurement: steps and samples to the target (both above 0).
    public struct Point: Sendable, Equatable {
        /// Optimizer steps to the target (S).
        public var steps: Double
        /// Training samples to the target (E).
        public var samples: Double

        /// A point of `steps` S and `samples` E.
        public init(steps: Double, samples: Double) {
            self.steps = steps
            self.samples = samples
        }

        /// E / S: the mean samples per step.
        public var batchSize: Double { samples / steps }

        /// True when both figures are finite, above 0, and E ≥ S (a step has at least one sample).
        public var isUsable: Bool { steps.isFinite && samples.isFinite && steps > 0 && samples >= steps }
    }

    /// Why there is no fit.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// Fewer than 2 usable points (two parameters need two points): how many there were.
        case tooFewPoints(usable: Int)
        /// The points do not pin B_crit down: the best fit lies at the edge of the search range
        /// (steps keep halving with every doubling of the batch, B_crit above every batch size
        /// measured; or steps never fall, B_crit below them), or the points share one batch size.
        case unbounded

        /// What the report says instead of the fit.
        public var description: String {
            switch self {
            case .tooFewPoints(let n):
                "needs at least 2 batch sizes that reached the target (\(n == 0 ? "none" : n == 1 ? "1" : String(n)) did)"
            case .unbounded:
                "the measured points do not bound it (B_crit lies outside the batch sizes measured, or they share one batch size)"
            }
        }
    }

    /// S_min: the fewest optimizer steps to the target, approached as B → ∞.
    public let minimumSteps: Double
    /// E_min: the fewest training samples to the target, approached as B → 0.
    public let minimumSamples: Double
    /// The points fitted (the usable ones, in the order given).
    public let points: [Point]
    /// √(mean squared ln-residual): 0 for points exactly on the curve; 0.1 is about 10 % off.
    public let rmsLogResidual: Double

    /// B_crit = E_min / S_min, in samples per step.
    public var criticalBatchSize: Double { minimumSamples / minimumSteps }

    /// S on the fitted curve at batch size `batchSize`: S_min · (1 + B_crit / B).
    public func steps(batchSize: Double) -> Double { minimumSteps * (1 + criticalBatchSize / batchSize) }

    /// E on the fitted curve at batch size `batchSize`: E_min · (1 + B / B_crit).
    public func samples(batchSize: Double) -> Double { minimumSamples * (1 + batchSize / criticalBatchSize) }

    /// Fits the curve to `points`; unusable points (see `Point.isUsable`) are left out.
    /// - Throws: `Failure.tooFewPoints` with fewer than 2 usable points, `Failure.unbounded`
    ///   when they do not bound B_crit.
    public init(points given: [Point]) throws(Failure) {
        let points = given.filter(\.isUsable)
        guard points.count >= 2 else { throw .tooFewPoints(usable: points.count) }
        let logSteps = points.map { Foundation.log($0.steps) }
        let logBatches = points.map { Foundation.log($0.batchSize) }
        guard let lowest = logBatches.min(), let highest = logBatches.max(), highest - lowest > 1e-9 else { throw .unbounded }

        /// For ln B_crit = c: the best ln S_min and the sum of squared residuals.
        func solve(_ c: Double) -> (logMinimumSteps: Double, cost: Double) {
            // ln(1 + B_crit/B) = ln(1 + e^(c − ln B)), computed without overflow.
            let shape = logBatches.map { b -> Double in
                let t = c - b
                return t > 30 ? t + Foundation.log1p(Foundation.exp(-t)) : Foundation.log1p(Foundation.exp(t))
            }
            let residuals = zip(logSteps, shape).map { $0 - $1 }
            let mean = residuals.reduce(0, +) / Double(residuals.count)
            return (mean, residuals.reduce(0) { $0 + ($1 - mean) * ($1 - mean) })
        }

        // A fixed grid in ln B_crit, then golden-section search between the best point's neighbours.
        let from = lowest - Foundation.log(1e4), to = highest + Foundation.log(1e4)
        let cells = 3000
        let step = (to - from) / Double(cells)
        var best = 0, bestCost = Double.infinity
        for i in 0...cells {
            let cost = solve(from + Double(i) * step).cost
            if cost < bestCost * (1 - 1e-12) {
                best = i
                bestCost = cost
            }
        }
        guard best > 0 && best < cells else { throw .unbounded }
        var a = from + Double(best - 1) * step, b = from + Double(best + 1) * step
        let ratio = (Foundation.sqrt(5.0) - 1) / 2
        var x1 = b - ratio * (b - a), x2 = a + ratio * (b - a)
        var f1 = solve(x1).cost, f2 = solve(x2).cost
        for _ in 0..<200 where b - a > 1e-13 {
            if f1 <= f2 {
                (b, x2, f2) = (x2, x1, f1)
                x1 = b - ratio * (b - a)
                f1 = solve(x1).cost
            } else {
                (a, x1, f1) = (x1, x2, f2)
                x2 = a + ratio * (b - a)
                f2 = solve(x2).cost
            }
        }
        let c = (a + b) / 2
        let fitted = solve(c)
        minimumSteps = Foundation.exp(fitted.logMinimumSteps)
        minimumSamples = minimumSteps * Foundation.exp(c)
        self.points = points
        rmsLogResidual = Foundation.sqrt(fitted.cost / Double(points.count))
    }
}
