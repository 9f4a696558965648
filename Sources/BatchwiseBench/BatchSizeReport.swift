import Batchwise
import BatchwiseReporting
import Foundation

/// What a batch-size sweep ran on, for the report's header and the plot's subtitle.
public struct BatchSizeSetup: Sendable, Equatable {
    /// "digits", "synthetic 10000".
    public var task: String
    /// Samples in the training set.
    public var trainingSamples: Int
    /// Samples in the validation set the target is measured on.
    public var validationSamples: Int
    /// Layer widths of the MLP, input first; empty for a spec model.
    public var widths: [Int]
    /// The model as `BenchModel` describes it: "64-128-10 relu", or a spec "on" its input shape.
    public var model: String
    /// Worker threads every run trained on.
    public var threads: Int
    /// The OS indices of the PUs the workers ran on, worker order (empty when not recorded).
    public var processingUnits: [Int]
    /// The seed of the initial weights and the shuffles, the same for every batch size.
    public var seed: UInt64
    /// What each run trains until.
    public var target: BatchSizeTarget
    /// "0.05 × B/32 (linear scaling)".
    public var learningRateRule: String
    /// The most epochs a run trains before it gives up on the target.
    public var maxEpochs: Int
    /// The machine, as in "2 core(s), 2 PU(s)".
    public var machine: String
    /// When the sweep started, ISO 8601 in UTC.
    public var date: String
    /// Steps between the target checks within an epoch (`BatchSizeSweep.checkEvery`); nil:
    /// the target was checked at epoch ends only.
    public var checkEvery: Int? = nil
    /// "once per epoch", or "every N steps and at each epoch's end".
    public var checkRule: String { checkEvery.map { "every \($0) step(s) and at each epoch's end" } ?? "once per epoch" }

    /// A setup with these values; see the properties for what each is.
    public init(task: String, trainingSamples: Int, validationSamples: Int, widths: [Int], model: String? = nil, threads: Int,
                processingUnits: [Int] = [], seed: UInt64, target: BatchSizeTarget, learningRateRule: String,
                maxEpochs: Int, machine: String, date: String) {
        self.model = model ?? widths.map(String.init).joined(separator: "-") + " relu"
        self.task = task
        self.trainingSamples = trainingSamples
        self.validationSamples = validationSamples
        self.widths = widths
        self.threads = threads
        self.processingUnits = processingUnits
        self.seed = seed
        self.target = target
        self.learningRateRule = learningRateRule
        self.maxEpochs = maxEpochs
        self.machine = machine
        self.date = date
    }

    /// "64-128-10 relu", or a spec model's layers and input shape.
    public var modelName: String { model }
}

/// The runs of a batch-size sweep, by ascending batch size, with the figures drawn from them
/// all: the median noise scale, the steps–samples trade-off fitted to them, the table, the JSON.
public struct BatchSizeReport: BenchReport {
    /// What the sweep ran on.
    public let setup: BatchSizeSetup
    /// One run per fixed batch size, by ascending batch size.
    public let runs: [BatchSizeRun]
    /// The run that chose its own batch size as it trained (`--batch-size auto`), with the
    /// batch sizes it went through in `BatchSizeRun.batchSizes`; nil when not run. It is a row
    /// of the table and the JSON (`batch_size: "auto"`) and a point of the plot, never a point
    /// of the fit.
    public let auto: BatchSizeRun?
    /// McCandlish et al.'s trade-off fitted to the fixed-batch runs that reached the target
    /// (not diverged), or why it could not be.
    public let tradeoff: Result<BatchSizeTradeoff, BatchSizeTradeoff.Failure>

    /// The report of `runs` (in any order; sorted by batch size) and the `auto` run under `setup`.
    public init(setup: BatchSizeSetup, runs: [BatchSizeRun], auto: BatchSizeRun? = nil) {
        self.setup = setup
        self.runs = runs.sorted { $0.batchSize < $1.batchSize }
        self.auto = auto
        tradeoff = Result { () throws(BatchSizeTradeoff.Failure) in try BatchSizeTradeoff(points: Self.tradeoffPoints(runs)) }
    }

    /// The (S, E) points of the runs that reached the target without diverging, by batch size.
    static func tradeoffPoints(_ runs: [BatchSizeRun]) -> [BatchSizeTradeoff.Point] {
        runs.sorted { $0.batchSize < $1.batchSize }.compactMap { run in
            guard run.reached, !run.diverged, let s = run.stepsToTarget, let e = run.samplesToTarget else { return nil }
            return BatchSizeTradeoff.Point(steps: Double(s), samples: Double(e))
        }
    }

    /// Every key of a JSON row: the run's (`BatchSizeRun.CodingKeys`), then `summaryKeys`.
    public static var jsonColumns: [String] { BatchSizeRun.CodingKeys.allCases.map(\.rawValue) + summaryKeys }

    /// The fit, or nil when there is none.
    public var fit: BatchSizeTradeoff? { try? tradeoff.get() }

    /// The JSON keys every row carries beside its run's (`BatchSizeRun.CodingKeys`): the
    /// sweep's fit and median noise scale, the same in every row (`null` when there is none).
    public static let summaryKeys = ["tradeoff_steps_min", "tradeoff_samples_min", "tradeoff_critical_batch_size",
                                     "median_noise_scale"]

    /// The median of the runs' noise-scale estimates, nil when none was measured. Only positive
    /// finite estimates count: B_simple = tr(Σ)/|G|² is positive, and a smoothed estimate at or
    /// below zero is noise. (An even count gives the mean of the two middle values.)
    public var medianNoiseScale: Double? {
        Self.median(runs.compactMap(\.noiseScale))
    }

    static func median(_ estimates: [Double]) -> Double? {
        let usable = estimates.filter { $0.isFinite && $0 > 0 }
        return usable.isEmpty ? nil : Percentiles(usable).median
    }

    /// The runs as a JSON array, one object per batch size and then the auto run (keys sorted,
    /// pretty-printed; a figure that does not exist is `null`): each run's keys and the
    /// `summaryKeys`. Every Double is finite or nil by construction.
    public func json() -> String {
        let fit = self.fit, noise = medianNoiseScale
        return ReportJSON.array((runs + (auto.map { [$0] } ?? [])).map { JSONRow(run: $0, fit: fit, medianNoiseScale: noise) })
    }

    /// A run's JSON object with the sweep's summary figures added.
    private struct JSONRow: Encodable {
        let run: BatchSizeRun
        let fit: BatchSizeTradeoff?
        let medianNoiseScale: Double?

        struct Key: CodingKey {
            let stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            try run.encode(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            let values = [fit?.minimumSteps, fit?.minimumSamples, fit?.criticalBatchSize, medianNoiseScale]
            for (key, value) in zip(BatchSizeReport.summaryKeys, values) {
                try c.encode(value.flatMap { $0.isFinite ? $0 : nil }, forKey: Key(stringValue: key))
            }
        }
    }

    /// The steps-to-target and samples-to-target plot.
    public var figure: BatchSizePlot { BatchSizePlot(report: self) }

    // MARK: Table

    /// The report as text for a terminal: what ran, one row per batch size, then notes.
    public func table() -> String {
        let s = setup
        let header = [
            "task: \(s.task), \(s.trainingSamples) training, \(s.validationSamples) validation samples; machine: \(s.machine); \(s.date)",
            "model: \(s.modelName), cross-entropy; SGD momentum \(BatchSizeSweep.momentum), lr \(s.learningRateRule)",
            "run: to \(s.target) or \(s.maxEpochs) epochs, \(s.threads) thread(s)"
                + (s.processingUnits.isEmpty ? "" : " on PU \(s.processingUnits.map(String.init).joined(separator: ","))")
                + ", seed \(s.seed), same initial weights at every batch size",
        ]
        let table = TextTable<BatchSizeRun>(columns: [
            ("batch", { $0.batchSizes == nil ? String($0.batchSize) : "auto" }),
            ("lr", { String(format: "%.4g", $0.learningRate) }),
            ("epochs", { $0.epochsToTarget.map(String.init) ?? Self.missed($0) }),
            ("steps", { $0.stepsToTarget.map { Self.grouped(Double($0)) } ?? Self.missed($0) }),
            ("samples", { $0.samplesToTarget.map { Self.grouped(Double($0)) } ?? Self.missed($0) }),
            ("samples/s", { $0.samplesPerSecond.map(Self.grouped) ?? "—" }),
            ("val loss", { $0.finalValidationLoss.map { String(format: "%.4f", $0) } ?? "—" }),
            ("val acc", { $0.finalValidationAccuracy.map { String(format: "%.2f%%", $0 * 100) } ?? "—" }),
            ("noise scale", { $0.noiseScale.map { String(format: "%.1f", $0) } ?? "—" }),
            ("to target", { $0.secondsToTarget.map(ScalingReport.duration) ?? Self.missed($0) }),
            ("wall", { ScalingReport.duration($0.wallSeconds) }),
        ])
        return table.report(header: header, rows: runs + (auto.map { [$0] } ?? []), notes: notes())
    }

    private func notes() -> [String] {
        let s = setup
        var notes = [
            s.checkEvery == nil
                ? "epochs, steps, samples: to the end of the first epoch whose validation met the target (\(s.target)); the validation set is evaluated once per epoch, so each is exact at that epoch boundary and the target may have been crossed earlier in the epoch. samples = epochs × \(s.trainingSamples)."
                : "epochs, steps, samples: to the first check whose validation met the target (\(s.target)); the validation set is evaluated \(s.checkRule), so each is exact at that check and the target may have been crossed up to \(s.checkEvery!) step(s) earlier; epochs: the epoch of that check.",
            s.checkEvery == nil
                ? "val loss, val acc: at the last epoch run; samples/s: training throughput over those epochs (validation not counted); to target: training time to that epoch's end (validation not counted); wall: the whole run."
                : "val loss, val acc: at the check that met the target, else at the last epoch run; samples/s: training throughput over the completed epochs (validation not counted); to target: training time to that check (validation not counted); wall: the whole run.",
        ]
        if let auto, let sizes = auto.batchSizes {
            notes.append("auto: the batch size chosen while training, through " + sizes.map(String.init).joined(separator: " → ") + "; not part of the fit.")
        }
        if runs.contains(where: { !$0.reached }) {
            notes.append("never: the target was not met within \(s.maxEpochs) epochs; diverged: the loss became NaN or infinite (the learning rate is too high for that batch size).")
        }
        if s.threads < 2 {
            notes.append("noise scale: not measured with 1 thread (the estimate compares the shards of a batch; use --threads 2 or more).")
        } else if let median = medianNoiseScale {
            notes.append("noise scale: B_simple = tr(Σ)/|G|² (McCandlish et al. 2018) as the trainer estimated it at the run's last epoch; median over the runs "
                         + String(format: "%.1f", median)
                         + ". Well below it, doubling the batch roughly halves the steps to the target; well above it, doubling buys few fewer steps and costs more samples.")
        } else {
            notes.append("noise scale: no run produced a positive estimate.")
        }
        notes.append(tradeoffNote())
        return notes
    }

    /// The summary line of the fit, beside the measured noise scale.
    func tradeoffNote() -> String {
        let head = "trade-off (S/S_min − 1)(E/E_min − 1) = 1 (McCandlish et al. 2018, eq. 2.11), fitted to the (steps, samples) of the batch sizes that reached the target: "
        switch tradeoff {
        case .failure(let failure):
            return head + "no fit: \(failure)."
        case .success(let fit):
            let noise = medianNoiseScale.map { "; measured noise scale B_simple " + String(format: "%.1f", $0) } ?? ""
            return head + "S_min " + String(format: "%.4g", fit.minimumSteps) + " steps, E_min " + Self.grouped(fit.minimumSamples)
                + " samples, B_crit = E_min/S_min " + String(format: "%.1f", fit.criticalBatchSize) + noise
                + " (over \(fit.points.count) batch sizes, rms log residual " + String(format: "%.3f", fit.rmsLogResidual) + ")."
        }
    }

    private static func missed(_ run: BatchSizeRun) -> String { run.diverged ? "diverged" : "never" }

    /// "95%", "97.5%".
    static func percent(_ share: Double) -> String { String(format: "%g%%", share * 100) }

    static func grouped(_ value: Double) -> String { ScalingReport.grouped(value) }
}
