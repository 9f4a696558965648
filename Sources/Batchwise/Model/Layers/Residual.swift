/// A residual block: y = x + f(x), where f is the layers inside it, which must give back the
/// shape they take:
///
///     Residual { Conv2D(8, kernel: 3, padding: 1); ReLU(); Conv2D(8, kernel: 3, padding: 1) }
///
/// Its parameters are those of its layers, named by their position inside the block
/// (`4.0.weight` for the first layer of a block at position 4); each initialises as it does
/// on its own. ∂ℓ/∂x = ∂ℓ/∂y + J_fᵀ ∂ℓ/∂y.
public struct Residual: Layer {
    /// The layers inside, as given (not connected); f applies them in order.
    public let body: [any Layer]
    /// The layers inside, connected (nil before `connect`).
    private(set) var chain: LayerChain?
    /// How its messages name the layers inside (spec text when it was parsed from a spec).
    var spelling = LayerSpelling.swift

    /// A block of the layers the builder lists.
    public init(@LayerBuilder _ body: () -> [any Layer]) { self.body = body() }
    /// A block of `body`, in order.
    public init(_ body: [any Layer]) { self.body = body }

    public var description: String { "Residual { " + body.map(\.description).joined(separator: "; ") + " }" }
    /// Its backward does not read its output, so a ReLU after it can write over it.
    public var backwardReadsOutput: Bool { false }

    public mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape {
        guard !body.isEmpty else { throw ConfigurationError("a residual block needs at least one layer inside") }
        let chain = try LayerChain(body, input: input, spelling: spelling)
        guard chain.outputShape == input else {
            throw ConfigurationError("its layers map \(input) to \(chain.outputShape), but a residual block must give back the shape it takes")
        }
        self.chain = chain
        return input
    }

    private var connected: LayerChain {
        guard let chain else { preconditionFailure("a residual block is used before connect(input:)") }
        return chain
    }

    public var parameterTensors: [ParameterTensor] { connected.tensors }

    public func scratchCount(samples: Int) -> Int { connected.scratchCount(samples: samples) }

    public func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
        let f = connected.forward(parameters: pass.parameterBlock, input: x, count: pass.count, capacity: pass.capacity,
                                  scratch: pass.scratch, randomness: pass.randomness)
        for i in 0..<(pass.count * pass.inputShape.count) { y[i] = x[i] + f[i] }
    }

    public func backward(input x: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                         inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
        guard let gradient = pass.gradientBlock else { preconditionFailure("backward without a gradient") }
        connected.backward(parameters: pass.parameterBlock, gradient: gradient, input: x, outputGradient: dy, inputGradient: dx,
                           count: pass.count, capacity: pass.capacity, scratch: pass.scratch, randomness: pass.randomness)
        guard let dx else { return }
        for i in 0..<(pass.count * pass.inputShape.count) { dx[i] += dy[i] }
    }
}
