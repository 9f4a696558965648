import Batchwise

/// The data of a run, loaded as its `DataSource` describes and scaled as its configuration says.
struct RunData {
    let train: Dataset
    /// The test file's samples, or the seeded hold-out of the training file; nil when none.
    let validation: Dataset?
    /// "test" when --test gave the validation set, "validation" for a hold-out.
    let validationName: String
    let scaling: FeatureScaling

    /// Loads `source`. With `scaling` nil the scaling is fitted on the training part.
    static func load(_ source: DataSource, loss: Loss, layers: [Int]?, seed: UInt64, scaling: FeatureScaling?) throws -> RunData {
        let classification = loss.isClassification
        let csv = CSVLoader(label: source.labelColumn.map(CSVLoader.LabelColumn.init(parsing:)) ?? .last, classification: classification)
        var all: Dataset
        if let samples = source.synthetic {
            guard source.path == nil else { throw ConfigurationError("give either --data or --synthetic, not both") }
            guard samples >= 2 && samples <= 100_000_000 else {
                throw ConfigurationError("--synthetic must be between 2 and 100000000 samples (got \(samples))")
            }
            guard classification else { throw ConfigurationError("--synthetic makes a classification task; use --loss cross-entropy") }
            guard let layers, layers.count >= 2, layers.allSatisfy({ $0 >= 1 }), layers.last! >= 2 else {
                throw ConfigurationError("--synthetic needs --layers with the input width first and at least 2 classes last, such as 784,1024,1024,10")
            }
            all = Dataset.synthetic(samples: samples, features: layers[0], classes: layers.last!, seed: seed)
        } else if let path = source.path {
            all = try DataFile.load(path: path, labels: source.labels, csv: csv, classification: classification)
        } else {
            if source.test != nil { throw ConfigurationError("--test needs --data: the built-in digits come with their own hold-out") }
            if source.labels != nil { throw ConfigurationError("--labels needs --data (an IDX or NPY features file)") }
            if !classification { throw ConfigurationError("the built-in digits are a classification task; use --loss cross-entropy or give --data") }
            all = Dataset.digits()
        }
        var validation: Dataset?
        var name = "validation"
        if let test = source.test {
            let t = try DataFile.load(path: test, labels: source.testLabels, csv: csv, classification: classification)
            guard t.featureWidth == all.featureWidth else {
                throw ConfigurationError("\(test) has \(t.featureWidth) features per sample but \(all.name) has \(all.featureWidth); both need the same columns")
            }
            validation = t
            name = "test"
        } else if source.testLabels != nil {
            throw ConfigurationError("--test-labels needs --test")
        } else if source.validationSplit > 0 {
            let split = try all.split(testFraction: source.validationSplit, seed: seed)
            all = split.train
            validation = split.test
        }
        let fitted = try scaling ?? FeatureScaling(kind: source.normalize, divisor: source.scale, fittedOn: all)
        return RunData(train: try fitted.apply(to: all), validation: try validation.map { try fitted.apply(to: $0) },
                       validationName: name, scaling: fitted)
    }
}
