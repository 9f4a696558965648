import Foundation

/// A whole training run: epochs under the schedules, validation after each epoch, early
/// stopping, checkpoints, and exact resumption from any checkpoint.
///
/// The session splits each epoch into jobs at the steps where something must happen on the
/// calling thread — a checkpoint, a progress update, the step budget — and otherwise lets the
/// workers run the steps back to back. A resumed session sees exactly the batches, learning
/// rates and optimizer steps the uninterrupted run would have seen.
public final class TrainingSession {
    /// The run's definition, as written into every checkpoint.
    public let configuration: TrainingConfiguration
    /// The trainer that runs the steps on the pinned workers.
    public let trainer: any ModelTrainer
    /// The order and batch cut of every epoch, from the configuration and the training set.
    public let scheduler: EpochScheduler
    /// The training set.
    public let train: Dataset
    /// The validation set evaluated after each epoch, or nil.
    public let validation: Dataset?
    /// Where the run stands; a checkpoint stores it.
    public internal(set) var state: TrainingState
    private var bestParameters: [Float]?
    /// The other processes of a multi-process run, or nil.
    let processGroup: (any ProcessGroup)?
    /// The learning rate of the last step run (for the epoch's record).
    var lastLearningRate: Float?

    /// Write a checkpoint after every this many steps (besides the one at each epoch's end).
    public var checkpointEvery: Int?
    /// Stop (after a checkpoint) once the run has taken this many steps in total.
    public var maxSteps: Int?
    /// Stop (after a checkpoint at that exact step) once this is requested: the step in flight
    /// finishes first. The `batchwise` command requests it on SIGINT and SIGTERM.
    public var stopRequest: StopRequest?
    /// Steps of the run (counted as `state.scheduleStep`) at which a job must end, so that
    /// `events.progress` is called right there: for callers that act at a given step, such as
    /// the `batchwise` tests that raise a signal mid-epoch. The weights do not depend on where
    /// jobs end.
    public var jobEnds: Set<Int> = []
    /// Progress updates per epoch (0: only at the end of each epoch).
    public var progressUpdatesPerEpoch = 0
    /// Where the workers' time went in the last epoch finished, and its steps.
    public private(set) var lastPhases: StepPhases?
    /// Batches in the last epoch finished, updates and skipped ones; 0 before the first.
    public private(set) var lastEpochSteps = 0
    /// Samples trained on in the last epoch finished (skipped batches left out); 0 before the first.
    public private(set) var lastEpochSamples = 0

    /// Progress within an epoch.
    public struct Progress: Sendable {
        /// The epoch in progress (1-based).
        public let epoch: Int
        /// Steps done in the epoch so far.
        public let step: Int
        /// Steps in the epoch.
        public let steps: Int
        /// Mean per-sample training loss over the epoch so far.
        public let runningLoss: Double
        /// Training throughput over the epoch so far.
        public let samplesPerSecond: Double
        /// Wall-clock seconds of training in the epoch so far.
        public let elapsedSeconds: Double
    }

    /// What the session tells its caller while it runs.
    public struct Events {
        /// Called on the calling thread after each job of steps: at every progress update,
        /// checkpoint and epoch end.
        public var progress: (Progress) -> Void = { _ in }
        /// Called with each finished epoch's record; an error it throws ends the run.
        public var epochEnd: (EpochRecord) throws -> Void = { _ in }
        /// Called when a checkpoint is due; write `session.checkpoint()` where it belongs.
        public var checkpoint: (TrainingSession) throws -> Void = { _ in }
        /// Events that do nothing.
        public init() {}
    }

    /// How a `run` ended.
    public enum Outcome: Sendable, Equatable {
        /// Every epoch ran.
        case completed
        /// Early stopping ended the run; the weights are those after `bestEpoch`.
        case stoppedEarly(bestEpoch: Int)
        /// `maxSteps` reached; resume from the last checkpoint to continue.
        case paused(atStep: Int)
        /// `stopRequest` was requested (with `reason`); a checkpoint at `atStep` was due just
        /// before the session returned (unless one had been written at that step already).
        case stopped(atStep: Int, reason: Int)
    }

    /// A new run (fresh weights from the seed), or the continuation of `resume`.
    public init(configuration: TrainingConfiguration, topology: Topology, plan: PlacementPlan,
                train: Dataset, validation: Dataset?, resume: Checkpoint? = nil,
                processGroup: (any ProcessGroup)? = nil) throws {
        scheduler = try EpochScheduler(sampleCount: train.count, seed: configuration.seed,
                                       batchSizes: configuration.batchSizes, lastBatch: configuration.lastBatch)
        let processes = processGroup?.size ?? 1
        if let auto = configuration.adaptiveBatch {
            try Self.checkAdaptive(auto, configuration: configuration, workers: plan.workerCount, processes: processes)
        }
        trainer = try configuration.makeTrainer(topology: topology, plan: plan,
                                                maxBatchSize: configuration.adaptiveBatch.map { min($0.maximum, train.count) } ?? scheduler.maxBatchSize,
                                                processGroup: processGroup)
        let model = trainer.trainedModel
        try trainer.validate(train)
        if let validation { try trainer.validate(validation) }
        if let group = processGroup, group.size > 1 {
            try Self.checkAgreement(configuration, train: train, validation: validation, model: model, group: group)
        }
        self.configuration = configuration
        self.processGroup = processGroup
        checkpointEvery = configuration.checkpointEvery
        self.train = train
        self.validation = validation
        state = TrainingState()
        state.trainingSamples = train.count
        let digest = Self.digest(of: train)
        state.trainingDigest = digest
        state.adaptive = configuration.adaptiveBatch.map { AdaptiveBatchState(settings: $0, workers: plan.workerCount * processes) }
        if let resume {
            if let n = resume.state.trainingSamples, n != train.count {
                throw ConfigurationError("the checkpoint's run trained on \(n) samples but the training data now has \(train.count); resume with the same data (and \(parameter: "validationSplit")) it started with")
            }
            // Checkpoints written before the digest was stored have none: they are accepted on
            // the sample count alone.
            if let stored = resume.state.trainingDigest, stored != digest {
                throw ConfigurationError("the training data is not the data the checkpoint's run trained on (the same \(train.count) samples, but other values: SHA-256 \(digest.prefix(12))… against \(stored.prefix(12))…); resume with the same data (and \(parameter: "labelColumn"), \(parameter: "divisor")) it started with")
            }
            let s = resume.state
            let inEpoch = s.adaptive.map { a in
                a.segmentFirstStep <= s.stepInEpoch && a.position(stepInEpoch: s.stepInEpoch, sampleCount: .max) <= train.count
            } ?? (s.stepInEpoch <= scheduler.steps(epoch: s.epoch))
            guard s.epoch >= 1, s.stepInEpoch >= 0, s.epoch > configuration.epochs || inEpoch,
                  (s.adaptive != nil) == (configuration.adaptiveBatch != nil),
                  s.scheduleStep >= s.optimizerSteps, s.optimizerSteps >= 0 else {
                throw ConfigurationError("the checkpoint's training state is inconsistent (epoch \(s.epoch), step \(s.stepInEpoch) of the epoch); it was not written by this Batchwise")
            }
            guard resume.parameters.count == model.parameterCount,
                  resume.optimizerState.count == trainer.optimizerStateValues.count,
                  resume.bestParameters.map({ $0.count == model.parameterCount }) ?? true else {
                throw ConfigurationError("the checkpoint's weights do not fit the model \(configuration.modelDescription)")
            }
            try trainer.setParameters(resume.parameters)
            trainer.restore(optimizerState: resume.optimizerState, step: resume.state.optimizerSteps,
                            noiseScale: resume.state.noiseScale)
            state = resume.state
            state.trainingSamples = train.count
            state.trainingDigest = digest
            bestParameters = resume.bestParameters
        }
    }

    /// Every process must train the same model on the same data, or the collectives would
    /// wait forever: sums of (sample counts, parameters, a digest of the configuration) across
    /// processes equal size × this process's value in every process only if all agree.
    private static func checkAgreement(_ configuration: TrainingConfiguration, train: Dataset, validation: Dataset?,
                                       model: any GradientModel, group: any ProcessGroup) throws {
        var shared = configuration
        shared.threads = 0
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var hash = SHA256()
        hash.update([UInt8](try encoder.encode(shared)))
        let digest = hash.finalizeBytes().prefix(6).reduce(0.0) { $0 * 256 + Double($1) }
        let mine: [Double] = [Double(train.count), Double(model.parameterCount), Double(validation?.count ?? -1), digest]
        var sums = mine
        try sums.withUnsafeMutableBufferPointer { try group.allReduceSum($0.baseAddress!, count: $0.count) }
        if zip(sums, mine).contains(where: { $0 != Double(group.size) * $1 }) {
            throw ConfigurationError("process \(group.rank) does not train what the others do (\(train.count) training samples, \(model.parameterCount) parameters, its configuration): give every rank the same flags and the same data files")
        }
    }

    /// The SHA-256 (hex) of the training set's features and targets, as the run sees them
    /// (after scaling): a resumed run must train on the same values, not only as many.
    static func digest(of data: Dataset) -> String {
        var hash = SHA256()
        data.features.withUnsafeBytes { hash.update($0) }
        data.targets.withUnsafeBytes { hash.update($0) }
        return hash.finalizeHex()
    }

    /// A checkpoint of the run as it stands.
    public func checkpoint() -> Checkpoint {
        Checkpoint(configuration: configuration, state: state, parameters: trainer.parameterValues,
                   optimizerState: trainer.optimizerStateValues, bestParameters: bestParameters)
    }

    /// Runs until the last epoch, early stopping, `maxSteps`, or a `stopRequest`.
    @discardableResult
    public func run(_ events: Events = Events()) throws -> Outcome {
        let epochs = configuration.epochs
        // The schedule step of the last checkpoint this call wrote: a stop right after one
        // (at an epoch's end, say) does not write the same state again.
        var checkpointed: Int?
        func checkpoint() throws {
            try events.checkpoint(self)
            checkpointed = state.scheduleStep
        }
        epochs: while !state.isComplete(epochs: epochs) {
            // The epoch, or (under `--batch-size auto`) the rest of it at the batch in use; its
            // step k is the epoch's step `first + k`.
            let (plan, first) = currentPlan()
            while state.stepInEpoch - first < plan.steps {
                if let reason = stopRequest?.reason {
                    if checkpointed != state.scheduleStep { try checkpoint() }
                    return .stopped(atStep: state.scheduleStep, reason: reason)
                }
                if let maxSteps, state.scheduleStep >= maxSteps {
                    try checkpoint()
                    return .paused(atStep: state.scheduleStep)
                }
                // A new batch size takes over from the next step on: plan the rest anew.
                if adaptationDue, try adaptBatchSize() { continue epochs }
                let end = nextStop(plan: plan, first: first)
                try runSteps(plan, first: first, to: end)
                events.progress(Progress(epoch: state.epoch, step: state.stepInEpoch, steps: first + plan.steps,
                                         runningLoss: state.epochSums.lossSum / Double(max(state.epochSums.samples, 1)),
                                         samplesPerSecond: Double(state.epochSums.samples) / max(state.epochSums.seconds, 1e-9),
                                         elapsedSeconds: state.epochSums.seconds))
                if let every = checkpointEvery, state.scheduleStep % every == 0, state.stepInEpoch - first < plan.steps {
                    try checkpoint()
                }
            }
            try events.epochEnd(try finishEpoch(plan))
            try checkpoint()
        }
        if configuration.patience != nil, let best = bestParameters {
            try trainer.setParameters(best)
        }
        if state.stoppedEarly, let best = state.bestEpoch { return .stoppedEarly(bestEpoch: best) }
        return .completed
    }

    /// The epoch's step at which the current job must end.
    private func nextStop(plan: EpochPlan, first: Int) -> Int {
        let start = state.stepInEpoch
        // Steps left in the epoch bound every distance, so no sum below can overflow.
        var left = plan.steps - (start - first)
        if let steps = stepsToNextDecision { left = min(left, steps) }
        if let every = checkpointEvery { left = min(left, every - state.scheduleStep % every) }
        if let maxSteps { left = min(left, max(1, maxSteps - state.scheduleStep)) }
        if progressUpdatesPerEpoch > 0 { left = min(left, max(1, plan.steps / progressUpdatesPerEpoch)) }
        for end in jobEnds where end > state.scheduleStep { left = min(left, end - state.scheduleStep) }
        return start + left
    }

    /// Runs the epoch's steps from `state.stepInEpoch` to `end`: steps `… - first` of `plan`.
    private func runSteps(_ plan: EpochPlan, first: Int, to end: Int) throws {
        let start = state.stepInEpoch
        let rates = state.adaptive != nil ? adaptiveRates(count: end - start) : (start..<end).map { t in
            configuration.learningRate.rate(step: state.scheduleStep + (t - start), epoch: plan.epoch, epochs: configuration.epochs,
                                            stepInEpoch: t, stepsInEpoch: plan.steps, batchSize: plan.batchSize)
        }
        let report = try trainer.trainSteps(plan, on: train, steps: (start - first)..<(end - first), learningRates: rates,
                                            onNonFinite: configuration.onNonFinite, stop: stopRequest)
        // Short of `end` when a stop request ended the job early.
        let done = report.steps + report.skipped
        if done > 0 { lastLearningRate = rates[done - 1] }
        recordAdaptive(report, plan: plan, steps: (start - first)..<(start - first + done))
        state.stepInEpoch = start + done
        state.scheduleStep += done
        state.optimizerSteps = trainer.step
        state.noiseScale = trainer.noiseScale
        state.epochSums.add(report)
        state.skippedTotal += report.skipped
        state.wallSeconds += report.seconds
    }

    /// Validation, early stopping and the epoch's record; moves the state to the next epoch.
    private func finishEpoch(_ plan: EpochPlan) throws -> EpochRecord {
        let evaluation = try validation.map { try trainer.evaluate(on: $0) }
        let sums = state.epochSums
        let samples = max(sums.samples, 1)
        let lastRate = state.adaptive != nil ? (lastLearningRate ?? adaptiveRates(count: 1)[0]) : configuration.learningRate.rate(
            step: max(state.scheduleStep - 1, 0), epoch: plan.epoch, epochs: configuration.epochs,
            stepInEpoch: max(plan.steps - 1, 0), stepsInEpoch: plan.steps, batchSize: plan.batchSize)
        let record = EpochRecord(
            epoch: plan.epoch, step: state.optimizerSteps, learningRate: Double(lastRate), batchSize: plan.batchSize,
            trainLoss: sums.lossSum / Double(samples),
            trainAccuracy: train.classCount == nil ? nil : Double(sums.correct) / Double(samples),
            validationLoss: evaluation?.loss, validationAccuracy: evaluation?.accuracy,
            samplesPerSecond: Double(sums.samples) / max(sums.seconds, 1e-9),
            wallSeconds: state.wallSeconds, noiseScale: trainer.noiseScale.value,
            gain: state.adaptive?.decision?.gain, efficiency: state.adaptive?.decision?.efficiency,
            goodput: state.adaptive?.decision?.goodput)
        state.history.append(record)
        lastPhases = sums.phases
        lastEpochSteps = sums.steps + sums.skipped
        lastEpochSamples = sums.samples
        if let loss = evaluation?.loss {
            if loss < (state.bestValidationLoss ?? .infinity) {
                state.bestValidationLoss = loss
                state.bestEpoch = plan.epoch
                state.epochsWithoutImprovement = 0
                if configuration.patience != nil { bestParameters = trainer.parameterValues }
            } else {
                state.epochsWithoutImprovement += 1
                if let patience = configuration.patience, state.epochsWithoutImprovement >= patience {
                    state.stoppedEarly = true
                }
            }
        }
        state.epoch += 1
        state.stepInEpoch = 0
        state.adaptive?.segmentStart = 0
        state.adaptive?.segmentFirstStep = 0
        state.epochSums = StepsReport()
        return record
    }
}
