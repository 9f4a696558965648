import Foundation

/// Trains a `GradientModel` by synchronous data-parallel minibatch SGD on pinned workers.
///
/// Owns the flat parameter, optimizer-state and per-worker gradient buffers, the worker pool
/// and the all-reduce. `trainEpoch` runs a whole epoch as one job on the workers; the steps
/// inside it (see `TrainingStep.swift`) take no lock, make no allocation and no Dispatch call.
public final class Trainer<Model: GradientModel>: @unchecked Sendable {
    public let model: Model
    public let optimizer: any Optimizer
    public let pool: WorkerPool
    public let topology: Topology
    /// The largest batch size this trainer was set up for.
    public let maxBatchSize: Int
    /// Optimizer steps taken so far.
    public internal(set) var step = 0

    let parameters: FloatBuffer
    let optimizerState: FloatBuffer
    let gradients: [FloatBuffer]
    let workspaces: [Model.Workspace]
    let inputStaging: [FloatBuffer]
    let targetStaging: [FloatBuffer]
    let allReduce: AllReduce
    let stats: PerWorkerSlots<WorkerStats>

    /// Sets up buffers on each worker's NUMA node, starts and pins the workers, and
    /// initialises the parameters from `seed`.
    public init(model: Model, optimizer: any Optimizer, topology: Topology, plan: PlacementPlan,
                maxBatchSize: Int, seed: UInt64) throws {
        guard maxBatchSize >= 1 else { throw ConfigurationError("batch size must be at least 1 (got \(maxBatchSize))") }
        let workers = plan.workerCount
        let maxShard = ShardPlan(batchSize: maxBatchSize, workers: workers).shard(0).count
        try Self.checkMemory(model: model, optimizer: optimizer, topology: topology, workers: workers, maxShard: maxShard)
        Gemm.prepare()
        self.model = model
        self.optimizer = optimizer
        self.topology = topology
        self.maxBatchSize = maxBatchSize
        let nodes = plan.units.map { Optional($0.numaNode) }
        parameters = FloatBuffer(count: model.parameterCount, topology: topology)
        optimizerState = FloatBuffer(count: optimizer.stateSlots * model.parameterCount, topology: topology)
        gradients = nodes.map { FloatBuffer(count: model.parameterCount, topology: topology, numaNode: $0) }
        workspaces = nodes.map { model.makeWorkspace(maxSamples: maxShard, topology: topology, numaNode: $0) }
        inputStaging = nodes.map { FloatBuffer(count: maxShard * model.inputWidth, topology: topology, numaNode: $0) }
        targetStaging = nodes.map { FloatBuffer(count: maxShard * model.targetWidth, topology: topology, numaNode: $0) }
        allReduce = AllReduce(partialSums: gradients, topology: topology, numaNodes: nodes)
        stats = PerWorkerSlots(count: workers, initial: WorkerStats())
        pool = try WorkerPool(topology: topology, plan: plan)
        parameters.withUnsafeMutableBufferPointer { model.initialize(parameters: $0, seed: seed) }
    }

    /// Refuses a set-up whose flat buffers (parameters, optimizer state, one gradient sum per
    /// worker) and staging cannot fit in this machine's memory, before allocating any of it.
    static func checkMemory(model: Model, optimizer: any Optimizer, topology: Topology, workers: Int, maxShard: Int) throws(ConfigurationError) {
        let floats = Double(model.parameterCount) * Double(1 + optimizer.stateSlots + workers)
            + Double(workers) * Double(maxShard) * Double(model.inputWidth + model.targetWidth)
        let bytes = floats * 4
        // hwloc's NUMA totals can miss hot-plugged memory (seen in VMs); take the larger figure.
        let available = Double(max(topology.totalMemoryBytes, ProcessInfo.processInfo.physicalMemory))
        if available > 0 && bytes > 0.8 * available {
            let gib = { (b: Double) in String(format: "%.1f", b / 1_073_741_824) }
            throw ConfigurationError("this model needs about \(gib(bytes)) GiB for parameters, optimizer state and one gradient buffer per thread, but the machine has \(gib(available)) GiB; use fewer or narrower --layers, fewer --threads, or a smaller --batch-size")
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

    /// Checks that `dataset` fits the model, with a message that says what to change.
    public func validate(_ dataset: Dataset) throws(ConfigurationError) {
        guard dataset.featureWidth == model.inputWidth else {
            throw ConfigurationError("\(dataset.name) has \(dataset.featureWidth) features per sample but the model's input layer is \(model.inputWidth) wide; make the first --layers entry \(dataset.featureWidth)")
        }
        guard dataset.targetWidth == model.targetWidth else {
            throw ConfigurationError("\(dataset.name) has \(dataset.targetWidth) target value(s) per sample but the model expects \(model.targetWidth); for mse or l1 make the last --layers entry \(dataset.targetWidth)")
        }
        guard dataset.count >= 1 else { throw ConfigurationError("\(dataset.name) has no samples") }
        if let outputs = model.classCount {
            guard let classes = dataset.classCount else {
                throw ConfigurationError("\(dataset.name) has no class labels; a classifier needs integer class labels")
            }
            guard classes <= outputs else {
                throw ConfigurationError("\(dataset.name) has labels up to \(classes - 1) but the output layer has \(outputs) classes; make the last --layers entry at least \(classes)")
            }
        }
    }
}

/// What a worker reports about its shard for one step; read by the others after the barrier.
struct WorkerStats {
    var count = 0
    var loss = ShardLoss()
    /// Padding so neighbouring workers' stats sit on different cache lines.
    var padding: (Int, Int, Int, Int, Int) = (0, 0, 0, 0, 0)
}

/// Lets a value that is not `Sendable` (a pointer, per-worker scratch) ride into a worker job.
/// The trainer keeps it alive for the job and no two workers write the same part of it.
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
}
