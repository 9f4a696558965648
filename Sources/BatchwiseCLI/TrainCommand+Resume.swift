import Batchwise
import Foundation

/// Resuming by re-running the same command: where the checkpoint comes from (`--resume DIR`
/// or `--resume auto`), the flags that must agree with it, and the command line that resumes
/// a stopped run.
extension TrainCommand {
    /// The directory to resume from, or nil for a new run: `--resume DIR`, or under
    /// `--resume auto` the `--checkpoint-dir` when it holds a checkpoint.
    func resumeDirectory() throws -> String? {
        guard let resume else { return nil }
        guard resume.lowercased() == "auto" else { return resume }
        guard let checkpointDir else {
            throw ConfigurationError("--resume auto needs --checkpoint-dir DIR: it continues the run checkpointed there, or starts it when there is none")
        }
        return FileManager.default.fileExists(atPath: checkpointDir + "/" + Checkpoint.fileName) ? checkpointDir : nil
    }

    /// A resumed run keeps its stored configuration: a flag that sets part of it is accepted
    /// when its value is the stored one (the same command line again) and refused when it
    /// differs. Only the epoch count, file locations, `--checkpoint-every` and where it runs
    /// may change.
    func resumedConfiguration(_ checkpoint: Checkpoint, from directory: String) throws -> TrainingConfiguration {
        var c = checkpoint.configuration
        for flag in try lockedFlags(c, trainingSamples: checkpoint.state.trainingSamples) where flag.given != nil && flag.given != flag.stored {
            throw ConfigurationError("\(flag.given!) cannot be changed when resuming: the run in \(directory) was started with \(flag.stored) (give that value or leave the flag out; to start a new run instead, drop --resume and give --overwrite or another --checkpoint-dir)")
        }
        if let epochs {
            let started = checkpoint.state.epoch - (checkpoint.state.stepInEpoch > 0 ? 0 : 1)
            guard epochs >= max(1, started) else {
                throw ConfigurationError("--epochs \(epochs) is fewer than the \(max(1, started)) epoch(s) this run has already begun")
            }
            c.epochs = epochs
        }
        if data != nil && c.data.path == nil {
            let what = c.data.synthetic.map { "seeded synthetic data (--synthetic \($0))" } ?? "the built-in digits"
            throw ConfigurationError("the run in \(directory) trained on \(what), not on a --data file; resume it without --data")
        }
        // The data may have moved; its values are checked against the checkpoint's digest
        // when the session starts.
        if let data { c.data.path = data }
        if let labels { c.data.labels = labels }
        if let test { c.data.test = test }
        if let testLabels { c.data.testLabels = testLabels }
        if let checkpointEvery { c.checkpointEvery = checkpointEvery }
        return c
    }

    /// Each flag stored in the checkpoint: as given (nil when not given) and as stored, both
    /// spelled the same way so that equal values compare equal (`--lr 0.050` is `--lr 0.05`).
    private func lockedFlags(_ c: TrainingConfiguration, trainingSamples: Int?) throws -> [(given: String?, stored: String)] {
        func flag(_ name: String, _ given: String?, _ stored: String?) -> (given: String?, stored: String) {
            (given.map { "\(name) \($0)" }, stored.map { "\(name) \($0)" } ?? "no \(name)")
        }
        func switchFlag(_ name: String, _ given: Bool, _ stored: Bool) -> (given: String?, stored: String) {
            (given ? name : nil, stored ? name : "no \(name)")
        }
        let sgd: SGD?, decay: Float, optimizerName: String
        switch c.optimizer {
        case .sgd(let o): (sgd, decay, optimizerName) = (o, o.weightDecay, "sgd")
        case .adam(let o): (sgd, decay, optimizerName) = (nil, o.weightDecay, o.decoupledWeightDecay ? "adamw" : "adam")
        }
        let schedule = c.learningRate
        let shape = try inputShapeFlag().map { $0.dimensions.map(String.init).joined(separator: ",") }
        return [
            flag("--model", try modelSpecFlag().map(\.text), c.modelSpec),
            flag("--input-shape", shape, c.modelSpec == nil ? nil : c.inputShape?.map(String.init).joined(separator: ",")),
            // A --model run stores no widths: it was started without --layers.
            flag("--layers", try layers.map { try MLP.widths(parsing: $0).map(String.init).joined(separator: ",") },
                 c.modelSpec != nil || c.layers.isEmpty ? nil : c.layers.map(String.init).joined(separator: ",")),
            flag("--activation", try activation.map { try Activation(parsing: $0).rawValue }, c.activation.rawValue),
            flag("--loss", try loss.map { try Loss(parsing: $0).rawValue }, c.loss.rawValue),
            flag("--optimizer", optimizer?.lowercased(), optimizerName),
            flag("--lr", lr.map(Self.number), Self.number(schedule.base)),
            flag("--momentum", momentum.map(Self.number), sgd.map { Self.number($0.momentum) }),
            switchFlag("--nesterov", nesterov, sgd?.nesterov ?? false),
            flag("--weight-decay", weightDecay.map(Self.number), Self.number(decay)),
            flag("--batch-size", try batchSize.map { text in
                if let auto = try AutoBatchFlags.parse(text) {
                    return try auto.text(baseBatchSize: baseBatchSize, trainingSamples: trainingSamples ?? 0)
                }
                return "\(try BatchSizeSchedule(parsing: text))"
            }, c.adaptiveBatch.map(AutoBatchFlags.text) ?? "\(c.batchSizes)"),
            flag("--adapt-every", adaptEvery.map(String.init), c.adaptiveBatch.map { String($0.adaptEvery) }),
            flag("--min-efficiency", minEfficiency.map(Self.number), c.adaptiveBatch.map { Self.number($0.minimumEfficiency) }),
            flag("--last-batch", lastBatch?.lowercased(), c.lastBatch.rawValue),
            flag("--lr-schedule", try lrSchedule.map { Self.text(try LearningRateSchedule.parseShape($0)) }, Self.text(schedule.shape)),
            flag("--warmup-steps", warmupSteps.map(String.init), String(schedule.warmupSteps)),
            flag("--lr-scaling", lrScaling?.lowercased(),
                 c.adaptiveBatch?.scaling.rawValue ?? (schedule.scalingBaseBatchSize == nil ? "none" : "linear")),
            flag("--base-batch-size", baseBatchSize.map(String.init),
                 (c.adaptiveBatch?.minimum ?? schedule.scalingBaseBatchSize).map(String.init)),
            flag("--patience", patience.map(String.init), c.patience.map(String.init)),
            flag("--on-nonfinite", onNonfinite?.lowercased(), c.onNonFinite.rawValue),
            flag("--seed", seed.map(String.init), String(c.seed)),
            flag("--synthetic", synthetic.map(String.init), c.data.synthetic.map(String.init)),
            flag("--label", label, c.data.labelColumn),
            flag("--validation-split", validationSplit.map(Self.number), Self.number(c.data.validationSplit)),
            flag("--normalize", normalize?.lowercased(), c.data.normalize.rawValue),
            flag("--scale", scale.map(Self.number), Self.number(c.data.scale)),
            flag("--delimiter", delimiter, c.data.delimiter),
            flag("--header", try CSVFlags.header(header).map { $0 ? "yes" : "no" }, c.data.header.map { $0 ? "yes" : "no" }),
            flag("--drop", drop.map { CSVFlags.columns($0).joined(separator: ",") }, c.data.drop?.joined(separator: ",")),
            flag("--classes", classes.map(String.init), c.data.classes.map(String.init)),
            switchFlag("--normalize-targets", normalizeTargets, c.data.normalizeTargets ?? false),
            switchFlag("--reproducible", reproducible, c.microsharding != nil),
            flag("--grain", grain.map(String.init), c.microsharding.flatMap { m in
                if case .size(let n) = m { String(n) } else { nil }
            }),
        ]
    }

    /// A number as a person types it: `4`, not `4.0`; otherwise Swift's shortest exact form.
    private static func number<T: BinaryFloatingPoint & LosslessStringConvertible>(_ value: T) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    /// A learning-rate shape as `--lr-schedule` spells it.
    private static func text(_ shape: LearningRateSchedule.Shape) -> String {
        switch shape {
        case .constant: "constant"
        case .cosine(let floor): floor == 0 ? "cosine" : "cosine:\(floor)"
        case .step(let gamma, let epochs): "step:\(gamma)@" + epochs.map(String.init).joined(separator: ",")
        }
    }

    /// What resuming a run that has nothing left to train says instead of training.
    static func completeMessage(_ checkpoint: Checkpoint, directory: String) -> String {
        let s = checkpoint.state, c = checkpoint.configuration
        if s.stoppedEarly {
            return "the run in \(directory) already ended: early stopping after epoch \(s.epoch - 1) kept the weights of epoch \(s.bestEpoch.map(String.init) ?? "?"); nothing is left to train (to train again, start a new run with --overwrite or another --checkpoint-dir)"
        }
        return "the run in \(directory) is already complete: \(c.epochs) of \(c.epochs) epoch(s), \(s.optimizerSteps) steps; nothing is left to train. To train it longer, resume with --epochs N (more than \(c.epochs))"
    }

    /// This process's command line with `--resume DIR` added (unless it has a `--resume`)
    /// and `--overwrite` left out, quoted for a POSIX shell: re-running it continues the run.
    static func resumeCommand(directory: String) -> String {
        var arguments = CommandLine.arguments.filter { $0 != "--overwrite" }
        if !arguments.dropFirst().contains(where: { $0 == "--resume" || $0.hasPrefix("--resume=") }) {
            arguments += ["--resume", directory]
        }
        return arguments.map(shellQuoted).joined(separator: " ")
    }

    private static func shellQuoted(_ word: String) -> String {
        let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")
        if !word.isEmpty && word.allSatisfy(plain.contains) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
