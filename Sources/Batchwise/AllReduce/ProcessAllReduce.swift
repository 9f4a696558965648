/// The hierarchical all-reduce of a multi-process run: the workers reduce their partial sums
/// into this process's sum (`ReduceScatter.reduceLocally`), worker 0 sums that and the step's
/// scalars across processes (`ProcessGroup.allReduceSum`, one MPI_Allreduce each), then every
/// worker divides its slice by the global sample count and updates it.
///
/// Four barriers per step: after the compute, after the local reduce, after the cross-process
/// sum, and the closing one. Uneven last batches stay exact: the mean uses the global count.
final class ProcessAllReduce: GradientReduction, @unchecked Sendable {
    private let local: ReduceScatter
    private let group: any ProcessGroup
    /// This process's gradient sum, then (after the cross-process sum) every process's.
    private let processSum: FloatBuffer
    /// (samples, loss sum, correct, stop requests, then the step's `NoiseSums`) summed across
    /// processes, then a failure flag; written by worker 0, read by all after a barrier.
    private let scalars = UnsafeMutableBufferPointer<Double>.allocate(capacity: 9)
    private static let summed = 8, failed = 8
    /// Per chunk of the parameters, |Σ|² of the all-processes gradient sum of the last step.
    private let globalNorms: UnsafeMutableBufferPointer<Double>
    /// Worker 0's room for this process's per-source norms.
    private var localNorms: [Double]
    /// The last step's noise sums over the sources of every process (worker 0's).
    private var noise = GradientNoiseScale.NoiseSums()
    /// The error of a failed cross-process sum, written by worker 0, read after the job.
    private(set) var failure: (any Error)?

    var maxSources: Int { local.maxSources }
    var closingBarrier: Bool { true }

    init(local: ReduceScatter, group: any ProcessGroup, topology: Topology) {
        self.local = local
        self.group = group
        processSum = FloatBuffer(count: local.parameterCount, topology: topology)
        scalars.initialize(repeating: 0)
        globalNorms = .allocate(capacity: AllReduce.chunkCount(local.parameterCount))
        globalNorms.initialize(repeating: 0)
        localNorms = [Double](repeating: 0, count: local.maxSources)
    }

    deinit {
        scalars.deallocate()
        globalNorms.deallocate()
    }

    func partialSum(source: Int, parity: Int) -> UnsafeMutablePointer<Float> { local.partialSum(source: source, parity: parity) }
    func statsSlot(source: Int, parity: Int) -> Int { source }
    func target(worker: Int) -> UpdateTarget { local.target(worker: worker) }

    func beginJob(worker: Int, clock: inout PhaseClock) {
        if worker == 0 {
            failure = nil
            scalars[Self.failed] = 0
        }
    }

    func afterCompute(worker: Int, parity: Int, clock: inout PhaseClock) {}

    func combine(_ mine: StepSums, worker: Int, sourceCount: Int, sourceCounts: [Int], barrier: Barrier, clock: inout PhaseClock) -> StepSums? {
        local.reduceLocally(worker: worker, sourceCount: sourceCount, into: processSum.pointer)
        if worker == 0 {
            scalars[0] = Double(mine.samples)
            scalars[1] = mine.lossSum
            scalars[2] = Double(mine.correct)
            scalars[3] = mine.stopRequested ? 1 : 0
        }
        clock.lap(.reduce)
        barrier.arriveAndWait()
        clock.lap(.barrier)
        if worker == 0 {
            // This process's sources, from the norms every worker recorded in its local reduce.
            var sums = GradientNoiseScale.NoiseSums()
            if local.noiseStatistics(sourceCount: sourceCount, into: &localNorms) != nil {
                sums = .init(sourceNorms: localNorms[..<sourceCount], counts: sourceCounts[..<sourceCount])
            }
            (scalars[4], scalars[5], scalars[6], scalars[7]) = (sums.squaredMeans, sums.inverseSizes, Double(sums.sources), Double(sums.samples))
            do {
                try group.allReduceSum(processSum.pointer, count: processSum.count)
                try group.allReduceSum(scalars.baseAddress!, count: Self.summed)
                noise = .init(squaredMeans: scalars[4], inverseSizes: scalars[5], sources: Int(scalars[6]), samples: Int(scalars[7]))
            } catch {
                failure = error
                scalars[Self.failed] = 1
            }
        }
        clock.lap(.crossProcess)
        barrier.arriveAndWait()
        clock.lap(.barrier)
        // A failed cross-process sum stops every worker at the same step.
        guard scalars[Self.failed] == 0 else { return nil }
        // One process asked to stop: every process stops after this step.
        return StepSums(samples: Int(scalars[0]), lossSum: scalars[1], correct: Int(scalars[2]), stopRequested: scalars[3] > 0)
    }

    func reduceAndUpdate<Update: Optimizer>(worker: Int, sourceCount: Int, parity: Int, totalCount: Int,
                                            update: OptimizerStep<Update>) {
        local.applyMean(worker: worker, of: processSum.pointer, totalCount: totalCount, update: update,
                        chunkNorms: globalNorms.baseAddress!)
    }

    /// The local reduce already cleared the partial sums into `processSum`: clear its slice.
    func discard(worker: Int, written: Range<Int>, parity: Int) {
        let slice = local.slices.slice(worker)
        (processSum.pointer + slice.lowerBound).update(repeating: 0, count: slice.count)
    }

    /// Per-source figures stay in their processes: see `noiseEstimate`.
    func noiseStatistics(sourceCount: Int, into perSource: inout [Double]) -> Double? { nil }

    /// The estimate over the sources of every process: their noise sums, summed across
    /// processes with the step's scalars, and |Σ|² of the all-processes sum, from the chunk
    /// norms each worker recorded while applying the mean (chunk order: the same bits on every
    /// process, which all hold the same sum).
    func noiseEstimate(sourceCount: Int, counts: ArraySlice<Int>, scratch: inout [Double]) -> (gradientSquared: Double, trace: Double)? {
        var total = 0.0
        for c in 0..<globalNorms.count { total += globalNorms[c] }
        return GradientNoiseScale.estimate(noise, totalNorm: total)
    }
}
