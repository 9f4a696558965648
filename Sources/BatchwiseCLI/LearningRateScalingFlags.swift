import Batchwise

/// `--lr-scaling` (none or linear) with `--base-batch-size`, as `train` and `bench batch-size`
/// take them; the two differ only in their defaults.
enum LearningRateScalingFlags {
    /// The batch size at which `--lr` applies under linear scaling (×batch/base, Goyal et al.
    /// 2017), or nil under none.
    /// - Parameters:
    ///   - scaling: `--lr-scaling` as given, in any case; nil for `defaultScaling`.
    ///   - defaultScaling: the command's default, `none` or `linear`; an unknown word's error
    ///     names it first.
    ///   - baseBatchSize: `--base-batch-size`, which only linear scaling takes.
    ///   - defaultBase: linear scaling's base without `--base-batch-size`; nil requires the flag.
    static func base(scaling: String?, default defaultScaling: String, baseBatchSize: Int?, defaultBase: Int?) throws -> Int? {
        let scaling = scaling ?? defaultScaling
        switch scaling.lowercased() {
        case "none":
            if baseBatchSize != nil { throw ConfigurationError("--base-batch-size needs --lr-scaling linear") }
            return nil
        case "linear":
            guard let base = baseBatchSize ?? defaultBase else {
                throw ConfigurationError("--lr-scaling linear needs --base-batch-size N (the batch size --lr was tuned for)")
            }
            return base
        case "adascale", "sqrt":
            throw ConfigurationError("--lr-scaling \(scaling.lowercased()) follows the batch that --batch-size auto chooses; with a fixed batch size use none or linear")
        default:
            let choices = defaultScaling == "none" ? "none or linear" : "linear or none"
            throw ConfigurationError("--lr-scaling must be \(choices) (got '\(scaling)')")
        }
    }
}
