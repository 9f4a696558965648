import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// Prediction and the data checks for any model: `Trainer.outputs(on:)` and
/// `probabilities(on:)` work for a `Sequential` as for an `MLP`, and `validate` names the
/// model's input shape and last layer (an `MLP` keeps its `widths` advice).
@Suite struct SequentialPredictionTests {
    @Test func outputsEqualTheModelsForwardPassOnEveryThreadCount() throws {
        let model = try Sequential(spec: "conv2d(3,3,padding=1) relu maxpool2d(2) flatten dropout(0.5) dense(10)", input: [1, 8, 8])
        let data = Dataset.digits().subset(0..<37)
        var reference: [Float]? = nil
        for workers in [1, 2, 3] {
            let trainer = try LayersFixture.trainer(model, workers: workers, maxBatchSize: 8)
            let outputs = try trainer.outputs(on: data)
            #expect(outputs.count == 37 * 10)
            // One serial forward pass over all the samples (dropout off) gives the same numbers.
            let direct = Self.serialOutputs(model, parameters: trainer.parameterValues, data: data)
            #expect(Fixture.relativeError(outputs, direct) < 1e-6)
            if let reference { #expect(outputs == reference || Fixture.relativeError(outputs, reference) < 1e-6) }
            reference = outputs
            let p = try trainer.probabilities(on: data)
            for row in 0..<37 {
                let sum = p[(row * 10)..<((row + 1) * 10)].reduce(0, +)
                #expect(abs(sum - 1) < 1e-5)
            }
        }
    }

    static func serialOutputs(_ model: Sequential, parameters: [Float], data: Dataset) -> [Float] {
        let ws = model.makeWorkspace(maxSamples: data.count, topology: Fixture.topology, numaNode: nil)
        var out = [Float](repeating: .nan, count: data.count * model.outputWidth)
        parameters.withUnsafeBufferPointer { p in data.features.withUnsafeBufferPointer { x in data.targets.withUnsafeBufferPointer { t in
            out.withUnsafeMutableBufferPointer { o in
                model.outputs(parameters: p.baseAddress!, samples: ShardSamples(inputs: x.baseAddress!, targets: t.baseAddress!, count: data.count),
                              workspace: ws, into: o.baseAddress!)
            }
        } } }
        return out
    }

    @Test func validateNamesTheModelsShapesAndLastLayer() throws {
        let digits = Dataset.digits()
        let wide = try LayersFixture.trainer(try Sequential(spec: "conv2d(2,3) flatten dense(10)", input: [1, 28, 28]), workers: 1, maxBatchSize: 4)
        let input = try #require(throws: ConfigurationError.self) { try wide.validate(digits) }
        #expect(input.message.contains("digits has 64 features per sample (1×8×8) but the model takes input 1×28×28, 784 values per sample"))
        #expect(input.message.contains("give `input` the data's shape, 1×8×8"))
        let few = try LayersFixture.trainer(try Sequential(spec: "flatten dense(5)", input: [1, 8, 8]), workers: 1, maxBatchSize: 4)
        let classes = try #require(throws: ConfigurationError.self) { try few.validate(digits) }
        #expect(classes.message.contains("digits has labels up to 9 but the model's last layer, dense(5), outputs 5 classes; make it output at least 10, such as dense(10)"))
        let regression = try LayersFixture.trainer(try Sequential(spec: "dense(3)", input: [4], loss: .mse), workers: 1, maxBatchSize: 4)
        let targets = try #require(throws: ConfigurationError.self) {
            try regression.validate(Dataset.synthetic(samples: 4, features: 4, outputs: 2))
        }
        #expect(targets.message.contains("2 target value(s) per sample but the model outputs 3 (its last layer is dense(3)); for mse or l1 make the last layer output 2, such as dense(2)"))
        // The checks run on the model alone too, before any trainer exists.
        #expect(throws: ConfigurationError.self) { try Sequential(spec: "flatten dense(5)", input: [1, 8, 8]).validate(digits) }
        try Sequential(spec: "flatten dense(10)", input: [1, 8, 8]).validate(digits)
    }

    @Test func anMLPKeepsItsWidthsAdvice() throws {
        let narrow = try Fixture.trainer(try MLP(widths: [32, 10]), workers: 1, maxBatchSize: 4)
        let input = try #require(throws: ConfigurationError.self) { try narrow.validate(Dataset.digits()) }
        #expect(input.message == "digits has 64 features per sample but the model's input layer is 32 wide; make the first `widths` entry 64")
        let few = try Fixture.trainer(try MLP(widths: [64, 5]), workers: 1, maxBatchSize: 4)
        let classes = try #require(throws: ConfigurationError.self) { try few.validate(Dataset.digits()) }
        #expect(classes.message == "digits has labels up to 9 but the output layer has 5 classes; make the last `widths` entry at least 10")
        #expect(classes.text.pieces.contains(.parameter(name: "widths", value: nil)))
    }
}

extension SequentialPredictionTests {
    /// A layer stack whose workspaces (im2col columns for every sample of a shard) cannot fit
    /// in memory is refused before anything is allocated, not left to trap.
    @Test func workspacesTooLargeForTheMachineAreRefused() throws {
        let model = try Sequential(spec: "conv2d(64,11,padding=5) flatten dense(2)", input: [3, 512, 512])
        let error = try #require(throws: ConfigurationError.self) {
            _ = try LayersFixture.trainer(model, workers: 2, maxBatchSize: 4096)
        }
        #expect(error.message.contains("workspaces"))
        #expect(error.message.contains("a smaller model"))
    }
}
