import Foundation

/// Sums a job's workers reported, written by worker 0 at the end of the job.
struct JobTotals {
    var lossSum = 0.0
    var correct = 0
    var samples = 0
    var steps = 0
    var diverged = false
    var phases = StepPhases()
}

/// Where the workers' time went during an epoch: seconds per worker, averaged over workers.
/// Their sum is about the epoch's wall time; `barrier` is time spent waiting for the slowest
/// worker (load imbalance plus hand-over), the rest is work.
public struct StepPhases: Sendable, Equatable {
    /// Gathering the shard's rows, forward and backward passes.
    public var compute = 0.0
    /// Waiting at the two barriers of each step.
    public var barrier = 0.0
    /// Reduce-scatter of the partial sums fused with the optimizer update.
    public var allReduce = 0.0

    @inline(__always) static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
}

extension Trainer {
    /// Trains one epoch: a seeded shuffle of `data` for (seed, epoch), cut into batches of
    /// `batchSize` (the last one shorter when it does not divide), one optimizer step per batch.
    ///
    /// - Throws: `TrainingError` at the first step whose batch loss is NaN or infinite. That
    ///   step takes no update: the weights stay as they were when it began.
    public func trainEpoch(on data: Dataset, epoch: Int, batchSize: Int, learningRate: Float, seed: UInt64) throws -> EpochReport {
        try validate(data)
        guard batchSize >= 1 && batchSize <= maxBatchSize else {
            throw ConfigurationError("batch size \(batchSize) is outside 1…\(maxBatchSize), the range this trainer was built for")
        }
        let order = EpochPermutation.indices(count: data.count, seed: seed, epoch: epoch)
        let steps = (data.count + batchSize - 1) / batchSize
        let optimizer = self.optimizer, parameters = self.parameters, state = self.optimizerState
        let firstStep = step
        let started = DispatchTime.now().uptimeNanoseconds
        let totals = runSteps(data: data, order: order, batchSize: batchSize, steps: steps) { range, mean, t in
            optimizer.update(parameters: parameters.pointer, gradient: mean, state: state.pointer,
                             parameterCount: parameters.count, range: range, step: firstStep + t + 1,
                             learningRate: learningRate)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        step += totals.steps
        if totals.diverged {
            throw TrainingError.nonFinite(step: step + 1, epoch: epoch, learningRate: learningRate)
        }
        return EpochReport(epoch: epoch, steps: totals.steps, samples: totals.samples,
                           trainLoss: totals.lossSum / Double(max(totals.samples, 1)),
                           trainAccuracy: data.classCount == nil ? nil : Double(totals.correct) / Double(max(totals.samples, 1)),
                           seconds: seconds, phases: totals.phases)
    }

    /// The averaged gradient (1/B) Σ_i ∇ℓ_i of the samples at `indices`, computed by the same
    /// sharded path and all-reduce as a training step, without changing the parameters.
    public func averagedGradient(of data: Dataset, indices: [Int32]) throws -> (gradient: [Float], meanLoss: Double) {
        try validate(data)
        guard !indices.isEmpty && indices.count <= maxBatchSize else {
            throw ConfigurationError("the batch must hold 1…\(maxBatchSize) samples (got \(indices.count))")
        }
        let out = FloatBuffer(count: parameters.count, topology: topology)
        let totals = runSteps(data: data, order: indices, batchSize: indices.count, steps: 1) { range, mean, _ in
            (out.pointer + range.lowerBound).update(from: mean, count: range.count)
        }
        return (out.array, totals.lossSum / Double(indices.count))
    }

    /// The data path of a step, `steps` times, as one job on every worker:
    /// gather the shard's rows → forward/backward into the worker's gradient sum → barrier →
    /// reduce-scatter fused with `apply` on this worker's parameter slice → barrier.
    func runSteps(data: Dataset, order: [Int32], batchSize: Int, steps: Int,
                  apply: @escaping @Sendable (_ range: Range<Int>, _ mean: UnsafePointer<Float>, _ stepInJob: Int) -> Void) -> JobTotals {
        let model = self.model, workers = pool.count, stats = self.stats, allReduce = self.allReduce
        let parameters = self.parameters, gradients = self.gradients, workspaces = Unchecked(value: self.workspaces)
        let inputStaging = self.inputStaging, targetStaging = self.targetStaging
        let fw = data.featureWidth, tw = data.targetWidth, sampleCount = order.count
        let result = PerWorkerSlots(count: 1, initial: JobTotals())
        let phases = PerWorkerSlots(count: workers, initial: StepPhases())
        data.features.withUnsafeBufferPointer { f in
        data.targets.withUnsafeBufferPointer { t in
        order.withUnsafeBufferPointer { o in
            let features = Unchecked(value: f.baseAddress!), targets = Unchecked(value: t.baseAddress!)
            let order = Unchecked(value: o.baseAddress!)
            pool.run { context in
                let w = context.index
                let x = inputStaging[w].pointer, y = targetStaging[w].pointer, g = gradients[w].pointer
                let workspace = workspaces.value[w]
                var totals = JobTotals()
                var compute: UInt64 = 0, barrier: UInt64 = 0, reduce: UInt64 = 0
                var clock = StepPhases.now()
                func lap(_ bucket: inout UInt64) {
                    let now = StepPhases.now()
                    bucket &+= now &- clock
                    clock = now
                }
                for t in 0..<steps {
                    let first = t * batchSize
                    let shard = ShardPlan(batchSize: min(batchSize, sampleCount - first), workers: workers).shard(w)
                    for (row, position) in shard.enumerated() {
                        let sample = Int(order.value[first + position])
                        (x + row * fw).update(from: features.value + sample * fw, count: fw)
                        (y + row * tw).update(from: targets.value + sample * tw, count: tw)
                    }
                    let loss = model.accumulateGradient(
                        parameters: parameters.pointer, samples: ShardSamples(inputs: x, targets: y, count: shard.count),
                        gradient: g, workspace: workspace)
                    stats[w] = WorkerStats(count: shard.count, loss: loss)
                    lap(&compute)
                    context.barrier.arriveAndWait()
                    lap(&barrier)

                    var step = JobTotals()
                    for v in 0..<workers {
                        step.samples += stats[v].count
                        step.lossSum += stats[v].loss.lossSum
                        step.correct += stats[v].loss.correct
                    }
                    if !step.lossSum.isFinite {
                        // Every worker sees the same sums and stops at the same step.
                        g.update(repeating: 0, count: parameters.count)
                        totals.diverged = true
                        break
                    }
                    allReduce.reduceScatter(worker: w, totalCount: step.samples) { range, mean in apply(range, mean, t) }
                    totals.lossSum += step.lossSum
                    totals.correct += step.correct
                    totals.samples += step.samples
                    totals.steps += 1
                    lap(&reduce)
                    context.barrier.arriveAndWait()
                    lap(&barrier)
                }
                phases[w] = StepPhases(compute: Double(compute) / 1e9, barrier: Double(barrier) / 1e9, allReduce: Double(reduce) / 1e9)
                if w == 0 { result[0] = totals }
            }
        }
        }
        }
        var totals = result[0]
        for p in phases.values {
            totals.phases.compute += p.compute / Double(workers)
            totals.phases.barrier += p.barrier / Double(workers)
            totals.phases.allReduce += p.allReduce / Double(workers)
        }
        return totals
    }

    /// Mean loss (and accuracy) of the current weights on `data`, evaluated in parallel:
    /// worker w takes a contiguous w-th of the samples; sums are combined in worker order.
    public func evaluate(on data: Dataset) throws -> Evaluation {
        try validate(data)
        let model = self.model, stats = self.stats, parameters = self.parameters, workspaces = Unchecked(value: self.workspaces)
        let workers = pool.count, capacity = ShardPlan(batchSize: maxBatchSize, workers: workers).shard(0).count
        let fw = data.featureWidth, tw = data.targetWidth, n = data.count
        data.features.withUnsafeBufferPointer { f in
        data.targets.withUnsafeBufferPointer { t in
            let features = Unchecked(value: f.baseAddress!), targets = Unchecked(value: t.baseAddress!)
            pool.run { context in
                let w = context.index
                let mine = ShardPlan(batchSize: n, workers: workers).shard(w)
                var sum = ShardLoss()
                var position = mine.lowerBound
                while position < mine.upperBound {
                    let m = min(capacity, mine.upperBound - position)
                    let r = model.evaluate(parameters: parameters.pointer,
                                           samples: ShardSamples(inputs: features.value + position * fw, targets: targets.value + position * tw, count: m),
                                           workspace: workspaces.value[w])
                    sum.lossSum += r.lossSum
                    sum.correct += r.correct
                    position += m
                }
                stats[w] = WorkerStats(count: mine.count, loss: sum)
            }
        }
        }
        var total = ShardLoss()
        for w in 0..<workers {
            total.lossSum += stats[w].loss.lossSum
            total.correct += stats[w].loss.correct
        }
        return Evaluation(samples: n, loss: total.lossSum / Double(n),
                          accuracy: data.classCount == nil ? nil : Double(total.correct) / Double(n))
    }
}
