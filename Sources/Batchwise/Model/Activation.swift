import Foundation

/// An element-wise activation between dense layers.
public enum Activation: String, Sendable, CaseIterable, Codable {
    /// max(0, x), tanh x and 1 / (1 + e⁻ˣ); the raw value is the command-line name.
    case relu, tanh, sigmoid

    /// Parses a name given on the command line.
    public init(parsing text: String) throws(ConfigurationError) {
        guard let value = Activation(rawValue: text.lowercased()) else {
            throw ConfigurationError("unknown activation '\(text)'; choose one of: \(Activation.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = value
    }

    /// Applies the activation in place to `count` values. ReLU keeps a NaN (as PyTorch's does)
    /// and −0, in the vector lanes and the scalar tail alike, so a value's result never depends
    /// on where the shard's length puts it.
    @inline(__always)
    func forward(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu:
            Self.vectorLoop(count) { i in
                let v = Self.load(x + i)
                Self.store(v.replacing(with: 0, where: v .< 0), x + i)
            } scalar: { i in x[i] = x[i] < 0 ? 0 : x[i] }
        case .tanh: for i in 0..<count { x[i] = Foundation.tanh(x[i]) }
        case .sigmoid: for i in 0..<count { x[i] = 1 / (1 + Foundation.exp(-x[i])) }
        }
    }

    /// Turns `delta` (∂ℓ/∂a) into ∂ℓ/∂z in place, using the activation's output a = f(z):
    /// ReLU: 1[a > 0]; tanh: 1 − a²; sigmoid: a(1 − a).
    @inline(__always)
    func backward(output a: UnsafePointer<Float>, delta: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .relu:
            Self.vectorLoop(count) { i in
                Self.store(Self.load(delta + i).replacing(with: 0, where: Self.load(a + i) .<= 0), delta + i)
            } scalar: { i in delta[i] = a[i] <= 0 ? 0 : delta[i] }
        case .tanh: for i in 0..<count { delta[i] *= 1 - a[i] * a[i] }
        case .sigmoid: for i in 0..<count { delta[i] *= a[i] * (1 - a[i]) }
        }
    }

    // The compiler does not vectorise these loops on its own (the pointers may alias), so the
    // hot ReLU paths use explicit 16-wide vectors.
    typealias Vector = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inline(__always)
    static func load(_ p: UnsafeMutablePointer<Float>) -> Vector { UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self) }

    /// Calls `vector(i)` for i = 0, 16, 32, … while 16 elements remain, then `scalar(i)` for the rest.
    @inline(__always)
    static func vectorLoop(_ count: Int, _ vector: (Int) -> Void, scalar: (Int) -> Void) {
        var i = 0
        while i + Vector.scalarCount <= count {
            vector(i)
            i += Vector.scalarCount
        }
        while i < count {
            scalar(i)
            i += 1
        }
    }
}
