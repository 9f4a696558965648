import Foundation

/// An element-wise activation between dense layers.
public enum Activation: String, Sendable, CaseIterable, Codable {
    case relu, tanh, sigmoid

    /// Parses a name given on the command line.
    public init(parsing text: String) throws(ConfigurationError) {
        guard let value = Activation(rawValue: text.lowercased()) else {
            throw ConfigurationError("unknown activation '\(text)'; choose one of: \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }

    /// Applies the activation in place to `count` values.
    @inline(__always)
    func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu: for i in 0..<count { x[i] = max(x[i], 0) }
        case .tanh: for i in 0..<count { x[i] = Foundation.tanh(x[i]) }
        case .sigmoid: for i in 0..<count { x[i] = 1 / (1 + Foundation.exp(-x[i])) }
        }
    }

    /// Turns `delta` (∂ℓ/∂a) into ∂ℓ/∂z in place, using the activation's output a = f(z):
    /// ReLU: 1[a > 0]; tanh: 1 − a²; sigmoid: a(1 − a).
    @inline(__always)
    func backward(output a: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        // A select, not a branch, so the loop vectorises.
        case .relu: for i in 0..<count { delta[i] = a[i] > 0 ? delta[i] : 0 }
        case .tanh: for i in 0..<count { delta[i] *= 1 - a[i] * a[i] }
        case .sigmoid: for i in 0..<count { delta[i] *= a[i] * (1 - a[i]) }
        }
    }
}
