/// Order statistics of a list of samples (step times, repeated timings).
///
/// The p-th percentile interpolates linearly between the two closest ranks: with the samples
/// sorted as x₀ ≤ … ≤ x_{n−1}, it is x at position h = p·(n − 1), that is
/// `x_⌊h⌋ + (h − ⌊h⌋)·(x_⌊h⌋+1 − x_⌊h⌋)` (Hyndman and Fan's type 7, NumPy's default).
/// So the median of an even count is the mean of the two middle samples. O(n log n) to build.
public struct Percentiles: Sendable {
    /// The samples in ascending order.
    public let sorted: [Double]

    /// The order statistics of `samples`, which must not be empty. O(n log n).
    public init(_ samples: [Double]) {
        precondition(!samples.isEmpty, "percentiles of no samples")
        sorted = samples.sorted()
    }

    /// The `p`-th quantile, `p` in [0, 1].
    public func quantile(_ p: Double) -> Double {
        precondition(p >= 0 && p <= 1)
        let h = p * Double(sorted.count - 1)
        let low = Int(h.rounded(.down))
        let high = min(low + 1, sorted.count - 1)
        return sorted[low] + (h - Double(low)) * (sorted[high] - sorted[low])
    }

    /// The 0.5 quantile: the middle sample, or the mean of the two middle ones.
    public var median: Double { quantile(0.5) }
}
