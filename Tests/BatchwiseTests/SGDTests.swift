import Foundation
import Testing
@testable import Batchwise

/// SGD against values worked out by hand from PyTorch's equations (dampening 0):
/// g' = g + λθ; v = μv + g'; θ −= η·(Nesterov ? g' + μv : v).
@Suite struct SGDTests {
    func steps(_ sgd: SGD, _ gradients: [[Float]], lr: Float = 0.1) -> [Float] {
        var theta: [Float] = [1, -2, 0.5]
        var state = [Float](repeating: 0, count: 3 * sgd.stateSlots)
        for (t, g) in gradients.enumerated() {
            theta.withUnsafeMutableBufferPointer { p in g.withUnsafeBufferPointer { gp in state.withUnsafeMutableBufferPointer { s in
                sgd.update(parameters: p.baseAddress!, gradient: gp.baseAddress!, state: s.baseAddress ?? p.baseAddress!,
                           parameterCount: 3, range: 0..<3, step: t + 1, learningRate: lr)
            } } }
        }
        return theta
    }

    func close(_ a: [Float], _ b: [Float]) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < 1e-6 } }

    @Test func plain() throws {
        #expect(close(steps(try SGD(), [[1, 2, 3]]), [0.9, -2.2, 0.2]))
    }

    @Test func momentum() throws {
        // v1 = g1 = (1,2,3); θ1 = (0.9,-2.2,0.2); v2 = 0.9·v1 + (1,1,1) = (1.9,2.8,3.7); θ2 = θ1 − 0.1·v2.
        #expect(close(steps(try SGD(momentum: 0.9), [[1, 2, 3], [1, 1, 1]]), [0.71, -2.48, -0.17]))
    }

    @Test func nesterov() throws {
        // v1 = (1,2,3); d1 = g1 + 0.9·v1 = (1.9,3.8,5.7); θ1 = (0.81,-2.38,-0.07).
        #expect(close(steps(try SGD(momentum: 0.9, nesterov: true), [[1, 2, 3]]), [0.81, -2.38, -0.07]))
    }

    @Test func weightDecay() throws {
        // g' = g + 0.5·θ = (1.5, 1, 3.25); θ = θ − 0.1·g'.
        #expect(close(steps(try SGD(weightDecay: 0.5), [[1, 2, 3]]), [0.85, -2.1, 0.175]))
    }

    @Test func decodingHoldsStoredSettingsToTheSameRules() throws {
        let good = try JSONEncoder().encode(try SGD(momentum: 0.9, nesterov: true, weightDecay: 0.01))
        #expect(try JSONDecoder().decode(SGD.self, from: good) == (try SGD(momentum: 0.9, nesterov: true, weightDecay: 0.01)))
        let bad = Data(#"{"momentum": -0.5, "nesterov": false, "weightDecay": 0}"#.utf8)
        #expect(throws: ConfigurationError.self) { try JSONDecoder().decode(SGD.self, from: bad) }
        let badAdam = Data(#"{"beta1": 1.5, "beta2": 0.999, "epsilon": 1e-8, "weightDecay": 0, "decoupledWeightDecay": false}"#.utf8)
        #expect(throws: ConfigurationError.self) { try JSONDecoder().decode(Adam.self, from: badAdam) }
    }

    @Test func badSettingsAreErrors() {
        #expect(throws: ConfigurationError.self) { try SGD(momentum: 1) }
        #expect(throws: ConfigurationError.self) { try SGD(momentum: -0.1) }
        #expect(throws: ConfigurationError.self) { try SGD(momentum: .nan) }
        #expect(throws: ConfigurationError.self) { try SGD(weightDecay: -1) }
        #expect(throws: ConfigurationError.self) { try SGD(nesterov: true) }
    }
}
