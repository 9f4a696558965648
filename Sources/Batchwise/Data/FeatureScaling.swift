/// How features are scaled before training: fitted on the training set, stored in the
/// checkpoint, and applied unchanged to test, validation and prediction data.
///
/// x' = (x / divisor − offset_j) · factor_j, with per-feature offset and factor from:
/// - `none`: offset 0, factor 1;
/// - `minmax`: to [0, 1] over the training set (constant features map to 0);
/// - `standard`: zero mean and unit variance over the training set (constant features: factor 1).
public struct FeatureScaling: Sendable, Equatable, Codable {
    /// The scaling rule: `none`, `minmax` or `standard` (see ``FeatureScaling``); the raw value is
    /// the name used on the command line and in checkpoints.
    public enum Kind: String, Sendable, Codable, CaseIterable { case none, minmax, standard }

    /// The rule the offsets and factors were fitted with.
    public let kind: Kind
    /// Every raw value is divided by this first (`--scale 255` for bytes).
    public let divisor: Float
    /// Per-feature offsets, subtracted after dividing by `divisor`; one per feature.
    public let offsets: [Float]
    /// Per-feature factors, multiplied in last; one per feature.
    public let factors: [Float]

    /// Fits the scaling on `data`.
    public init(kind: Kind, divisor: Float = 1, fittedOn data: Dataset) throws(ConfigurationError) {
        guard divisor.isFinite && divisor > 0 else {
            throw ConfigurationError("\(parameter: "divisor") must be a finite number above 0 (got \(divisor))")
        }
        let d = data.featureWidth, n = data.count
        var offsets = [Float](repeating: 0, count: d), factors = [Float](repeating: 1, count: d)
        switch kind {
        case .none: break
        case .minmax:
            var lo = [Float](repeating: .infinity, count: d), hi = [Float](repeating: -.infinity, count: d)
            for i in 0..<n {
                for j in 0..<d {
                    let x = data.features[i * d + j] / divisor
                    lo[j] = min(lo[j], x)
                    hi[j] = max(hi[j], x)
                }
            }
            for j in 0..<d {
                offsets[j] = lo[j]
                factors[j] = hi[j] > lo[j] ? 1 / (hi[j] - lo[j]) : 1
            }
        case .standard:
            var mean = [Double](repeating: 0, count: d), square = [Double](repeating: 0, count: d)
            for i in 0..<n {
                for j in 0..<d {
                    let x = Double(data.features[i * d + j] / divisor)
                    mean[j] += x
                    square[j] += x * x
                }
            }
            for j in 0..<d {
                let m = mean[j] / Double(max(n, 1))
                let variance = max(square[j] / Double(max(n, 1)) - m * m, 0)
                offsets[j] = Float(m)
                factors[j] = variance > 1e-12 ? Float(1 / variance.squareRoot()) : 1
            }
        }
        self.kind = kind
        self.divisor = divisor
        self.offsets = offsets
        self.factors = factors
    }

    /// Whether applying it changes nothing.
    public var isIdentity: Bool { kind == .none && divisor == 1 }

    /// `data` with its features scaled; its width must match the fitted one.
    public func apply(to data: Dataset) throws(ConfigurationError) -> Dataset {
        if isIdentity { return data }
        let d = offsets.count
        guard data.featureWidth == d else {
            throw ConfigurationError("\(data.name) has \(data.featureWidth) features but the scaling was fitted on \(d)")
        }
        var features = data.features
        for i in 0..<data.count {
            for j in 0..<d { features[i * d + j] = (features[i * d + j] / divisor - offsets[j]) * factors[j] }
        }
        return Dataset(name: data.name, features: features, targets: data.targets, featureWidth: d,
                       targetWidth: data.targetWidth, classCount: data.classCount, classNames: data.classNames, sampleShape: data.sampleShape)
    }
}
