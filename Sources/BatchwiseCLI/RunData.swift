import Batchwise
import Foundation

/// The data of a run, loaded as its `DataSource` describes and scaled as its configuration says.
struct RunData {
    let train: Dataset
    /// The test file's samples, or the seeded hold-out of the training file; nil when none.
    let validation: Dataset?
    /// "test" when --test gave the validation set, "validation" for a hold-out.
    let validationName: String
    let scaling: FeatureScaling
    /// The standardisation of regression targets under --normalize-targets.
    var targetScaling: TargetScaling? = nil
    /// Lines for the start-up output: what the CSV reader found and chose.
    var notes: [String] = []
    /// Doubts about the data, printed as warnings before training.
    var warnings: [String] = []

    /// The class names, the fitted scalings: what the checkpoint must hold to read data again.
    func store(in configuration: inout TrainingConfiguration) {
        configuration.scaling = scaling
        configuration.targetScaling = targetScaling
        configuration.classNames = train.classNames
    }

    /// Loads `source`. With `scaling` nil the scaling is fitted on the training part (and so is
    /// `targetScaling` under --normalize-targets); `classNames` are the classes of a resumed run.
    /// `guessesAreErrors`: labels that do not look like the classes of this model (see
    /// `ClassLabelSurvey`) stop the run, unless --classes says how many there are; otherwise
    /// they are warnings.
    static func load(_ source: DataSource, loss: Loss, layers: [Int]?, seed: UInt64, scaling: FeatureScaling?,
                     targetScaling: TargetScaling? = nil, classNames: [String]? = nil,
                     guessesAreErrors: Bool = false) throws -> RunData {
        let classification = loss.isClassification
        var csv = try source.csvLoader(classification: classification)
        csv.classNames = classNames
        var notes: [String] = [], warnings: [String] = []
        func report(_ r: CSVReport?, _ path: String) {
            guard let r else { return }
            notes.append("csv: \(path): " + FlagNames.render(r.summary))
            warnings += r.warnings.map(FlagNames.render)
        }
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
            try LoadingLine.synthetic(samples: samples, features: layers[0],
                                      bytes: Dataset.syntheticBytes(samples: samples, features: layers[0], classes: layers.last!))
            all = Dataset.synthetic(samples: samples, features: layers[0], classes: layers.last!, seed: seed)
        } else if let path = source.path {
            LoadingLine.file(path)
            if let labels = source.labels { LoadingLine.file(labels) }
            let loaded = try DataFile.loadReporting(path: path, labels: source.labels, csv: csv, classification: classification)
            all = loaded.dataset
            report(loaded.csv, path)
        } else {
            if source.test != nil { throw ConfigurationError("--test needs --data: the built-in digits come with their own hold-out") }
            if source.labels != nil { throw ConfigurationError("--labels needs --data (an IDX or NPY features file)") }
            if !classification { throw ConfigurationError("the built-in digits are a classification task; use --loss cross-entropy or give --data") }
            all = Dataset.digits()
        }
        if let classes = source.classes {
            all = try all.declaringClasses(classes)
            if let layers, let width = layers.last, layers.count >= 2, width != classes {
                throw ConfigurationError("--layers ends in \(width) outputs but --classes is \(classes); make the last --layers entry \(classes)")
            }
        } else if classification, source.synthetic == nil, let survey = ClassLabelSurvey(all) {
            let doubts = survey.doubts(outputWidth: layers.flatMap { $0.count >= 2 ? $0.last : nil })
            if let first = doubts.first, guessesAreErrors {
                throw ConfigurationError("\(all.name): \(FlagNames.render(first)). To train on these labels as they are, give --classes or --loss cross-entropy")
            }
            warnings += doubts.map { "\(all.name): " + FlagNames.render($0) }
        }
        var validation: Dataset?
        var name = "validation"
        if let test = source.test {
            var testCSV = csv
            testCSV.classNames = all.classNames
            LoadingLine.file(test)
            if let labels = source.testLabels { LoadingLine.file(labels) }
            let loaded = try DataFile.loadReporting(path: test, labels: source.testLabels, csv: testCSV, classification: classification)
            var t = loaded.dataset
            report(loaded.csv, test)
            guard t.featureWidth == all.featureWidth else {
                throw ConfigurationError("\(test) has \(t.featureWidth) features per sample but \(all.name) has \(all.featureWidth); both need the same columns")
            }
            if let trained = all.classCount, let seen = t.classCount {
                guard seen <= trained else {
                    throw ConfigurationError("\(test) has class \(seen - 1), which \(all.name) never has (its classes are 0…\(trained - 1)): a model cannot learn a class it never sees. Check that both files number the classes alike, or give --classes \(seen) if the training data lacks that class on purpose")
                }
                t = try t.declaringClasses(trained)
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
        var train = try fitted.apply(to: all)
        var held = try validation.map { try fitted.apply(to: $0) }
        var targets: TargetScaling? = nil
        if source.normalizeTargets == true {
            guard !classification else {
                throw ConfigurationError("--normalize-targets standardises numeric targets; give --loss mse or l1 with it")
            }
            let t = try targetScaling ?? TargetScaling(fittedOn: train)
            train = try t.apply(to: train)
            held = try held.map { try t.apply(to: $0) }
            targets = t
            notes.append("targets: standardised (mean \(t.means.map { String(format: "%.4g", $0) }.joined(separator: ",")), std \(t.deviations.map { String(format: "%.4g", $0) }.joined(separator: ","))); losses are on that scale, predictions in the targets' units")
        }
        return RunData(train: train, validation: held, validationName: name, scaling: fitted, targetScaling: targets,
                       notes: notes, warnings: warnings)
    }
}

extension DataSource {
    /// The CSV reader these settings describe (delimiter, header, label and dropped columns).
    func csvLoader(classification: Bool) throws -> CSVLoader {
        CSVLoader(label: labelColumn.map(CSVLoader.LabelColumn.init(parsing:)) ?? .last, header: header,
                  classification: classification, delimiter: try delimiter.map { d throws in try CSVLoader.delimiter(parsing: d) },
                  drop: (drop ?? []).map(CSVLoader.Column.init(parsing:)))
    }
}

extension RunData {
    /// The notes on standard output, the warnings on standard error (`warning: …`).
    func printNotes() {
        for note in notes { print(note) }
        for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
    }
}
