import Foundation

/// `--batch-size auto` in the session: the part of the epoch planned at the batch in use, the
/// decision points, the learning rates on the scale-invariant clock, and the step times the
/// throughput model learns from. A run with batch sizes of its own (`BatchSizeSchedule`)
/// takes none of these paths.
extension TrainingSession {
    /// Steps of statistics the noise estimate needs before a decision trusts it.
    static let statisticsSteps = 10

    /// The epoch's plan from where it stands — the whole epoch, or under auto the rest of it at
    /// the batch in use — and the epoch's step that is the plan's step 0.
    func currentPlan() -> (plan: EpochPlan, first: Int) {
        guard let a = state.adaptive else { return (scheduler.plan(epoch: state.epoch), 0) }
        return (scheduler.plan(epoch: state.epoch, from: a.segmentStart, batchSize: a.batchSize), a.segmentFirstStep)
    }

    /// Steps in the epoch in progress: under auto, as planned at the batch in use.
    public var stepsInEpoch: Int {
        let (plan, first) = currentPlan()
        return first + plan.steps
    }

    /// Whether a decision is due before the next step: at each epoch's start and `adaptEvery`
    /// steps after the last decision — once the noise estimate has enough steps.
    var adaptationDue: Bool {
        guard let a = state.adaptive, let settings = configuration.adaptiveBatch,
              trainer.noiseScale.steps >= Self.statisticsSteps else { return false }
        guard let last = a.lastDecisionStep else { return true }
        return a.lastDecisionEpoch != state.epoch || state.scheduleStep - last >= settings.adaptEvery
    }

    /// Steps until the next decision point within the epoch, or nil when no decision is pending.
    var stepsToNextDecision: Int? {
        guard let a = state.adaptive, let settings = configuration.adaptiveBatch else { return nil }
        guard let last = a.lastDecisionStep else { return max(1, Self.statisticsSteps - trainer.noiseScale.steps) }
        return max(1, settings.adaptEvery - (state.scheduleStep - last))
    }

    /// Takes a decision: the batch size, its gain and its learning-rate factor from here on.
    /// Returns whether the batch size changed (the rest of the epoch must then be planned anew).
    func adaptBatchSize() throws -> Bool {
        guard var a = state.adaptive, let settings = configuration.adaptiveBatch,
              let statistics = StatisticalEfficiency(trainer.noiseScale, baseBatchSize: settings.minimum) else { return false }
        let reproducible = configuration.microsharding != nil
        let decision = settings.decide(statistics: statistics, throughput: reproducible ? nil : try agreedFit(a.throughput, grid: settings.grid),
                                       model: a.throughput, reproducible: reproducible, current: a.batchSize)
        if let group = processGroup, group.size > 1 {
            // Every process must train the same batch, or the sums would mix batches: a check
            // that costs one small sum per decision.
            var chosen = [Double(decision.batchSize)]
            try chosen.withUnsafeMutableBufferPointer { try group.allReduceSum($0.baseAddress!, count: 1) }
            guard chosen[0] == Double(group.size * decision.batchSize) else {
                throw TrainingError("the processes of the run chose different batch sizes at step \(state.scheduleStep) (this one \(decision.batchSize)); this is a bug in Batchwise — please report it, and train with a fixed \(parameter: "batchSize") meanwhile")
            }
        }
        let position = a.position(stepInEpoch: state.stepInEpoch, sampleCount: train.count)
        let changed = decision.batchSize != a.batchSize
        a.lastDecisionStep = state.scheduleStep
        a.lastDecisionEpoch = state.epoch
        a.decision = decision
        a.gain = decision.gain
        a.learningRateFactor = settings.learningRateFactor(batchSize: decision.batchSize, gain: decision.gain)
        if changed || a.changes.isEmpty {
            a.changes.append(.init(step: state.scheduleStep,
                                   epochs: Double(state.epoch - 1) + Double(position) / Double(train.count), decision: decision))
        }
        if changed {
            a.segmentStart = position
            a.segmentFirstStep = state.stepInEpoch
            a.batchSize = decision.batchSize
        }
        state.adaptive = a
        return changed
    }

    /// The step-time fit every process of the run agrees on: each process's median step time
    /// per batch size of `grid`, averaged across processes (one sum across them), so that all
    /// take the same decision — the noise statistics are the same in every process already.
    /// In one process, `throughput.fit()`.
    private func agreedFit(_ throughput: ThroughputModel, grid: [Int]) throws -> (alpha: Double, beta: Double)? {
        guard let group = processGroup, group.size > 1 else { return throughput.fit() }
        // Per grid size: the median (0 when not measured here) and 1 when measured.
        var sums = [Double](repeating: 0, count: 2 * grid.count)
        for m in throughput.medians {
            guard let i = grid.firstIndex(of: m.batchSize) else { continue }
            (sums[2 * i], sums[2 * i + 1]) = (m.seconds, 1)
        }
        try sums.withUnsafeMutableBufferPointer { try group.allReduceSum($0.baseAddress!, count: $0.count) }
        return throughput.fit(grid.indices.compactMap { i in sums[2 * i + 1] > 0 ? (grid[i], sums[2 * i] / sums[2 * i + 1]) : nil })
    }

    /// The learning rates of the next `count` steps under auto: the schedule on the
    /// scale-invariant clock, each step advancing it by the gain, times the scaling factor.
    func adaptiveRates(count: Int) -> [Float] {
        guard let a = state.adaptive else { return [] }
        let baseSteps = Double(scheduler.steps(epoch: state.epoch))
        return (0..<count).map { k in
            configuration.learningRate.rate(scaleInvariantStep: a.progress + Double(k) * a.gain, stepsPerEpoch: baseSteps,
                                            epochs: configuration.epochs, factor: a.learningRateFactor)
        }
    }

    /// After a job under auto: the clock advances by the gain per step, and the step times
    /// join the throughput model (a short last batch of the epoch left out: it is not a step
    /// at this batch size).
    func recordAdaptive(_ report: StepsReport, plan: EpochPlan, steps: Range<Int>) {
        guard var a = state.adaptive else { return }
        a.progress += Double(steps.count) * a.gain
        var times = report.stepSeconds.prefix(steps.count)
        if steps.upperBound == plan.steps, plan.steps > 0, plan.batch(plan.steps - 1).count < plan.batchSize {
            times = times.dropLast()
        }
        a.throughput.record(batchSize: plan.batchSize, stepSeconds: times)
        state.adaptive = a
    }

    /// What auto needs of the run: the noise measured (2 or more sources across the threads
    /// and processes), and the schedule and scaling it sets itself.
    static func checkAdaptive(_ settings: AdaptiveBatchSize, configuration: TrainingConfiguration,
                              workers: Int, processes: Int) throws(ConfigurationError) {
        let auto: ErrorText = "\(parameter: "batchSize", value: "auto")"
        if configuration.microsharding == nil && workers * processes < 2 {
            throw ConfigurationError(auto + " decides from the gradient noise, measured from the partial sums of 2 or more threads: use 2 or more \(parameter: "workers"), or \(parameter: "microsharding", value: "true"), which measures it at any thread count")
        }
        guard configuration.batchSizes == (try? BatchSizeSchedule(constant: settings.minimum)),
              configuration.learningRate.scalingBaseBatchSize == nil else {
            throw ConfigurationError(auto + " sets the batch size and follows it with the learning rate itself: give the constant batch size \(settings.minimum) and no \(parameter: "baseBatchSize") of linear scaling")
        }
    }
}
