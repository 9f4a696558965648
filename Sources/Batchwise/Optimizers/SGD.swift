import CBatchwiseKernels

/// Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay,
/// with the same equations as PyTorch's `torch.optim.SGD` (dampening 0):
///
///     g ← g + λ·θ                  (weight decay λ)
///     v ← μ·v + g                  (momentum μ; v starts at 0, so the first v is g)
///     d ← g + μ·v if Nesterov, else v
///     θ ← θ − η·d
public struct SGD: Optimizer, Equatable, Codable {
    /// μ, in [0, 1); 0 for plain SGD, with no state.
    public let momentum: Float
    /// Whether the step uses Nesterov momentum (needs μ > 0).
    public let nesterov: Bool
    /// λ, the L2 coefficient added to the gradient (≥ 0).
    public let weightDecay: Float

    /// Checks the settings: μ in [0, 1), λ finite and ≥ 0, Nesterov only with μ > 0.
    public init(momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) throws(ConfigurationError) {
        guard momentum.isFinite, momentum >= 0, momentum < 1 else {
            throw ConfigurationError("momentum must be in [0, 1) (got \(momentum))")
        }
        guard weightDecay.isFinite, weightDecay >= 0 else {
            throw ConfigurationError("weight decay must be a finite number ≥ 0 (got \(weightDecay))")
        }
        if nesterov && momentum == 0 {
            throw ConfigurationError("Nesterov momentum needs a momentum above 0 (for example \(parameter: "momentum", value: "0.9"))")
        }
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    enum CodingKeys: String, CodingKey { case momentum, nesterov, weightDecay }

    /// Decodes through the checking initialiser: a stored optimizer is held to the same rules.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(momentum: c.decode(Float.self, forKey: .momentum), nesterov: c.decode(Bool.self, forKey: .nesterov),
                      weightDecay: c.decode(Float.self, forKey: .weightDecay))
    }

    /// 1 (the velocity v) with momentum, 0 without.
    public var stateSlots: Int { momentum > 0 ? 1 : 0 }

    /// Applies the equations above to `parameters[range]`, wrapping the C kernel
    /// `bw_sgd_update` (vectorised for the CPU's instruction set, no fused multiply-add). O(range.count).
    public func update(parameters: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>,
                       state: UnsafeMutablePointer<Float>, parameterCount: Int,
                       range: Range<Int>, step: Int, learningRate: Float) {
        // The equations above, element by element, in C compiled for the CPU's vector width.
        bw_sgd_update(parameters + range.lowerBound, gradient, momentum > 0 ? state + range.lowerBound : nil,
                      Int64(range.count), learningRate, momentum, weightDecay, nesterov ? 1 : 0)
    }
}
