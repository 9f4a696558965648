import ArgumentParser
import Batchwise
import BatchwiseMPI
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a model (an MLP, or any --model of layers); with no flags, on the built-in handwritten digits.",
        discussion: """
            Each step takes a batch of --batch-size samples, splits it across the worker threads, \
            averages the gradient over the whole batch and takes one optimizer step with it: \
            bigger batches give smoother gradients and more samples/s, but fewer steps per epoch.

            Data: CSV (label in the last column, or --label), IDX (MNIST *-ubyte) or NPY features \
            with --labels, each optionally gzip-compressed. Without --test, a seeded \
            --validation-split of --data is held out for validation. A CSV's delimiter and header \
            are detected (--delimiter, --header), its labels may be class names, and --drop leaves \
            out id or index columns; the csv: line says what was chosen. Class labels that look \
            like a numeric target stop the run unless --classes or --loss says what is meant.

            Models: --layers W0,…,Wn with --activation is a dense stack (an MLP); --model SPEC (or \
            --model-file FILE, one layer per line, # comments) is any stack of layers, such as \
            'conv2d(16,3,padding=1) relu maxpool2d(2) flatten dense(10)'. Each sample's shape: IDX \
            images are 1×H×W, NPY keeps its per-sample shape, CSV and synthetic data are flat \
            (--input-shape C,H,W gives them one). The model's table is printed at start.

            Checkpoints: --checkpoint-dir DIR writes DIR/checkpoint.bwck at the end of every epoch \
            (and every --checkpoint-every steps); --resume DIR continues exactly where it stopped, \
            with the configuration stored in the checkpoint: re-run the same command with --resume DIR \
            added, or give --resume auto from the start. SIGINT or SIGTERM stops the run after the \
            step in flight, with a checkpoint at that step (exit status 130 or 143); a second signal \
            stops it at once.
            """)

    // MARK: Data
    @OptionGroup var dataFlags: DataFlags
    @Flag(help: "Standardise numeric targets for --loss mse or l1 (predictions come back in the targets' units).")
    var normalizeTargets = false

    // MARK: Model and optimizer
    @OptionGroup var modelFlags: ModelFlags
    @Option(help: "Loss: cross-entropy (class labels), mse or l1 (numeric targets).")
    var loss: String?
    @Option(help: "Optimizer: sgd, adam or adamw.")
    var optimizer: String?
    @Option(parsing: .unconditional, help: "Learning rate (default 0.05 for SGD, 0.001 for Adam).")
    var lr: Float?
    @Option(parsing: .unconditional, help: "SGD momentum in [0, 1) (default 0.9).")
    var momentum: Float?
    @Flag(help: "Use Nesterov momentum (SGD).")
    var nesterov = false
    @Option(parsing: .unconditional, help: "Weight decay: L2 for sgd and adam, decoupled for adamw.")
    var weightDecay: Float?

    // MARK: Schedules
    @Option(parsing: .unconditional, help: "Samples per optimizer step: the gradient is averaged over the batch and one step is taken. A size, a schedule such as 64,256@5,1024@10 (size@epoch), or auto (auto:MIN..MAX): chosen while training from the measured gradient noise and throughput.")
    var batchSize: String?
    @Option(parsing: .unconditional, help: "Under --batch-size auto: decide the batch size every this many steps (and at each epoch's start; default 50).")
    var adaptEvery: Int?
    @Option(parsing: .unconditional, help: "Under --batch-size auto with --reproducible: train at the largest batch whose statistical efficiency is at least this (default 0.5).")
    var minEfficiency: Double?
    @Option(help: "The samples left when the batch size does not divide the data: keep (a shorter last batch) or drop.")
    var lastBatch: String?
    @Option(help: "Learning-rate schedule: constant, step:GAMMA@E1,E2 (×GAMMA at those epochs), cosine or cosine:FLOOR.")
    var lrSchedule: String?
    @Option(parsing: .unconditional, help: "Linear learning-rate warmup over this many steps.")
    var warmupSteps: Int?
    @Option(help: "Learning-rate scaling: none, or linear (×batch/--base-batch-size, Goyal et al. 2017); under --batch-size auto also adascale (×gain, the default for SGD) or sqrt (the default for Adam).")
    var lrScaling: String?
    @Option(parsing: .unconditional, help: "The batch size at which --lr applies under --lr-scaling linear (and the smallest batch of --batch-size auto).")
    var baseBatchSize: Int?
    @Option(parsing: .unconditional, help: "Passes over the training data.")
    var epochs: Int?
    @Option(parsing: .unconditional, help: "Stop when the validation loss has not improved for this many epochs, keeping the best weights.")
    var patience: Int?
    @Option(help: "When a batch's loss is NaN or infinite: stop (with an error) or skip the batch.")
    var onNonfinite: String?
    @Option(parsing: .unconditional, help: "Seed for initialisation, the validation split and shuffling: same seed and threads ⇒ identical weights.")
    var seed: UInt64?

    @Flag(help: "Bit-identical weights for every thread count and placement (same seed, machine type and BLAS), at a measured cost.")
    var reproducible = false
    @Option(parsing: .unconditional, help: "Samples per microshard under --reproducible (default: each batch in 4 microshards): smaller spreads a batch over more threads, larger runs faster per sample.")
    var grain: Int?

    @OptionGroup var placement: PlacementOptions

    @Option(help: "Train across the processes of an MPI job: mpi (launch with mpirun -np R batchwise train --distributed mpi …).")
    var distributed: String?

    // MARK: Checkpoints and feedback
    @Option(help: "Write checkpoints into this directory (at every epoch's end).")
    var checkpointDir: String?
    @Option(parsing: .unconditional, help: "Also checkpoint every this many steps.")
    var checkpointEvery: Int?
    @Option(help: "Continue the run checkpointed in this directory; auto: the one in --checkpoint-dir, or start it there when there is none.")
    var resume: String?
    @Flag(help: "Start a new run in a --checkpoint-dir that holds another run's checkpoint, replacing it.")
    var overwrite = false
    @Option(parsing: .unconditional, help: "Stop after this many steps in total (checkpointing first); --resume continues.")
    var maxSteps: Int?
    @Option(help: "Append one JSON object per epoch to this .jsonl file.")
    var metrics: String?
    @Option(help: "Draw the loss and accuracy curves into this SVG file.")
    var plot: String?
    @Flag(help: "No progress bar: one line per epoch.")
    var quiet = false
    @Flag(help: "Also print, per epoch, how the workers' time split between computing, barriers and the all-reduce.")
    var timing = false

    func run() throws {
        // Before anything can start a thread (MPI, the workers): see StopSignals.
        let signals = StopSignals.install()
        let raises = try StopSignals.testRaises()
        if let n = checkpointEvery, n < 1 { throw ConfigurationError("--checkpoint-every must be at least 1 step (got \(n))") }
        if let n = maxSteps, n < 1 { throw ConfigurationError("--max-steps must be at least 1 (got \(n))") }
        if checkpointEvery != nil && checkpointDir == nil && resume == nil {
            throw ConfigurationError("--checkpoint-every needs --checkpoint-dir")
        }
        if overwrite && resume != nil {
            throw ConfigurationError("--overwrite starts a new run and --resume continues one: give one of them")
        }
        if overwrite && checkpointDir == nil { throw ConfigurationError("--overwrite needs --checkpoint-dir (the directory whose checkpoint a new run replaces)") }
        let group: MPIProcessGroup?
        switch distributed?.lowercased() {
        case nil: group = nil
        case "mpi":
            group = try MPIProcessGroup()
            BatchwiseCommand.processGroup = group
            signals.joined(rank: group!.rank, size: group!.size)
        default: throw ConfigurationError("--distributed must be mpi (got '\(distributed!)')")
        }
        let primary = (group?.rank ?? 0) == 0
        LoadingLine.silent = !primary
        LoadingLine.standardOutputTaken = metrics == "-"
        let resumeDirectory = try resumeDirectory()
        let checkpoint = try resumeDirectory.map { dir throws -> Checkpoint in try Checkpoint.load(from: dir) }
        // Rank 0 writes every file: its output paths are checked before any data is loaded.
        if primary { try checkOutputPaths() }
        var configuration = try checkpoint.map { try resumedConfiguration($0, from: resumeDirectory!) } ?? newConfiguration()
        if let checkpoint, checkpoint.state.isComplete(epochs: configuration.epochs) {
            if primary { print(Self.completeMessage(checkpoint, directory: resumeDirectory!)) }
            group?.finalize()
            return
        }
        let directory = checkpointDir ?? resumeDirectory
        // One run per checkpoint directory: rank 0, which writes the checkpoints, holds its lock.
        let claimed = try primary ? directory.map { dir throws -> CheckpointDirectory in try CheckpointDirectory(claiming: dir) } : nil
        if let claimed, checkpoint == nil, claimed.holdsCheckpoint, !overwrite {
            let other = (try? Checkpoint.load(from: claimed.path)).map { c in
                " (epoch \(min(c.state.epoch, c.configuration.epochs)) of \(c.configuration.epochs), \(c.state.scheduleStep) steps done)"
            } ?? ""
            throw ConfigurationError("\(claimed.path) already holds the checkpoint of another run\(other); continue that run with --resume \(claimed.path) (or --resume auto), give --overwrite to replace it with a new run, or choose another --checkpoint-dir")
        }
        let topology = try Topology()
        let plan = try placement.plan(on: topology)
        let data = try RunData.load(for: &configuration, inputShape: try inputShapeFlag(),
                                    guessesAreErrors: checkpoint == nil && loss == nil)
        if checkpoint == nil, let auto = try autoBatchFlag() {
            configuration.adaptiveBatch = try auto.settings(
                baseBatchSize: baseBatchSize, trainingSamples: data.train.count, adaptEvery: adaptEvery,
                minimumEfficiency: minEfficiency, scaling: lrScaling, optimizerIsSGD: configuration.optimizer.isSGD)
        }
        configuration.threads = checkpoint?.configuration.threads ?? plan.workerCount
        let session = try TrainingSession(configuration: configuration, topology: topology, plan: plan,
                                          train: data.train, validation: data.validation, resume: checkpoint,
                                          processGroup: group)
        session.maxSteps = maxSteps
        session.stopRequest = signals.request
        session.jobEnds = Set(raises.map(\.step))
        // Under MPI every rank trains; rank 0 alone prints and writes files.
        let output = primary ? try TrainingOutput(session: session, data: data, quiet: quiet, timing: timing,
                                                  metrics: metrics, appendMetrics: checkpoint != nil, plot: plot) : nil
        session.progressUpdatesPerEpoch = output?.progressBar.isLive == true ? 50 : 0
        output?.header(plan: plan, processes: group?.size ?? 1,
                       resumedFrom: resumeDirectory.map { (dir: $0, state: checkpoint!.state, threads: checkpoint!.configuration.threads) })
        if let claimed, !claimed.removedTemporaryFiles.isEmpty {
            print("note: removed \(claimed.removedTemporaryFiles.count) temporary file(s) an interrupted checkpoint write left in \(claimed.path)")
        }
        var events = output?.events() ?? TrainingSession.Events()
        events.checkpoint = { session in
            if primary, let directory { try session.checkpoint().write(to: directory) }
        }
        if !raises.isEmpty {
            let show = events.progress
            events.progress = { progress in
                show(progress)
                for raise in raises where raise.step == session.state.scheduleStep { signals.raiseAndWait(raise.signal) }
            }
        }
        // The new run replaces the old one only now that it is ready to train.
        if overwrite && checkpoint == nil { try claimed?.removeCheckpoint() }
        signals.arm()
        let outcome = try session.run(events)
        try output?.finish(outcome, checkpointDirectory: directory,
                           resumeCommand: directory.map { Self.resumeCommand(directory: $0) })
        group?.finalize()
        withExtendedLifetime(claimed) {}
        if case .stopped(_, let reason) = outcome {
            fflush(nil)
            Foundation.exit(Int32(128 + reason))
        }
    }

    /// A fresh run's configuration from the flags and their defaults.
    private func newConfiguration() throws -> TrainingConfiguration {
        let loss = try Loss(parsing: self.loss ?? "cross-entropy")
        let optimizerName = (optimizer ?? "sgd").lowercased()
        let choice: OptimizerChoice
        switch optimizerName {
        case "sgd":
            choice = .sgd(try SGD(momentum: momentum ?? 0.9, nesterov: nesterov, weightDecay: weightDecay ?? 0))
        case "adam", "adamw":
            if momentum != nil || nesterov { throw ConfigurationError("--momentum and --nesterov are for --optimizer sgd") }
            choice = .adam(try Adam(weightDecay: weightDecay ?? 0, decoupledWeightDecay: optimizerName == "adamw"))
        default:
            throw ConfigurationError("unknown optimizer '\(optimizer!)'; choose one of: sgd, adam, adamw")
        }
        let rate = lr ?? (optimizerName == "sgd" ? 0.05 : 0.001)
        guard rate.isFinite && rate > 0 else { throw ConfigurationError("--lr must be a finite number above 0 (got \(rate))") }
        let auto = try autoBatchFlag()
        let scalingBase = auto != nil ? nil : try LearningRateScalingFlags.base(scaling: lrScaling, default: "none",
                                                                             baseBatchSize: baseBatchSize, defaultBase: nil)
        if auto == nil && (adaptEvery != nil || minEfficiency != nil) {
            throw ConfigurationError("\(adaptEvery != nil ? "--adapt-every" : "--min-efficiency") is a setting of --batch-size auto; add --batch-size auto")
        }
        if auto != nil, minEfficiency != nil, !reproducible {
            throw ConfigurationError("--min-efficiency sets how --batch-size auto decides under --reproducible (by efficiency alone); without --reproducible it maximises goodput: add --reproducible or leave --min-efficiency out")
        }
        if let auto { _ = try AutoBatchFlags.scaling(lrScaling, optimizerIsSGD: optimizerName == "sgd"); _ = try auto.minimum(baseBatchSize: baseBatchSize) }
        let schedule = try LearningRateSchedule(base: rate, shape: try LearningRateSchedule.parseShape(lrSchedule ?? "constant"),
                                                warmupSteps: warmupSteps ?? 0, scalingBaseBatchSize: scalingBase)
        let batches: BatchSizeSchedule
        do {
            batches = try auto.map { try BatchSizeSchedule(constant: try $0.minimum(baseBatchSize: baseBatchSize)) }
                ?? BatchSizeSchedule(parsing: batchSize ?? "32")
        } catch let error as ConfigurationError { throw ConfigurationError("--batch-size: \(FlagNames.render(error.text))") }
        if let epochs, epochs < 1 { throw ConfigurationError("--epochs must be at least 1 (got \(epochs))") }
        guard let lastBatch = LastBatchPolicy(rawValue: (self.lastBatch ?? "keep").lowercased()) else {
            throw ConfigurationError("--last-batch must be keep or drop (got '\(self.lastBatch!)')")
        }
        guard let onNonFinite = NonFinitePolicy(rawValue: (onNonfinite ?? "stop").lowercased()) else {
            throw ConfigurationError("--on-nonfinite must be stop or skip (got '\(onNonfinite!)')")
        }
        let source = try dataFlags.source(normalizeTargets: normalizeTargets ? true : nil)
        let split = source.validationSplit
        try CSVFlags.check(source, loss: loss)
        if grain != nil && !reproducible { throw ConfigurationError("--grain sets the microshard size of --reproducible; add --reproducible") }
        if let grain, grain < 1 { throw ConfigurationError("--grain must be at least 1 sample (got \(grain))") }
        if let patience, source.test == nil, split == 0 {
            throw ConfigurationError("--patience \(patience) needs validation data: give --test or a --validation-split above 0")
        }
        let spec = try modelSpecFlag()
        try modelFlags.checkOneModel(spec)
        var configuration = try TrainingConfiguration(
            layers: try modelFlags.widths(), activation: try modelFlags.activationValue(), loss: loss,
            optimizer: choice, learningRate: schedule, batchSizes: batches, lastBatch: lastBatch,
            epochs: epochs ?? 30, seed: seed ?? 1, patience: patience, onNonFinite: onNonFinite, data: source, threads: 0,
            microsharding: reproducible ? (grain.map(Microsharding.size) ?? .standard) : nil)
        configuration.checkpointEvery = checkpointEvery
        configuration.modelSpec = spec?.text
        return configuration
    }

    /// `--batch-size auto…`, or nil for a batch size of numbers.
    func autoBatchFlag() throws -> AutoBatchFlags? {
        try batchSize.flatMap { try AutoBatchFlags.parse($0) }
    }

    /// The spec of `--model` or `--model-file` (see `ModelFlags.spec()`).
    func modelSpecFlag() throws -> ModelSpec? { try modelFlags.spec() }

    /// `--input-shape C,H,W`, or nil (see `ModelFlags.shape()`).
    func inputShapeFlag() throws -> TensorShape? { try modelFlags.shape() }
}
