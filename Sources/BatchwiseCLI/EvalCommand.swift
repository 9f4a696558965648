import ArgumentParser
import Batchwise
import BatchwiseReporting
import Foundation

extension ModelTrainer {
    /// The trained model (an MLP or a `Sequential`), as `Trainer.model` is for a known model type.
    var model: any PredictionModel { trainedModel }
}

/// A trained model from a checkpoint — an MLP (format 1 or 2) or the `Sequential` of a model
/// spec (format 2) — ready to evaluate or predict on workers.
struct TrainedModel {
    let checkpoint: Checkpoint
    let trainer: any ModelTrainer
    let directory: String

    init(directory: String, placement: PlacementOptions) throws {
        self.directory = directory
        checkpoint = try Checkpoint.load(from: directory)
        let weights = checkpoint.finalParameters
        let bad = weights.count { !$0.isFinite }
        if bad > 0 {
            throw TrainingError.nonFiniteWeights(in: "the checkpoint in \(directory)", count: bad, total: weights.count)
        }
        let c = checkpoint.configuration
        let topology = try Topology()
        var evaluating = c
        evaluating.microsharding = nil  // evaluation is per sample: no microshards, as before
        trainer = try evaluating.makeTrainer(topology: topology, plan: try placement.plan(on: topology), maxBatchSize: 1024)
        try trainer.setParameters(checkpoint.finalParameters)
    }

    /// Loads `path` (with `labels` for IDX or NPY) as the checkpoint's training data was loaded, and scales it the same way.
    func load(_ path: String, labels: String?, requireLabels: Bool) throws -> Dataset {
        let c = checkpoint.configuration
        var csv = try c.data.csvLoader(classification: c.loss.isClassification)
        csv.classNames = c.classNames
        LoadingLine.file(path)
        if let labels { LoadingLine.file(labels) }
        let raw = requireLabels
            ? try DataFile.load(path: path, labels: labels, csv: csv, classification: c.loss.isClassification)
            : try DataFile.loadFeatures(path: path, featureWidth: trainer.model.inputWidth, csv: csv)
        try checkFits(raw)
        let scaled = try (c.scaling ?? FeatureScaling(kind: .none, fittedOn: raw)).apply(to: raw)
        guard requireLabels, let targets = c.targetScaling else { return scaled }
        return try targets.apply(to: scaled)
    }

    /// The name of each class the model outputs: the class names of its training labels, or
    /// the class numbers.
    var classNames: [String] {
        checkpoint.configuration.classNames ?? (0..<trainer.model.outputWidth).map(String.init)
    }

    /// The checks `Trainer.validate` makes, in words for data given to a trained model: the
    /// model cannot change, so the advice is about the data (not the training flags).
    private func checkFits(_ data: Dataset) throws {
        let model = trainer.model, what = "the model in \(directory) (\(checkpoint.configuration.modelDescription))"
        guard data.featureWidth == model.inputWidth else {
            throw ConfigurationError("\(data.name) has \(data.featureWidth) features per sample but \(what) takes \(model.inputWidth); give data with the columns it was trained on")
        }
        guard data.targetWidth == model.targetWidth else {
            throw ConfigurationError("\(data.name) has \(data.targetWidth) target value(s) per sample but \(what) predicts \(model.targetWidth); give data with the columns it was trained on")
        }
        if let outputs = model.classCount, let classes = data.classCount, classes > outputs {
            throw ConfigurationError("\(data.name) has labels up to \(classes - 1) but \(what) knows only classes 0…\(outputs - 1); evaluate on data with the classes it was trained on")
        }
    }

    /// Runs `body`, with the advice of a library error given in the words of `eval` and
    /// `predict`: a flag they have (`--data`, `--threads`), and otherwise the `batchwise train`
    /// flag the advice is about, since a trained model's settings are fixed in its checkpoint.
    static func withAdvice<R>(_ body: () throws -> R) throws -> R {
        do {
            return try body()
        } catch {
            func render(_ text: ErrorText) -> String {
                text.rendered { parameter, value in
                    let bare = ErrorText.bareName(parameter)
                    let own: [String: String] = ["path": "--data", "labels": "--labels", "workers": "--threads",
                                                 "placement": "--placement", "oversubscribe": "--oversubscribe"]
                    if let flag = own[bare] { return flag + (value.map { " " + $0 } ?? "") }
                    let flag = FlagNames.flags[parameter] ?? FlagNames.flags[bare] ?? bare
                    return flag + (value.map { " " + $0 } ?? "") + " (of batchwise train)"
                }
            }
            switch error {
            case let e as ConfigurationError: throw ConfigurationError(ErrorText(render(e.text)))
            case let e as DataError: throw ConfigurationError(ErrorText(e.located(render(e.text))))
            case let e as TrainingError: throw ConfigurationError(ErrorText(render(e.text)))
            default: throw error
            }
        }
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpointed model on labelled data: loss, accuracy and the confusion matrix.")

    @Option(help: "The checkpoint directory written by batchwise train --checkpoint-dir.")
    var checkpoint: String
    @Option(help: "Labelled data (CSV, IDX or NPY, optionally .gz), with the columns of the training data.")
    var data: String
    @Option(help: "Labels for IDX or NPY --data.")
    var labels: String?
    @OptionGroup var placement: PlacementOptions

    func run() throws {
        try TrainedModel.withAdvice(evaluate)
    }

    private func evaluate() throws {
        let model = try TrainedModel(directory: checkpoint, placement: placement)
        let data = try model.load(self.data, labels: labels, requireLabels: true)
        let evaluation = try model.trainer.evaluate(on: data)
        let c = model.checkpoint.configuration
        print("model: \(c.modelDescription), trained \(model.checkpoint.state.history.count) epoch(s)")
        print("data: \(data.name), \(data.count) samples")
        print("loss: \(String(format: "%.4f", evaluation.loss))" + (c.targetScaling != nil ? " (on standardised targets, --normalize-targets)" : ""))
        let k = model.trainer.model.outputWidth
        let p = try model.trainer.outputs(on: data)
        guard let accuracy = evaluation.accuracy else {
            // Regression: the errors in the targets' units (standardised targets mapped back).
            let restore = { (v: [Float]) in c.targetScaling.map { $0.restore(v) } ?? v }
            let m = RegressionMetrics(predictions: restore(p), targets: restore(data.targets), width: k)
            print("mae: \(String(format: "%.4g", m.meanAbsoluteError)), rmse: \(String(format: "%.4g", m.rootMeanSquaredError)), r²: "
                  + (m.rSquared.map { String(format: "%.4f", $0) } ?? "undefined (the targets are all equal)"))
            return
        }
        print("accuracy: \(String(format: "%.2f", accuracy * 100))% (\(Int((accuracy * Double(data.count)).rounded())) of \(data.count))")
        var matrix = ConfusionMatrix(classCount: k)
        for row in 0..<data.count {
            let z = p[(row * k)..<((row + 1) * k)]
            matrix.add(actual: Int(data.targets[row]), predicted: z.indices.max { z[$0] < z[$1] }! - row * k)
        }
        let names = model.classNames
        print("per class:")
        for line in matrix.scoreTable(names: names) { print("  " + line) }
        let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init).flatMap { $0 >= 20 ? $0 : nil } ?? 80
        let shown = matrix.rendered(names: names, width: columns)
        print("confusion matrix (rows: true class, columns: predicted)"
              + (shown.shownClasses < k ? "; the first \(shown.shownClasses) of \(k) classes, the others summed in … (COLUMNS=\(columns); set COLUMNS wider to see more):" : ":"))
        for line in shown.lines { print(line) }
    }
}

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a checkpointed model and write the predictions as CSV.",
        discussion: "Classification: one row per sample with the predicted class and the probability of each class. Regression: the predicted values.")

    @Option(help: "The checkpoint directory written by batchwise train --checkpoint-dir.")
    var checkpoint: String
    @Option(help: "Samples to predict (CSV, IDX or NPY, optionally .gz); a CSV label column, if present, is ignored.")
    var data: String
    @Option(help: "The CSV file to write; - for standard output.")
    var output: String
    @OptionGroup var placement: PlacementOptions

    func run() throws {
        var paths = OutputPaths()
        paths.inputs = [.init(flag: "--data", path: data), .init(flag: "--checkpoint", path: checkpoint + "/" + Checkpoint.fileName)]
        paths.outputs = [.init(flag: "--output", path: output, kind: .replacedFile, allowsStandardOutput: true)]
        try paths.check()
        LoadingLine.standardOutputTaken = output == "-"
        try TrainedModel.withAdvice(predict)
    }

    private func predict() throws {
        let model = try TrainedModel(directory: checkpoint, placement: placement)
        let data = try model.load(self.data, labels: nil, requireLabels: false)
        let k = model.trainer.model.outputWidth
        let classification = model.checkpoint.configuration.loss.isClassification
        var values = classification ? try model.trainer.probabilities(on: data) : try model.trainer.outputs(on: data)
        if let targets = model.checkpoint.configuration.targetScaling { values = targets.restore(values) }
        let names = model.checkpoint.configuration.classNames
        let columns = names.map { $0.map { csvField("p_" + $0) } } ?? (0..<k).map { "p\($0)" }
        var text = classification ? "prediction," + columns.joined(separator: ",") + "\n"
                                  : (0..<k).map { "y\($0)" }.joined(separator: ",") + "\n"
        for row in 0..<data.count {
            let r = values[(row * k)..<((row + 1) * k)]
            if classification {
                let predicted = r.indices.max { r[$0] < r[$1] }! - row * k
                text += (names.map { csvField($0[predicted]) } ?? String(predicted)) + ","
            }
            text += r.map { String($0) }.joined(separator: ",") + "\n"
        }
        // Written whole to a temporary file, flushed and renamed: never a half-written output
        // (a device or FIFO is written as it is; - is standard output).
        try OutputFile.write(text, to: output)
        let message = "wrote \(data.count) prediction(s) to \(output == "-" ? "standard output" : output)\n"
        if output == "-" { FileHandle.standardError.write(Data(message.utf8)) } else { print(message, terminator: "") }
    }
}

/// `text` as one CSV cell: quoted (with quotes doubled) when it holds a comma, a quote, a line
/// break or surrounding spaces (RFC 4180).
func csvField(_ text: String) -> String {
    guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || text.first == " " || text.last == " "
    else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
