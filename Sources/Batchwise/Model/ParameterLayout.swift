/// Where one dense layer's weights and bias sit in the flat parameter vector.
public struct DenseView: Sendable, Equatable {
    /// Inputs to the layer: the rows of its weight matrix.
    public let inputs: Int
    /// Outputs of the layer: the columns of its weight matrix and the number of biases.
    public let outputs: Int
    /// Offset of the `inputs × outputs` row-major weight matrix.
    public let weightOffset: Int
    /// Offset of the `outputs` biases.
    public let biasOffset: Int
    /// Weights and biases of the layer, `inputs × outputs + outputs`, padding excluded.
    public var parameterCount: Int { inputs * outputs + outputs }
}

/// The flat layout of an MLP's parameters: each weight matrix and bias vector starts on a
/// 64-byte boundary, so every layer view is aligned for vector loads. Padding floats are
/// parameters with a zero gradient forever; they stay 0.
public struct ParameterLayout: Sendable, Equatable {
    /// One view per dense layer, input side first.
    public let layers: [DenseView]
    /// Floats in the flat vector, padding included.
    public let count: Int
    /// Weights and biases, padding excluded (what FLOP counts use).
    public var trainableCount: Int { layers.reduce(0) { $0 + $1.parameterCount } }

    /// Lays out the layers between consecutive `widths` (at least two, each at least 1), every
    /// matrix and bias vector rounded up to a whole cache line.
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
