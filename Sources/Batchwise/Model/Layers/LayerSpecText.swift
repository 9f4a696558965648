/// Each built-in layer as a model spec writes it (see `ModelSpec`): the name in lower case,
/// then the required arguments in order and the others only where they differ from their
/// defaults, as `key=value`, with no spaces: `conv2d(6,5,padding=2)`, `maxpool2d(2)`, `relu`.
/// Parsing the text gives back the same layer.

extension Dense {
    public var specText: String? { "dense(\(units))" }
}

extension Conv1D {
    public var specText: String? { LayerSpecText.convolution("conv1d", filters, kernel, stride, padding) }
}

extension Conv2D {
    public var specText: String? { LayerSpecText.convolution("conv2d", filters, kernel, stride, padding) }
}

extension MaxPool1D {
    public var specText: String? { LayerSpecText.pooling("maxpool1d", size, stride) }
}

extension MaxPool2D {
    public var specText: String? { LayerSpecText.pooling("maxpool2d", size, stride) }
}

extension AvgPool2D {
    public var specText: String? { LayerSpecText.pooling("avgpool2d", size, stride) }
}

extension GlobalAvgPool {
    public var specText: String? { "globalavgpool" }
}

extension Flatten {
    public var specText: String? { "flatten" }
}

extension Reshape {
    public var specText: String? { "reshape(" + dimensions.map(String.init).joined(separator: ",") + ")" }
}

extension ReLU {
    public var specText: String? { "relu" }
}

extension LeakyReLU {
    public var specText: String? { slope == 0.01 ? "leakyrelu" : "leakyrelu(slope=\(slope))" }
}

extension GELU {
    public var specText: String? { "gelu" }
}

extension Tanh {
    public var specText: String? { "tanh" }
}

extension Sigmoid {
    public var specText: String? { "sigmoid" }
}

extension Dropout {
    public var specText: String? { "dropout(\(probability))" }
}

extension LayerNorm {
    public var specText: String? { "layernorm" }
}

extension Residual {
    /// `residual(…)` around its layers' texts, separated by spaces; nil when one of them has none.
    public var specText: String? {
        let inner = body.map(\.specText)
        guard inner.allSatisfy({ $0 != nil }) else { return nil }
        return "residual(" + inner.map { $0! }.joined(separator: " ") + ")"
    }
}

enum LayerSpecText {
    static func convolution(_ name: String, _ filters: Int, _ kernel: Int, _ stride: Int, _ padding: Int) -> String {
        "\(name)(\(filters),\(kernel)" + (stride == 1 ? "" : ",stride=\(stride)") + (padding == 0 ? "" : ",padding=\(padding)") + ")"
    }

    static func pooling(_ name: String, _ size: Int, _ stride: Int) -> String {
        "\(name)(\(size)" + (stride == size ? "" : ",stride=\(stride)") + ")"
    }
}
