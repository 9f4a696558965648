import Foundation

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), with the equations of
/// PyTorch's `torch.optim.Adam` / `AdamW`, bias correction as published:
///
///     Adam:  g ← g + λθ                       (L2 weight decay folded into the gradient)
///     AdamW: θ ← θ − ηλθ                      (decoupled weight decay)
///     m ← β₁m + (1 − β₁)g,   v ← β₂v + (1 − β₂)g²
///     θ ← θ − η · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
///
/// State: two slots per parameter, m then v.
public struct Adam: Optimizer, Equatable, Codable {
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var weightDecay: Float
    /// true for AdamW.
    public var decoupledWeightDecay: Bool

    public init(beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0,
                decoupledWeightDecay: Bool = false) throws(ConfigurationError) {
        guard beta1.isFinite, beta1 >= 0, beta1 < 1, beta2.isFinite, beta2 >= 0, beta2 < 1 else {
            throw ConfigurationError("Adam's betas must be in [0, 1) (got \(beta1), \(beta2))")
        }
        guard epsilon.isFinite && epsilon > 0 else { throw ConfigurationError("Adam's epsilon must be above 0 (got \(epsilon))") }
        guard weightDecay.isFinite && weightDecay >= 0 else {
            throw ConfigurationError("weight decay must be a finite number ≥ 0 (got \(weightDecay))")
        }
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public var stateSlots: Int { 2 }

    public func update(parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                       state: UnsafeMutablePointer<Float>, parameterCount: Int,
                       range: Range<Int>, step: Int, learningRate: Float) {
        let p = parameters + range.lowerBound
        let m = state + range.lowerBound
        let v = state + parameterCount + range.lowerBound
        let b1 = beta1, b2 = beta2, eps = epsilon, lr = learningRate
        let c1 = Float(1 - pow(Double(b1), Double(step)))
        let c2 = Float(1 - pow(Double(b2), Double(step)))
        let l2 = decoupledWeightDecay ? 0 : weightDecay
        let shrink = decoupledWeightDecay ? 1 - lr * weightDecay : 1
        for k in 0..<range.count {
            let g = gradient[k] + l2 * p[k]
            let mk = b1 * m[k] + (1 - b1) * g
            let vk = b2 * v[k] + (1 - b2) * g * g
            m[k] = mk
            v[k] = vk
            p[k] = p[k] * shrink - lr * (mk / c1) / ((vk / c2).squareRoot() + eps)
        }
    }
}
