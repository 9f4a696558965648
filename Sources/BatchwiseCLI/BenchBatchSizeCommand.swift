import ArgumentParser
import Batchwise
import BatchwiseBench
import Foundation

/// `batchwise bench batch-size`: optimizer steps, samples and time to a validation target at
/// several batch sizes, beside the measured gradient noise scale.
struct BenchBatchSizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch-size",
        abstract: "Train to a validation target at several batch sizes: steps, samples and time it took, and the gradient noise scale.",
        discussion: """
            What does batch size buy? For each --batch-sizes value, the same model from the same seeded \
            weights is trained with SGD (momentum 0.9) until the validation set meets the target \
            (--target-accuracy, default 0.95, or --target-loss) or --max-epochs pass. Validation runs \
            once at the end of every epoch, so the steps, samples and epochs to the target are those \
            of the first epoch boundary where it was met; --check-every N also tests it every N steps \
            (a run of few epochs is then not rounded up to its epoch's end). The default task is the built-in digits with \
            its seeded 20% validation hold-out, with the MLP 64,128,10.

            Model and data: any model and data train takes, with train's flags: --layers or --model \
            SPEC / --model-file FILE (with --input-shape for flat data); --data FILE with --labels, \
            --test and --test-labels (else a seeded --validation-split of --data is held out), \
            --scale, --normalize and the CSV flags; --synthetic N trains on a seeded synthetic task \
            shaped by --layers (or by --input-shape and the --model's output width).

            Learning rate: under --lr-scaling linear (the default) a batch of B samples trains at \
            --lr × B / --base-batch-size (Goyal et al. 2017). The question is how many steps a batch \
            size needs at its best, and a bigger batch's less noisy gradient is only worth a \
            proportionally bigger step: with one rate for all (--lr-scaling none) large batches would \
            look slow because their rate is too small, not because of the batch. Linear scaling is the \
            good rate below the critical batch size; above it the best rate stops growing, so there \
            linear scaling may overshoot, or diverge (reported as such).

            Gradient noise scale: with 2 or more threads (default: one per physical core) the trainer estimates \
            B_simple = tr(Σ)/|G|² (McCandlish et al. 2018) from the worker shards of each batch; the \
            table shows each run's estimate at its last epoch. Below it, doubling the batch roughly \
            halves the steps; above it, doubling buys little. With --threads 1 it is not measured.

            Trade-off: from the batch sizes that reached the target, the steps S and samples E to it \
            are fitted to (S/S_min − 1)(E/E_min − 1) = 1 (McCandlish et al. 2018; least squares in \
            log space), that is S = S_min(1 + B_crit/B) and E = E_min(1 + B/B_crit): S_min is the \
            fewest steps any batch needs, E_min the fewest samples, and B_crit = E_min/S_min the \
            critical batch size, shown beside the measured noise scale. It needs 2 or more batch \
            sizes that reached the target.

            --auto adds one run with --batch-size auto at its defaults (see train --help and the \
            README): it starts at --base-batch-size (32) with --lr, follows the batch with AdaScale's \
            gain, and is reported as the row 'auto' with the batch sizes it went through (JSON: \
            batch_size "auto", batch_sizes). Compare its seconds_to_target with the fixed rows'.

            --json FILE writes a JSON array, one object per batch size (batch_size, learning_rate, \
            steps_to_target, samples_to_target, epochs_to_target, seconds_to_target — null if never — \
            reached, diverged, samples_per_second, final_validation_loss, final_validation_accuracy, \
            noise_scale, wall_seconds, …, and in every row the sweep's tradeoff_steps_min, \
            tradeoff_samples_min, tradeoff_critical_batch_size and median_noise_scale). --svg FILE \
            draws steps and samples to the target against batch size (log-log) with the median \
            noise scale as a vertical line, and the measured (S, E) points with the fitted curve.
            """)

    @Option(help: "Batch sizes to train at, comma-separated.")
    var batchSizes: String = BatchSizeSweep.defaultBatchSizes.map(String.init).joined(separator: ",")
    @OptionGroup var dataFlags: DataFlags
    @OptionGroup var modelFlags: ModelFlags
    @Option(parsing: .unconditional, help: "Stop each run once the validation loss is at most this.")
    var targetLoss: Double?
    @Option(parsing: .unconditional, help: "Stop each run once the validation accuracy is at least this share (default 0.95).")
    var targetAccuracy: Double?
    @Option(parsing: .unconditional, help: "Give up on a batch size after this many epochs.")
    var maxEpochs: Int = 200
    @Option(parsing: .unconditional, help: "Also test the target every this many steps within an epoch (validation on the weights after that step, not counted as training time), not only at epoch ends.")
    var checkEvery: Int?
    @Option(parsing: .unconditional, help: "Learning rate: at --base-batch-size under linear scaling, else at every batch size.")
    var lr: Float = 0.05
    @Option(help: "Learning-rate scaling with batch size: linear (×B/--base-batch-size) or none.")
    var lrScaling: String = "linear"
    @Option(parsing: .unconditional, help: "The batch size at which --lr applies under --lr-scaling linear (default 32).")
    var baseBatchSize: Int?
    /// The noise scale needs 2 or more threads.
    @OptionGroup var placement: PlacementOptions
    @Option(parsing: .unconditional, help: "Seed for the weights, the validation split, shuffling and synthetic data.")
    var seed: UInt64 = 1
    @Flag(help: "Also train once with --batch-size auto at its defaults (from --base-batch-size up to min(4096, training samples / 4), lr ×gain): an extra row with the batch sizes it went through.")
    var auto = false
    @OptionGroup var files: ReportFiles<BatchSizeReport>

    func run() throws {
        let settings = try sweepSettings()
        let topology = try Topology()
        let plan = try placement.plan(on: topology)
        let loaded = try BenchData.load(dataFlags, modelFlags, seed: seed, holdOut: true, ownSynthetic: nil)
        let data = loaded.data!
        guard let validation = data.validation else {
            throw ConfigurationError("the sweep needs validation samples to test the target on: give --test, or a --validation-split above 0")
        }
        var sweep = try BatchSizeSweep(batchSizes: settings.sizes, model: loaded.model, target: settings.target, maxEpochs: maxEpochs,
                                       learningRate: lr, baseBatchSize: settings.base, seed: seed)
        sweep.includesAuto = auto
        sweep.checkEvery = checkEvery
        try sweep.check(trainingSamples: data.train.count, validationSamples: validation.count)
        if auto {
            guard plan.workerCount >= 2 else {
                throw ConfigurationError("--auto decides from the gradient noise, measured from the partial sums of 2 or more threads: give --threads 2 or more")
            }
            _ = try sweep.autoSettings(trainingSamples: data.train.count)
        }
        // Refuse what cannot be written before minutes of training.
        try files.check()
        data.printNotes()
        print("\(loaded.task): \(data.train.count) training, \(validation.count) \(data.validationName) samples; "
              + "\(sweep.model), lr \(sweep.learningRateRule), \(plan.workerCount) thread(s); to \(sweep.target)")
        let report = try sweep.run(task: loaded.task, train: data.train, validation: validation, topology: topology, plan: plan) { run in
            let outcome = run.epochsToTarget.map { "reached at epoch \($0), step \(run.stepsToTarget!)" }
                ?? (run.diverged ? "diverged at epoch \(run.epochsRun + 1)" : "not reached in \(run.epochsRun) epochs")
            let name = run.batchSizes.map { "auto (" + $0.map(String.init).joined(separator: "→") + ")" } ?? String(run.batchSize)
            print("batch \(name): \(outcome) (" + String(format: "%.2f", run.wallSeconds) + " s)")
            fflush(nil)
        }
        print("")
        try files.write(report)
    }

    /// The sweep's own settings (batch sizes, target, learning-rate base), checked before
    /// anything loads or runs.
    private func sweepSettings() throws -> (sizes: [Int], target: BatchSizeTarget, base: Int?) {
        let sizes = try BatchSizeSweep.parseBatchSizes(batchSizes)
        let target = try BatchSizeTarget(loss: targetLoss, accuracy: targetAccuracy)
        let base = try LearningRateScalingFlags.base(scaling: lrScaling, default: "linear", baseBatchSize: baseBatchSize, defaultBase: 32)
        guard maxEpochs >= 1 else { throw ConfigurationError("--max-epochs must be at least 1 (got \(maxEpochs))") }
        guard lr.isFinite && lr > 0 else { throw ConfigurationError("--lr must be a finite number above 0 (got \(lr))") }
        return (sizes, target, base)
    }
}

extension BatchSizeReport: BenchmarkReport {
    static let jsonHelp = "Write the results to this JSON file (an array, one object per batch size)."
    static let svgHelp = "Draw steps and samples to the target against batch size into this SVG file."
}
