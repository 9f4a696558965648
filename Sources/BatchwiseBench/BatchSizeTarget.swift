import Batchwise

/// What a batch-size sweep trains towards: a validation loss to get down to, or a validation
/// accuracy to get up to. The validation set is evaluated once at the end of every epoch, so a
/// run is known to have reached its target only at an epoch boundary.
public enum BatchSizeTarget: Sendable, Equatable, CustomStringConvertible {
    /// Reached once the mean validation loss is at most this.
    case validationLoss(Double)
    /// Reached once the share of validation samples classified correctly is at least this (0…1].
    case validationAccuracy(Double)

    /// The target the flags `--target-loss` and `--target-accuracy` name (at most one of them),
    /// or `default` when neither is given.
    /// - Throws: `ConfigurationError` when both are given, or a value is out of range: a loss must
    ///   be a finite number above 0, an accuracy above 0 and at most 1.
    public init(loss: Double?, accuracy: Double?, default: BatchSizeTarget = .validationAccuracy(0.95)) throws(ConfigurationError) {
        switch (loss, accuracy) {
        case (.some, .some):
            throw ConfigurationError("give either \(parameter: "BatchSizeTarget.loss") or \(parameter: "BatchSizeTarget.accuracy"), not both")
        case (.some(let loss), nil):
            guard loss.isFinite && loss > 0 else {
                throw ConfigurationError("\(parameter: "BatchSizeTarget.loss") must be a finite validation loss above 0 (got \(loss))")
            }
            self = .validationLoss(loss)
        case (nil, .some(let accuracy)):
            guard accuracy.isFinite && accuracy > 0 && accuracy <= 1 else {
                throw ConfigurationError("\(parameter: "BatchSizeTarget.accuracy") must be a share of the validation set above 0 and at most 1, such as 0.95 (got \(accuracy))")
            }
            self = .validationAccuracy(accuracy)
        case (nil, nil):
            self = `default`
        }
    }

    /// True when the epoch's end-of-epoch validation meets the target (false when it was not measured).
    public func isReached(by record: EpochRecord) -> Bool {
        isReached(validationLoss: record.validationLoss, validationAccuracy: record.validationAccuracy)
    }

    /// True when these validation figures meet the target (false when its figure is nil).
    public func isReached(validationLoss: Double?, validationAccuracy: Double?) -> Bool {
        switch self {
        case .validationLoss(let limit): validationLoss.map { $0.isFinite && $0 <= limit } ?? false
        case .validationAccuracy(let share): validationAccuracy.map { $0 >= share } ?? false
        }
    }

    /// `validation_loss` or `validation_accuracy`, as the JSON names it.
    public var metric: String {
        switch self {
        case .validationLoss: "validation_loss"
        case .validationAccuracy: "validation_accuracy"
        }
    }

    /// The value to reach: the loss at most, or the accuracy (a share in [0, 1]) at least.
    public var value: Double {
        switch self {
        case .validationLoss(let v), .validationAccuracy(let v): v
        }
    }

    /// "validation accuracy ≥ 95%", "validation loss ≤ 0.1".
    public var description: String {
        switch self {
        case .validationLoss(let v): "validation loss ≤ \(v)"
        case .validationAccuracy(let v): "validation accuracy ≥ \(BatchSizeReport.percent(v))"
        }
    }
}
