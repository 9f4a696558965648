import ArgumentParser
import Batchwise
import BatchwiseBench
import BatchwiseReporting
import Foundation

/// `batchwise bench`: measurements of this machine and build.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks of training on this machine.",
        subcommands: [BenchScalingCommand.self, BenchBatchSizeCommand.self])
}

/// `batchwise bench scaling`: samples/s, speedup and efficiency of one training step over thread counts.
struct BenchScalingCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scaling",
        abstract: "Time training steps of a model at several thread counts: speedup, efficiency, GFLOP/s against the sgemm limit.",
        discussion: """
            For each thread count: a trainer (SGD, momentum 0.9) takes --warmup-steps untimed steps, \
            then --steps steps timed one by one. The table gives samples/s (batch / median step), the \
            median and 10th/90th percentile step, speedup and efficiency over the smallest thread \
            count, GFLOP/s (useful work × batch / median step) and its share of the limit (one \
            thread's sgemm rate on the model's own products at that shard, measured in the same run, \
            × threads), where the workers' time went, and peak resident memory.

            Model and data: any model and data train takes, with train's flags. --layers W0,…,Wn \
            (default 784,1024,1024,10) or --model SPEC / --model-file FILE with --input-shape; \
            without --data (or --synthetic N) the steps run on seeded synthetic data shaped by the \
            model. --data FILE (CSV, IDX or NPY, with --labels, --scale, --normalize and the CSV \
            flags) times steps on your samples (all of them: there is no validation); --layers then \
            defaults to input,128,classes and a --model takes the data's own sample shape. \
            Useful work per sample: 6 × the parameters of each dense layer, and 6 × output elements \
            × input channels × kernel size of each convolution (forward 2×, backward 4×).

            --json FILE writes a JSON array, one object per thread count (keys in snake_case: \
            threads, model, data, samples_per_second, step_seconds_median, step_seconds_p10, step_seconds_p90, \
            speedup, efficiency, gflops, sgemm_gflops_single_thread, peak_share, executed_peak_share, compute_share, \
            barrier_share, allreduce_share, other_share, peak_rss_bytes, …). --svg FILE draws \
            speedup and efficiency against threads with the ideal lines.
            """)

    @Option(help: "Thread counts to measure, such as 1,2,4 (default: 1, 2, 4, … up to the physical core count, and that count).")
    var threads: String?
    @OptionGroup var dataFlags: DataFlags
    @OptionGroup var modelFlags: ModelFlags
    @Option(parsing: .unconditional, help: "Samples per step.")
    var batchSize: Int = 512
    @Option(parsing: .unconditional, help: "Timed steps per thread count.")
    var steps: Int = 20
    @Option(parsing: .unconditional, help: "Untimed steps before the timed ones, per thread count.")
    var warmupSteps: Int = 3
    @Option(help: "Where workers go: compact (one per core, in order) or scatter (round-robin over NUMA nodes).")
    var placement: String = "compact"
    @Flag(help: "Allow more threads than PUs (they share PUs).")
    var oversubscribe = false
    @Option(parsing: .unconditional, help: "Seed for the weights and the synthetic data.")
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "SGD learning rate (small, so the loss stays finite).")
    var lr: Float = 0.001
    @OptionGroup var files: ReportFiles<ScalingReport>
    @Option(name: .customLong("all-reduce"),
            help: "automatic (the replicated pair at 2 threads on models up to 131,072 parameters, else reduce-scatter), reduce-scatter, or replicated-pair (2 threads only).")
    var allReduce: String = "automatic"

    func run() throws {
        let topology = try Topology()
        guard let strategy = AllReduceStrategy(rawValue: allReduce) else {
            throw ConfigurationError("--all-reduce must be automatic, reduce-scatter or replicated-pair (got '\(allReduce)')")
        }
        let counts = try threads.map(ScalingBenchmark.parseThreadCounts) ?? ScalingBenchmark.defaultThreadCounts(on: topology)
        let loaded = try BenchData.load(dataFlags, modelFlags, seed: seed, holdOut: false, ownSynthetic: [784, 1024, 1024, 10])
        let bench = try ScalingBenchmark(model: loaded.model, batchSize: batchSize, threadCounts: counts, timedSteps: steps,
                                         warmupSteps: warmupSteps, placement: try Placement(parsing: placement),
                                         oversubscribe: oversubscribe, seed: seed, learningRate: lr, allReduce: strategy)
        // Refuse what cannot work before minutes of measuring.
        _ = try bench.plans(on: topology)
        try files.check()
        loaded.data?.printNotes()
        try files.write(try bench.run(on: topology, data: loaded.data?.train, dataName: loaded.task))
    }
}

extension ScalingReport: BenchmarkReport {
    static let jsonHelp = "Write the results to this JSON file (an array, one object per thread count)."
    static let svgHelp = "Draw speedup and efficiency against threads into this SVG file."
}

/// What a `bench` subcommand measures (a `BenchReport`: a table, JSON and a figure), with the
/// help its --json and --svg flags give.
protocol BenchmarkReport: BenchReport {
    /// The help of --json: what the file holds.
    static var jsonHelp: String { get }
    /// The help of --svg: what the figure draws.
    static var svgHelp: String { get }
}

/// The --json and --svg files of a `bench` subcommand.
struct ReportFiles<Report: BenchmarkReport>: ParsableArguments {
    @Option(help: ArgumentHelp(Report.jsonHelp))
    var json: String?
    @Option(help: ArgumentHelp(Report.svgHelp))
    var svg: String?

    /// Refuses a path that cannot be written, before minutes of measuring.
    func check() throws {
        for path in [json, svg].compactMap({ $0 }) { try ScalingBenchmark.checkOutputPath(path) }
    }

    /// Prints the report's table, then writes each file asked for and names it.
    func write(_ report: Report) throws {
        print(report.table(), terminator: "")
        if let json {
            try report.writeJSON(to: json)
            print("wrote \(json)")
        }
        if let svg {
            try report.figure.write(to: svg)
            print("wrote \(svg)")
        }
    }
}
