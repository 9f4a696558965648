/// Flattens each sample to one dimension: C × H × W → C·H·W (the data is already row-major,
/// so only the shape changes). No parameters.
public struct Flatten: Layer {
    /// A flattening layer.
    public init() {}

    public var description: String { "Flatten()" }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { [input.count] }

    /// In its input's memory, which it leaves as it is.
    public var placement: LayerPlacement { .sameAsInput }
    public var backwardReadsOutput: Bool { false }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        if UnsafePointer(y) != x { y.update(from: x, count: pass.count * pass.inputShape.count) }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        dx?.update(from: dy, count: pass.count * pass.inputShape.count)
    }
}

/// Gives each sample a new shape with the same number of values, row-major order kept
/// (a flat 1 × 784 → `Reshape(1, 28, 28)`). No parameters.
public struct Reshape: Layer {
    /// The new shape of each sample, outermost first; its product must equal the input's count.
    public let dimensions: [Int]

    /// A reshape to `dimensions`, outermost first: `Reshape(1, 28, 28)`.
    public init(_ dimensions: Int...) { self.dimensions = dimensions }
    /// A reshape to `dimensions`, outermost first.
    public init(_ dimensions: [Int]) { self.dimensions = dimensions }

    public var description: String { "Reshape(\(dimensions.map(String.init).joined(separator: ", ")))" }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        let shape = TensorShape(dimensions)
        guard !dimensions.isEmpty && dimensions.allSatisfy({ $0 >= 1 }) else {
            throw ConfigurationError("\(parameter: "dimensions") must be one or more sizes of at least 1 (got \(dimensions))")
        }
        guard shape.count == input.count else {
            throw ConfigurationError("the new shape \(shape) holds \(shape.count) values per sample but the input holds \(input.count)")
        }
        return shape
    }

    /// In its input's memory, which it leaves as it is.
    public var placement: LayerPlacement { .sameAsInput }
    public var backwardReadsOutput: Bool { false }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        if UnsafePointer(y) != x { y.update(from: x, count: pass.count * pass.inputShape.count) }
    }

    public func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        dx?.update(from: dy, count: pass.count * pass.inputShape.count)
    }
}
