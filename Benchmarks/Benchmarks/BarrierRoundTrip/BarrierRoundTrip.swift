import Batchwise
import Benchmark

/// The cost of one barrier round between two pinned workers, and of handing a job to the pool.
///
/// - `Barrier round trip, 2 workers`: one iteration is one `WorkerPool.run` whose job has every
///   worker call `context.barrier.arriveAndWait()` `rounds` times. A training step meets the
///   barrier twice, so twice this figure is the synchronisation floor of a step.
///   `nsPerRound` = wall time of the iteration / `rounds` (the one hand-over per iteration is
///   amortised over 100,000 rounds).
/// - `WorkerPool.run hand-over, 2 workers`: one iteration is one `run` of an empty job; the
///   trainer pays this once per epoch (or once per `trainSteps` call), not per step.
///   `nsPerJob` = wall time of that `run`.
///
/// The pool (compact placement, one worker per core) is started in setup and shut down in
/// teardown, so the next benchmark has both cores.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .cpuTotal],
        units: [PoolRunner.nsPerRound: .count, PoolRunner.nsPerJob: .count],
        warmupIterations: 1
    )

    let workers = 2
    let barrier = PoolRunner(workers: workers)
    Benchmark(
        "Barrier round trip, \(workers) workers",
        configuration: .init(metrics: [.wallClock, .throughput, .cpuTotal, PoolRunner.nsPerRound],
                             timeUnits: .milliseconds, maxDuration: .seconds(3), maxIterations: 100),
        closure: { benchmark in
            for _ in benchmark.scaledIterations {
                let nanoseconds = barrier.run(rounds: PoolRunner.rounds)
                benchmark.measurement(PoolRunner.nsPerRound, Int((nanoseconds / Double(PoolRunner.rounds)).rounded()))
            }
        },
        setup: { try barrier.setUp() },
        teardown: { barrier.tearDown() }
    )

    let handOver = PoolRunner(workers: workers)
    Benchmark(
        "WorkerPool.run hand-over, \(workers) workers",
        configuration: .init(metrics: [.wallClock, .throughput, .cpuTotal, PoolRunner.nsPerJob],
                             timeUnits: .microseconds, maxDuration: .seconds(2), maxIterations: 20_000),
        closure: { benchmark in
            for _ in benchmark.scaledIterations {
                let nanoseconds = handOver.run(rounds: 0)
                benchmark.measurement(PoolRunner.nsPerJob, Int(nanoseconds.rounded()))
            }
        },
        setup: { try handOver.setUp() },
        teardown: { handOver.tearDown() }
    )
}

/// Owns a worker pool between a benchmark's setup and teardown.
final class PoolRunner: @unchecked Sendable {
    /// Barrier rounds per benchmark iteration.
    static let rounds = 100_000
    static let nsPerRound = BenchmarkMetric.custom("nsPerRound", polarity: .prefersSmaller)
    static let nsPerJob = BenchmarkMetric.custom("nsPerJob", polarity: .prefersSmaller)

    let workers: Int
    private var pool: WorkerPool?

    init(workers: Int) { self.workers = workers }

    func setUp() throws {
        let topology = try Topology()
        pool = try WorkerPool(topology: topology, plan: try PlacementPlan(topology: topology, workers: workers, placement: .compact))
    }

    func tearDown() {
        pool?.shutdown()
        pool = nil
    }

    /// Runs one job in which every worker meets the barrier `rounds` times; returns its wall
    /// time in nanoseconds, hand-over included.
    func run(rounds: Int) -> Double {
        guard let pool else { fatalError("PoolRunner.run before setUp") }
        let start = ContinuousClock.now
        pool.run { context in
            for _ in 0..<rounds { context.barrier.arriveAndWait() }
        }
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    }
}
