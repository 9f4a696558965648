import Foundation

/// A per-sample loss ℓ(z, t) on the network's output z. Batchwise always sums ℓ and ∇ℓ over
/// samples; the mean over the batch is taken once, in the all-reduce.
public enum Loss: String, Sendable, CaseIterable, Codable {
    /// −log softmax(z)[t] for a class index t; the output width is the class count.
    case crossEntropy = "cross-entropy"
    /// (1/k) Σ_j (z_j − t_j)², the mean over the k outputs (as PyTorch's `MSELoss`).
    case mse
    /// (1/k) Σ_j |z_j − t_j|; its subgradient at 0 is taken as 0.
    case l1

    /// Parses a name given on the command line: `cross-entropy` (or `ce`), `mse` (or `l2`),
    /// `l1` (or `mae`), in any case.
    public init(parsing text: String) throws(ConfigurationError) {
        let key = text.lowercased()
        let aliases: [String: Loss] = ["cross-entropy": .crossEntropy, "crossentropy": .crossEntropy, "ce": .crossEntropy,
                                       "softmax-cross-entropy": .crossEntropy, "mse": .mse, "l2": .mse, "l1": .l1, "mae": .l1]
        guard let value = aliases[key] else {
            throw ConfigurationError("unknown loss '\(text)'; choose one of: cross-entropy, mse, l1")
        }
        self = value
    }

    /// True when targets are class indices (one per sample) rather than k values.
    public var isClassification: Bool { self == .crossEntropy }

    /// Computes ℓ for each of `count` rows of `outputs` (each `width` wide), writes ∂ℓ/∂z into
    /// `gradient` when given, and returns (Σ ℓ, number of rows whose arg-max equals the class).
    @inline(__always)
    func evaluate(outputs: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int, width: Int,
                  gradient: UnsafeMutablePointer<Float>?) -> (lossSum: Double, correct: Int) {
        var lossSum = 0.0
        var correct = 0
        for row in 0..<count {
            let z = outputs + row * width
            switch self {
            case .crossEntropy:
                let label = Int(targets[row])
                var best = 0
                var maxZ = z[0]
                for j in 1..<max(width, 1) where z[j] > maxZ { maxZ = z[j]; best = j }
                if best == label { correct += 1 }
                var sum: Float = 0
                for j in 0..<width { sum += Foundation.exp(z[j] - maxZ) }
                lossSum += Double(Foundation.log(sum) + maxZ - z[label])
                if let g = gradient.map({ $0 + row * width }) {
                    let inv = 1 / sum
                    for j in 0..<width { g[j] = Foundation.exp(z[j] - maxZ) * inv }
                    g[label] -= 1
                }
            case .mse, .l1:
                let t = targets + row * width
                let scale = 1 / Float(width)
                var rowLoss: Float = 0
                for j in 0..<width {
                    let d = z[j] - t[j]
                    rowLoss += self == .mse ? d * d : abs(d)
                    if let gradient {
                        gradient[row * width + j] = self == .mse ? 2 * d * scale : (d > 0 ? scale : (d < 0 ? -scale : 0))
                    }
                }
                lossSum += Double(rowLoss * scale)
            }
        }
        return (lossSum, correct)
    }
}
