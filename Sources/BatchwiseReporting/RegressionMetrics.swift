/// How close a regression model's predictions are to the targets: mean absolute error, root
/// mean squared error and the coefficient of determination R², all in the targets' units.
public struct RegressionMetrics: Sendable, Equatable {
    /// mean |y − ŷ| over every target value.
    public var meanAbsoluteError: Double
    /// √(mean (y − ŷ)²) over every target value.
    public var rootMeanSquaredError: Double
    /// 1 − Σ(y − ŷ)² / Σ(y − ȳ)², per target column and averaged over the columns (as
    /// scikit-learn's `r2_score` does by default); nil when a column's targets are all equal.
    public var rSquared: Double?

    /// The metrics of `predictions` against `targets`, both row-major with `width` values per
    /// sample and of equal length (at least one sample).
    public init(predictions: [Float], targets: [Float], width: Int) {
        precondition(width >= 1 && predictions.count == targets.count && targets.count >= width && targets.count % width == 0)
        let n = targets.count / width
        var absolute = 0.0, squared = 0.0
        var residual = [Double](repeating: 0, count: width), mean = [Double](repeating: 0, count: width)
        for i in 0..<targets.count {
            let e = Double(targets[i]) - Double(predictions[i])
            absolute += abs(e)
            squared += e * e
            residual[i % width] += e * e
            mean[i % width] += Double(targets[i]) / Double(n)
        }
        var total = [Double](repeating: 0, count: width)
        for i in 0..<targets.count {
            let d = Double(targets[i]) - mean[i % width]
            total[i % width] += d * d
        }
        meanAbsoluteError = absolute / Double(targets.count)
        rootMeanSquaredError = (squared / Double(targets.count)).squareRoot()
        rSquared = total.contains(0) ? nil : (0..<width).reduce(0) { $0 + 1 - residual[$1] / total[$1] } / Double(width)
    }
}
