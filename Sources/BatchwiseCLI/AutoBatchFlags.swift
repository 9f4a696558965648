import Batchwise

/// `--batch-size auto` and `auto:MIN..MAX` with `--adapt-every`, `--min-efficiency` and the
/// `--lr-scaling` rules it takes (adascale, sqrt, linear, none). The largest batch defaults to
/// one that depends on the data (min(4096, training samples / 4)), so the flags are read before
/// the data is loaded and become an `AdaptiveBatchSize` after.
struct AutoBatchFlags: Equatable {
    /// MIN, or nil for the default (`--base-batch-size`, else 32).
    let minimum: Int?
    /// MAX, or nil for the default.
    let maximum: Int?

    /// `auto` or `auto:MIN..MAX` (either end may be left out: `auto:64..`, `auto:..1024`); nil
    /// for a batch size or schedule of numbers.
    static func parse(_ text: String) throws -> AutoBatchFlags? {
        let lower = text.lowercased().trimmingCharacters(in: .whitespaces)
        guard lower.hasPrefix("auto") else { return nil }
        if lower == "auto" { return AutoBatchFlags(minimum: nil, maximum: nil) }
        let bad = ConfigurationError("--batch-size '\(text)' is not auto or auto:MIN..MAX (such as auto:32..1024)")
        guard lower.hasPrefix("auto:") else { throw bad }
        let range = lower.dropFirst(5).components(separatedBy: "..")
        guard range.count == 2 else { throw bad }
        func end(_ s: String) throws -> Int? {
            if s.isEmpty { return nil }
            guard let n = Int(s), n >= 1 else { throw bad }
            return n
        }
        let flags = AutoBatchFlags(minimum: try end(range[0]), maximum: try end(range[1]))
        if let a = flags.minimum, let b = flags.maximum, b < a {
            throw ConfigurationError("--batch-size \(text): the largest batch \(b) is below the smallest \(a)")
        }
        return flags
    }

    /// B₀: MIN, or `--base-batch-size`, or 32 — refusing a `--base-batch-size` that is not MIN.
    func minimum(baseBatchSize: Int?) throws -> Int {
        if let minimum, let baseBatchSize, minimum != baseBatchSize {
            throw ConfigurationError("--base-batch-size \(baseBatchSize) and --batch-size auto:\(minimum)..: under auto the base batch is the smallest one; give one of them")
        }
        if let b = baseBatchSize, b < 1 { throw ConfigurationError("--base-batch-size must be at least 1 (got \(b))") }
        return minimum ?? baseBatchSize ?? AdaptiveBatchSize.defaultMinimum
    }

    /// The settings, once the training set's size is known.
    func settings(baseBatchSize: Int?, trainingSamples: Int, adaptEvery: Int?, minimumEfficiency: Double?,
                  scaling: String?, optimizerIsSGD: Bool) throws -> AdaptiveBatchSize {
        let b0 = try minimum(baseBatchSize: baseBatchSize)
        let top = maximum ?? AdaptiveBatchSize.defaultMaximum(trainingSamples: trainingSamples, minimum: b0)
        guard top <= trainingSamples else {
            throw ConfigurationError("--batch-size auto:\(b0)..\(top): the largest batch is more than the \(trainingSamples) training samples; give a smaller MAX")
        }
        let rule = try Self.scaling(scaling, optimizerIsSGD: optimizerIsSGD)
        do {
            return try AdaptiveBatchSize(minimum: b0, maximum: top, adaptEvery: adaptEvery ?? AdaptiveBatchSize.defaultAdaptEvery,
                                         minimumEfficiency: minimumEfficiency ?? AdaptiveBatchSize.defaultMinimumEfficiency,
                                         scaling: rule)
        } catch { throw ConfigurationError("\(FlagNames.render(error.text))") }
    }

    /// `--lr-scaling` under auto: adascale (default for SGD), sqrt (default for Adam and
    /// AdamW), linear or none.
    static func scaling(_ text: String?, optimizerIsSGD: Bool) throws -> AdaptiveBatchSize.Scaling {
        guard let text else { return optimizerIsSGD ? .adascale : .sqrt }
        guard let s = AdaptiveBatchSize.Scaling(rawValue: text.lowercased()) else {
            throw ConfigurationError("--lr-scaling under --batch-size auto must be adascale, sqrt, linear or none (got '\(text)')")
        }
        return s
    }

    /// How `--batch-size` reads when its value is stored as `settings`, for comparing a
    /// resumed run's flag with the checkpoint: `auto:MIN..MAX`.
    static func text(_ settings: AdaptiveBatchSize) -> String { "auto:\(settings.minimum)..\(settings.maximum)" }

    /// This flag as `text(_:)` spells it, its defaults filled in for a run on `trainingSamples`.
    func text(baseBatchSize: Int?, trainingSamples: Int) throws -> String {
        let b0 = try minimum(baseBatchSize: baseBatchSize)
        return "auto:\(b0)..\(maximum ?? AdaptiveBatchSize.defaultMaximum(trainingSamples: trainingSamples, minimum: b0))"
    }
}
