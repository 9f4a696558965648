extension Trainer {
    /// Trains one epoch: a seeded shuffle of `data` for (seed, epoch), cut into batches of
    /// `batchSize` (the last one shorter when it does not divide), one optimizer step per batch,
    /// all at `learningRate`. `TrainingSession` adds schedules, validation and checkpoints.
    ///
    /// - Throws: `TrainingError` at the first step whose batch loss is NaN or infinite. That
    ///   step takes no update: the weights stay as they were when it began.
    public func trainEpoch(on data: Dataset, epoch: Int, batchSize: Int, learningRate: Float, seed: UInt64) throws -> EpochReport {
        let scheduler = try EpochScheduler(sampleCount: data.count, seed: seed, batchSizes: try BatchSizeSchedule(constant: batchSize))
        let plan = scheduler.plan(epoch: epoch)
        let r = try trainSteps(plan, on: data, steps: 0..<plan.steps, learningRates: Array(repeating: learningRate, count: plan.steps))
        return EpochReport(epoch: epoch, steps: r.steps, samples: r.samples,
                           trainLoss: r.lossSum / Double(max(r.samples, 1)),
                           trainAccuracy: data.classCount == nil ? nil : Double(r.correct) / Double(max(r.samples, 1)),
                           seconds: r.seconds, phases: r.phases)
    }

    /// Runs steps `steps` of `plan` over `data` as one job on the workers, step t at
    /// `learningRates[t − steps.lowerBound]`. A `stop` requested during the job ends it after
    /// the step in flight: the report then counts fewer than `steps.count` steps (updates
    /// plus skipped batches), and the steps after those did not run.
    ///
    /// - Throws: `ConfigurationError` for a plan or schedule that does not fit this trainer and
    ///   data; `TrainingError` for a non-finite loss under `NonFinitePolicy.stop`, and, under
    ///   either policy, when the weights after the job hold a NaN or an infinity; the process
    ///   group's error when a cross-process sum failed.
    public func trainSteps(_ plan: EpochPlan, on data: Dataset, steps: Range<Int>, learningRates: [Float],
                           onNonFinite: NonFinitePolicy = .stop, stop: StopRequest? = nil) throws -> StepsReport {
        try validate(data)
        guard plan.batchSize >= 1 && plan.batchSize <= maxBatchSize else {
            throw ConfigurationError("batch size \(plan.batchSize) is outside 1…\(maxBatchSize), the range this trainer was built for")
        }
        precondition(steps.lowerBound >= 0 && steps.upperBound <= plan.steps && learningRates.count == steps.count)
        guard plan.order.allSatisfy({ $0 >= 0 && Int($0) < data.count }) else {
            throw ConfigurationError("the epoch plan names samples beyond the \(data.count) of \(data.name); plan epochs with an EpochScheduler for this data set")
        }
        guard learningRates.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw ConfigurationError("a learning rate in the schedule is negative or not finite")
        }
        let started = StepPhases.now()
        let job = try runSteps(plan, on: data, steps: steps, learningRates: learningRates, skipNonFinite: onNonFinite == .skip,
                               stop: stop, reduction: reduction, optimizer: optimizer)
        var report = job.report
        report.seconds = Double(StepPhases.now() - started) / 1e9
        step += report.steps
        // A finite loss can still give an update that overflows (a huge gradient times the
        // learning rate): such weights are never handed on, to a checkpoint or to the caller.
        // Checked first: a loss that went NaN after such an update is its consequence.
        if !parametersAreFinite {
            let first = step - report.steps + 1
            throw TrainingError.nonFiniteWeights(steps: first...max(step, first), epoch: plan.epoch,
                                                 learningRate: learningRates.max() ?? 0)
        }
        if let bad = job.divergedAt {
            let decay = (optimizer as? SGD)?.weightDecay ?? (optimizer as? Adam).map { $0.decoupledWeightDecay ? $0.weightDecay : 0 } ?? 0
            throw TrainingError.nonFinite(step: step + 1, epoch: plan.epoch, learningRate: learningRates[bad - steps.lowerBound],
                                          weightDecay: decay)
        }
        return report
    }

    /// Whether every parameter is a finite number (one pass over them, O(parameters)).
    public var parametersAreFinite: Bool {
        parameters.withUnsafeBufferPointer { values in values.allSatisfy(\.isFinite) }
    }

    /// The averaged gradient (1/B) Σ_i ∇ℓ_i of the samples at `indices`, computed by the same
    /// sharded path and all-reduce as a training step, without changing the parameters.
    public func averagedGradient(of data: Dataset, indices: [Int32]) throws -> (gradient: [Float], meanLoss: Double) {
        try validate(data)
        guard !indices.isEmpty && indices.count <= maxBatchSize else {
            throw ConfigurationError("the batch must hold 1…\(maxBatchSize) samples (got \(indices.count))")
        }
        guard indices.allSatisfy({ $0 >= 0 && Int($0) < data.count }) else {
            throw ConfigurationError("a batch index is outside 0..<\(data.count), the samples of \(data.name)")
        }
        let out = FloatBuffer(count: parameters.count, topology: topology)
        let plan = EpochPlan(epoch: 0, order: indices, batchSize: indices.count, steps: 1)
        // Through the reduce-scatter (or the cross-process one): each worker writes only its
        // slice of `out`.
        let job = try runSteps(plan, on: data, steps: 0..<1, learningRates: [0], skipNonFinite: false, stop: nil,
                               reduction: averagingReduction, optimizer: GradientCapture(out: out))
        return (out.array, job.report.lossSum / Double(indices.count))
    }

    /// Runs `steps` of `plan` as one job: every worker runs `TrainingStep.run`.
    private func runSteps<Reduction: GradientReduction, Update: Optimizer>(
        _ plan: EpochPlan, on data: Dataset, steps: Range<Int>, learningRates: [Float], skipNonFinite: Bool, stop: StopRequest?,
        reduction: Reduction, optimizer: Update
    ) throws -> JobTotals {
        let results = JobResults(workers: pool.count, steps: steps.count, noiseScale: noiseScale)
        data.features.withUnsafeBufferPointer { features in
        data.targets.withUnsafeBufferPointer { targets in
        plan.order.withUnsafeBufferPointer { order in
            let job = TrainingStep(
                model: model, reduction: reduction, optimizer: optimizer,
                data: JobData(features: features, targets: targets, order: order,
                              featureWidth: data.featureWidth, targetWidth: data.targetWidth),
                plan: plan, steps: steps, learningRates: learningRates, firstOptimizerStep: step,
                skipNonFinite: skipNonFinite, stop: stop, microsharding: microsharding, workers: pool.count,
                rank: processGroup?.rank ?? 0, ranks: processGroup?.size ?? 1, parameterCount: parameters.count, seed: seed,
                workspaces: workspaces, staging: staging, stats: stats, results: results)
            pool.run { job.run(on: $0) }
        }
        }
        }
        if let failure = reduction.failure { throw failure }
        noiseScale = results.noiseScale
        return results.report(workers: pool.count)
    }
}

/// The "optimizer" of `averagedGradient`: writes the averaged gradient out instead of
/// updating anything.
private struct GradientCapture: Optimizer, @unchecked Sendable {
    let out: FloatBuffer
    var stateSlots: Int { 0 }

    func update(parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                state: UnsafeMutablePointer<Float>, parameterCount: Int,
                range: Range<Int>, step: Int, learningRate: Float) {
        out.write(gradient, at: range)
    }
}
