import Batchwise
import BatchwiseReporting
import Foundation

/// One thread count's line of a scaling benchmark: every figure `batchwise bench scaling`
/// prints, writes to JSON (under the snake_case names of its properties, such as
/// `step_seconds_median`) and plots.
///
/// Step times are in seconds, rates per second, shares in [0, 1].
public struct ScalingRow: Sendable, Equatable, Codable {
    /// Worker threads.
    public var threads: Int
    /// The OS indices of the PUs the workers ran on, worker order.
    public var processingUnits: [Int]
    /// Samples per step.
    public var batchSize: Int
    /// Layer widths of an MLP, input first; empty for a spec model.
    public var layers: [Int]
    /// The model: "784-1024-1024-10 relu", or a spec's layers "on" its input shape.
    public var model: String
    /// Trainable parameters of the model.
    public var parameters: Int
    /// What the steps trained on: "synthetic data" or the data file.
    public var data: String
    /// Useful floating-point work per sample (`StepWork`: 6 × parameters of the dense layers,
    /// 6 × outputs × input channels × kernel size of the convolutions).
    public var flopsPerSample: Double
    /// Steps timed.
    public var timedSteps: Int
    /// Untimed steps run first.
    public var warmupSteps: Int
    /// The placement policy ("compact", "scatter").
    public var placement: String
    /// The all-reduce that ran: "reduce-scatter" or "replicated-pair".
    public var allReduce: String
    /// Batch size / median step time.
    public var samplesPerSecond: Double
    /// Median wall time of a timed step, in seconds.
    public var stepSecondsMedian: Double
    /// 10th percentile of the step times, in seconds.
    public var stepSecondsP10: Double
    /// 90th percentile of the step times, in seconds.
    public var stepSecondsP90: Double
    /// Every timed step, in the order run.
    public var stepSeconds: [Double]
    /// The thread count that speedup and efficiency are relative to (the smallest measured).
    public var baselineThreads: Int
    /// Baseline median step time / this median step time.
    public var speedup: Double
    /// speedup / (threads / baselineThreads): 1 is perfect scaling.
    public var efficiency: Double
    /// flopsPerSample × batchSize / median step time / 1e9.
    public var gflops: Double
    /// One thread's sgemm rate on this thread count's shard shapes (GFLOP/s), measured in the run.
    public var sgemmGflopsSingleThread: Double
    /// Samples per thread the sgemm shapes were taken at: ⌈batch / threads⌉.
    public var sgemmShard: Int
    /// gflops / (sgemmGflopsSingleThread × threads). Can pass 1: the useful-work convention
    /// counts work a step never does (the first layer's input gradient, the dense biases).
    public var peakShare: Double
    /// FLOPs per sample of the sgemm products a step really makes (Σ 2mnk of the shard's
    /// shapes / shard).
    public var executedFlopsPerSample: Double
    /// `peakShare` counting only the executed FLOPs: executedFlopsPerSample × batchSize /
    /// median step time / (one thread's sgemm rate × threads).
    public var executedPeakShare: Double
    /// Workers' mean compute time (gathering rows, forward and backward passes) over the timed
    /// steps / their total wall time.
    public var computeShare: Double
    /// Workers' mean barrier wait / their total wall time.
    public var barrierShare: Double
    /// Workers' mean time in the all-reduce fused with the update / their total wall time.
    public var allreduceShare: Double
    /// What is left of the wall time after compute, barrier and all-reduce (handing each
    /// step's job to the workers and back).
    public var otherShare: Double
    /// Peak resident memory of the process while this thread count was set up and run, bytes.
    public var peakRSSBytes: UInt64
    /// True when the peak could not be reset and is over the whole process so far.
    public var peakRSSCumulative: Bool
    /// The BLAS behind `Gemm` (`Gemm.backendName`).
    public var blas: String
    /// The machine, as in "1 package(s), 1 NUMA node(s), 2 core(s), 2 PU(s)".
    public var machine: String
    /// When the run started, ISO 8601 in UTC.
    public var date: String

    enum CodingKeys: String, CodingKey {
        case threads, processingUnits = "processing_units", batchSize = "batch_size", layers, model, parameters, data
        case flopsPerSample = "flops_per_sample", timedSteps = "timed_steps", warmupSteps = "warmup_steps", placement, allReduce = "all_reduce"
        case samplesPerSecond = "samples_per_second", stepSecondsMedian = "step_seconds_median"
        case stepSecondsP10 = "step_seconds_p10", stepSecondsP90 = "step_seconds_p90", stepSeconds = "step_seconds"
        case baselineThreads = "baseline_threads", speedup, efficiency, gflops
        case sgemmGflopsSingleThread = "sgemm_gflops_single_thread", sgemmShard = "sgemm_shard", peakShare = "peak_share"
        case executedFlopsPerSample = "executed_flops_per_sample", executedPeakShare = "executed_peak_share"
        case computeShare = "compute_share", barrierShare = "barrier_share", allreduceShare = "allreduce_share", otherShare = "other_share"
        case peakRSSBytes = "peak_rss_bytes", peakRSSCumulative = "peak_rss_cumulative", blas, machine, date
    }
}

/// The arithmetic of a scaling benchmark: from raw per-thread-count measurements (step times,
/// phase times, the sgemm rate, peak memory) to speedup, efficiency, GFLOP/s and the share of
/// the sgemm limit. Pure: the same measurements give the same report, whoever timed them.
public struct ScalingReport: BenchReport {
    /// What was run.
    public let setup: ScalingSetup
    /// The measurements, by ascending thread count.
    public let measurements: [ScalingMeasurement]
    /// One row per measurement, same order.
    public let rows: [ScalingRow]

    /// The smallest thread count measured: speedups are relative to it.
    public var baselineThreads: Int { measurements[0].threads }

    /// - Throws: `ConfigurationError` when there is nothing to report or a figure cannot be
    ///   divided by: no measurement, a thread count twice, a step time list that is empty or
    ///   holds a time that is not a positive finite number, a non-positive sgemm rate.
    public init(setup: ScalingSetup, measurements: [ScalingMeasurement]) throws(ConfigurationError) {
        guard !measurements.isEmpty else { throw ConfigurationError("a scaling report needs at least one thread count") }
        guard setup.batchSize >= 1, setup.flopsPerSample.isFinite, setup.flopsPerSample > 0 else {
            throw ConfigurationError("a scaling report needs a batch size ≥ 1 and a positive FLOP count per sample")
        }
        let sorted = measurements.sorted { $0.threads < $1.threads }
        for (m, next) in zip(sorted, sorted.dropFirst()) where m.threads == next.threads {
            throw ConfigurationError("thread count \(m.threads) was measured twice")
        }
        for m in sorted {
            guard m.threads >= 1 else { throw ConfigurationError("thread count \(m.threads) is below 1") }
            guard !m.stepSeconds.isEmpty, m.stepSeconds.allSatisfy({ $0.isFinite && $0 > 0 }) else {
                throw ConfigurationError("the step times at \(m.threads) thread(s) are missing or not all positive")
            }
            guard m.sgemm.gflops.isFinite, m.sgemm.gflops > 0 else {
                throw ConfigurationError("the sgemm rate at \(m.threads) thread(s) is not a positive number")
            }
        }
        self.setup = setup
        self.measurements = sorted
        let baseline = sorted[0]
        let baselineMedian = Percentiles(baseline.stepSeconds).median
        rows = sorted.map { Self.row($0, setup: setup, baselineThreads: baseline.threads, baselineMedian: baselineMedian) }
    }

    private static func row(_ m: ScalingMeasurement, setup: ScalingSetup, baselineThreads: Int, baselineMedian: Double) -> ScalingRow {
        let times = Percentiles(m.stepSeconds)
        let median = times.median
        let batch = Double(setup.batchSize)
        let speedup = baselineMedian / median
        let gflops = setup.flopsPerSample * batch / median / 1e9
        let wall = m.stepSeconds.reduce(0, +)
        let shares = (compute: m.phases.compute / wall, barrier: m.phases.barrier / wall, allReduce: m.phases.allReduce / wall)
        let memory = m.peakResidentMemory
        let limit = m.sgemm.gflops * Double(m.threads)
        let executed = m.sgemm.shapes.reduce(0) { $0 + $1.flops } / Double(m.sgemm.shard)
        return ScalingRow(
            threads: m.threads, processingUnits: m.processingUnits, batchSize: setup.batchSize, layers: setup.widths,
            model: setup.model, parameters: setup.parameters, data: setup.data,
            flopsPerSample: setup.flopsPerSample, timedSteps: m.stepSeconds.count, warmupSteps: setup.warmupSteps,
            placement: setup.placement, allReduce: m.allReduce.rawValue,
            samplesPerSecond: batch / median, stepSecondsMedian: median,
            stepSecondsP10: times.quantile(0.1), stepSecondsP90: times.quantile(0.9), stepSeconds: m.stepSeconds,
            baselineThreads: baselineThreads, speedup: speedup,
            efficiency: speedup / (Double(m.threads) / Double(baselineThreads)),
            gflops: gflops, sgemmGflopsSingleThread: m.sgemm.gflops, sgemmShard: m.sgemm.shard,
            peakShare: gflops / limit,
            executedFlopsPerSample: executed, executedPeakShare: executed * batch / median / 1e9 / limit,
            computeShare: shares.compute, barrierShare: shares.barrier, allreduceShare: shares.allReduce,
            otherShare: max(0, 1 - shares.compute - shares.barrier - shares.allReduce),
            peakRSSBytes: memory.bytes, peakRSSCumulative: memory.cumulative,
            blas: setup.blas, machine: setup.machine, date: setup.date)
    }

    /// The rows as a JSON array, one object per thread count (keys sorted, pretty-printed).
    /// Every figure is finite by construction (see init).
    public func json() -> String { ReportJSON.array(rows) }

    /// The speedup and efficiency plot.
    public var figure: ScalingPlot { ScalingPlot(report: self) }
}
