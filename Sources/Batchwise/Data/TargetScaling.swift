/// Standardised regression targets (`--normalize-targets`): fitted on the training set, stored
/// in the checkpoint, applied to every set the model is trained or evaluated on, and undone on
/// the model's outputs, so predictions come back in the targets' own units.
///
/// t' = (t − mean_j) / deviation_j per target column j, with the training set's mean and
/// standard deviation (a constant column keeps deviation 1).
public struct TargetScaling: Sendable, Equatable, Codable {
    /// Per target column: the training set's mean.
    public let means: [Float]
    /// Per target column: the training set's standard deviation (1 for a constant column).
    public let deviations: [Float]

    /// Fits the scaling on `data`'s targets; class labels cannot be scaled.
    public init(fittedOn data: Dataset) throws(ConfigurationError) {
        guard data.classCount == nil else {
            throw ConfigurationError("\(parameter: "normalizeTargets") standardises numeric targets; class labels are not scaled (use \(parameter: "loss", value: "mse") or l1 for numeric targets)")
        }
        let k = data.targetWidth, n = data.count
        var sum = [Double](repeating: 0, count: k), square = [Double](repeating: 0, count: k)
        for i in 0..<n {
            for j in 0..<k {
                let t = Double(data.targets[i * k + j])
                sum[j] += t
                square[j] += t * t
            }
        }
        var means = [Float](repeating: 0, count: k), deviations = [Float](repeating: 1, count: k)
        for j in 0..<k {
            let m = sum[j] / Double(max(n, 1))
            let variance = max(square[j] / Double(max(n, 1)) - m * m, 0)
            means[j] = Float(m)
            deviations[j] = variance > 1e-12 ? Float(variance.squareRoot()) : 1
        }
        self.means = means
        self.deviations = deviations
    }

    /// `data` with standardised targets; its target width must match the fitted one.
    public func apply(to data: Dataset) throws(ConfigurationError) -> Dataset {
        let k = means.count
        guard data.targetWidth == k, data.classCount == nil else {
            throw ConfigurationError("\(data.name) has \(data.targetWidth) target value(s) per sample but the target scaling was fitted on \(k)")
        }
        var t = data.targets
        for i in 0..<data.count {
            for j in 0..<k { t[i * k + j] = (t[i * k + j] - means[j]) / deviations[j] }
        }
        return data.replacingTargets(t)
    }

    /// Model outputs (row-major, `means.count` per sample) mapped back to the targets' units.
    public func restore(_ outputs: [Float]) -> [Float] {
        let k = means.count
        return outputs.enumerated().map { i, z in z * deviations[i % k] + means[i % k] }
    }
}
