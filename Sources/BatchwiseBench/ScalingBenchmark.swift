import Batchwise
import BatchwiseReporting
import Foundation

/// Strong scaling of one training step: the same model and batch trained at several thread
/// counts, every step timed, for ``ScalingReport``. The model is any model `batchwise train`
/// trains (a ``BenchModel``: an MLP, or a `Sequential` of layers such as convolutions).
///
/// Per thread count: the single-thread sgemm rate on that count's shard shapes is measured on
/// the calling thread (before any worker starts), the peak-memory mark is reset, a `Trainer`
/// is built (SGD, momentum 0.9) and takes `warmupSteps` untimed steps, then `timedSteps`
/// steps back to back in one job per epoch, as training runs them; each step's wall time
/// (`StepsReport.stepSeconds`, taken by worker 0) and the phases are kept.
/// The data are the caller's (a user's training set), or else seeded synthetic classes shaped
/// by the model, so the weights change and the work is real.
///
/// ```swift
/// let bench = try ScalingBenchmark(widths: [784, 256, 256, 10], batchSize: 128, threadCounts: [1, 2])
/// print(try bench.run(on: Topology()).rows.map(\.speedup))
/// ```
public struct ScalingBenchmark: Sendable {
    /// The model trained.
    public let model: BenchModel
    /// Layer widths of the MLP, input first; empty for a spec model.
    public var widths: [Int] { model.widths }
    /// Samples per step, at every thread count.
    public let batchSize: Int
    /// Ascending, each at least 1, no repeats.
    public let threadCounts: [Int]
    /// Steps timed per thread count.
    public let timedSteps: Int
    /// Untimed steps run first at each thread count.
    public let warmupSteps: Int
    /// How workers are placed on PUs (compact or scatter).
    public let placement: Placement
    /// Whether a thread count above the PUs may share PUs.
    public let oversubscribe: Bool
    /// The seed of the synthetic data and the initial weights.
    public let seed: UInt64
    /// The SGD learning rate of the steps (they change the weights, so the work is real).
    public let learningRate: Float
    /// The all-reduce the trainers are asked for (`automatic` picks per thread count).
    public let allReduce: AllReduceStrategy

    /// Batches in the synthetic data set (one epoch, one job on the workers): enough for every
    /// step up to as many as fit in about 4 MB of features, at least 8 and at most 256, after
    /// which steps go round the same batches again (in a new shuffle each epoch). Small models
    /// thus run epochs of 256 steps, as training on a real data set would, and the cost of
    /// handing each job to the workers is not counted against every 8th step; the large one
    /// keeps its resident memory down with 8.
    static func distinctBatches(batchSize: Int, features: Int) -> Int {
        min(256, max(8, 4_000_000 / max(1, batchSize * features * MemoryLayout<Float>.stride)))
    }

    /// A benchmark of the MLP of `widths` at `threadCounts` (sorted ascending); see
    /// `init(model:…)`.
    /// - Throws: `ConfigurationError` naming the parameter, a width out of range among them.
    public init(widths: [Int], batchSize: Int, threadCounts: [Int], timedSteps: Int = 20, warmupSteps: Int = 3,
                placement: Placement = .compact, oversubscribe: Bool = false, seed: UInt64 = 1,
                learningRate: Float = 0.001, allReduce: AllReduceStrategy = .automatic) throws(ConfigurationError) {
        try self.init(model: try BenchModel(widths: widths), batchSize: batchSize, threadCounts: threadCounts,
                      timedSteps: timedSteps, warmupSteps: warmupSteps, placement: placement, oversubscribe: oversubscribe,
                      seed: seed, learningRate: learningRate, allReduce: allReduce)
    }

    /// A benchmark of `model` at `threadCounts` (sorted ascending).
    ///
    /// - Throws: `ConfigurationError` naming the parameter: a batch size, thread count or
    ///   timed-step count below 1, negative warm-up steps, a non-positive learning rate, or an
    ///   explicit PU list as placement (it fits only one thread count).
    public init(model: BenchModel, batchSize: Int, threadCounts: [Int], timedSteps: Int = 20, warmupSteps: Int = 3,
                placement: Placement = .compact, oversubscribe: Bool = false, seed: UInt64 = 1,
                learningRate: Float = 0.001, allReduce: AllReduceStrategy = .automatic) throws(ConfigurationError) {
        guard batchSize >= 1 else { throw ConfigurationError("\(parameter: "batchSize") must be at least 1 (got \(batchSize))") }
        guard !threadCounts.isEmpty else { throw ConfigurationError("\(parameter: "threadCounts") lists no thread count") }
        if let bad = threadCounts.first(where: { $0 < 1 }) {
            throw ConfigurationError("\(parameter: "threadCounts"): every thread count must be at least 1 (got \(bad))")
        }
        guard Set(threadCounts).count == threadCounts.count else {
            throw ConfigurationError("\(parameter: "threadCounts") lists a thread count twice (\(threadCounts.map(String.init).joined(separator: ",")))")
        }
        guard timedSteps >= 1 else { throw ConfigurationError("\(parameter: "timedSteps") must be at least 1 (got \(timedSteps))") }
        guard warmupSteps >= 0 else { throw ConfigurationError("\(parameter: "warmupSteps") must be 0 or more (got \(warmupSteps))") }
        guard learningRate.isFinite && learningRate > 0 else {
            throw ConfigurationError("\(parameter: "learningRate") must be a finite number above 0 (got \(learningRate))")
        }
        if allReduce == .replicatedPair, let other = threadCounts.first(where: { $0 != 2 }) {
            throw ConfigurationError("\(parameter: "allReduce", value: "replicated-pair") runs exactly 2 threads, but \(parameter: "threadCounts") lists \(other); use \(parameter: "threadCounts", value: "2") or \(parameter: "allReduce", value: "automatic")")
        }
        if case .explicit = placement {
            throw ConfigurationError("bench scaling takes \(parameter: "placement") compact or scatter; a PU list fits only one thread count")
        }
        self.model = model
        self.batchSize = batchSize
        self.threadCounts = threadCounts.sorted()
        self.timedSteps = timedSteps
        self.warmupSteps = warmupSteps
        self.allReduce = allReduce
        self.placement = placement
        self.oversubscribe = oversubscribe
        self.seed = seed
        self.learningRate = learningRate
    }

    /// 1, 2, 4, … below the physical core count (capped by the PUs this process may use),
    /// then that count itself: `[1, 2]` on 2 cores, `[1, 2, 4, 6]` on 6.
    public static func defaultThreadCounts(on topology: Topology) -> [Int] {
        let cores = max(1, min(topology.coreCount, topology.processingUnitCount))
        var counts: [Int] = []
        var n = 1
        while n < cores {
            counts.append(n)
            n *= 2
        }
        return counts + [cores]
    }

    /// Parses a `--threads` list such as `1,2,4` (spaces allowed around the numbers).
    public static func parseThreadCounts(_ text: String) throws(ConfigurationError) -> [Int] {
        guard let counts = parseIntegerList(text) else {
            throw ConfigurationError("\(parameter: "threadCounts") '\(text)' is not a comma-separated list of thread counts such as 1,2,4")
        }
        return counts
    }

    /// The placement plan of every thread count, made before anything runs so that a count
    /// this machine cannot honour is refused at once.
    public func plans(on topology: Topology) throws(ConfigurationError) -> [PlacementPlan] {
        try threadCounts.map { (n) throws(ConfigurationError) in
            try PlacementPlan(topology: topology, workers: n, placement: placement, oversubscribe: oversubscribe)
        }
    }

    /// The data a run without data of its own trains on: seeded synthetic classes, as many
    /// samples as `distinctBatches` allows, of the model's input width and output classes.
    public func syntheticData() throws(ConfigurationError) -> Dataset {
        let built = try model.makeModel()
        let batches = Self.distinctBatches(batchSize: batchSize, features: built.inputWidth)
        return Dataset.synthetic(samples: batchSize * min(warmupSteps + timedSteps, batches),
                                 features: built.inputWidth, classes: max(2, built.outputWidth), seed: seed)
    }

    /// Runs the benchmark at every thread count, smallest first; `measured` is called after each.
    /// - Parameters:
    ///   - data: the training samples the steps take their batches from (a user's data set), or
    ///     nil for `syntheticData()`; `dataName` says what they are in the report.
    /// - Throws: `ConfigurationError` for a plan or model this machine cannot run, data the
    ///   model cannot take or fewer samples than a batch; `TrainingError` if the loss stops
    ///   being finite.
    public func run(on topology: Topology, data given: Dataset? = nil, dataName: String? = nil,
                    measured: (ScalingMeasurement) -> Void = { _ in }) throws -> ScalingReport {
        let date = ISO8601DateFormatter().string(from: Date())
        let plans = try plans(on: topology)
        let model = try self.model.makeModel()
        let data = try given ?? syntheticData()
        try model.validate(data)
        guard data.count >= batchSize else {
            throw ConfigurationError("\(parameter: "batchSize") \(batchSize) is larger than the \(data.count) samples of \(data.name)")
        }
        let work = StepWork(model: model)
        guard !work.gemmShapes(shard: 1).isEmpty else {
            throw ConfigurationError("the model \(self.model) makes no matrix products (no dense or convolution layer) to measure against the sgemm rate")
        }
        var rates: [Int: SgemmRate] = [:]
        var measurements: [ScalingMeasurement] = []
        for plan in plans {
            let shard = ShardPlan(batchSize: batchSize, workers: plan.workerCount).shard(0).count
            // Timed before this count's workers exist, so nothing else competes for the core.
            let sgemm = rates[shard] ?? SgemmRate.measure(shapes: work.gemmShapes(shard: shard), shard: shard)
            rates[shard] = sgemm
            let memory = PeakResidentMemory()
            let timed = try timeSteps(model: model, data: data, topology: topology, plan: plan)
            let measurement = ScalingMeasurement(threads: plan.workerCount, processingUnits: plan.units.map(\.osIndex),
                                                 stepSeconds: timed.seconds, phases: timed.phases,
                                                 sgemm: sgemm, peakResidentMemory: memory.read(), allReduce: timed.strategy)
            measurements.append(measurement)
            measured(measurement)
        }
        let setup = ScalingSetup(
            widths: widths, batchSize: batchSize, flopsPerSample: work.flopsPerSample, timedSteps: timedSteps,
            warmupSteps: warmupSteps, placement: placement.description, seed: seed, learningRate: learningRate,
            blas: Gemm.backendName,
            machine: "\(topology.packageCount) package(s), \(topology.numaNodeCount) NUMA node(s), \(topology.coreCount) core(s), \(topology.processingUnitCount) PU(s)",
            date: date, model: self.model.description, parameters: work.parameters,
            data: given == nil ? "synthetic data" : (dataName ?? data.name))
        return try ScalingReport(setup: setup, measurements: measurements)
    }

    /// Builds a trainer on `plan`, takes the warm-up steps, then times the steps back to back
    /// in as few jobs as the epochs allow (one per epoch), as training runs them.
    /// The trainer (its workers and buffers) is gone when this returns.
    private func timeSteps(model: any PredictionModel, data: Dataset, topology: Topology, plan: PlacementPlan) throws
        -> (seconds: [Double], phases: StepPhases, strategy: AllReduceStrategy) {
        func make<M: PredictionModel>(_ model: M) throws -> any ModelTrainer {
            try Trainer(model: model, optimizer: try SGD(momentum: 0.9), topology: topology, plan: plan,
                        maxBatchSize: batchSize, seed: seed, allReduce: allReduce)
        }
        let trainer = try make(model)
        let scheduler = try EpochScheduler(sampleCount: data.count, seed: seed, batchSizes: try BatchSizeSchedule(constant: batchSize))
        let perEpoch = scheduler.steps(epoch: 1)
        var epochPlan = scheduler.plan(epoch: 1)
        var seconds: [Double] = []
        var phases = StepsReport().phases   // zero in every phase
        var step = 0
        for (count, timed) in [(warmupSteps, false), (timedSteps, true)] {
            var left = count
            while left > 0 {
                let (passes, t) = step.quotientAndRemainder(dividingBy: perEpoch)
                if epochPlan.epoch != passes + 1 { epochPlan = scheduler.plan(epoch: passes + 1) }
                let n = min(left, perEpoch - t)
                let report = try trainer.trainSteps(epochPlan, on: data, steps: t..<(t + n),
                                                    learningRates: Array(repeating: learningRate, count: n),
                                                    onNonFinite: .stop, stop: nil)
                step += n
                left -= n
                guard timed else { continue }
                seconds += report.stepSeconds
                phases.compute += report.phases.compute
                phases.barrier += report.phases.barrier
                phases.allReduce += report.phases.allReduce
            }
        }
        return (seconds, phases, trainer.strategy)
    }
}

extension ScalingBenchmark {
    /// Checks, before the run, that an output file (`--json`, `--svg`) can be put at `path`:
    /// it is not a directory, and the temporary file beside it that an atomic write uses can be
    /// created (it is removed again).
    /// - Throws: `OutputFileError` naming `path` and the system's reason.
    public static func checkOutputPath(_ path: String) throws(OutputFileError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw OutputFileError(path: path, operation: "write", errno: EISDIR)
        }
        let temporary = path + ".tmp-\(getpid())"
        do {
            try OutputFile(path: temporary, mode: .truncate).close()
        } catch {
            throw OutputFileError(path: path, operation: error.operation, errno: error.code)
        }
        unlink(temporary)
    }
}
