import Batchwise

extension RunData {
    /// Loads the data of `configuration` and settles the model on it, as `train` and the
    /// benches do: a `--model` on synthetic data takes its input from `inputShape` (the flag)
    /// and gives the data its classes; a `--model` on a file takes the data's per-sample shape
    /// (or `inputShape`) and is checked against the training and validation sets before any
    /// trainer exists; an MLP with no widths gets input,128,classes. The fitted scalings and
    /// the class names are stored in `configuration`.
    ///
    /// `guessesAreErrors` is `load`'s: labels that do not look like classes stop the run.
    /// - Throws: `ConfigurationError` or `DataError` naming the flag, the file or the layer.
    static func load(for configuration: inout TrainingConfiguration, inputShape shapeFlag: TensorShape?,
                     guessesAreErrors: Bool) throws -> RunData {
        var dataWidths = configuration.layers
        if configuration.modelSpec != nil, configuration.data.synthetic != nil {
            // Synthetic data is flat: its width is the input shape's, its classes the model's outputs.
            if configuration.inputShape == nil {
                guard let shapeFlag else {
                    throw ConfigurationError("--synthetic with --model needs --input-shape: the shape of each synthetic sample, such as 1,8,8 or 64")
                }
                configuration.inputShape = shapeFlag.dimensions
            }
            let model = try configuration.makeSequential()!
            dataWidths = [model.inputWidth, model.classCount ?? model.outputWidth]
        }
        let data = try RunData.load(configuration.data, loss: configuration.loss, layers: dataWidths,
                                    seed: configuration.seed, scaling: configuration.scaling,
                                    targetScaling: configuration.targetScaling, classNames: configuration.classNames,
                                    guessesAreErrors: guessesAreErrors)
        if configuration.modelSpec != nil {
            if configuration.inputShape == nil {
                configuration.inputShape = try data.train.inputShape(given: shapeFlag).dimensions
            }
            // Every bad spec, and any data the model cannot take, is an error before a trainer exists.
            let model = try configuration.makeSequential()!
            try model.validate(data.train)
            if let validation = data.validation { try model.validate(validation) }
        } else if configuration.layers.isEmpty {
            configuration.layers = [data.train.featureWidth, 128,
                                    configuration.loss.isClassification ? max(2, data.train.classCount ?? 2) : data.train.targetWidth]
        }
        data.store(in: &configuration)
        return data
    }
}
