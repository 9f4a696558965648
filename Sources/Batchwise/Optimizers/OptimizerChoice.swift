/// The optimizers a training configuration can name, with their settings.
public enum OptimizerChoice: Sendable, Equatable, Codable, CustomStringConvertible {
    /// SGD, with or without (Nesterov) momentum.
    case sgd(SGD)
    /// Adam, or AdamW when its weight decay is decoupled.
    case adam(Adam)

    /// The update rule.
    public var optimizer: any Optimizer {
        switch self {
        case .sgd(let o): o
        case .adam(let o): o
        }
    }

    /// Whether this is SGD (of any momentum), not Adam or AdamW.
    public var isSGD: Bool {
        if case .sgd = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .sgd(let o):
            var s = "SGD"
            if o.momentum > 0 { s += ", momentum \(o.momentum)\(o.nesterov ? " (Nesterov)" : "")" }
            if o.weightDecay > 0 { s += ", weight decay \(o.weightDecay)" }
            return s
        case .adam(let o):
            var s = o.decoupledWeightDecay ? "AdamW" : "Adam"
            s += ", betas \(o.beta1)/\(o.beta2)"
            if o.weightDecay > 0 { s += ", weight decay \(o.weightDecay)" }
            return s
        }
    }
}
