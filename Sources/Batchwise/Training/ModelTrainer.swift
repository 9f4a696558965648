/// What a `TrainingSession` (and the `batchwise` commands) need of a `Trainer`, whatever its
/// model: a `Trainer<MLP>` and a `Trainer<Sequential>` are both one.
public protocol ModelTrainer: AnyObject {
    /// The model, as a model whose outputs can be read.
    var trainedModel: any PredictionModel { get }
    /// Optimizer steps taken so far.
    var step: Int { get }
    /// The running gradient-noise-scale estimate.
    var noiseScale: GradientNoiseScale { get }
    /// How the workers combine their partial sums.
    var strategy: AllReduceStrategy { get }
    /// A copy of the flat parameter vector.
    var parameterValues: [Float] { get }
    /// A copy of the optimizer's flat state.
    var optimizerStateValues: [Float] { get }
    /// Trainable parameters (the flat vector's padding left out).
    var trainableParameterCount: Int { get }
    /// Replaces the parameters.
    func setParameters(_ values: [Float]) throws(ConfigurationError)
    /// Puts back the optimizer state, step and noise-scale estimate of a checkpoint.
    func restore(optimizerState: [Float], step: Int, noiseScale: GradientNoiseScale)
    /// Runs `steps` of `plan` (see `Trainer.trainSteps`).
    func trainSteps(_ plan: EpochPlan, on data: Dataset, steps: Range<Int>, learningRates: [Float],
                    onNonFinite: NonFinitePolicy, stop: StopRequest?) throws -> StepsReport
    /// Loss and accuracy over `data`.
    func evaluate(on data: Dataset) throws -> Evaluation
    /// SHA-256 of the parameter bytes.
    func weightsDigest() -> String
    /// Checks that `dataset` fits the model.
    func validate(_ dataset: Dataset) throws(ConfigurationError)
    /// The model's outputs for every sample of `data`, row-major.
    func outputs(on data: Dataset) throws -> [Float]
    /// Class probabilities for every sample of `data`, row-major.
    func probabilities(on data: Dataset) throws -> [Float]
}

extension Trainer: ModelTrainer where Model: PredictionModel {
    public var trainedModel: any PredictionModel { model }
    public var optimizerStateValues: [Float] { optimizerState.array }
    public var trainableParameterCount: Int {
        switch model {
        case let mlp as MLP: mlp.layout.trainableCount
        case let sequential as Sequential: sequential.tensorTable.trainableCount
        default: model.parameterCount
        }
    }

    public func restore(optimizerState values: [Float], step: Int, noiseScale: GradientNoiseScale) {
        optimizerState.assign(values)
        self.step = step
        self.noiseScale = noiseScale
    }
}

extension TrainingConfiguration {
    /// A trainer of the model this configuration describes (`makeTrainingModel()`).
    public func makeTrainer(topology: Topology, plan: PlacementPlan, maxBatchSize: Int,
                            processGroup: (any ProcessGroup)? = nil) throws -> any ModelTrainer {
        func make<M: PredictionModel>(_ model: M) throws -> any ModelTrainer {
            try Trainer(model: model, optimizer: optimizer.optimizer, topology: topology, plan: plan,
                        maxBatchSize: maxBatchSize, seed: seed, microsharding: microsharding, processGroup: processGroup)
        }
        return try make(try makeTrainingModel())
    }
}
