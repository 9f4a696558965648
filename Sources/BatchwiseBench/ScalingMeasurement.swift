import Batchwise

/// What the scaling benchmark measured at one thread count, before any arithmetic: the raw
/// input of ``ScalingReport``. A test can make one by hand in place of a real run.
public struct ScalingMeasurement: Sendable {
    /// Worker threads.
    public var threads: Int
    /// The OS indices of the PUs the workers ran on, worker order.
    public var processingUnits: [Int]
    /// Wall seconds of each timed step (warm-up steps excluded).
    public var stepSeconds: [Double]
    /// Where the workers' time went over all the timed steps together: seconds per worker,
    /// averaged over workers (the sum of `StepsReport.phases` of the timed steps).
    public var phases: StepPhases
    /// The single-thread sgemm rate on this thread count's shard shapes, measured in the run.
    public var sgemm: SgemmRate
    /// Peak resident memory while this thread count was set up and run.
    public var peakResidentMemory: PeakResidentMemory.Reading
    /// The all-reduce the trainer ran.
    public var allReduce: AllReduceStrategy

    /// A measurement with these values; see the properties for their units.
    public init(threads: Int, processingUnits: [Int] = [], stepSeconds: [Double], phases: StepPhases,
                sgemm: SgemmRate, peakResidentMemory: PeakResidentMemory.Reading, allReduce: AllReduceStrategy = .reduceScatter) {
        self.allReduce = allReduce
        self.threads = threads
        self.processingUnits = processingUnits
        self.stepSeconds = stepSeconds
        self.phases = phases
        self.sgemm = sgemm
        self.peakResidentMemory = peakResidentMemory
    }
}

/// What was run, for the headers of the table, the JSON and the plot.
public struct ScalingSetup: Sendable {
    /// Layer widths of an MLP, input first; empty for a spec model (see `model`).
    public var widths: [Int]
    /// The model as `BenchModel` describes it ("784-1024-10 relu", "conv1d(8,3) … on 1×32").
    public var model: String
    /// Trainable parameters of the model.
    public var parameters: Int
    /// What the steps trained on: "synthetic data", or the data file's name.
    public var data: String
    /// Samples per step.
    public var batchSize: Int
    /// Useful floating-point work per sample (`StepWork.flopsPerSample`: 6 × trainable
    /// parameters for an MLP; 6 × outputs × input channels × kernel size for a convolution).
    public var flopsPerSample: Double
    /// Steps timed per thread count.
    public var timedSteps: Int
    /// Untimed steps run first at each thread count.
    public var warmupSteps: Int
    /// The placement policy, as the `--placement` flag names it ("compact", "scatter").
    public var placement: String
    /// The seed of the synthetic data and the initial weights.
    public var seed: UInt64
    /// The SGD learning rate of the steps.
    public var learningRate: Float
    /// The BLAS behind `Gemm` (`Gemm.backendName`).
    public var blas: String
    /// "2 cores, 2 PUs, 1 NUMA node, 1 package".
    public var machine: String
    /// When the run started, ISO 8601 in UTC.
    public var date: String

    /// A setup with these values; see the properties for their units.
    public init(widths: [Int], batchSize: Int, flopsPerSample: Double, timedSteps: Int, warmupSteps: Int,
                placement: String, seed: UInt64, learningRate: Float, blas: String, machine: String, date: String,
                model: String? = nil, parameters: Int? = nil, data: String = "synthetic data") {
        self.widths = widths
        self.model = model ?? widths.map(String.init).joined(separator: "-") + " relu"
        self.parameters = parameters ?? Int((flopsPerSample / 6).rounded())
        self.data = data
        self.batchSize = batchSize
        self.flopsPerSample = flopsPerSample
        self.timedSteps = timedSteps
        self.warmupSteps = warmupSteps
        self.placement = placement
        self.seed = seed
        self.learningRate = learningRate
        self.blas = blas
        self.machine = machine
        self.date = date
    }

    /// "784-1024-1024-10 relu", or a spec model's layers and input shape.
    public var modelName: String { model }
}
