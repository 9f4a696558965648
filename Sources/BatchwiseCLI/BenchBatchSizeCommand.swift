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
            What does batch size buy? For each --batch-sizes value, the same MLP from the same seeded \
            weights is trained with SGD (momentum 0.9) until the validation set meets the target \
            (--target-accuracy, default 0.95, or --target-loss) or --max-epochs pass. Validation runs \
            once at the end of every epoch, so the steps, samples and epochs to the target are those \
            of the first epoch boundary where it was met. The default task is the built-in digits with \
            its seeded 20% validation hold-out; --synthetic N --layers … trains on seeded synthetic data.

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

            --json FILE writes a JSON array, one object per batch size (batch_size, learning_rate, \
            steps_to_target, samples_to_target, epochs_to_target — null if never — reached, diverged, \
            samples_per_second, final_validation_loss, final_validation_accuracy, noise_scale, \
            wall_seconds, …). --svg FILE draws steps and samples to the target against batch size \
            (log-log) with the median noise scale as a vertical line.
            """)

    @Option(help: "Batch sizes to train at, comma-separated.")
    var batchSizes: String = BatchSizeSweep.defaultBatchSizes.map(String.init).joined(separator: ",")
    @Option(parsing: .unconditional, help: "Train on a seeded synthetic classification task of this many samples, shaped by --layers (default: the built-in digits).")
    var synthetic: Int?
    @Option(help: "Layer widths from input to output (default for the digits: 64,128,10).")
    var layers: String?
    @Option(parsing: .unconditional, help: "Stop each run once the validation loss is at most this.")
    var targetLoss: Double?
    @Option(parsing: .unconditional, help: "Stop each run once the validation accuracy is at least this share (default 0.95).")
    var targetAccuracy: Double?
    @Option(parsing: .unconditional, help: "Give up on a batch size after this many epochs.")
    var maxEpochs: Int = 200
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
    @OptionGroup var files: ReportFiles<BatchSizeReport>

    func run() throws {
        let sweep = try makeSweep()
        let topology = try Topology()
        let plan = try placement.plan(on: topology)
        let source = DataSource(synthetic: synthetic, validationSplit: 0.2)
        let data = try RunData.load(source, loss: .crossEntropy, layers: sweep.widths, seed: seed, scaling: nil)
        guard let validation = data.validation else { throw ConfigurationError("the sweep needs validation samples") }
        guard data.train.featureWidth == sweep.widths[0], data.train.classCount.map({ $0 <= sweep.widths.last! }) ?? false else {
            throw ConfigurationError("--layers \(layers ?? "") does not fit the data: \(data.train.featureWidth) features and \(data.train.classCount ?? 0) classes")
        }
        try sweep.check(trainingSamples: data.train.count, validationSamples: validation.count)
        // Refuse what cannot be written before minutes of training.
        try files.check()
        let task = synthetic.map { "synthetic \($0)" } ?? "digits"
        print("\(task): \(data.train.count) training, \(validation.count) validation samples; "
              + "\(sweep.widths.map(String.init).joined(separator: "-")), lr \(sweep.learningRateRule), \(plan.workerCount) thread(s); to \(sweep.target)")
        let report = try sweep.run(task: task, train: data.train, validation: validation, topology: topology, plan: plan) { run in
            let outcome = run.epochsToTarget.map { "reached at epoch \($0), step \(run.stepsToTarget!)" }
                ?? (run.diverged ? "diverged at epoch \(run.epochsRun + 1)" : "not reached in \(run.epochsRun) epochs")
            print("batch \(run.batchSize): \(outcome) (" + String(format: "%.2f", run.wallSeconds) + " s)")
            fflush(nil)
        }
        print("")
        try files.write(report)
    }

    /// The sweep the flags describe, checked before anything loads or runs.
    private func makeSweep() throws -> BatchSizeSweep {
        let sizes = try BatchSizeSweep.parseBatchSizes(batchSizes)
        let target = try BatchSizeTarget(loss: targetLoss, accuracy: targetAccuracy)
        let base = try LearningRateScalingFlags.base(scaling: lrScaling, default: "linear", baseBatchSize: baseBatchSize, defaultBase: 32)
        let widths: [Int]
        if let layers {
            widths = try MLP.widths(parsing: layers)
        } else if synthetic != nil {
            throw ConfigurationError("--synthetic needs --layers with the input width first and the class count last, such as 32,64,4")
        } else {
            widths = [64, 128, 10]
        }
        return try BatchSizeSweep(batchSizes: sizes, widths: widths, target: target, maxEpochs: maxEpochs, learningRate: lr,
                                  baseBatchSize: base, seed: seed)
    }
}

extension BatchSizeReport: BenchmarkReport {
    static let jsonHelp = "Write the results to this JSON file (an array, one object per batch size)."
    static let svgHelp = "Draw steps and samples to the target against batch size into this SVG file."
}
