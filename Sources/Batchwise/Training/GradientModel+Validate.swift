extension GradientModel {
    /// Checks that `dataset` fits the model: as many features per sample as the model takes,
    /// as many targets as it expects, at least one sample, and for a classifier class labels
    /// below its output width. The message says what to change in the model's own terms
    /// (`fitAdvice`: the `widths` of an `MLP`, the input shape and last layer of a `Sequential`).
    public func validate(_ dataset: Dataset) throws(ConfigurationError) {
        let name = dataset.name
        guard dataset.featureWidth == inputWidth else {
            let has: ErrorText = "\(name) has \(dataset.featureWidth) features per sample"
            let advice: ErrorText = fitAdvice(.inputWidth, for: dataset) ?? " but the model takes \(inputWidth)"
            throw ConfigurationError(has + advice)
        }
        guard dataset.targetWidth == targetWidth else {
            let has: ErrorText = "\(name) has \(dataset.targetWidth) target value(s) per sample but the model"
            let advice: ErrorText = fitAdvice(.targetWidth, for: dataset) ?? " expects \(targetWidth)"
            throw ConfigurationError(has + advice)
        }
        guard dataset.count >= 1 else { throw ConfigurationError("\(name) has no samples") }
        if let outputs = classCount {
            guard let classes = dataset.classCount else {
                throw ConfigurationError("\(name) has no class labels; a classifier needs integer class labels")
            }
            guard classes <= outputs else {
                let has: ErrorText = "\(name) has labels up to \(classes - 1) but"
                let advice: ErrorText = fitAdvice(.classes(needed: classes), for: dataset)
                    ?? " the model scores \(outputs) classes; it needs at least \(classes)"
                throw ConfigurationError(has + advice)
            }
        }
    }
}

extension MLP {
    /// Advice about the first or last entry of `widths`.
    public func fitAdvice(_ mismatch: DataMismatch, for dataset: Dataset) -> ErrorText? {
        switch mismatch {
        case .inputWidth:
            " but the model's input layer is \(inputWidth) wide; make the first \(parameter: "widths") entry \(dataset.featureWidth)"
        case .targetWidth:
            " expects \(targetWidth); for mse or l1 make the last \(parameter: "widths") entry \(dataset.targetWidth)"
        case .classes(let needed):
            " the output layer has \(outputWidth) classes; make the last \(parameter: "widths") entry at least \(needed)"
        }
    }
}

extension Sequential {
    /// Advice about the input shape or the last layer.
    public func fitAdvice(_ mismatch: DataMismatch, for dataset: Dataset) -> ErrorText? {
        let last = LayerSpelling.spec.name(layers[layers.count - 1])
        switch mismatch {
        case .inputWidth:
            let shape = try? dataset.inputShape()
            return "\(dataset.sampleShape.map { " (\($0))" } ?? "") but the model takes input \(inputShape), \(inputWidth) values per sample; give \(parameter: "input") the data's shape\(shape.map { ", \($0)" } ?? "")"
        case .targetWidth:
            return " outputs \(outputWidth) (its last layer is \(last)); for mse or l1 make the last layer output \(dataset.targetWidth), such as dense(\(dataset.targetWidth))"
        case .classes(let needed):
            return " the model's last layer, \(last), outputs \(outputWidth) classes; make it output at least \(needed), such as dense(\(needed))"
        }
    }
}
