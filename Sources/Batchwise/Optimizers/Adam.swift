import CBatchwiseKernels
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
    /// β₁, the decay of the first-moment average m, in [0, 1).
    public let beta1: Float
    /// β₂, the decay of the second-moment average v, in [0, 1).
    public let beta2: Float
    /// ε, added to √v̂ in the denominator (> 0).
    public let epsilon: Float
    /// λ (≥ 0): L2 into the gradient for Adam, decoupled shrinkage for AdamW.
    public let weightDecay: Float
    /// true for AdamW.
    public let decoupledWeightDecay: Bool

    /// Checks the settings: betas in [0, 1), ε > 0, λ finite and ≥ 0.
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

    enum CodingKeys: String, CodingKey { case beta1, beta2, epsilon, weightDecay, decoupledWeightDecay }

    /// Decodes through the checking initialiser: a stored optimizer is held to the same rules.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(beta1: c.decode(Float.self, forKey: .beta1), beta2: c.decode(Float.self, forKey: .beta2),
                      epsilon: c.decode(Float.self, forKey: .epsilon), weightDecay: c.decode(Float.self, forKey: .weightDecay),
                      decoupledWeightDecay: c.decode(Bool.self, forKey: .decoupledWeightDecay))
    }

    /// 2: m, then v.
    public var stateSlots: Int { 2 }

    /// Applies the equations above to `parameters[range]` with t = `step`, wrapping the C kernel
    /// `bw_adam_update` (vectorised for the CPU's instruction set, no fused multiply-add). O(range.count).
    public func update(parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                       state: UnsafeMutablePointer<Float>, parameterCount: Int,
                       range: Range<Int>, step: Int, learningRate: Float) {
        let c1 = Float(1 - pow(Double(beta1), Double(step)))
        let c2 = Float(1 - pow(Double(beta2), Double(step)))
        let l2 = decoupledWeightDecay ? 0 : weightDecay
        let shrink = decoupledWeightDecay ? 1 - learningRate * weightDecay : 1
        // The equations above, element by element, in C compiled for the CPU's vector width.
        bw_adam_update(parameters + range.lowerBound, gradient, state + range.lowerBound,
                       state + parameterCount + range.lowerBound, Int64(range.count),
                       beta1, beta2, epsilon, learningRate, c1, c2, l2, shrink)
    }
}
