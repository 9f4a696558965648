import Testing
@testable import Batchwise

/// Adam and AdamW on θ = (1, −2, 0.5), lr 0.1, β = (0.9, 0.999), ε = 1e-8, gradients
/// (1, 2, 3) then (−1, 0.5, 3). Step 1 by hand: m̂ = g and v̂ = g², so every parameter moves by
/// exactly lr·sign(g) → (0.9, −2.1, 0.4). The two-step values follow the published equations
/// (see `Adam`), evaluated in float64.
@Suite struct AdamTests {
    func steps(_ adam: Adam, _ gradients: [[Float]]) -> [Float] {
        var theta: [Float] = [1, -2, 0.5]
        var state = [Float](repeating: 0, count: 3 * adam.stateSlots)
        for (t, g) in gradients.enumerated() {
            theta.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { gp in state.withUnsafeMutableBufferPointer { s in
                adam.update(parameters: p.baseAddress!, gradient: gp.baseAddress!, state: s.baseAddress!,
                            parameterCount: 3, range: 0..<3, step: t + 1, learningRate: 0.1)
            } } }
        }
        return theta
    }

    func close(_ a: [Float], _ b: [Double]) -> Bool { zip(a, b).allSatisfy { abs(Double($0) - $1) < 2e-6 } }

    @Test func firstStepMovesEachParameterByTheLearningRate() throws {
        #expect(close(steps(try Adam(), [[1, 2, 3]]), [0.9, -2.1, 0.4]))
    }

    @Test func adam() throws {
        #expect(close(steps(try Adam(), [[1, 2, 3], [-1, 0.5, 3]]), [0.9052631588421052, -2.1830597522976385, 0.3000000006666673]))
    }

    @Test func adamWithL2WeightDecay() throws {
        #expect(close(steps(try Adam(weightDecay: 0.5), [[1, 2, 3], [-1, 0.5, 3]]),
                      [0.8627221038969175, -2.122829622514826, 0.30004341595708584]))
    }

    @Test func adamWDecouplesWeightDecay() throws {
        #expect(close(steps(try Adam(weightDecay: 0.5, decoupledWeightDecay: true), [[1, 2, 3], [-1, 0.5, 3]]),
                      [0.8127631587921051, -1.9830597523226383, 0.2562500006500007]))
    }

    @Test func badSettingsAreErrors() {
        #expect(throws: ConfigurationError.self) { try Adam(beta1: 1) }
        #expect(throws: ConfigurationError.self) { try Adam(beta2: -0.5) }
        #expect(throws: ConfigurationError.self) { try Adam(epsilon: 0) }
        #expect(throws: ConfigurationError.self) { try Adam(weightDecay: .infinity) }
    }
}
