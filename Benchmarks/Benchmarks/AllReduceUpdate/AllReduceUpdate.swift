import Batchwise
import Benchmark

/// All-reduce fused with the SGD-momentum update, as memory traffic, against a plain copy of
/// the same size measured in the same run.
///
/// The all-reduce is internal to the library, so it is reached through the public `Trainer`
/// with a model whose gradient costs nothing (`NullGradientModel`): a step is then gather
/// (one sample per worker) → barrier → reduce-scatter of the W partial sums fused with the
/// update → barrier, i.e. the step's whole synchronisation and reduction cost.
///
/// Bytes per step, counted once each (caches may hide some of them for small P):
///
///     (2W + 4) × 4 × P  =  W partial sums read + W partial sums cleared (the reduce zeroes them
///                          for the next step) + parameters read and written + momentum read and written
///
/// `MBps` = that / step time (10^6 bytes). The copy benchmarks move P floats from one buffer to
/// another with `UnsafeMutableRawPointer.copyMemory` on the same W pinned workers (worker w
/// copies the w-th part), counted as 2 × 4 × P bytes (read + write) per copy.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .cpuTotal, TrafficRunner.stepsPerSecond, TrafficRunner.megabytesPerSecond],
        units: [TrafficRunner.stepsPerSecond: .count, TrafficRunner.megabytesPerSecond: .count],
        warmupIterations: 1
    )

    for exponent in 4...7 {
        for workers in [1, 2] {
            let runner = TrafficRunner(parameters: Int(pow10(exponent)), workers: workers, strategy: .reduceScatter)
            let threads = "\(workers) thread\(workers == 1 ? "" : "s")"
            allReduceBenchmark("All-reduce + SGD momentum update, P=10^\(exponent), \(threads)", runner)
            Benchmark(
                "Memory copy of P floats, P=10^\(exponent), \(threads)",
                configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(2), maxIterations: 100),
                closure: { benchmark in
                    for _ in benchmark.scaledIterations {
                        let seconds = runner.copy()
                        runner.report(to: benchmark, seconds: seconds, repeats: runner.copyRepeats, bytesPerRepeat: runner.copyBytes)
                    }
                },
                setup: { try runner.setUpCopy() },
                teardown: { runner.tearDown() }
            )
        }
    }
    // The replicated pair (2 workers, each updating its own copy), where `automatic` picks it.
    for exponent in 4...5 {
        let runner = TrafficRunner(parameters: Int(pow10(exponent)), workers: 2, strategy: .replicatedPair)
        allReduceBenchmark("All-reduce + SGD momentum update, replicated pair, P=10^\(exponent), 2 threads", runner)
    }
}

/// Training steps of `runner`'s trainer, charged the all-reduce's bytes per step.
private func allReduceBenchmark(_ name: String, _ runner: TrafficRunner) {
    Benchmark(
        name,
        configuration: .init(timeUnits: .milliseconds, maxDuration: .seconds(3), maxIterations: 100),
        closure: { benchmark in
            for _ in benchmark.scaledIterations {
                let seconds = try runner.trainSteps()
                runner.report(to: benchmark, seconds: seconds, repeats: runner.repeats, bytesPerRepeat: runner.allReduceBytesPerStep)
            }
        },
        setup: { try runner.setUpTrainer() },
        teardown: { runner.tearDown() }
    )
}

private func pow10(_ exponent: Int) -> Double { (0..<exponent).reduce(1.0) { r, _ in r * 10 } }

/// A model with `parameterCount` parameters whose gradient is free: `accumulateGradient` adds
/// nothing, so a training step is only the engine's gather, barriers, all-reduce and update.
final class NullGradientModel: GradientModel {
    final class Workspace {}

    let parameterCount: Int
    var inputWidth: Int { 1 }
    var targetWidth: Int { 1 }

    init(parameterCount: Int) { self.parameterCount = parameterCount }

    func initialize(parameters: UnsafeMutableBufferPointer<Float>, seed: UInt64) {
        parameters.update(repeating: 0.01)
    }

    func makeWorkspace(maxSamples: Int, topology: Topology, numaNode: Int?) -> Workspace { Workspace() }

    func accumulateGradient(parameters: UnsafePointer<Float>, samples: ShardSamples,
                            gradient: UnsafeMutablePointer<Float>, workspace: Workspace) -> ShardLoss { ShardLoss() }

    func evaluate(parameters: UnsafePointer<Float>, samples: ShardSamples, workspace: Workspace) -> ShardLoss { ShardLoss() }
}

/// Owns, for one benchmark, either a trainer of `NullGradientModel` or a pool and two copy
/// buffers. Each iteration repeats the step `repeats` times (about 10^8 parameters per
/// iteration) or the copy `copyRepeats` times (about 10^9 floats), so that every iteration
/// lasts tens of milliseconds whatever P.
final class TrafficRunner: @unchecked Sendable {
    static let stepsPerSecond = BenchmarkMetric.custom("stepsPerSecond", polarity: .prefersLarger)
    static let megabytesPerSecond = BenchmarkMetric.custom("MBps", polarity: .prefersLarger)

    let parameters: Int
    let workers: Int
    let strategy: AllReduceStrategy
    let repeats: Int
    let copyRepeats: Int
    private var trainer: Trainer<NullGradientModel>?
    private var data: Dataset?
    private var plan: EpochPlan?
    private var learningRates: [Float] = []
    private var pool: WorkerPool?
    private var source: UnsafeMutableRawPointer?
    private var destination: UnsafeMutableRawPointer?

    init(parameters: Int, workers: Int, strategy: AllReduceStrategy) {
        self.parameters = parameters
        self.workers = workers
        self.strategy = strategy
        repeats = max(10, 100_000_000 / parameters)
        copyRepeats = max(100, 1_000_000_000 / parameters)
    }

    /// (2W + 4) × 4 × P: see the file's comment. The replicated pair is charged the same bytes
    /// (those of the reduce-scatter it replaces), so the two compare as steps per second.
    var allReduceBytesPerStep: Double { Double((2 * workers + 4) * 4 * parameters) }
    /// Read + write of 4 × P bytes.
    var copyBytes: Double { Double(2 * 4 * parameters) }

    func setUpTrainer() throws {
        let topology = try Topology()
        let placement = try PlacementPlan(topology: topology, workers: workers, placement: .compact)
        // One sample per worker per step; the samples in order (no shuffle to compute).
        let samples = repeats * workers
        data = Dataset(name: "null", features: [Float](repeating: 0, count: samples),
                       targets: [Float](repeating: 0, count: samples), featureWidth: 1, targetWidth: 1, classCount: nil)
        plan = EpochPlan(epoch: 0, order: (0..<samples).map { Int32($0) }, batchSize: workers, steps: repeats)
        learningRates = [Float](repeating: 0.01, count: repeats)
        trainer = try Trainer(model: NullGradientModel(parameterCount: parameters), optimizer: try SGD(momentum: 0.9),
                              topology: topology, plan: placement, maxBatchSize: workers, seed: 1, allReduce: strategy)
    }

    func setUpCopy() throws {
        let topology = try Topology()
        pool = try WorkerPool(topology: topology, plan: try PlacementPlan(topology: topology, workers: workers, placement: .compact))
        let bytes = 4 * parameters
        source = .allocate(byteCount: bytes, alignment: 64)
        destination = .allocate(byteCount: bytes, alignment: 64)
        // Touch every page from the workers that will copy it (first touch), as the trainer does.
        let src = Unchecked(source!), dst = Unchecked(destination!), parts = partition
        pool!.run { context in
            let part = parts(context.index)
            (src.value + part.lowerBound).initializeMemory(as: UInt8.self, repeating: 1, count: part.count)
            (dst.value + part.lowerBound).initializeMemory(as: UInt8.self, repeating: 0, count: part.count)
        }
    }

    func tearDown() {
        trainer?.pool.shutdown()
        trainer = nil
        data = nil
        plan = nil
        pool?.shutdown()
        pool = nil
        source?.deallocate()
        destination?.deallocate()
        source = nil
        destination = nil
    }

    /// `repeats` steps as one job; returns the wall time in seconds.
    func trainSteps() throws -> Double {
        guard let trainer, let data, let plan else { fatalError("TrafficRunner.trainSteps before setUpTrainer") }
        let start = ContinuousClock.now
        let report = try trainer.trainSteps(plan, on: data, steps: 0..<repeats, learningRates: learningRates)
        let seconds = Self.seconds(ContinuousClock.now - start)
        precondition(report.steps == repeats)
        return seconds
    }

    /// `copyRepeats` copies of the buffer, each worker copying its part; returns the wall time in seconds.
    func copy() -> Double {
        guard let pool, let source, let destination else { fatalError("TrafficRunner.copy before setUpCopy") }
        let src = Unchecked(source), dst = Unchecked(destination), parts = partition, repeats = copyRepeats
        let start = ContinuousClock.now
        pool.run { context in
            let part = parts(context.index)
            for _ in 0..<repeats {
                (dst.value + part.lowerBound).copyMemory(from: src.value + part.lowerBound, byteCount: part.count)
            }
        }
        return Self.seconds(ContinuousClock.now - start)
    }

    func report(to benchmark: Benchmark, seconds: Double, repeats: Int, bytesPerRepeat: Double) {
        benchmark.measurement(Self.stepsPerSecond, Int((Double(repeats) / seconds).rounded()))
        benchmark.measurement(Self.megabytesPerSecond, Int((Double(repeats) * bytesPerRepeat / seconds / 1e6).rounded()))
    }

    /// Worker w's byte range of the copy buffers: W contiguous parts, 64-byte aligned.
    private var partition: @Sendable (Int) -> Range<Int> {
        let bytes = 4 * parameters, workers = self.workers
        return { w in
            let lines = (bytes + 63) / 64
            let lower = min(bytes, (lines * w / workers) * 64), upper = min(bytes, (lines * (w + 1) / workers) * 64)
            return lower..<upper
        }
    }

    private static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// Lets a raw pointer ride into a worker job; each worker writes only its own part.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
