import Foundation
import Testing
@testable import Batchwise
import BatchwiseTestSupport

/// Checks the analytic gradient of every layer and loss against central finite differences,
///     ∂L/∂θ_i ≈ (L(θ + ε e_i) − L(θ − ε e_i)) / 2ε,   L = (1/B) Σ_b ℓ_b,
/// for every parameter of a small MLP, so every Dense weight and bias and every activation's
/// derivative is exercised. L is evaluated by an independent float64 re-implementation of the
/// forward pass and loss formulas below, so ε = 1e-6 gives differences accurate to ~1e-8 and
/// a ReLU or L1 kink is crossed only if a pre-activation lies within 1e-6 of it.
/// The analytic gradient (float32, through the engine's sharded path) must agree to 1e-3.
@Suite(.serialized) struct GradientTests {
    /// L(θ) in float64: z = a·W + b per layer, activation between layers, then the loss.
    static func referenceLoss(_ model: MLP, _ theta: [Double], _ data: Dataset) -> Double {
        var total = 0.0
        for s in 0..<data.count {
            var a = (0..<data.featureWidth).map { Double(data.features[s * data.featureWidth + $0]) }
            for (l, layer) in model.layout.layers.enumerated() {
                var z = (0..<layer.outputs).map { theta[layer.biasOffset + $0] }
                for i in 0..<layer.inputs {
                    for j in 0..<layer.outputs { z[j] += a[i] * theta[layer.weightOffset + i * layer.outputs + j] }
                }
                if l < model.layout.layers.count - 1 {
                    switch model.activation {
                    case .relu: z = z.map { max($0, 0) }
                    case .tanh: z = z.map { Foundation.tanh($0) }
                    case .sigmoid: z = z.map { 1 / (1 + Foundation.exp(-$0)) }
                    }
                }
                a = z
            }
            switch model.loss {
            case .crossEntropy:
                let label = Int(data.targets[s])
                let m = a.max()!
                total += Foundation.log(a.map { Foundation.exp($0 - m) }.reduce(0, +)) + m - a[label]
            case .mse, .l1:
                let k = a.count
                total += (0..<k).map { j -> Double in
                    let d = a[j] - Double(data.targets[s * k + j])
                    return model.loss == .mse ? d * d : abs(d)
                }.reduce(0, +) / Double(k)
            }
        }
        return total / Double(data.count)
    }

    @Test(arguments: Activation.allCases, Loss.allCases)
    func analyticGradientMatchesFiniteDifferences(activation: Activation, loss: Loss) throws {
        let model = try MLP(widths: [5, 7, 6, 3], activation: activation, loss: loss)
        let trainer = try Fixture.trainer(model, workers: 2, maxBatchSize: 16, seed: 11)
        let data = Fixture.data(for: model, samples: 16, seed: 5)
        let (analytic, meanLoss) = try trainer.averagedGradient(of: data, indices: (0..<16).map(Int32.init))
        let theta = trainer.parameterValues.map(Double.init)
        #expect(abs(meanLoss - Self.referenceLoss(model, theta, data)) < 1e-5, "forward pass and loss agree with float64")
        let eps = 1e-6
        var worst = 0.0, worstIndex = -1
        var checked = 0
        for layer in model.layout.layers {
            let indices = Array(layer.weightOffset ..< layer.weightOffset + layer.inputs * layer.outputs)
                + Array(layer.biasOffset ..< layer.biasOffset + layer.outputs)
            for i in indices {
                var plus = theta, minus = theta
                plus[i] += eps
                minus[i] -= eps
                let numeric = (Self.referenceLoss(model, plus, data) - Self.referenceLoss(model, minus, data)) / (2 * eps)
                let error = abs(numeric - Double(analytic[i])) / max(1e-2, abs(numeric))
                if error > worst { worst = error; worstIndex = i }
                checked += 1
            }
        }
        #expect(checked == model.layout.trainableCount)
        #expect(worst < 1e-3, "worst relative error \(worst) at parameter \(worstIndex) for \(activation) + \(loss)")
    }

    @Test func paddingParametersHaveZeroGradient() throws {
        let model = try MLP(widths: [5, 7, 3], activation: .tanh, loss: .crossEntropy)
        let trainer = try Fixture.trainer(model, workers: 1, maxBatchSize: 8)
        let data = Fixture.data(for: model, samples: 8)
        let g = try trainer.averagedGradient(of: data, indices: (0..<8).map(Int32.init)).gradient
        var used = Set<Int>()
        for l in model.layout.layers {
            used.formUnion(l.weightOffset ..< l.weightOffset + l.inputs * l.outputs)
            used.formUnion(l.biasOffset ..< l.biasOffset + l.outputs)
        }
        for i in 0..<g.count where !used.contains(i) { #expect(g[i] == 0) }
    }

    @Test func l1SubgradientIsZeroAtZero() {
        let z: [Float] = [1, 2, 3], t: [Float] = [1, 0, 5]
        var g = [Float](repeating: 9, count: 3)
        let r = z.withUnsafeBufferPointer { zp in t.withUnsafeBufferPointer { tp in g.withUnsafeMutableBufferPointer { gp in
            Loss.l1.evaluate(outputs: zp.baseAddress!, targets: tp.baseAddress!, count: 1, width: 3, gradient: gp.baseAddress!)
        } } }
        #expect(g == [0, 1.0 / 3, -1.0 / 3])
        #expect(abs(r.lossSum - 4.0 / 3) < 1e-6)
    }
}
