import Foundation

/// What a job of steps reported, written by worker 0 at the end of the job.
struct JobTotals {
    var report = StepsReport()
    /// The step (within the epoch) whose loss was not finite, under `NonFinitePolicy.stop`.
    var divergedAt: Int?
    /// The process group's error, when a cross-process sum failed.
    var failure: (any Error)?
}

/// Where the workers' time went during an epoch: seconds per worker, averaged over workers.
/// Their sum is about the epoch's wall time; `barrier` is time spent waiting for the slowest
/// worker (load imbalance plus hand-over), the rest is work.
public struct StepPhases: Sendable, Equatable, Codable {
    /// Gathering the shard's rows, forward and backward passes.
    public var compute = 0.0
    /// Waiting at the two barriers of each step.
    public var barrier = 0.0
    /// Reduce-scatter of the partial sums fused with the optimizer update.
    public var allReduce = 0.0
    /// Summing across processes (MPI_Allreduce), in a multi-process run; worker 0 does it.
    public var crossProcess = 0.0

    @inline(__always) static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

/// The parameters and optimizer state one worker updates (the trainer's, or its replica).
struct UpdateTarget: @unchecked Sendable {
    let parameters: UnsafeMutablePointer<Float>
    let state: UnsafeMutablePointer<Float>
}

/// What to do when a batch's loss is NaN or infinite.
public enum NonFinitePolicy: String, Sendable, Codable, CaseIterable {
    /// Stop training with an error naming the step (the default).
    case stop
    /// Skip the batch (no update) and count it.
    case skip
}

/// What a run of steps measured.
public struct StepsReport: Sendable, Equatable, Codable {
    /// Steps that updated the weights.
    public var steps = 0
    /// Batches skipped because their loss was not finite (`NonFinitePolicy.skip`).
    public var skipped = 0
    /// Samples in the steps that updated the weights.
    public var samples = 0
    /// Σ ℓ over those samples.
    public var lossSum = 0.0
    public var correct = 0
    public var seconds = 0.0
    public var phases = StepPhases()
    /// Wall time of each step of the job (skipped ones included), as worker 0 saw it from the
    /// end of one step to the end of the next: the first includes waking the workers.
    public var stepSeconds: [Double] = []

    public init() {}

    /// Adds another run's sums (not its per-step times).
    public mutating func add(_ other: StepsReport) {
        steps += other.steps
        skipped += other.skipped
        samples += other.samples
        lossSum += other.lossSum
        correct += other.correct
        seconds += other.seconds
        phases.compute += other.phases.compute
        phases.barrier += other.phases.barrier
        phases.allReduce += other.phases.allReduce
        phases.crossProcess += other.phases.crossProcess
    }
}

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
    /// `learningRates[t − steps.lowerBound]`.
    public func trainSteps(_ plan: EpochPlan, on data: Dataset, steps: Range<Int>, learningRates: [Float],
                           onNonFinite: NonFinitePolicy = .stop) throws -> StepsReport {
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
        let optimizer = self.optimizer, parameterCount = parameters.count
        let firstOptimizerStep = step
        let started = StepPhases.now()
        let job = runSteps(data: data, plan: plan, steps: steps, skipNonFinite: onNonFinite == .skip, pairs: pair != nil) { target, range, mean, t, taken in
            optimizer.update(parameters: target.parameters, gradient: mean, state: target.state,
                             parameterCount: parameterCount, range: range, step: firstOptimizerStep + taken + 1,
                             learningRate: learningRates[t - steps.lowerBound])
        }
        var report = job.report
        report.seconds = Double(StepPhases.now() - started) / 1e9
        step += report.steps
        if let failure = job.failure { throw failure }
        if let bad = job.divergedAt {
            throw TrainingError.nonFinite(step: step + 1, epoch: plan.epoch, learningRate: learningRates[bad - steps.lowerBound])
        }
        return report
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
        // The reduce-scatter path: each worker writes only its slice of `out`.
        let job = runSteps(data: data, plan: plan, steps: 0..<1, skipNonFinite: false, pairs: false) { _, range, mean, _, _ in
            (out.pointer + range.lowerBound).update(from: mean, count: range.count)
        }
        if let failure = job.failure { throw failure }
        return (out.array, job.report.lossSum / Double(indices.count))
    }

    /// The data path of a step, for each step of `steps`, as one job on every worker:
    /// gather the rows → forward/backward into a partial gradient sum (the worker's shard, or
    /// each of its microshards in reproducible mode) → barrier → reduce-scatter fused with
    /// `apply` on this worker's parameter slice → barrier. With `pairs` (a trainer set up for
    /// the replicated pair): fold the own partial sum → barrier → add the other's and `apply`
    /// over the whole vector to this worker's own replica.
    /// `apply` gets the parameters and state to update, the step index in the epoch and the
    /// number of updates already taken in the job (they differ once a non-finite batch has
    /// been skipped).
    func runSteps(data: Dataset, plan: EpochPlan, steps: Range<Int>, skipNonFinite: Bool, pairs: Bool,
                  apply: @escaping @Sendable (_ target: UpdateTarget, _ range: Range<Int>, _ mean: UnsafePointer<Float>,
                                              _ step: Int, _ taken: Int) -> Void) -> JobTotals {
        let model = self.model, workers = pool.count, stats = self.stats, allReduce = self.allReduce
        let pair = pairs ? self.pair : nil
        precondition(!pairs || pair != nil)
        let parameters = self.parameters, gradients = self.gradients, workspaces = Unchecked(value: self.workspaces)
        let workerParameters = self.workerParameters, workerState = self.workerState, state = self.optimizerState
        let inputStaging = self.inputStaging, targetStaging = self.targetStaging
        let fw = data.featureWidth, tw = data.targetWidth, microsharding = self.microsharding
        let group = Unchecked(value: processGroup), processSum = self.processSum, scalars = processScalars
        let rank = processGroup?.rank ?? 0, ranks = processGroup?.size ?? 1
        let result = PerWorkerSlots(count: 1, initial: JobTotals())
        let phases = PerWorkerSlots(count: workers, initial: StepPhases())
        let noise = PerWorkerSlots(count: 1, initial: noiseScale)
        let stepEnds = PerWorkerSlots<UInt64>(count: steps.count + 1, initial: 0)
        scalars[3] = 0
        stepEnds[0] = StepPhases.now()
        data.features.withUnsafeBufferPointer { f in
        data.targets.withUnsafeBufferPointer { t in
        plan.order.withUnsafeBufferPointer { o in
            let features = Unchecked(value: f.baseAddress!), targets = Unchecked(value: t.baseAddress!)
            let order = Unchecked(value: o.baseAddress!)
            pool.run { context in
                let w = context.index
                let x = inputStaging[w].pointer, y = targetStaging[w].pointer
                let workspace = workspaces.value[w]
                // With the replicated pair, worker 1 computes with and updates its own copy,
                // brought up to date with the trainer's at the start of every job.
                let target = pair == nil ? UpdateTarget(parameters: parameters.pointer, state: state.pointer)
                    : UpdateTarget(parameters: workerParameters[w].pointer, state: workerState[w].pointer)
                var totals = JobTotals()
                var noiseScale = noise[0]
                // Worker 0's scratch for the noise statistics, allocated once per job.
                var sourceNorms = [Double](repeating: 0, count: w == 0 ? allReduce.maxSources : 0)
                var sourceCounts = [Int](repeating: 0, count: w == 0 ? allReduce.maxSources : 0)
                var compute: UInt64 = 0, barrier: UInt64 = 0, reduce: UInt64 = 0, crossProcess: UInt64 = 0
                var clock = StepPhases.now()
                func lap(_ bucket: inout UInt64) {
                    let now = StepPhases.now()
                    bucket &+= now &- clock
                    clock = now
                }
                if pair != nil && w != 0 {
                    target.parameters.update(from: parameters.pointer, count: parameters.count)
                    target.state.update(from: state.pointer, count: state.count)
                    lap(&reduce)  // part of the pair's all-reduce cost, paid once per job
                }
                /// Gathers the batch positions `rows`, runs the model into `gradient`, and records
                /// the rows and loss in stats slot `s`.
                func accumulate(_ rows: Range<Int>, into gradient: UnsafeMutablePointer<Float>, slot s: Int) {
                    for (row, position) in rows.enumerated() {
                        let sample = Int(order.value[position])
                        (x + row * fw).update(from: features.value + sample * fw, count: fw)
                        (y + row * tw).update(from: targets.value + sample * tw, count: tw)
                    }
                    let loss = model.accumulateGradient(
                        parameters: target.parameters, samples: ShardSamples(inputs: x, targets: y, count: rows.count),
                        gradient: gradient, workspace: workspace)
                    stats[s] = WorkerStats(count: rows.count, loss: loss)
                }
                for t in steps {
                    // The replicated pair's buffer set and stats slots alternate by step parity.
                    let set = (t - steps.lowerBound) % 2
                    let statsBase = pair == nil ? 0 : 2 * set
                    // Across processes first (each takes a contiguous part), then across workers.
                    let whole = plan.batch(t)
                    let part = ShardPlan(batchSize: whole.count, workers: ranks).shard(rank)
                    let batch = (whole.lowerBound + part.lowerBound)..<(whole.lowerBound + part.upperBound)
                    let sourceCount: Int
                    let mine: Range<Int>
                    let grain = microsharding?.grain(forBatch: batch.count)
                    if let grain {
                        // Microshards of `grain` samples, whoever computes them.
                        let shards = ShardPlan(batchSize: batch.count, workers: workers, grain: grain)
                        sourceCount = shards.microshardCount
                        mine = shards.shard(w)
                        for start in stride(from: mine.lowerBound, to: mine.upperBound, by: grain) {
                            let end = min(start + grain, mine.upperBound)
                            accumulate(batch.lowerBound + start ..< batch.lowerBound + end, into: gradients[start / grain].pointer, slot: start / grain)
                        }
                    } else {
                        sourceCount = workers
                        mine = ShardPlan(batchSize: batch.count, workers: workers).shard(w)
                        accumulate(batch.lowerBound + mine.lowerBound ..< batch.lowerBound + mine.upperBound,
                                   into: pair?.gradient(worker: w, set: set) ?? gradients[w].pointer, slot: statsBase + w)
                    }
                    lap(&compute)
                    if let pair {
                        pair.fold(worker: w, set: set)
                        lap(&reduce)
                    }
                    context.barrier.arriveAndWait()
                    lap(&barrier)

                    var step = StepsReport()
                    for v in 0..<sourceCount {
                        step.samples += stats[statsBase + v].count
                        step.lossSum += stats[statsBase + v].loss.lossSum
                        step.correct += stats[statsBase + v].loss.correct
                    }
                    // The counts are needed after the second barrier, when the others may
                    // already be writing the next step's stats: keep them now.
                    if w == 0 {
                        for v in 0..<sourceCount { sourceCounts[v] = stats[statsBase + v].count }
                    }
                    if let processSum {
                        // Hierarchical all-reduce: this process's sum, then across processes.
                        allReduce.reduceLocally(worker: w, sourceCount: sourceCount, into: processSum.pointer)
                        if w == 0 {
                            scalars[0] = Double(step.samples)
                            scalars[1] = step.lossSum
                            scalars[2] = Double(step.correct)
                        }
                        lap(&reduce)
                        context.barrier.arriveAndWait()
                        lap(&barrier)
                        if w == 0 {
                            do {
                                try group.value!.allReduceSum(processSum.pointer, count: parameters.count)
                                try scalars.withPointer { try group.value!.allReduceSum($0, count: 3) }
                            } catch {
                                totals.failure = error
                                scalars[3] = 1
                            }
                        }
                        lap(&crossProcess)
                        context.barrier.arriveAndWait()
                        lap(&barrier)
                        // A failed cross-process sum stops every worker at the same step.
                        if scalars[3] != 0 { break }
                        step.samples = Int(scalars[0])
                        step.lossSum = scalars[1]
                        step.correct = Int(scalars[2])
                    }
                    let finite = step.lossSum.isFinite
                    if !finite {
                        // Every worker sees the same sums, so all take the same branch and
                        // clear the partial sums they wrote.
                        if let pair {
                            pair.discard(worker: w, set: set)
                        } else if let processSum {
                            let slice = allReduce.slices.slice(w)
                            (processSum.pointer + slice.lowerBound).update(repeating: 0, count: slice.count)
                        } else {
                            let written = mine.isEmpty ? 0..<0 : grain.map { g in (mine.lowerBound / g)..<((mine.upperBound - 1) / g + 1) } ?? w..<(w + 1)
                            for s in written {
                                gradients[s].pointer.update(repeating: 0, count: parameters.count)
                            }
                        }
                        if !skipNonFinite {
                            totals.divergedAt = t
                            break
                        }
                        totals.report.skipped += 1
                    } else {
                        let taken = totals.report.steps
                        if let pair {
                            pair.reduce(worker: w, set: set, totalCount: step.samples) { range, mean in
                                apply(target, range, mean, t, taken)
                            }
                        } else if let processSum {
                            allReduce.applyMean(worker: w, of: processSum.pointer, totalCount: step.samples) { range, mean in
                                apply(target, range, mean, t, taken)
                            }
                        } else {
                            allReduce.reduceScatter(worker: w, sourceCount: sourceCount, totalCount: step.samples) { range, mean in
                                apply(target, range, mean, t, taken)
                            }
                        }
                        totals.report.lossSum += step.lossSum
                        totals.report.correct += step.correct
                        totals.report.samples += step.samples
                        totals.report.steps += 1
                    }
                    lap(&reduce)
                    // Nobody may overwrite its stats for the next step, nor its parameter slice,
                    // before all have read them. The replicated pair double-buffers its stats
                    // and partial sums and keeps its own parameters: it needs no second barrier.
                    if pair == nil {
                        context.barrier.arriveAndWait()
                        lap(&barrier)
                    }
                    if w == 0 { stepEnds[t - steps.lowerBound + 1] = clock }
                    if w == 0 && finite && sourceCount >= 2 && processSum == nil {
                        let total: Double
                        if let pair {
                            total = pair.noiseStatistics(into: &sourceNorms)
                        } else {
                            allReduce.noiseStatistics(sourceCount: sourceCount, into: &sourceNorms)
                            total = allReduce.totalNorm(sourceCount: sourceCount)
                        }
                        if let e = GradientNoiseScale.estimate(sourceNorms: sourceNorms[..<sourceCount], counts: sourceCounts[..<sourceCount], totalNorm: total) {
                            noiseScale.add(gradientSquared: e.gradientSquared, trace: e.trace)
                        }
                    }
                }
                phases[w] = StepPhases(compute: Double(compute) / 1e9, barrier: Double(barrier) / 1e9, allReduce: Double(reduce) / 1e9,
                                       crossProcess: Double(crossProcess) / 1e9)
                if w == 0 {
                    result[0] = totals
                    noise[0] = noiseScale
                }
            }
        }
        }
        }
        noiseScale = noise[0]
        var totals = result[0]
        let ends = stepEnds.values.prefix(totals.report.steps + totals.report.skipped + 1)
        totals.report.stepSeconds = zip(ends, ends.dropFirst()).map { Double($1 &- $0) / 1e9 }
        for p in phases.values {
            totals.report.phases.compute += p.compute / Double(workers)
            totals.report.phases.barrier += p.barrier / Double(workers)
            totals.report.phases.allReduce += p.allReduce / Double(workers)
            totals.report.phases.crossProcess += p.crossProcess / Double(workers)
        }
        return totals
    }
}
