/// Training stopped because the numbers went bad.
public struct TrainingError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, with the parameters it names (see `ErrorText`).
    public let text: ErrorText
    /// Creates the error; a literal may name parameters with `\(parameter:)`.
    public init(_ text: ErrorText) { self.text = text }
    /// The message with each parameter under its API name.
    public var message: String { text.description }
    /// The same as `message`.
    public var description: String { message }

    static func nonFinite(step: Int, epoch: Int, learningRate: Float, weightDecay: Float = 0) -> TrainingError {
        // SGD's L2 term and AdamW's decay scale the weights by 1 − rate · decay each step:
        // at rate · decay ≥ 1 that flips or grows them, whatever the rate alone would do.
        let shrink = learningRate * weightDecay
        if weightDecay >= 1 || shrink >= 1 {
            return TrainingError("the loss became NaN or infinite at step \(step) (epoch \(epoch)); the weight decay \(weightDecay) is too large: with the learning rate \(learningRate) each step scales the weights by 1 − \(shrink), which makes them grow instead of shrink — try a much smaller \(parameter: "weightDecay") (such as 1e-4)")
        }
        return TrainingError("the loss became NaN or infinite at step \(step) (epoch \(epoch)); the learning rate \(learningRate) is probably too high — try a smaller \(parameter: "learningRate")")
    }

    static func nonFiniteWeights(steps: ClosedRange<Int>, epoch: Int, learningRate: Float) -> TrainingError {
        let when = steps.count == 1 ? "at step \(steps.lowerBound)" : "in steps \(steps.lowerBound)…\(steps.upperBound)"
        return TrainingError("the weights became NaN or infinite \(when) (epoch \(epoch)) although the loss was finite: an update overflowed; the learning rate \(learningRate) is probably too high — try a smaller \(parameter: "learningRate"), or scale the features (\(parameter: "divisor"))")
    }

    /// `count` of the `total` weights of `what` are NaN or infinite: nothing they compute can
    /// be trusted.
    public static func nonFiniteWeights(in what: String, count: Int, total: Int) -> TrainingError {
        TrainingError("\(what) holds NaN or infinite weights (\(count) of \(total) values): the run that wrote it diverged; train again with a smaller \(parameter: "learningRate")")
    }
}

/// What one epoch of training measured.
public struct EpochReport: Sendable {
    /// The epoch (1-based).
    public let epoch: Int
    /// Optimizer steps taken in the epoch.
    public let steps: Int
    /// Training samples the epoch's steps used.
    public let samples: Int
    /// Mean per-sample training loss over the epoch (weights changing as it goes).
    public let trainLoss: Double
    /// Share of training samples classified correctly during the epoch (classification only).
    public let trainAccuracy: Double?
    /// Wall-clock seconds the epoch's steps took.
    public let seconds: Double
    /// How the workers spent the epoch: computing, waiting at barriers, reducing and updating.
    public let phases: StepPhases
    /// Training throughput: `samples / seconds` (0 for an epoch that took no time).
    public var samplesPerSecond: Double { seconds > 0 ? Double(samples) / seconds : 0 }
}

/// Loss and accuracy of the current weights on a dataset.
public struct Evaluation: Sendable {
    /// Samples evaluated.
    public let samples: Int
    /// Mean per-sample loss.
    public let loss: Double
    /// Share classified correctly (classification only).
    public let accuracy: Double?
}
