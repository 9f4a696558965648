import Foundation

/// A model whose outputs can be read for any samples: what its last layer computes (logits for
/// cross-entropy), `outputWidth` floats per sample. `MLP` and `Sequential` are both.
public protocol PredictionModel: GradientModel {
    /// Outputs per sample.
    var outputWidth: Int { get }

    /// Runs the forward pass in evaluation mode (random layers off) and writes the outputs,
    /// `samples.count × outputWidth` floats, into `into`.
    func outputs(parameters: UnsafePointer<Float>, samples: ShardSamples, workspace: Workspace,
                 into: UnsafeMutablePointer<Float>)
}

extension MLP: PredictionModel {}
extension Sequential: PredictionModel {}

extension Trainer where Model: PredictionModel {
    /// The network's outputs for every sample of `data`, row-major `count × outputWidth`
    /// (logits for cross-entropy), computed in parallel: worker w takes a contiguous w-th.
    public func outputs(on data: Dataset) throws -> [Float] {
        guard data.featureWidth == model.inputWidth else {
            throw ConfigurationError("\(data.name) has \(data.featureWidth) features per sample but the model takes \(model.inputWidth)")
        }
        let model = self.model, parameters = self.parameters, workspaces = Unchecked(value: self.workspaces)
        let ow = model.outputWidth, rows = rowsPerCall
        var result = [Float](repeating: 0, count: data.count * ow)
        result.withUnsafeMutableBufferPointer { out in
            let output = Unchecked(value: out.baseAddress!)
            forEachChunk(of: data) { worker, chunk, samples in
                parameters.withUnsafeBufferPointer {
                    model.outputs(parameters: $0.baseAddress!, samples: samples, workspace: workspaces.value[worker],
                                  into: output.value + chunk * rows * ow)
                }
            }
        }
        return result
    }

    /// Class probabilities (softmax of the logits), row-major `count × classes`.
    public func probabilities(on data: Dataset) throws -> [Float] {
        var p = try outputs(on: data)
        let k = model.outputWidth
        for row in 0..<data.count {
            let z = p[(row * k)..<((row + 1) * k)]
            let m = z.max()!
            let e = z.map { Foundation.exp($0 - m) }
            let sum = e.reduce(0, +)
            for j in 0..<k { p[row * k + j] = e[j] / sum }
        }
        return p
    }
}
