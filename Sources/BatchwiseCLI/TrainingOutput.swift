import Batchwise
import BatchwiseReporting
import Foundation

/// What `batchwise train` shows and writes while it runs: the header, a progress bar or one
/// line per epoch, the metrics log, the plot, and the closing summary.
final class TrainingOutput {
    let session: TrainingSession
    let data: RunData
    let progressBar: ProgressBar
    let timing: Bool
    /// Opened at the first epoch's end (so a run that fails before it leaves an existing file
    /// as it was), or at once for `-`, which takes standard output over before anything is printed.
    private var metricsLog: MetricsLog?
    private let metricsPath: String?
    private let appendMetrics: Bool
    let plotPath: String?
    private var barEpoch = 0
    /// The clock of this process's part of the run: per-epoch wall time and the whole-run ETA.
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var lastEpochEnd: ContinuousClock.Instant
    /// Steps done before this process began (a resumed run's).
    private let stepsAtStart: Int
    /// Epochs finished before this process began.
    private let historyAtStart: Int

    init(session: TrainingSession, data: RunData, quiet: Bool, timing: Bool, metrics: String?, appendMetrics: Bool, plot: String?) throws {
        self.session = session
        self.data = data
        self.timing = timing
        progressBar = ProgressBar(epochs: session.configuration.epochs, quiet: quiet)
        metricsPath = metrics
        self.appendMetrics = appendMetrics
        if metrics == "-" { metricsLog = try MetricsLog(path: "-") }
        plotPath = plot
        started = clock.now
        lastEpochEnd = started
        stepsAtStart = session.state.scheduleStep
        historyAtStart = session.state.history.count
    }

    func header(plan: PlacementPlan, processes: Int, resumedFrom: (dir: String, state: TrainingState, threads: Int)?) {
        let c = session.configuration
        let validation = data.validation.map { ", \($0.count) \(data.validationName)" } ?? ""
        print("data: \(data.train.name), \(data.train.count) training\(validation) samples, \(data.train.featureWidth) features")
        data.printNotes()
        print("model: \(c.modelDescription), \(session.trainer.trainableParameterCount) parameters; \(c.optimizer)")
        if let model = session.trainer.trainedModel as? Sequential { print(model.summary.text, terminator: "") }
        var schedule = "batch \(batchText), lr \(c.learningRate.base)"
        if c.learningRate.shape != .constant { schedule += " \(c.learningRate.shape)" }
        if c.learningRate.warmupSteps > 0 { schedule += ", warmup \(c.learningRate.warmupSteps) steps" }
        if let b0 = c.learningRate.scalingBaseBatchSize { schedule += ", ×batch/\(b0)" }
        if let auto = c.adaptiveBatch { schedule += " at batch \(auto.minimum), " + Self.scalingText(auto) }
        print("training: \(schedule), \(c.epochs) epochs, \(plan.workerCount) thread(s) \(plan.placement) on PU \(plan.units.map { String($0.osIndex) }.joined(separator: ",")), seed \(c.seed)")
        if processes > 1 {
            print("distributed: \(processes) MPI processes × \(plan.workerCount) thread(s); each batch is cut across processes, then threads")
        }
        if timing {
            print("all-reduce: " + (session.trainer.strategy == .replicatedPair
                ? "replicated pair (each thread sums the whole gradient and updates its own copy of the weights; one barrier per step)"
                : "reduce-scatter (each thread sums and updates its slice of the weights; two barriers per step)"))
        }
        if let auto = c.adaptiveBatch {
            print("batch size: auto over \(auto.grid.map(String.init).joined(separator: ", ")); decided at each epoch's start and every \(auto.adaptEvery) steps, "
                  + (c.microsharding != nil ? "by efficiency alone (the largest batch keeping \(auto.minimumEfficiency) of it; --reproducible)"
                                           : "for the most goodput (measured throughput × statistical efficiency)"))
        }
        if let m = c.microsharding {
            print("reproducible: \(m); the weights do not depend on the thread count or placement")
        } else if plan.workerCount * processes < 2 {
            print("noise scale: needs two or more threads (or --reproducible); not measured")
        }
        if let r = resumedFrom {
            print("resumed: from \(r.dir) at epoch \(r.state.epoch), step \(r.state.stepInEpoch) of the epoch (\(r.state.scheduleStep) steps done)")
            if r.threads != plan.workerCount && session.configuration.microsharding == nil {
                print("note: the run was started with \(r.threads) thread(s); with \(plan.workerCount) it continues correctly but its weights will not be bit-identical to an uninterrupted run")
            }
        }
        fflush(nil)
    }

    func events() -> TrainingSession.Events {
        var events = TrainingSession.Events()
        events.progress = { [self] p in
            startEpochIfNeeded(p.epoch, steps: p.steps)
            progressBar.update(ProgressLine(epoch: p.epoch, epochs: session.configuration.epochs, batch: p.step, batches: p.steps,
                                            samplesPerSecond: p.samplesPerSecond, loss: p.runningLoss, elapsedSeconds: p.elapsedSeconds))
        }
        events.epochEnd = { [self] record in
            startEpochIfNeeded(record.epoch, steps: 0)
            progressBar.endEpoch(summary: line(record))
            if metricsLog == nil, let metricsPath { metricsLog = try MetricsLog(path: metricsPath, appending: appendMetrics) }
            try metricsLog?.append(record)
            if let plotPath { try plot().write(to: plotPath) }
        }
        return events
    }

    private func startEpochIfNeeded(_ epoch: Int, steps: Int) {
        if barEpoch != epoch {
            barEpoch = epoch
            progressBar.beginEpoch(epoch, batches: steps)
        }
    }

    private func line(_ r: EpochRecord) -> String {
        var s = "epoch \(r.epoch)/\(session.configuration.epochs)  train loss \(format(r.trainLoss, 4))"
        if let l = r.validationLoss { s += "  \(shortName) loss \(format(l, 4))" }
        if let a = r.validationAccuracy { s += "  \(shortName) acc \(format(a * 100, 2))%" }
        s += "  \(Int(r.samplesPerSecond.rounded())) samples/s"
        if session.configuration.adaptiveBatch != nil {
            s += "  batch \(r.batchSize)"
            if let g = r.gain, let e = r.efficiency { s += " (gain \(format(g, 2)), efficiency \(format(e * 100, 0))%)" }
        }
        if let b = r.noiseScale {
            s += "  noise scale " + (b.isFinite ? (b >= 100 ? String(Int(b.rounded())) : String(format: "%.3g", b)) : "∞ (gradient below noise)")
        }
        if session.configuration.learningRate.shape != .constant || session.configuration.learningRate.warmupSteps > 0 {
            s += "  lr \(String(format: "%.3g", r.learningRate))"
        }
        if let a = r.trainAccuracy { s += "  train acc \(format(a * 100, 2))%" }
        s += "  " + epochTimes(r)
        if let skipped = session.state.history.last.map({ _ in session.state.skippedTotal }), skipped > 0 {
            s += "  (\(skipped) non-finite batch(es) skipped so far)"
        }
        if timing, let p = session.lastPhases {
            let total = max(p.compute + p.barrier + p.allReduce + p.crossProcess, 1e-12)
            s += "  [compute \(format(100 * p.compute / total, 0))%, barrier \(format(100 * p.barrier / total, 0))%, all-reduce \(format(100 * p.allReduce / total, 0))%"
            if p.crossProcess > 0 {
                let steps = max(session.state.history.last.map { _ in session.lastEpochSteps } ?? 1, 1)
                s += ", MPI_Allreduce \(format(100 * p.crossProcess / total, 0))% = \(format(p.crossProcess / Double(steps) * 1e6, 0)) µs/step"
            }
            s += "]"
        }
        return s
    }

    /// "time 1.23 s  ETA 0:45": the wall time of the epoch just ended (its part in this process,
    /// validation included) and, before the last epoch, the time left for the whole run at this
    /// process's mean seconds per step.
    private func epochTimes(_ r: EpochRecord) -> String {
        let now = clock.now
        var s = "time \(format(seconds(now - lastEpochEnd), 2)) s"
        lastEpochEnd = now
        let epochs = session.configuration.epochs
        let done = session.state.scheduleStep - stepsAtStart
        if r.epoch < epochs, done > 0 {
            let elapsed = seconds(now - started)
            if session.configuration.adaptiveBatch != nil {
                // The batch, and so the steps, change: at this process's time per epoch.
                let ran = max(session.state.history.count - historyAtStart, 1)
                s += "  ETA " + ProgressLine.clock(elapsed / Double(ran) * Double(epochs - r.epoch))
            } else {
                let left = (r.epoch + 1...epochs).reduce(0) { $0 + session.scheduler.steps(epoch: $1) }
                s += "  ETA " + ProgressLine.clock(elapsed / Double(done) * Double(left))
            }
        }
        return s
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    /// `64,256@5`, or `auto:32..1024`.
    private var batchText: String {
        let c = session.configuration
        return c.adaptiveBatch.map { "auto:\($0.minimum)..\($0.maximum)" } ?? "\(c.batchSizes)"
    }

    /// How the learning rate follows an auto batch: "lr ×gain (AdaScale)".
    static func scalingText(_ auto: AdaptiveBatchSize) -> String {
        switch auto.scaling {
        case .adascale: "lr ×gain (AdaScale)"
        case .sqrt: "lr ×√(batch/\(auto.minimum))"
        case .linear: "lr ×batch/\(auto.minimum)"
        case .none: "lr not scaled"
        }
    }

    private var shortName: String { data.validationName == "test" ? "test" : "val" }

    private func plot() -> TrainingPlot {
        let c = session.configuration
        return TrainingPlot(records: session.state.history,
                            title: "\(data.train.name) \(c.modelDescription), batch \(batchText), lr \(c.learningRate.base)",
                            batchSizes: (session.state.adaptive?.changes ?? []).map { .init(epochs: $0.epochs, batchSize: $0.decision.batchSize) })
    }

    /// The closing lines: for a stopped run, the one line that says where it stopped and the
    /// command that resumes it (`resumeCommand`, with a checkpoint directory); otherwise the
    /// summary and the weights' digest.
    func finish(_ outcome: TrainingSession.Outcome, checkpointDirectory: String?, resumeCommand: String?) throws {
        try metricsLog?.close()
        let state = session.state
        if case .stopped(let step, let reason) = outcome {
            let steps = session.stepsInEpoch
            var line = "stopped by \(StopSignals.name(Int32(reason))) at epoch \(state.epoch), step \(state.stepInEpoch) of \(steps) (\(step) steps done); "
            if let checkpointDirectory, let resumeCommand {
                line += "checkpoint at step \(step) in \(checkpointDirectory); resume with: \(resumeCommand)"
            } else {
                line += "nothing was saved (no --checkpoint-dir)"
            }
            // Replaces a live progress bar's line, or follows the last epoch's.
            progressBar.endEpoch(summary: line)
            if let plotPath, !state.history.isEmpty { try plot().write(to: plotPath) }
            return
        }
        // Skipped batches take no update: a run that skipped most of them learned from few.
        if state.skippedTotal > 0 && 2 * state.skippedTotal > state.scheduleStep {
            let kept = checkpointDirectory.map { "; the checkpoint in \($0) holds its last weights" } ?? ""
            throw TrainingError("\(state.skippedTotal) of \(state.scheduleStep) batches had a NaN or infinite loss and were skipped (--on-nonfinite skip), so the weights learned from only \(state.scheduleStep - state.skippedTotal)\(kept); the learning rate is probably too high — try a smaller \(parameter: "learningRate") — or the data holds extreme values (scale them with \(parameter: "divisor"))")
        }
        switch outcome {
        case .paused(let step):
            print("paused: \(step) steps done (--max-steps)" + (checkpointDirectory.map { "; continue with: batchwise train --resume \($0)" } ?? ""))
        case .stoppedEarly(let best):
            print("early stop: no \(shortName) improvement for \(session.configuration.patience!) epochs; keeping the weights of epoch \(best) (\(shortName) loss \(format(state.bestValidationLoss!, 4)))")
        case .completed, .stopped: break
        }
        do {
            var done = "done: \(state.history.count) epoch(s), \(state.optimizerSteps) steps in \(format(state.wallSeconds, 2)) s training time"
            if let v = data.validation {
                let e = try session.trainer.evaluate(on: v)
                done += ", \(data.validationName) loss \(format(e.loss, 4))"
                if let a = e.accuracy { done += ", \(data.validationName) accuracy \(format(a * 100, 2))%" }
            }
            if state.skippedTotal > 0 { done += ", \(state.skippedTotal) non-finite batch(es) skipped" }
            print(done)
        }
        print("weights sha256: \(session.trainer.weightsDigest())")
        if let plotPath, !state.history.isEmpty { try plot().write(to: plotPath) }
    }

    private func format(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
}
