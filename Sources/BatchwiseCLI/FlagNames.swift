import Batchwise

/// The `batchwise` flag that sets each library parameter an error names: the one place where
/// library errors (which name API parameters, see `ErrorText`) become advice about flags.
enum FlagNames {
    /// API parameter → flag (or the words for it).
    static let flags: [String: String] = [
        "adaptEvery": "--adapt-every",
        "allReduce": "--all-reduce",
        "BatchSizeTarget.accuracy": "--target-accuracy",
        "BatchSizeTarget.loss": "--target-loss",
        "batchSize": "--batch-size",
        "classCount": "--classes",
        "delimiter": "--delimiter",
        "drop": "--drop",
        "header": "--header",
        "input": "--input-shape",
        "inputShape": "--input-shape",
        "spec": "--model",
        "batchSizes": "--batch-sizes",
        "baseBatchSize": "--base-batch-size",
        "checkpointEvery": "--checkpoint-every",
        "checkEvery": "--check-every",
        "divisor": "--scale",
        "grain": "--grain",
        "labelColumn": "--label",
        "labels": "--labels",
        "lastBatch": "--last-batch",
        "learningRate": "--lr",
        "loss": "--loss",
        "maxBatchSize": "--batch-size",
        "maxEpochs": "--max-epochs",
        "microsharding": "--reproducible",
        "minimumEfficiency": "--min-efficiency",
        "momentum": "--momentum",
        "normalizeTargets": "--normalize-targets",
        "oversubscribe": "--oversubscribe",
        "path": "--data or --test",
        "placement": "--placement",
        "threadCounts": "--threads",
        "timedSteps": "--steps",
        "validationSplit": "--validation-split",
        "warmupSteps": "--warmup-steps",
        "weightDecay": "--weight-decay",
        "widths": "--layers",
        "workers": "--threads",
    ]

    /// Parameters set by a flag that takes no value: a suggested `true` is the flag alone.
    static let switches: Set<String> = ["oversubscribe", "microsharding", "normalizeTargets"]

    /// `text` with each parameter as its flag (and a suggested value after it).
    static func render(_ text: ErrorText) -> String {
        text.rendered { parameter, value in
            guard let flag = flags[parameter] ?? flags[ErrorText.bareName(parameter)] else {
                return "`" + ErrorText.bareName(parameter) + (value.map { ": " + $0 } ?? "") + "`"
            }
            guard let value, !(switches.contains(parameter) && value == "true") else { return flag }
            return flag + " " + flagValue(value)
        }
    }

    /// A suggested value as typed after a flag: a shape or list the library writes `[1, 28, 28]`
    /// is `1,28,28` on the command line.
    static func flagValue(_ value: String) -> String {
        guard value.hasPrefix("["), value.hasSuffix("]") else { return value }
        return value.dropFirst().dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ",")
    }

    /// The message of a library error as the command prints it, or nil for another error.
    static func message(for error: any Error) -> String? {
        switch error {
        case let e as ConfigurationError: render(e.text)
        case let e as DataError: e.located(render(e.text))
        case let e as TrainingError: render(e.text)
        default: nil
        }
    }
}
