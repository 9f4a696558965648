import ArgumentParser
import Batchwise
import Foundation

/// The model flags of `train`, `bench scaling` and `bench batch-size`: an MLP by its widths
/// and activation (`--layers`, `--activation`), or any stack of layers (`--model` or
/// `--model-file`) with the shape of each sample (`--input-shape`).
struct ModelFlags: ParsableArguments {
    @Option(help: "The model as layers separated by spaces, such as 'conv2d(8,3,padding=1) relu maxpool2d(2) flatten dense(10)' (see the README's Models).")
    var model: String?
    @Option(help: "A file holding the --model spec: layers separated by spaces or lines, # comments.")
    var modelFile: String?
    @Option(help: "Each sample's shape for --model, such as 1,28,28 (default: the data's own: 1×H×W for IDX images, NPY's per-sample shape, flat for CSV).")
    var inputShape: String?
    @Option(help: "Layer widths from input to output, such as 64,128,10 (default: input,128,classes).")
    var layers: String?
    @Option(help: "Activation between layers: relu, tanh or sigmoid.")
    var activation: String?

    /// The spec of `--model` or `--model-file`, parsed (in its canonical text); nil when
    /// neither is given.
    func spec() throws -> ModelSpec? {
        let text: String
        switch (model, modelFile) {
        case (nil, nil): return nil
        case (let model?, nil): text = model
        case (nil, let file?):
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ConfigurationError("cannot read --model-file \(file): \((error as NSError).localizedDescription)")
            }
        case (_?, _?): throw ConfigurationError("give either --model or --model-file, not both")
        }
        return try ModelSpec(parsing: text)
    }

    /// `--input-shape C,H,W` (any number of sizes of at least 1), or nil.
    func shape() throws -> TensorShape? {
        guard let inputShape else { return nil }
        let parts = inputShape.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ConfigurationError("--input-shape must be sizes of at least 1 separated by commas, such as 1,28,28 (got '\(inputShape)')")
        }
        return TensorShape(parts.map { $0! })
    }

    /// Refuses flags that describe two models at once: --layers or --activation with a
    /// --model, or --input-shape without one. `spec` is `spec()`.
    func checkOneModel(_ spec: ModelSpec?) throws {
        if spec != nil && (layers != nil || activation != nil) {
            throw ConfigurationError("--layers and --activation describe an MLP and --model the whole model: give one of them (for a dense stack as layers, write --model 'dense(128) relu dense(10)')")
        }
        if spec == nil && inputShape != nil { throw ConfigurationError("--input-shape sets the input of a --model; give --model or --model-file with it") }
    }

    /// The --layers widths (empty when not given: the default is chosen from the data).
    func widths() throws -> [Int] { try layers.map(MLP.widths(parsing:)) ?? [] }

    /// The --activation between an MLP's layers (default relu).
    func activationValue() throws -> Activation { try Activation(parsing: activation ?? "relu") }
}
