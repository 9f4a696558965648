import Batchwise
import Foundation

/// What batch size buys: the same model (any ``BenchModel``: an MLP or a `Sequential` of
/// layers), from the same seeded initial weights, trained at each
/// batch size until the validation set meets a target (or `maxEpochs` pass), for
/// ``BatchSizeReport``.
///
/// Each batch size is one `TrainingSession`: SGD with momentum 0.9, the learning rate
/// `learningRate × B / baseBatchSize` under the linear scaling rule (or `learningRate` for every
/// B without it), shuffling and initial weights from `seed`, the validation set evaluated at the
/// end of every epoch. The run stops at the first epoch whose validation meets the target.
/// With two or more threads the trainer estimates the gradient noise scale as it goes.
///
/// ```swift
/// let sweep = try BatchSizeSweep(batchSizes: [32, 256], widths: [64, 128, 10], target: .validationAccuracy(0.95))
/// let report = try sweep.run(task: "digits", train: train, validation: validation, topology: topology, plan: plan)
/// print(report.table())
/// ```
public struct BatchSizeSweep: Sendable {
    /// The batch sizes swept when none are given: powers of two from 16 to 1024.
    public static let defaultBatchSizes = [16, 32, 64, 128, 256, 512, 1024]
    /// The SGD momentum of every run.
    public static let momentum: Float = 0.9

    /// Ascending, each at least 1, no repeats.
    public let batchSizes: [Int]
    /// The model every run trains.
    public let model: BenchModel
    /// Layer widths of the MLP, input first; empty for a spec model.
    public var widths: [Int] { model.widths }
    /// What each run trains until.
    public let target: BatchSizeTarget
    /// The most epochs a run trains before it gives up on the target.
    public let maxEpochs: Int
    /// The base learning rate: the rate at `baseBatchSize` under linear scaling, else at every batch size.
    public let learningRate: Float
    /// B₀ of the linear scaling rule, or nil for one rate at every batch size.
    public let baseBatchSize: Int?
    /// The seed of the initial weights and the shuffles, the same for every batch size.
    public let seed: UInt64
    /// Also train once with `--batch-size auto` at its defaults (from `baseBatchSize`, or 32,
    /// up to min(4096, training samples / 4), AdaScale's learning-rate rule from `learningRate`),
    /// reported as the report's `auto` row.
    public var includesAuto = false
    /// Also test the target every this many steps within an epoch (counted from the run's
    /// start), not only at each epoch's end; nil: at epoch ends only. The check evaluates the
    /// validation set on the weights after that step, outside the training time, and changes
    /// no weight: jobs of steps end there, and the weights do not depend on where jobs end. A
    /// target met between epoch ends then counts the steps, samples and training seconds up to
    /// that step, so a run of a few epochs is not rounded up to its epoch's end.
    public var checkEvery: Int? = nil

    /// A sweep of the MLP of `widths`; see `init(batchSizes:model:…)`.
    /// - Throws: `ConfigurationError` naming the parameter, widths that make no MLP among them.
    public init(batchSizes: [Int], widths: [Int], target: BatchSizeTarget, maxEpochs: Int = 200,
                learningRate: Float = 0.05, baseBatchSize: Int? = 32, seed: UInt64 = 1) throws(ConfigurationError) {
        try self.init(batchSizes: batchSizes, model: try BenchModel(widths: widths), target: target, maxEpochs: maxEpochs,
                      learningRate: learningRate, baseBatchSize: baseBatchSize, seed: seed)
    }

    /// A sweep of `model` over `batchSizes` (sorted ascending).
    ///
    /// - Throws: `ConfigurationError` naming the parameter: no batch size, one below 1 or given
    ///   twice, `maxEpochs` below 1, a learning rate that is not a finite number above 0, or a
    ///   base batch size below 1.
    public init(batchSizes: [Int], model: BenchModel, target: BatchSizeTarget, maxEpochs: Int = 200,
                learningRate: Float = 0.05, baseBatchSize: Int? = 32, seed: UInt64 = 1) throws(ConfigurationError) {
        guard !batchSizes.isEmpty else { throw ConfigurationError("\(parameter: "batchSizes") lists no batch size") }
        if let bad = batchSizes.first(where: { $0 < 1 }) {
            throw ConfigurationError("\(parameter: "batchSizes"): every batch size must be at least 1 (got \(bad))")
        }
        if let twice = batchSizes.first(where: { b in batchSizes.filter { $0 == b }.count > 1 }) {
            throw ConfigurationError("\(parameter: "batchSizes") lists batch size \(twice) twice")
        }
        guard maxEpochs >= 1 else { throw ConfigurationError("\(parameter: "maxEpochs") must be at least 1 (got \(maxEpochs))") }
        guard learningRate.isFinite && learningRate > 0 else {
            throw ConfigurationError("\(parameter: "learningRate") must be a finite number above 0 (got \(learningRate))")
        }
        if let b = baseBatchSize, b < 1 { throw ConfigurationError("\(parameter: "baseBatchSize") must be at least 1 (got \(b))") }
        self.batchSizes = batchSizes.sorted()
        self.model = model
        self.target = target
        self.maxEpochs = maxEpochs
        self.learningRate = learningRate
        self.baseBatchSize = baseBatchSize
        self.seed = seed
    }

    /// Parses a `--batch-sizes` list such as `16,32,64` (spaces allowed around the numbers).
    public static func parseBatchSizes(_ text: String) throws(ConfigurationError) -> [Int] {
        guard let sizes = parseIntegerList(text) else {
            throw ConfigurationError("\(parameter: "batchSizes") '\(text)' is not a comma-separated list of batch sizes such as 16,32,64,128")
        }
        return sizes
    }

    /// The learning-rate schedule of every run: constant, linearly scaled when `baseBatchSize` is set.
    public var schedule: LearningRateSchedule {
        // The initializer checked the rate and the base batch size.
        try! LearningRateSchedule(base: learningRate, scalingBaseBatchSize: baseBatchSize)
    }

    /// The rate a run at `batchSize` trains with.
    public func learningRate(batchSize: Int) -> Float {
        schedule.rate(step: 0, epoch: 1, epochs: maxEpochs, stepInEpoch: 0, stepsInEpoch: 1, batchSize: batchSize)
    }

    /// "0.05 × B/32 (linear scaling)" or "0.05 at every batch size".
    public var learningRateRule: String {
        baseBatchSize.map { "\(learningRate) × B/\($0) (linear scaling)" } ?? "\(learningRate) at every batch size"
    }

    /// Refuses, before anything runs, data the sweep cannot use: a batch size larger than the
    /// training set (every such size would be the same full-batch run), or no validation samples.
    public func check(trainingSamples: Int, validationSamples: Int) throws(ConfigurationError) {
        guard validationSamples >= 1 else { throw ConfigurationError("the sweep needs validation samples to test the target on") }
        if let every = checkEvery, every < 1 { throw ConfigurationError("\(parameter: "checkEvery") must be at least 1 step (got \(every))") }
        if let big = batchSizes.first(where: { $0 > trainingSamples }) {
            throw ConfigurationError("\(parameter: "batchSizes"): batch size \(big) is larger than the \(trainingSamples) training samples")
        }
    }

    /// The settings of the auto run on `trainingSamples`: `baseBatchSize` (or 32) up to the
    /// default largest batch, AdaScale scaling.
    public func autoSettings(trainingSamples: Int) throws(ConfigurationError) -> AdaptiveBatchSize {
        let b0 = baseBatchSize ?? AdaptiveBatchSize.defaultMinimum
        return try AdaptiveBatchSize(minimum: b0, maximum: AdaptiveBatchSize.defaultMaximum(trainingSamples: trainingSamples, minimum: b0),
                                     scaling: .adascale)
    }

    /// The configuration of the auto run: `learningRate` at the smallest batch, the rest as
    /// every fixed run.
    public func autoConfiguration(trainingSamples: Int, threads: Int) throws(ConfigurationError) -> TrainingConfiguration {
        let settings = try autoSettings(trainingSamples: trainingSamples)
        var configuration = try TrainingConfiguration(
            layers: widths, optimizer: .sgd(try SGD(momentum: Self.momentum)),
            learningRate: try LearningRateSchedule(base: learningRate),
            batchSizes: try BatchSizeSchedule(constant: settings.minimum), epochs: maxEpochs, seed: seed, threads: threads)
        model.configure(&configuration)
        configuration.adaptiveBatch = settings
        return configuration
    }

    /// The configuration of the run at `batchSize`.
    public func configuration(batchSize: Int, threads: Int) throws(ConfigurationError) -> TrainingConfiguration {
        var configuration = try TrainingConfiguration(
            layers: widths, optimizer: .sgd(try SGD(momentum: Self.momentum)), learningRate: schedule,
            batchSizes: try BatchSizeSchedule(constant: batchSize), epochs: maxEpochs, seed: seed, threads: threads)
        model.configure(&configuration)
        return configuration
    }

    /// Stops a session at the epoch that met the target.
    private struct TargetReached: Error {}

    /// Trains at every batch size, smallest first; `finished` is called after each.
    /// - Parameters:
    ///   - task: what the data are, for the report ("digits", "synthetic 10000").
    ///   - train: the training set, the same for every batch size.
    ///   - validation: the set the target is measured on, at the end of every epoch (and every
    ///     `checkEvery` steps when set).
    ///   - topology: the machine the workers run on.
    ///   - plan: where the workers are pinned; its worker count is the runs' thread count.
    ///   - finished: called with each run's figures as soon as it ends.
    /// - Throws: `ConfigurationError` for data or a plan the sweep cannot use. A run whose loss
    ///   becomes NaN or infinite is not an error: it is reported as diverged.
    public func run(task: String, train: Dataset, validation: Dataset, topology: Topology, plan: PlacementPlan,
                    finished: (BatchSizeRun) -> Void = { _ in }) throws -> BatchSizeReport {
        try check(trainingSamples: train.count, validationSamples: validation.count)
        let date = ISO8601DateFormatter().string(from: Date())
        var runs: [BatchSizeRun] = []
        var auto: BatchSizeRun?
        // The fixed sizes, smallest first, then (nil) the auto run.
        for batchSize in batchSizes.map(Optional.some) + (includesAuto ? [nil] : []) {
            let clock = ContinuousClock()
            let start = clock.now
            let configuration = try batchSize.map { b throws(ConfigurationError) in try self.configuration(batchSize: b, threads: plan.workerCount) }
                ?? autoConfiguration(trainingSamples: train.count, threads: plan.workerCount)
            let session = try TrainingSession(configuration: configuration,
                                              topology: topology, plan: plan, train: train, validation: validation)
            var records: [EpochRecord] = []
            var events = TrainingSession.Events()
            let target = self.target
            events.epochEnd = { record in
                records.append(record)
                if target.isReached(by: record) { throw TargetReached() }
            }
            // A crossing between epoch ends, found by the check every `checkEvery` steps.
            var midEpoch: BatchSizeRun.Crossing?
            if let every = checkEvery {
                // The session's checkpoint cadence ends a job every `every` steps and calls this
                // hook there; the sweep writes no checkpoint, it tests the target.
                session.checkpointEvery = every
                events.checkpoint = { session in
                    let state = session.state
                    // At an epoch's end the record above has tested the target already.
                    guard state.stepInEpoch > 0 else { return }
                    let evaluation = try session.trainer.evaluate(on: validation)
                    guard target.isReached(validationLoss: evaluation.loss, validationAccuracy: evaluation.accuracy) else { return }
                    midEpoch = .init(epoch: state.epoch, steps: state.optimizerSteps,
                                     samples: (state.epoch - 1) * train.count + state.epochSums.samples, seconds: state.wallSeconds,
                                     validationLoss: evaluation.loss, validationAccuracy: evaluation.accuracy)
                    throw TargetReached()
                }
            }
            var diverged = false
            do {
                try session.run(events)
            } catch is TargetReached {
            } catch is TrainingError {
                diverged = true
            }
            let elapsed = clock.now - start
            var run = BatchSizeRun(batchSize: batchSize ?? session.state.adaptive!.batchSize,
                                   learningRate: Double(batchSize.map(learningRate(batchSize:)) ?? learningRate),
                                   threads: plan.workerCount, target: target, trainingSamples: train.count, records: records,
                                   wallSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18,
                                   diverged: diverged, midEpoch: midEpoch)
            if batchSize == nil {
                run.batchSizes = session.state.adaptive!.changes.map(\.decision.batchSize)
                auto = run
            } else {
                runs.append(run)
            }
            finished(run)
        }
        var setup = BatchSizeSetup(
            task: task, trainingSamples: train.count, validationSamples: validation.count, widths: widths, model: model.description,
            threads: plan.workerCount, processingUnits: plan.units.map(\.osIndex), seed: seed, target: target,
            learningRateRule: learningRateRule, maxEpochs: maxEpochs,
            machine: "\(topology.coreCount) core(s), \(topology.processingUnitCount) PU(s)", date: date)
        setup.checkEvery = checkEvery
        return BatchSizeReport(setup: setup, runs: runs, auto: auto)
    }
}
