import Batchwise

/// The model a benchmark trains: an MLP by its widths, or a `Sequential` of a layer spec
/// (`ModelSpec`'s text) on a per-sample input shape — the model part of a
/// `TrainingConfiguration`, so a benchmark trains any model `batchwise train` trains.
/// The loss is cross-entropy: the benchmarks train classifiers.
///
/// ```swift
/// let mlp = try BenchModel(widths: [784, 1024, 10])
/// let cnn = try BenchModel(spec: "conv1d(8,3) relu flatten dense(4)", inputShape: [1, 32])
/// ```
public struct BenchModel: Sendable, Equatable, CustomStringConvertible {
    /// The MLP's widths, input first; empty for a spec model.
    public let widths: [Int]
    /// The activation between the MLP's layers (unused by a spec model).
    public let activation: Activation
    /// The layer spec in `ModelSpec`'s canonical text, or nil for the MLP of `widths`.
    public let spec: String?
    /// The per-sample input shape of the spec model; nil for an MLP.
    public let inputShape: [Int]?

    /// An MLP of `widths`.
    /// - Throws: `ConfigurationError` naming `widths` when they make no MLP.
    public init(widths: [Int], activation: Activation = .relu) throws(ConfigurationError) {
        _ = try MLP(widths: widths, activation: activation)
        self.widths = widths
        self.activation = activation
        spec = nil
        inputShape = nil
    }

    /// The `Sequential` of the layer spec `spec` on samples of `inputShape`.
    /// - Throws: `ConfigurationError` naming the layer that does not parse or fit.
    public init(spec: String, inputShape: TensorShape) throws(ConfigurationError) {
        let model = try Sequential(spec: spec, input: inputShape, loss: .crossEntropy)
        widths = []
        activation = .relu
        self.spec = try ModelSpec(parsing: spec).text
        self.inputShape = model.inputShape.dimensions
    }

    /// The model of `configuration`: its spec on its input shape, or else the MLP of its
    /// layers and activation.
    /// - Throws: `ConfigurationError` when the configuration describes no model (a spec with
    ///   no input shape, widths that make no MLP).
    public init(configuration c: TrainingConfiguration) throws(ConfigurationError) {
        if let spec = c.modelSpec {
            guard let shape = c.inputShape else { throw ConfigurationError("the model spec '\(spec)' has no input shape") }
            try self.init(spec: spec, inputShape: TensorShape(shape))
        } else {
            try self.init(widths: c.layers, activation: c.activation)
        }
    }

    /// Sets the model part of `configuration` (layers, activation, spec, input shape) to this model.
    public func configure(_ configuration: inout TrainingConfiguration) {
        configuration.layers = widths
        configuration.activation = activation
        configuration.modelSpec = spec
        configuration.inputShape = inputShape
    }

    /// A fresh model (its parameters not yet laid out in any trainer).
    public func makeModel() throws(ConfigurationError) -> any PredictionModel {
        if let spec, let inputShape { return try Sequential(spec: spec, input: TensorShape(inputShape), loss: .crossEntropy) }
        return try MLP(widths: widths, activation: activation)
    }

    /// Features per sample the model takes.
    public var inputWidth: Int { inputShape.map { $0.reduce(1, *) } ?? widths[0] }

    /// "784-1024-1024-10 relu", or "conv1d(8,3) relu flatten dense(4) on 1×32".
    public var description: String {
        if let spec { return "\(spec) on " + (inputShape.map { TensorShape($0).description } ?? "?") }
        return widths.map(String.init).joined(separator: "-") + " " + activation.rawValue
    }

    /// The work of one training step of this model (see `StepWork`).
    public func work() throws(ConfigurationError) -> StepWork { StepWork(model: try makeModel()) }
}
