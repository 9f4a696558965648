import BatchwiseTestSupport
import Testing
@testable import Batchwise

/// One layer on one input shape, for the per-layer checks.
struct LayerCase: Sendable, CustomTestStringConvertible {
    let layer: any Layer
    let input: TensorShape
    var testDescription: String { "\(layer) on \(input)" }
}

/// Every built-in layer (and the test target's own `ChannelAffine`), with stride and padding
/// variants and odd sizes, checked against the naive float64 loops of `LayerReference`:
///
/// - forward: the engine's float32 outputs over a shard of 3 samples equal the reference's
///   per sample to 2e-5 (relative, floor 1);
/// - backward, as a vector–Jacobian product: with a fixed random ∂ℓ/∂y = u, the scalar
///   L(θ, x) = Σ_s ⟨u_s, f(x_s; θ)⟩ has ∂L/∂θ = the parameter gradient and ∂L/∂x = the input
///   gradient the layer returns. Each is compared with the central difference
///   (L(· + ε e_i) − L(· − ε e_i)) / 2ε of the float64 reference, ε = 1e-6, for every parameter
///   and every input value; |analytic − numeric| / max(|numeric|, 1e-2) must stay below 1e-3.
///   (A ReLU or max-pool kink is crossed only if a value lies within 1e-6 of it.)
@Suite struct LayerGradientTests {
    static let cases: [LayerCase] = [
        LayerCase(layer: Dense(5), input: [7]),
        LayerCase(layer: Conv1D(3, kernel: 3), input: [2, 11]),
        LayerCase(layer: Conv1D(4, kernel: 4, stride: 2, padding: 1), input: [3, 10]),
        LayerCase(layer: Conv1D(2, kernel: 2, stride: 3, padding: 2), input: [9]),
        LayerCase(layer: Conv2D(3, kernel: 3), input: [2, 7, 6]),
        LayerCase(layer: Conv2D(2, kernel: 3, stride: 2, padding: 1), input: [3, 7, 5]),
        LayerCase(layer: Conv2D(4, kernel: 5, padding: 2), input: [1, 6, 6]),
        LayerCase(layer: Conv2D(2, kernel: 2, stride: 3, padding: 2), input: [2, 5, 7]),
        LayerCase(layer: Conv2D(3, kernel: 1), input: [3, 4, 5]),
        LayerCase(layer: Conv2D(2, kernel: 3), input: [5, 5]),
        // A patch of 72: the weight gradient is formed transposed (ConvolutionGeometry).
        LayerCase(layer: Conv2D(2, kernel: 3, padding: 1), input: [8, 4, 3]),
        // 32 channels at stride 1: the shifted products (`ConvolutionGeometry.shiftsProducts`).
        LayerCase(layer: Conv2D(2, kernel: 2), input: [32, 2, 9]),
        LayerCase(layer: Conv1D(3, kernel: 9, stride: 2), input: [8, 13]),
        LayerCase(layer: MaxPool1D(2), input: [3, 9]),
        LayerCase(layer: MaxPool1D(3, stride: 2), input: [2, 10]),
        LayerCase(layer: MaxPool2D(2), input: [2, 7, 6]),
        LayerCase(layer: MaxPool2D(3, stride: 2), input: [2, 7, 8]),
        LayerCase(layer: AvgPool2D(2), input: [2, 7, 5]),
        LayerCase(layer: AvgPool2D(3, stride: 1), input: [1, 5, 6]),
        LayerCase(layer: GlobalAvgPool(), input: [3, 5, 4]),
        LayerCase(layer: GlobalAvgPool(), input: [4, 7]),
        LayerCase(layer: Flatten(), input: [2, 3, 4]),
        LayerCase(layer: Reshape(4, 6), input: [2, 3, 4]),
        LayerCase(layer: ReLU(), input: [3, 5]),
        LayerCase(layer: LeakyReLU(), input: [3, 5]),
        LayerCase(layer: LeakyReLU(slope: 0.2), input: [13]),
        LayerCase(layer: GELU(), input: [3, 5]),
        LayerCase(layer: Tanh(), input: [3, 5]),
        LayerCase(layer: Sigmoid(), input: [3, 5]),
        LayerCase(layer: Dropout(0.3), input: [2, 9]),
        LayerCase(layer: LayerNorm(), input: [11]),
        LayerCase(layer: LayerNorm(), input: [2, 3, 4]),
        LayerCase(layer: Residual { Dense(6); Tanh(); Dense(6) }, input: [6]),
        LayerCase(layer: Residual { Conv2D(2, kernel: 3, padding: 1); ReLU(); Dropout(0.2) }, input: [2, 5, 5]),
        LayerCase(layer: ChannelAffine(), input: [3, 7]),
    ]

    static let position = TrainingPosition(seed: 9, step: 4, firstPosition: 17)
    static let samples = 3

    /// Random θ (padding 0), x and u for a case.
    static func values(_ h: LayerHarness, seed: UInt64) -> (theta: [Float], x: [Float], dy: [Float]) {
        var values = TestValues(seed: seed)
        var theta = [Float](repeating: 0, count: h.chain.parameterCount)
        for (t, offset) in zip(h.chain.tensors, ParameterTensor.layout(h.chain.tensors).offsets) {
            for (k, v) in values.normal(t.shape.count).enumerated() { theta[offset + k] = 0.5 * v }
        }
        return (theta, values.normal(samples * h.input.count), values.uniform(samples * h.output.count))
    }

    /// L(θ, x) = Σ_s ⟨u_s, f(x_s; θ)⟩ in float64.
    static func referenceL(_ h: LayerHarness, theta: [Double], x: [Double], dy: [Float]) -> Double {
        let r = h.layerRandomness(position)
        var total = 0.0
        for s in 0..<samples {
            let y = LayerReference.forward(h.layer, Array(x[(s * h.input.count)..<((s + 1) * h.input.count)]), input: h.input,
                                           theta: theta, randomness: r, row: s)
            for k in y.indices { total += Double(dy[s * h.output.count + k]) * y[k] }
        }
        return total
    }

    @Test(arguments: cases)
    func forwardMatchesTheNaiveReference(_ c: LayerCase) throws {
        let h = try LayerHarness(c.layer, input: c.input)
        let (theta, x, dy) = Self.values(h, seed: 31)
        let run = h.run(theta: theta, x: x, count: Self.samples, capacity: Self.samples + 2, dy: dy, position: Self.position)
        var worst = 0.0
        for s in 0..<Self.samples {
            let ref = LayerReference.forward(h.layer, x[(s * h.input.count)..<((s + 1) * h.input.count)].map(Double.init),
                                             input: h.input, theta: theta.map(Double.init),
                                             randomness: h.layerRandomness(Self.position), row: s)
            #expect(ref.count == h.output.count)
            for k in ref.indices {
                worst = max(worst, abs(Double(run.y[s * h.output.count + k]) - ref[k]) / max(1, abs(ref[k])))
            }
        }
        #expect(worst < 2e-5, "\(c.testDescription): worst forward error \(worst)")
    }

    @Test(arguments: cases)
    func gradientsMatchFiniteDifferences(_ c: LayerCase) throws {
        let h = try LayerHarness(c.layer, input: c.input)
        let (theta, x, dy) = Self.values(h, seed: 32)
        let run = h.run(theta: theta, x: x, count: Self.samples, capacity: Self.samples + 2, dy: dy, position: Self.position)
        let t = theta.map(Double.init), xd = x.map(Double.init)
        let eps = 1e-6
        var worst = 0.0, worstAt = ""
        func check(_ numeric: Double, _ analytic: Float, _ at: String) {
            let error = abs(Double(analytic) - numeric) / max(abs(numeric), 1e-2)
            if error > worst { worst = error; worstAt = at }
        }
        for (tensor, offset) in zip(h.chain.tensors, ParameterTensor.layout(h.chain.tensors).offsets) {
            for i in offset..<(offset + tensor.shape.count) {
                var plus = t, minus = t
                plus[i] += eps
                minus[i] -= eps
                check((Self.referenceL(h, theta: plus, x: xd, dy: dy) - Self.referenceL(h, theta: minus, x: xd, dy: dy)) / (2 * eps),
                      run.gradient[i], "\(tensor.name)[\(i - offset)]")
            }
        }
        let dx = try #require(run.dx)
        for i in xd.indices {
            var plus = xd, minus = xd
            plus[i] += eps
            minus[i] -= eps
            check((Self.referenceL(h, theta: t, x: plus, dy: dy) - Self.referenceL(h, theta: t, x: minus, dy: dy)) / (2 * eps),
                  dx[i], "input[\(i)]")
        }
        #expect(worst < 1e-3, "\(c.testDescription): worst relative error \(worst) at \(worstAt)")
        // Padding between tensors never gets a gradient.
        let layout = ParameterTensor.layout(h.chain.tensors)
        var used = Set<Int>()
        for (tensor, offset) in zip(h.chain.tensors, layout.offsets) { used.formUnion(offset..<(offset + tensor.shape.count)) }
        #expect(run.gradient.indices.allSatisfy { used.contains($0) || run.gradient[$0] == 0 })
    }

    @Test(arguments: cases)
    func skippingTheInputGradientLeavesTheParameterGradient(_ c: LayerCase) throws {
        // A model's first layer is asked for no input gradient; its parameter gradient must
        // be the same bits.
        let h = try LayerHarness(c.layer, input: c.input)
        let (theta, x, dy) = Self.values(h, seed: 33)
        let with = h.run(theta: theta, x: x, count: Self.samples, capacity: Self.samples, dy: dy, position: Self.position)
        let without = h.run(theta: theta, x: x, count: Self.samples, capacity: Self.samples, dy: dy, position: Self.position,
                            inputGradient: false)
        #expect(with.gradient == without.gradient)
        #expect(with.y == without.y)
    }

    @Test func dropoutIsTheIdentityOutsideTrainingAndDropsAboutP() throws {
        let h = try LayerHarness(Dropout(0.25), input: [1000])
        var values = TestValues(seed: 1)
        let x = values.normal(2000), dy = values.uniform(2000)
        let eval = h.run(theta: [], x: x, count: 2, capacity: 2, dy: dy, position: nil)
        #expect(eval.y == x && eval.dx! == dy)
        let train = h.run(theta: [], x: x, count: 2, capacity: 2, dy: dy, position: Self.position)
        let dropped = train.y.filter { $0 == 0 }.count
        #expect(dropped > 400 && dropped < 600, "\(dropped) of 2000 dropped at p = 0.25")
        #expect(zip(train.y, x).allSatisfy { $0 == 0 || abs($0 - $1 / 0.75) <= 1e-6 * abs($1) })
        // The mask is a function of the sample's position: the second sample alone, at its
        // own position, gets the same mask as in the pair.
        let alone = h.run(theta: [], x: Array(x[1000...]), count: 1, capacity: 1, dy: Array(dy[1000...]),
                          position: TrainingPosition(seed: 9, step: 4, firstPosition: 18))
        #expect(alone.y == Array(train.y[1000...]))
        let otherStep = h.run(theta: [], x: x, count: 2, capacity: 2, dy: dy, position: TrainingPosition(seed: 9, step: 5, firstPosition: 17))
        #expect(otherStep.y != train.y)
    }
}
