/// A job of training steps as every worker runs it: for each step, gather → compute →
/// barrier → combine → reduce and update (→ barrier), the same path whatever the all-reduce.
///
/// Built once per job by `Trainer.runSteps`; `run(on:)` is the whole body of the job on one
/// worker. Nothing in a step allocates, locks or calls Dispatch: the buffers are the trainer's,
/// set up once; the reduction and the optimizer are concrete types here, not closures.
struct TrainingStep<Model: GradientModel, Reduction: GradientReduction, Update: Optimizer>: @unchecked Sendable {
    let model: Model
    let reduction: Reduction
    let optimizer: Update
    let data: JobData
    let plan: EpochPlan
    let steps: Range<Int>
    /// Step t runs at `learningRates[t − steps.lowerBound]`.
    let learningRates: [Float]
    /// Optimizer steps the trainer had taken before this job.
    let firstOptimizerStep: Int
    let skipNonFinite: Bool
    /// Ends the job after the step during which it was requested; nil: never.
    let stop: StopRequest?
    let microsharding: Microsharding?
    let workers: Int
    /// This process's place among the processes of the run (0 of 1 in one process).
    let rank: Int, ranks: Int
    let parameterCount: Int
    /// The run's seed, which keys the draws of random layers with the step and sample position.
    let seed: UInt64
    /// Per worker: its workspace and staging rows.
    let workspaces: [Model.Workspace]
    let staging: [StagingBuffer]
    /// One slot per source (worker, microshard, or the pair's double-buffered ones).
    let stats: PerWorkerSlots<WorkerStats>
    let results: JobResults

    /// The whole job on one worker.
    func run(on context: WorkerContext) {
        let w = context.index
        var clock = PhaseClock()
        var totals = JobTotals()
        var noiseScale = results.noiseScale
        // Worker 0's scratch for the noise statistics, allocated once per job.
        var sourceNorms = [Double](repeating: 0, count: w == 0 ? reduction.maxSources : 0)
        var sourceCounts = [Int](repeating: 0, count: w == 0 ? reduction.maxSources : 0)
        reduction.beginJob(worker: w, clock: &clock)
        for t in steps {
            let parity = (t - steps.lowerBound) % 2
            // 1. Gather this worker's rows of the batch and add their gradients into its
            //    partial sum(s).
            let batch = processBatch(t)
            let computed = computePartialSums(worker: w, batch: batch, parity: parity,
                                              step: firstOptimizerStep + totals.report.steps)
            clock.lap(.compute)
            reduction.afterCompute(worker: w, parity: parity, clock: &clock)
            // A stop request, read once per step by worker 0 alone, as late as possible but
            // before the first barrier, so that every worker decides on the same answer after
            // it (double-buffered like the pair's stats): a request made during this step
            // ends the job after it, one made later after the next.
            if w == 0, let stop { results.stopRequests[parity] = stop.isRequested }
            // 2. Every partial sum of the step is written.
            context.barrier.arriveAndWait()
            clock.lap(.barrier)
            // 3. The totals the update divides by (across processes in a multi-process run).
            let local = localSums(sourceCount: computed.sourceCount, parity: parity)
            if w == 0 {
                // Needed after the closing barrier, when others may be writing the next step's stats.
                for v in 0..<computed.sourceCount { sourceCounts[v] = stats[reduction.statsSlot(source: v, parity: parity)].count }
            }
            guard let sums = reduction.combine(local.with(stopRequested: results.stopRequests[parity]), worker: w, sourceCount: computed.sourceCount,
                                               sourceCounts: sourceCounts, barrier: context.barrier, clock: &clock) else { break }
            // 4. Reduce and update — or take no update for a batch whose loss is not finite
            //    (every worker sees the same sums, so all take the same branch).
            let finite = sums.lossSum.isFinite
            if finite {
                let update = OptimizerStep(optimizer: optimizer, target: reduction.target(worker: w), parameterCount: parameterCount,
                                           step: firstOptimizerStep + totals.report.steps + 1,
                                           learningRate: learningRates[t - steps.lowerBound])
                reduction.reduceAndUpdate(worker: w, sourceCount: computed.sourceCount, parity: parity,
                                          totalCount: sums.samples, update: update)
                totals.report.lossSum += sums.lossSum
                totals.report.correct += sums.correct
                totals.report.samples += sums.samples
                totals.report.steps += 1
            } else {
                reduction.discard(worker: w, written: computed.written, parity: parity)
                if !skipNonFinite {
                    totals.divergedAt = t
                    break
                }
                totals.report.skipped += 1
            }
            clock.lap(.reduce)
            // 5. Nobody may overwrite its stats for the next step, nor its parameter slice,
            //    before all have read them (unless the reduction double-buffers).
            if reduction.closingBarrier {
                context.barrier.arriveAndWait()
                clock.lap(.barrier)
            }
            if w == 0 {
                results.stepEnds[t - steps.lowerBound + 1] = clock.last
                if finite, let e = reduction.noiseEstimate(sourceCount: computed.sourceCount, counts: sourceCounts[..<computed.sourceCount],
                                                           scratch: &sourceNorms) {
                    noiseScale.add(gradientSquared: e.gradientSquared, trace: e.trace)
                }
            }
            // The step is whole on every worker; a stop ends the job here, the same step for all.
            if sums.stopRequested { break }
        }
        results.phases[w] = clock.phases
        if w == 0 {
            results.totals[0] = totals
            results.noiseScale = noiseScale
        }
    }

    /// This process's part of batch t: across processes first (each takes a contiguous part),
    /// then `computePartialSums` cuts it across workers.
    private func processBatch(_ t: Int) -> Range<Int> {
        let whole = plan.batch(t)
        let part = ShardPlan(batchSize: whole.count, workers: ranks).shard(rank)
        return (whole.lowerBound + part.lowerBound)..<(whole.lowerBound + part.upperBound)
    }

    /// Worker w's shard of `batch` into its partial sum — or, in reproducible mode, each of its
    /// microshards (of a grain that depends only on the batch size) into that microshard's own.
    private func computePartialSums(worker w: Int, batch: Range<Int>, parity: Int, step: Int) -> (sourceCount: Int, written: Range<Int>) {
        guard let grain = microsharding?.grain(forBatch: batch.count) else {
            let mine = ShardPlan(batchSize: batch.count, workers: workers).shard(w)
            accumulate(batch.lowerBound + mine.lowerBound ..< batch.lowerBound + mine.upperBound, worker: w,
                       source: w, parity: parity, step: step)
            return (workers, w..<(w + 1))
        }
        let shards = ShardPlan(batchSize: batch.count, workers: workers, grain: grain)
        let mine = shards.shard(w)
        for start in stride(from: mine.lowerBound, to: mine.upperBound, by: grain) {
            let end = min(start + grain, mine.upperBound)
            accumulate(batch.lowerBound + start ..< batch.lowerBound + end, worker: w, source: start / grain, parity: parity, step: step)
        }
        let written = mine.isEmpty ? 0..<0 : (mine.lowerBound / grain)..<((mine.upperBound - 1) / grain + 1)
        return (shards.microshardCount, written)
    }

    /// Gathers the batch positions `rows` into worker w's staging, runs the model into source
    /// `source`'s partial sum, and records the rows and loss in that source's stats slot.
    /// `step` counts the optimizer steps taken before this one.
    @inline(__always)
    private func accumulate(_ rows: Range<Int>, worker w: Int, source: Int, parity: Int, step: Int) {
        let samples = staging[w].gather(rows, from: data, seed: seed, step: step)
        let loss = model.accumulateGradient(parameters: reduction.target(worker: w).parameters, samples: samples,
                                            gradient: reduction.partialSum(source: source, parity: parity),
                                            workspace: workspaces[w])
        stats[reduction.statsSlot(source: source, parity: parity)] = WorkerStats(count: rows.count, loss: loss)
    }

    /// The step's sums over this process's sources, the same on every worker.
    private func localSums(sourceCount: Int, parity: Int) -> StepSums {
        var sums = StepSums()
        for v in 0..<sourceCount {
            let s = stats[reduction.statsSlot(source: v, parity: parity)]
            sums.samples += s.count
            sums.lossSum += s.loss.lossSum
            sums.correct += s.loss.correct
        }
        return sums
    }
}

/// What a job of steps reported, written by worker 0 at the end of the job.
struct JobTotals {
    var report = StepsReport()
    /// The step (within the epoch) whose loss was not finite, under `NonFinitePolicy.stop`.
    var divergedAt: Int?
}

/// What the workers of a job hand back to the trainer: written during the job, read after it.
final class JobResults: @unchecked Sendable {
    let totals = PerWorkerSlots(count: 1, initial: JobTotals())
    let phases: PerWorkerSlots<StepPhases>
    /// Worker 0's clock at the start of the job and at the end of each step.
    let stepEnds: PerWorkerSlots<UInt64>
    /// The noise-scale estimate going in; worker 0's coming out.
    var noiseScale: GradientNoiseScale
    /// Per step parity: whether worker 0 saw a stop request when the step began.
    let stopRequests = PerWorkerSlots(count: 2, initial: false)

    init(workers: Int, steps: Int, noiseScale: GradientNoiseScale) {
        phases = PerWorkerSlots(count: workers, initial: StepPhases())
        stepEnds = PerWorkerSlots(count: steps + 1, initial: 0)
        self.noiseScale = noiseScale
        stepEnds[0] = StepPhases.now()
    }

    /// The job's report: worker 0's totals, per-step times, and the phases averaged over workers.
    func report(workers: Int) -> JobTotals {
        var totals = self.totals[0]
        let ends = stepEnds.values.prefix(totals.report.steps + totals.report.skipped + 1)
        totals.report.stepSeconds = zip(ends, ends.dropFirst()).map { Double($1 &- $0) / 1e9 }
        for p in phases.values { totals.report.phases.add(p, dividedBy: Double(workers)) }
        return totals
    }
}

/// What a worker reports about its shard for one step; read by the others after the barrier.
struct WorkerStats {
    var count = 0
    var loss = ShardLoss()
}
