/// Where one dense layer's weights and bias sit in the flat parameter vector.
public struct DenseView: Sendable, Equatable {
    public let inputs: Int
    public let outputs: Int
    /// Offset of the `inputs × outputs` row-major weight matrix.
    public let weightOffset: Int
    /// Offset of the `outputs` biases.
    public let biasOffset: Int
    public var parameterCount: Int { inputs * outputs + outputs }
}

/// The flat layout of an MLP's parameters: each weight matrix and bias vector starts on a
/// 64-byte boundary, so every layer view is aligned for vector loads. Padding floats are
/// parameters with a zero gradient forever; they stay 0.
public struct ParameterLayout: Sendable, Equatable {
    public let layers: [DenseView]
    /// Floats in the flat vector, padding included.
    public let count: Int
    /// Weights and biases, padding excluded (what FLOP counts use).
    public var trainableCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    public init(widths: [Int]) {
        precondition(widths.count >= 2 && widths.allSatisfy { $0 >= 1 })
        func aligned(_ n: Int) -> Int {
            (n + FloatBuffer.floatsPerCacheLine - 1) / FloatBuffer.floatsPerCacheLine * FloatBuffer.floatsPerCacheLine
        }
        var offset = 0
        var views: [DenseView] = []
        for (i, o) in zip(widths, widths.dropFirst()) {
            let w = offset
            offset += aligned(i * o)
            let b = offset
            offset += aligned(o)
            views.append(DenseView(inputs: i, outputs: o, weightOffset: w, biasOffset: b))
        }
        layers = views
        count = offset
    }
}
