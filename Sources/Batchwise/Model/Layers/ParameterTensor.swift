/// How a parameter tensor starts, drawn deterministically from the model's seed.
public enum ParameterInitializer: Sendable, Equatable {
    /// Every value the same (0 for a bias, 1 for a normalisation gain).
    case constant(Float)
    /// Uniform on [−bound, bound).
    case uniform(bound: Float)
    /// Normal with mean 0.
    case normal(standardDeviation: Float)

    /// Every value 0 (biases).
    public static let zeros = ParameterInitializer.constant(0)
    /// Every value 1 (normalisation gains).
    public static let ones = ParameterInitializer.constant(1)

    /// PyTorch's default for `Linear` and `Conv*d`, weights and biases alike: its
    /// `kaiming_uniform_(a: √5)` gives the bound gain·√(3/fan_in) with gain √(2/(1+5)), that is
    /// U(−1/√fan_in, 1/√fan_in).
    public static func fanIn(_ fanIn: Int) -> ParameterInitializer { .uniform(bound: 1 / Float(max(fanIn, 1)).squareRoot()) }

    /// Fills `values` from `random`.
    func fill(_ values: UnsafeMutableBufferPointer<Float>, random: inout RandomStream) {
        switch self {
        case .constant(let c): values.update(repeating: c)
        case .uniform(let bound): for i in values.indices { values[i] = (2 * random.nextUnitFloat() - 1) * bound }
        case .normal(let std): for i in values.indices { values[i] = random.nextNormal() * std }
        }
    }
}

/// One named parameter tensor a layer declares: its name within the layer (`weight`), its
/// shape and how it starts.
public struct ParameterTensor: Sendable, Equatable {
    /// The tensor's name within its layer (`weight`, `bias`), the last part of its name in the `TensorTable`.
    public let name: String
    /// The tensor's shape, laid out row-major (PyTorch's order).
    public let shape: TensorShape
    /// How its values start.
    public let initializer: ParameterInitializer

    /// A tensor called `name` of `shape`, started by `initializer`.
    public init(_ name: String, shape: TensorShape, initializer: ParameterInitializer) {
        self.name = name
        self.shape = shape
        self.initializer = initializer
    }

    /// `n` rounded up to whole cache lines: every tensor starts 64-byte aligned.
    static func aligned(_ n: Int) -> Int {
        (n + FloatBuffer.floatsPerCacheLine - 1) / FloatBuffer.floatsPerCacheLine * FloatBuffer.floatsPerCacheLine
    }

    /// Each tensor's offset from the first, laid in order, each on the next 64-byte boundary;
    /// and the floats they take together, padding included.
    static func layout(_ tensors: [ParameterTensor]) -> (offsets: [Int], count: Int) {
        var offsets: [Int] = []
        var next = 0
        for t in tensors {
            offsets.append(next)
            next += aligned(t.shape.count)
        }
        return (offsets, next)
    }
}

/// Where every named parameter tensor of a model sits in the one flat parameter vector.
///
/// Names follow PyTorch's `state_dict` for `nn.Sequential`: the layer's position, then the
/// tensor's name (`0.weight`, `3.bias`); a nested block adds its own positions (`4.0.weight`).
/// Every tensor starts on a 64-byte boundary; the padding between them is parameters whose
/// gradient is always 0, so they stay 0.
public struct TensorTable: Sendable, Equatable {
    /// One tensor of the table: its full name, shape, place and initialiser.
    public struct Entry: Sendable, Equatable {
        /// The full name, PyTorch's `state_dict` key (`0.weight`, `4.0.bias`).
        public let name: String
        /// The tensor's shape, row-major.
        public let shape: TensorShape
        /// Offset of the tensor's first float in the flat vector.
        public let offset: Int
        /// How the tensor's values start.
        public let initializer: ParameterInitializer
    }

    /// In layer order, each layer's tensors in the order it declares them.
    public let entries: [Entry]
    /// Floats in the flat vector, padding included.
    public let count: Int
    /// Floats in the tensors, padding excluded.
    public var trainableCount: Int { entries.reduce(0) { $0 + $1.shape.count } }

    init(_ tensors: [ParameterTensor]) {
        let (offsets, count) = ParameterTensor.layout(tensors)
        entries = zip(tensors, offsets).map { Entry(name: $0.name, shape: $0.shape, offset: $1, initializer: $0.initializer) }
        self.count = count
    }

    /// The tensor called `name`, or nil.
    public subscript(name: String) -> Entry? { entries.first { $0.name == name } }
}
