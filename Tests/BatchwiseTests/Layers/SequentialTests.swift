import Foundation
import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// `Sequential` as a `GradientModel`: its tensor table and initialisation, and its gradient
/// through the engine's sharded path against the float64 reference of the whole model.
@Suite struct SequentialTests {
    static func lenet() throws -> Sequential {
        try Sequential(input: [1, 28, 28], loss: .crossEntropy) {
            Conv2D(6, kernel: 5, padding: 2); ReLU(); MaxPool2D(2)
            Conv2D(16, kernel: 5); ReLU(); MaxPool2D(2)
            Flatten(); Dense(120); ReLU(); Dense(84); ReLU(); Dense(10)
        }
    }

    @Test func lenetHasPyTorchsShapesNamesAndParameterCount() throws {
        let model = try Self.lenet()
        #expect(model.layerOutputShapes.map(\.dimensions) == [
            [6, 28, 28], [6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 10, 10], [16, 5, 5], [400], [120], [120], [84], [84], [10],
        ])
        let table = model.tensorTable
        #expect(table.entries.map(\.name) == ["0.weight", "0.bias", "3.weight", "3.bias", "7.weight", "7.bias",
                                              "9.weight", "9.bias", "11.weight", "11.bias"])
        #expect(table["0.weight"]?.shape == [6, 1, 5, 5] && table["3.weight"]?.shape == [16, 6, 5, 5])
        #expect(table["7.weight"]?.shape == [120, 400] && table["11.bias"]?.shape == [10])
        #expect(table.trainableCount == 61_706, "LeNet-5's well-known parameter count")
        #expect(table.entries.allSatisfy { $0.offset % FloatBuffer.floatsPerCacheLine == 0 })
        for (a, b) in zip(table.entries, table.entries.dropFirst()) { #expect(a.offset + a.shape.count <= b.offset) }
        #expect(model.parameterCount == table.count && model.inputWidth == 784 && model.classCount == 10)
    }

    @Test func initialisationFollowsPyTorchsRulesAndTheSeed() throws {
        let model = try Sequential(input: [3, 9, 9]) {
            Conv2D(8, kernel: 3); Flatten(); LayerNorm(); Dense(40); Dense(5)
        }
        func initial(_ seed: UInt64) -> [Float] {
            var p = [Float](repeating: .nan, count: model.parameterCount)
            p.withUnsafeMutableBufferPointer { model.initialize(parameters: $0, seed: seed) }
            return p
        }
        let p = initial(3)
        #expect(p == initial(3))
        #expect(p != initial(4))
        let t = model.tensorTable
        func values(_ name: String) -> ArraySlice<Float> { let e = t[name]!; return p[e.offset ..< e.offset + e.shape.count] }
        // U(−1/√fan_in, 1/√fan_in) for the weights and biases of Conv2D (fan_in = 3·3·3) and Dense.
        for (name, fanIn) in [("0.weight", 27), ("0.bias", 27), ("3.weight", 392), ("3.bias", 392), ("4.weight", 40), ("4.bias", 40)] {
            let bound = 1 / Float(fanIn).squareRoot()
            let v = values(name)
            #expect(v.allSatisfy { abs($0) <= bound }, "\(name) within ±1/√\(fanIn)")
            if v.count > 100 {
                #expect(v.map(abs).max()! > 0.95 * bound, "\(name) fills its range")
                #expect(abs(v.reduce(0, +) / Float(v.count)) < 0.1 * bound, "\(name) centred")
            }
        }
        #expect(values("2.weight").allSatisfy { $0 == 1 } && values("2.bias").allSatisfy { $0 == 0 })
        // Padding between tensors starts (and stays) at 0.
        var used = Set<Int>()
        for e in t.entries { used.formUnion(e.offset ..< e.offset + e.shape.count) }
        #expect(p.indices.allSatisfy { used.contains($0) || p[$0] == 0 })
    }

    @Test func theResultBuilderTakesConditionsAndLoops() throws {
        let deep = true
        let model = try Sequential(input: [12], loss: .mse) {
            for width in [8, 6] { Dense(width); Tanh() }
            if deep { Dense(5) } else { Dense(3) }
        }
        #expect(model.layers.map(\.description) == ["Dense(8)", "Tanh()", "Dense(6)", "Tanh()", "Dense(5)"])
        #expect(model.targetWidth == 5 && model.classCount == nil)
    }

    /// The analytic gradient of (1/B) Σ ℓ through the trainer (two workers, the all-reduce)
    /// against central differences (ε = 1e-6) of the whole model's float64 reference, for
    /// every parameter: |analytic − numeric| / max(|numeric|, 1e-2) < 1e-3. Dropout is on:
    /// the reference draws the same masks from (seed, step, position).
    @Test(arguments: [Loss.crossEntropy, .mse])
    func modelGradientMatchesFiniteDifferences(loss: Loss) throws {
        let model = try Sequential(input: [1, 6, 6], loss: loss) {
            Conv2D(3, kernel: 3, padding: 1); ReLU(); MaxPool2D(2)
            Residual { Conv2D(3, kernel: 3, padding: 1); ReLU() }
            Dropout(0.25); Flatten(); LayerNorm()
            Dense(5); GELU(); Dense(4)
        }
        let trainer = try LayersFixture.trainer(model, workers: 2, maxBatchSize: 8, seed: 12)
        let data = loss.isClassification
            ? Dataset.synthetic(samples: 6, features: 36, classes: 4, seed: 2)
            : Dataset.synthetic(samples: 6, features: 36, outputs: 4, noise: 0.5, seed: 2)
        let (analytic, meanLoss) = try trainer.averagedGradient(of: data, indices: (0..<6).map(Int32.init))
        let theta = trainer.parameterValues.map(Double.init)
        let position = TrainingPosition(seed: trainer.seed, step: trainer.step, firstPosition: 0)
        #expect(abs(meanLoss - LayersFixture.referenceLoss(model, theta: theta, data: data, position: position)) < 1e-5)
        let eps = 1e-6
        var worst = 0.0, worstAt = ""
        for entry in model.tensorTable.entries {
            for i in entry.offset ..< entry.offset + entry.shape.count {
                var plus = theta, minus = theta
                plus[i] += eps
                minus[i] -= eps
                let numeric = (LayersFixture.referenceLoss(model, theta: plus, data: data, position: position)
                    - LayersFixture.referenceLoss(model, theta: minus, data: data, position: position)) / (2 * eps)
                let error = abs(numeric - Double(analytic[i])) / max(1e-2, abs(numeric))
                if error > worst { worst = error; worstAt = "\(entry.name)[\(i - entry.offset)]" }
            }
        }
        #expect(worst < 1e-3, "worst relative error \(worst) at \(worstAt)")
    }

    @Test func evaluationAndOutputsRunWithoutDropout() throws {
        let model = try LayersFixture.smallCNN()
        let trainer = try LayersFixture.trainer(model, workers: 2, maxBatchSize: 32)
        let data = Dataset.digits().subset(0..<50)
        let a = try trainer.evaluate(on: data), b = try trainer.evaluate(on: data)
        #expect(a.loss == b.loss)
        let theta = trainer.parameterValues.map(Double.init)
        #expect(abs(a.loss - LayersFixture.referenceLoss(model, theta: theta, data: data, position: nil)) < 1e-5)
    }
}
