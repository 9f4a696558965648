import Batchwise
import Benchmark

/// One training epoch of an MLP on synthetic data, on 1 and 2 pinned workers (compact).
///
/// Each benchmark iteration is exactly one `Trainer.trainEpoch` over `samplesPerEpoch`
/// samples (`samplesPerEpoch / batchSize` optimizer steps). The trainer, its pinned workers
/// and the dataset are built in the benchmark's setup closure, outside the measured region,
/// and the workers are shut down in teardown, so the next benchmark has the cores to itself.
///
/// Samples per second: `samplesPerEpoch / wall time of one iteration`, equivalently
/// `samplesPerEpoch × throughput` (throughput is iterations/s). The custom metric
/// `samplesPerSecond` reports it directly, timed around `trainEpoch` inside each iteration.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .cpuTotal, .mallocCountTotal, EpochRunner.samplesPerSecond],
        units: [EpochRunner.samplesPerSecond: .count],
        warmupIterations: 1
    )

    let cases: [EpochRunner.Shape] = [
        // Large: ~1.86 M parameters (6 × parameters ≈ 11.2 MFLOP per sample); 8 steps per iteration.
        .init(name: "MLP 784-1024-1024-10 batch 512", widths: [784, 1024, 1024, 10], batchSize: 512,
              timeUnits: .milliseconds, maxDuration: .seconds(6), maxIterations: 8),
        // Small: ~9.6 k parameters; 64 steps per iteration, so per-step costs (barriers, small GEMMs) weigh heavily.
        .init(name: "MLP 64-128-10 batch 64", widths: [64, 128, 10], batchSize: 64,
              timeUnits: .microseconds, maxDuration: .seconds(3), maxIterations: 300),
    ]
    for shape in cases {
        for threads in [1, 2] {
            let runner = EpochRunner(shape: shape, threads: threads)
            Benchmark(
                "\(shape.name), \(threads) thread\(threads == 1 ? "" : "s")",
                configuration: .init(timeUnits: shape.timeUnits, maxDuration: shape.maxDuration,
                                     maxIterations: shape.maxIterations),
                closure: { benchmark in
                    for _ in benchmark.scaledIterations {
                        let samplesPerSecond = try runner.trainOneEpoch()
                        benchmark.measurement(EpochRunner.samplesPerSecond, Int(samplesPerSecond.rounded()))
                    }
                },
                setup: { try runner.setUp() },
                teardown: { runner.tearDown() }
            )
        }
    }
}

/// Owns the trainer for one benchmark between its setup and teardown.
final class EpochRunner: @unchecked Sendable {
    struct Shape {
        let name: String
        let widths: [Int]
        let batchSize: Int
        let timeUnits: BenchmarkTimeUnits
        let maxDuration: Duration
        let maxIterations: Int
    }

    /// Samples in the synthetic training set: one pass over it is one benchmark iteration.
    static let samplesPerEpoch = 4096
    static let samplesPerSecond = BenchmarkMetric.custom("samplesPerSecond", polarity: .prefersLarger)

    let shape: Shape
    let threads: Int
    private var trainer: Trainer<MLP>?
    private var data: Dataset?
    private var epoch = 0

    init(shape: Shape, threads: Int) {
        self.shape = shape
        self.threads = threads
    }

    /// Builds the dataset, the model and the trainer (which starts and pins the workers).
    func setUp() throws {
        let model = try MLP(widths: shape.widths)
        let topology = try Topology()
        let plan = try PlacementPlan(topology: topology, workers: threads, placement: .compact)
        data = Dataset.synthetic(samples: Self.samplesPerEpoch, features: shape.widths[0],
                                 classes: shape.widths[shape.widths.count - 1], seed: 1)
        trainer = try Trainer(model: model, optimizer: try SGD(), topology: topology, plan: plan,
                              maxBatchSize: shape.batchSize, seed: 1)
        epoch = 0
    }

    /// Stops the workers so their threads are unpinned before the next benchmark starts.
    func tearDown() {
        trainer?.pool.shutdown()
        trainer = nil
        data = nil
    }

    /// Trains one epoch; returns the samples per second of that epoch.
    func trainOneEpoch() throws -> Double {
        guard let trainer, let data else { fatalError("EpochRunner.trainOneEpoch before setUp") }
        let start = ContinuousClock.now
        let report = try trainer.trainEpoch(on: data, epoch: epoch, batchSize: shape.batchSize,
                                            learningRate: 0.01, seed: 1)
        let elapsed = ContinuousClock.now - start
        epoch += 1
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(report.samples) / seconds
    }
}
