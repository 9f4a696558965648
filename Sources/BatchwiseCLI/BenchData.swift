import Batchwise
import BatchwiseBench
import Foundation

/// The model and data of a `bench` subcommand, from the same flags `train` takes for them
/// (`DataFlags`, `ModelFlags`), loaded and checked as `train` loads and checks them
/// (`RunData.load(for:)`): a bench trains any model on any data `train` does.
struct BenchData {
    /// The model every run of the bench trains.
    let model: BenchModel
    /// The loaded data, or nil when the bench makes its own synthetic data (`bench scaling`
    /// with neither --data nor --synthetic).
    let data: RunData?
    /// What the data are, for the report: "digits", "synthetic 300", or the file's name.
    let task: String

    /// Loads what the flags describe.
    /// - Parameters:
    ///   - holdOut: whether validation data is held out (`--validation-split`, `--test`); when
    ///     false those flags are refused and every sample is for training.
    ///   - ownSynthetic: the widths of the model to use when neither --data nor --synthetic is
    ///     given and the bench makes its own synthetic data; nil to load the built-in digits then.
    /// - Throws: `ConfigurationError` or `DataError` naming the flag, file or layer, before
    ///   anything is trained.
    static func load(_ dataFlags: DataFlags, _ modelFlags: ModelFlags, seed: UInt64, holdOut: Bool,
                     ownSynthetic: [Int]?) throws -> BenchData {
        var source = try dataFlags.source()
        if !holdOut {
            if dataFlags.test != nil || dataFlags.testLabels != nil {
                throw ConfigurationError("--test is validation data, and bench scaling only times training steps: give the training samples as --data")
            }
            if dataFlags.validationSplit != nil {
                throw ConfigurationError("--validation-split holds out validation data, and bench scaling only times training steps on all of --data; leave it out")
            }
            source.validationSplit = 0
        }
        try CSVFlags.check(source, loss: .crossEntropy)
        let spec = try modelFlags.spec()
        try modelFlags.checkOneModel(spec)
        let shape = try modelFlags.shape()
        if let ownSynthetic, source.path == nil, source.synthetic == nil {
            if source.labels != nil { throw ConfigurationError("--labels needs --data (an IDX or NPY features file)") }
            if source.classes != nil || source.normalize != .none || source.scale != 1 || source.labelColumn != nil
                || source.delimiter != nil || source.header != nil || source.drop != nil {
                throw ConfigurationError("the data flags (--classes, --normalize, --scale and the CSV flags) are for --data or --synthetic; give one of them")
            }
            guard let spec else {
                let widths = try modelFlags.widths()
                return BenchData(model: try BenchModel(widths: widths.isEmpty ? ownSynthetic : widths,
                                                       activation: try modelFlags.activationValue()),
                                 data: nil, task: "synthetic")
            }
            guard let shape else {
                throw ConfigurationError("--model with no --data needs --input-shape: the shape of each synthetic sample, such as 1,28,28 or 64")
            }
            return BenchData(model: try BenchModel(spec: spec.text, inputShape: shape), data: nil, task: "synthetic")
        }
        var configuration = try TrainingConfiguration(
            layers: try modelFlags.widths(), activation: try modelFlags.activationValue(), loss: .crossEntropy,
            optimizer: .sgd(try SGD(momentum: 0.9)), learningRate: try LearningRateSchedule(base: 0.01),
            batchSizes: try BatchSizeSchedule(constant: 1), epochs: 1, seed: seed, data: source, threads: 0)
        configuration.modelSpec = spec?.text
        let data = try RunData.load(for: &configuration, inputShape: shape, guessesAreErrors: true)
        let model = try BenchModel(configuration: configuration)
        // A spec model was checked against the data by the load; an MLP is checked here.
        let built = try model.makeModel()
        try built.validate(data.train)
        if let validation = data.validation { try built.validate(validation) }
        let task = source.synthetic.map { "synthetic \($0)" }
            ?? source.path.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "digits"
        return BenchData(model: model, data: data, task: task)
    }
}
