import Foundation

/// Trains a `GradientModel` by synchronous data-parallel minibatch SGD on pinned workers.
///
/// Owns the flat parameter, optimizer-state and partial-gradient buffers, the worker pool
/// and the all-reduce. `trainEpoch` runs a whole epoch as one job on the workers; the steps
/// inside it (see `TrainingStep.swift`) take no lock, make no allocation and no Dispatch call.
///
/// By default each worker sums its whole shard into its own gradient buffer, and the weights
/// are bit-identical run after run at a fixed thread count. In reproducible mode
/// (`microsharding`), every batch is cut into microshards whose boundaries depend only on the
/// batch size, whatever the thread count, each microshard's gradient is summed by one kernel call into its own buffer,
/// and the all-reduce adds the microshard sums in microshard order: the weights are then
/// bit-identical for every thread count and placement, at the cost of one buffer per
/// microshard and smaller matrix products.
public final class Trainer<Model: GradientModel>: @unchecked Sendable {
    /// The model being trained (its layout; the weights live in the trainer's parameter buffer).
    public let model: Model
    /// The update rule the all-reduce applies to each parameter slice.
    public let optimizer: any Optimizer
    /// The pinned workers the steps run on.
    public let pool: WorkerPool
    /// The machine the pool and buffers were placed on.
    public let topology: Topology
    /// The largest batch size this trainer was set up for.
    public let maxBatchSize: Int
    /// How reproducible mode cuts batches into microshards; nil in the default mode.
    public let microsharding: Microsharding?
    /// The seed the parameters were initialised from; it also keys the draws of random layers
    /// (dropout) with the step and the sample's position in the epoch.
    public let seed: UInt64
    /// Optimizer steps taken so far.
    public internal(set) var step = 0
    /// The running gradient-noise-scale estimate (needs two or more sources per step).
    public internal(set) var noiseScale = GradientNoiseScale()

    let parameters: FloatBuffer
    let optimizerState: FloatBuffer
    /// How the workers combine their partial sums (resolved: never `.automatic`).
    public let strategy: AllReduceStrategy
    /// The reduction a training step runs: the reduce-scatter, the replicated pair, or the
    /// cross-process one.
    let reduction: any GradientReduction
    /// The reduction of `averagedGradient`, which writes each slice once: `reduction`, or —
    /// when that is the replicated pair — a reduce-scatter made the first time it is needed.
    var averagingReduction: any GradientReduction {
        if pair == nil { return reduction }
        if let averaging = lazyAveraging { return averaging }
        let averaging = ReduceScatter(sourceNodes: workerNodes, parameters: parameters, state: optimizerState,
                                      topology: topology, workerNodes: workerNodes)
        lazyAveraging = averaging
        return averaging
    }
    private var lazyAveraging: ReduceScatter?
    /// The NUMA node of each worker's PU.
    let workerNodes: [Int?]
    /// The replicated pair's all-reduce, or nil.
    let pair: PairAllReduce?
    let workspaces: [Model.Workspace]
    let staging: [StagingBuffer]
    /// One slot per source (worker or microshard): its sample count and loss sums of the step.
    let stats: PerWorkerSlots<WorkerStats>
    /// Samples a worker computes in one model call: at most its shard, or one microshard.
    let rowsPerCall: Int
    /// The other processes of a multi-process run, or nil.
    public let processGroup: (any ProcessGroup)?

    /// The parameters and optimizer state worker w computes with and updates: the trainer's
    /// own for every worker, except worker 1's replica with the replicated pair. Worker 0's are
    /// always `parameters` and `optimizerState`.
    var workerParameters: [FloatBuffer] { pair?.parameters ?? Array(repeating: parameters, count: pool.count) }
    var workerState: [FloatBuffer] { pair?.state ?? Array(repeating: optimizerState, count: pool.count) }

    /// Sets up buffers on each worker's NUMA node, starts and pins the workers, and
    /// initialises the parameters from `seed`. `microsharding` selects reproducible mode.
    public init(model: Model, optimizer: any Optimizer, topology: Topology, plan: PlacementPlan,
                maxBatchSize: Int, seed: UInt64, microsharding: Microsharding? = nil, processGroup: (any ProcessGroup)? = nil,
                allReduce strategy: AllReduceStrategy = .automatic) throws {
        if microsharding != nil, let g = processGroup, g.size > 1 {
            throw ConfigurationError("\(parameter: "microsharding") does not work across processes yet; run it in one process, or drop \(parameter: "microsharding") under MPI")
        }
        guard maxBatchSize >= 1 else { throw ConfigurationError("batch size must be at least 1 (got \(maxBatchSize))") }
        if let m = microsharding { _ = try Microsharding(validating: m) }
        let workers = plan.workerCount
        let nodes = plan.units.map { Optional($0.numaNode) }
        // Rows a worker computes at once, and the partial sums with the node each one lives on.
        let rows: Int
        let sourceNodes: [Int?]
        if let microsharding {
            let grain = microsharding.grain(forBatch: maxBatchSize)
            rows = min(grain, maxBatchSize)
            let widest = ShardPlan(batchSize: maxBatchSize, workers: workers, grain: grain)
            sourceNodes = (0..<microsharding.maxMicroshards(maxBatchSize: maxBatchSize)).map { m in
                nodes[(0..<workers).first { widest.shard($0).contains(m * grain) } ?? 0]
            }
        } else {
            rows = ShardPlan(batchSize: maxBatchSize, workers: workers).shard(0).count
            sourceNodes = nodes
        }
        self.strategy = try PairAllReduce.resolve(strategy, workers: workers, sourcesPerWorker: microsharding == nil,
                                                  processes: processGroup?.size ?? 1, parameterCount: model.parameterCount)
        let pairs = self.strategy == .replicatedPair
        // The replicated pair double-buffers the partial sums and keeps a second copy of the
        // parameters and state, plus an accumulator per worker.
        let gradientNodes = pairs ? sourceNodes + sourceNodes : sourceNodes
        try Self.checkMemory(model: model, optimizer: optimizer, topology: topology, workers: workers,
                             sources: gradientNodes.count, replicaVectors: pairs ? 3 + optimizer.stateSlots : 0, rows: rows)
        Gemm.prepare()
        self.model = model
        self.optimizer = optimizer
        self.topology = topology
        self.maxBatchSize = maxBatchSize
        self.microsharding = microsharding
        self.seed = seed
        rowsPerCall = rows
        self.processGroup = processGroup
        parameters = FloatBuffer(count: model.parameterCount, topology: topology)
        optimizerState = FloatBuffer(count: optimizer.stateSlots * model.parameterCount, topology: topology)
        workspaces = nodes.map { model.makeWorkspace(maxSamples: rows, topology: topology, numaNode: $0) }
        staging = nodes.map { StagingBuffer(rows: rows, inputWidth: model.inputWidth, targetWidth: model.targetWidth, topology: topology, numaNode: $0) }
        workerNodes = nodes
        if pairs {
            let pair = PairAllReduce(parameters: parameters, state: optimizerState, topology: topology, numaNodes: nodes)
            self.pair = pair
            reduction = pair
        } else {
            pair = nil
            let reduceScatter = ReduceScatter(sourceNodes: sourceNodes, parameters: parameters, state: optimizerState,
                                              topology: topology, workerNodes: nodes)
            if let processGroup, processGroup.size > 1 {
                reduction = ProcessAllReduce(local: reduceScatter, group: processGroup, topology: topology)
            } else {
                reduction = reduceScatter
            }
        }
        stats = PerWorkerSlots(count: max(workers, sourceNodes.count, pairs ? 4 : 0), initial: WorkerStats())
        pool = try WorkerPool(topology: topology, plan: plan)
        parameters.withUnsafeMutableBufferPointer { model.initialize(parameters: $0, seed: seed) }
    }

    /// Gives the worker threads back to Dispatch (they hold the pool, not the trainer).
    deinit { pool.shutdown() }

    /// Refuses a set-up whose flat buffers (parameters, optimizer state, the partial sums),
    /// staging and (for a `Sequential`) workspaces cannot fit in this machine's memory, before
    /// allocating any of it.
    static func checkMemory(model: Model, optimizer: any Optimizer, topology: Topology, workers: Int, sources: Int,
                            replicaVectors: Int = 0, rows: Int) throws(ConfigurationError) {
        // A layer stack's workspace (outputs, im2col columns) can outweigh its parameters.
        let workspace = (model as? Sequential).map { Double($0.chain.scratchCount(samples: max(rows, 1))) } ?? 0
        let floats = Double(model.parameterCount) * Double(1 + optimizer.stateSlots + sources + replicaVectors)
            + Double(workers) * (Double(rows) * Double(model.inputWidth + model.targetWidth) + workspace)
        let bytes = floats * 4
        // hwloc's NUMA totals can miss hot-plugged memory (seen in VMs); take the larger figure.
        let available = Double(max(topology.totalMemoryBytes, ProcessInfo.processInfo.physicalMemory))
        if available > 0 && bytes > 0.8 * available {
            let gib = { (b: Double) in String(format: "%.1f", b / 1_073_741_824) }
            let smaller: ErrorText = model is MLP ? "fewer or narrower \(parameter: "widths")" : "a smaller model"
            throw ConfigurationError("this model needs about \(gib(bytes)) GiB for parameters, optimizer state\(workspace > 0 ? ", workspaces" : "") and \(sources) partial gradient buffer(s), but the machine has \(gib(available)) GiB; use \(smaller), fewer \(parameter: "workers"), a smaller \(parameter: "maxBatchSize") (or a larger \(parameter: "grain"))")
        }
    }

    /// A copy of the flat parameter vector.
    public var parameterValues: [Float] { parameters.array }

    /// Replaces the parameters (for example with ones loaded from elsewhere).
    public func setParameters(_ values: [Float]) throws(ConfigurationError) {
        guard values.count == parameters.count else {
            throw ConfigurationError("\(values.count) parameter values given; this model has \(parameters.count)")
        }
        parameters.assign(values)
    }

    /// SHA-256 of the parameter bytes (little-endian IEEE floats, padding included): equal
    /// digests mean bit-identical weights.
    public func weightsDigest() -> String {
        var hash = SHA256()
        parameters.withUnsafeBufferPointer { hash.update(UnsafeRawBufferPointer($0)) }
        return hash.finalizeHex()
    }

    /// Checks that `dataset` fits the model, with a message that says what to change (see
    /// `GradientModel.validate(_:)`).
    public func validate(_ dataset: Dataset) throws(ConfigurationError) {
        try model.validate(dataset)
    }
}

/// Lets a value that is not `Sendable` (a pointer, per-worker scratch) ride into a worker job.
/// The trainer keeps it alive for the job and no two workers write the same part of it.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
}
