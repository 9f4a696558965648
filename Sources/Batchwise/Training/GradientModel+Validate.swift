extension GradientModel {
    /// Checks that `dataset` fits the model: as many features per sample as the model takes,
    /// as many targets as it expects, at least one sample, and for a classifier class labels
    /// below its output width. The message says what to change in the model's own terms: the
    /// `widths` of an `MLP`, the input shape and last layer of a `Sequential`.
    public func validate(_ dataset: Dataset) throws(ConfigurationError) {
        let name = dataset.name
        guard dataset.featureWidth == inputWidth else {
            let has = "\(name) has \(dataset.featureWidth) features per sample"
            switch self {
            case is MLP:
                throw ConfigurationError("\(has) but the model's input layer is \(inputWidth) wide; make the first \(parameter: "widths") entry \(dataset.featureWidth)")
            case let model as Sequential:
                let shape = try? dataset.inputShape()
                throw ConfigurationError("\(has)\(dataset.sampleShape.map { " (\($0))" } ?? "") but the model takes input \(model.inputShape), \(model.inputWidth) values per sample; give \(parameter: "input") the data's shape\(shape.map { ", \($0)" } ?? "")")
            default:
                throw ConfigurationError("\(has) but the model takes \(inputWidth)")
            }
        }
        guard dataset.targetWidth == targetWidth else {
            let has = "\(name) has \(dataset.targetWidth) target value(s) per sample but the model"
            switch self {
            case is MLP:
                throw ConfigurationError("\(has) expects \(targetWidth); for mse or l1 make the last \(parameter: "widths") entry \(dataset.targetWidth)")
            case let model as Sequential:
                throw ConfigurationError("\(has) outputs \(model.outputWidth) (its last layer is \(Self.lastLayer(model))); for mse or l1 make the last layer output \(dataset.targetWidth), such as dense(\(dataset.targetWidth))")
            default:
                throw ConfigurationError("\(has) expects \(targetWidth)")
            }
        }
        guard dataset.count >= 1 else { throw ConfigurationError("\(name) has no samples") }
        if let outputs = classCount {
            guard let classes = dataset.classCount else {
                throw ConfigurationError("\(name) has no class labels; a classifier needs integer class labels")
            }
            guard classes <= outputs else {
                let has = "\(name) has labels up to \(classes - 1) but"
                switch self {
                case is MLP:
                    throw ConfigurationError("\(has) the output layer has \(outputs) classes; make the last \(parameter: "widths") entry at least \(classes)")
                case let model as Sequential:
                    throw ConfigurationError("\(has) the model's last layer, \(Self.lastLayer(model)), outputs \(outputs) classes; make it output at least \(classes), such as dense(\(classes))")
                default:
                    throw ConfigurationError("\(has) the model scores \(outputs) classes; it needs at least \(classes)")
                }
            }
        }
    }

    private static func lastLayer(_ model: Sequential) -> String { LayerSpelling.spec.name(model.layers[model.layers.count - 1]) }
}
