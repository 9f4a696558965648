/// A model made of layers applied one after another, followed by a per-sample loss.
///
///     let model = try Sequential(input: [1, 28, 28], loss: .crossEntropy) {
///         Conv2D(6, kernel: 5, padding: 2); ReLU(); MaxPool2D(2)
///         Conv2D(16, kernel: 5); ReLU(); MaxPool2D(2)
///         Flatten(); Dense(120); ReLU(); Dense(84); ReLU(); Dense(10)
///     }
///
/// The parameters are one flat vector (see `tensorTable`); a layer reads its tensors as
/// views into it. Like every `GradientModel` it returns sums over the shard, never means. Each
/// worker's workspace holds every layer's output and scratch for the largest shard, allocated
/// once; a ReLU, tanh, sigmoid, flatten or reshape writes its output in its input's memory
/// where nothing still needs that input (`LayerPlacement`). Random layers (dropout) draw only while training (`ShardSamples.training`), keyed
/// by the seed, the step and each sample's position in the epoch.
public final class Sequential: GradientModel {
    /// The shape of one input sample; `inputWidth` is its count.
    public let inputShape: TensorShape
    /// The per-sample loss over the last layer's outputs.
    public let loss: Loss
    /// Where each named parameter tensor sits in the flat parameter vector.
    public let tensorTable: TensorTable
    let chain: LayerChain

    /// The layers, connected to their input shapes.
    public var layers: [any Layer] { chain.layers }
    /// The output shape of each layer, in order.
    public var layerOutputShapes: [TensorShape] { Array(chain.shapes.dropFirst()) }
    /// The shape of one output sample, the last layer's.
    public var outputShape: TensorShape { chain.outputShape }
    public var outputWidth: Int { chain.outputShape.count }

    public var parameterCount: Int { tensorTable.count }
    public var inputWidth: Int { inputShape.count }
    public var targetWidth: Int { loss.isClassification ? 1 : outputWidth }
    public var classCount: Int? { loss.isClassification ? outputWidth : nil }

    /// A model of `layers` taking samples of shape `input` (the features of each sample, laid
    /// out row-major in that shape).
    ///
    /// - Throws: `ConfigurationError` when a layer's arguments do not fit its input (naming
    ///   the layer's position, the layer and the shapes), when the last output is not flat, or
    ///   when cross-entropy gets fewer than 2 classes.
    public convenience init(input: TensorShape, loss: Loss = .crossEntropy, layers: [any Layer]) throws(ConfigurationError) {
        try self.init(input: input, loss: loss, layers: layers, spelling: .swift)
    }

    /// The model of `layers`, its messages writing each layer as `spelling` says.
    init(input: TensorShape, loss: Loss, layers: [any Layer], spelling: LayerSpelling) throws(ConfigurationError) {
        guard input.rank >= 1 && input.dimensions.allSatisfy({ $0 >= 1 }) else {
            throw ConfigurationError("\(parameter: "input") must be a shape of positive sizes, such as \(parameter: "input", value: "[1, 28, 28]") (got \(input.dimensions))")
        }
        guard input.count <= 1 << 28 else {
            throw ConfigurationError("\(parameter: "input") \(input.dimensions) has \(input.count == .max ? "more than Int.max" : String(input.count)) values per sample; at most 268435456 (2^28) are supported")
        }
        guard !layers.isEmpty else { throw ConfigurationError("a model needs at least one layer") }
        let chain = try LayerChain(layers, input: input, spelling: spelling)
        guard chain.outputShape.rank == 1 else {
            throw ConfigurationError("the last layer, \(spelling.name(chain.layers.last!)), outputs \(chain.outputShape) per sample; a model must end in a flat output, such as \(spelling == .spec ? "flatten then dense(k)" : "Flatten() then Dense(k)")")
        }
        if loss.isClassification, chain.outputShape.count < 2 {
            throw ConfigurationError("cross-entropy needs an output of at least 2 classes (the last layer, \(spelling.name(chain.layers.last!)), outputs \(chain.outputShape))")
        }
        guard chain.parameterCount >= 1 else {
            throw ConfigurationError("the model has no parameters to train; add a \(spelling == .spec ? "dense" : "Dense") or convolution layer")
        }
        self.inputShape = input
        self.loss = loss
        self.chain = chain
        tensorTable = TensorTable(chain.tensors)
        assert(tensorTable.count == chain.parameterCount, "a chain's block is laid as its flat tensor list")
    }

    /// A model of the layers `body` lists (see `LayerBuilder`).
    public convenience init(input: TensorShape, loss: Loss = .crossEntropy,
                            @LayerBuilder _ body: () -> [any Layer]) throws(ConfigurationError) {
        try self.init(input: input, loss: loss, layers: body())
    }

    /// Each tensor as its `ParameterTensor.initializer` says (PyTorch's defaults for the
    /// built-in layers), tensor k drawn from its own stream of `seed`; padding 0.
    public func initialize(parameters: UnsafeMutableBufferPointer<Float>, seed: UInt64) {
        precondition(parameters.count == parameterCount)
        parameters.update(repeating: 0)
        for (k, entry) in tensorTable.entries.enumerated() {
            var random = RandomStream(seed: seed, stream: UInt64(k), purpose: .initialization)
            entry.initializer.fill(UnsafeMutableBufferPointer(rebasing: parameters[entry.offset ..< entry.offset + entry.shape.count]),
                                   random: &random)
        }
    }

    /// Every layer's output and scratch, and the loss gradient, for up to `capacity` samples.
    public final class Workspace {
        let capacity: Int
        let scratch: FloatBuffer
        let lossGradient: FloatBuffer

        init(chain: LayerChain, capacity: Int, topology: Topology, numaNode: Int?) {
            self.capacity = capacity
            scratch = FloatBuffer(count: chain.scratchCount(samples: capacity), topology: topology, numaNode: numaNode)
            lossGradient = FloatBuffer(count: capacity * chain.outputShape.count, topology: topology, numaNode: numaNode)
        }
    }

    public func makeWorkspace(maxSamples: Int, topology: Topology, numaNode: Int?) -> Workspace {
        Workspace(chain: chain, capacity: max(maxSamples, 1), topology: topology, numaNode: numaNode)
    }

    @inline(__always)
    private func forward(_ p: UnsafePointer<Float>, _ samples: ShardSamples, _ ws: Workspace) -> UnsafeMutablePointer<Float> {
        precondition(samples.count <= ws.capacity, "shard of \(samples.count) samples exceeds the workspace (\(ws.capacity))")
        return chain.forward(parameters: p, input: samples.inputs, count: samples.count, capacity: ws.capacity,
                             scratch: ws.scratch.pointer,
                             randomness: samples.training.map { LayerRandomness(position: $0, stream: 0) })
    }

    public func accumulateGradient(parameters p: UnsafePointer<Float>, samples: ShardSamples,
                                   gradient g: UnsafeMutablePointer<Float>, workspace ws: Workspace) -> ShardLoss {
        let n = samples.count
        if n == 0 { return ShardLoss() }
        let outputs = forward(p, samples, ws)
        let delta = ws.lossGradient.pointer
        let r = loss.evaluate(outputs: outputs, targets: samples.targets, count: n, width: outputWidth, gradient: delta)
        chain.backward(parameters: p, gradient: g, input: samples.inputs, outputGradient: delta, inputGradient: nil,
                       count: n, capacity: ws.capacity, scratch: ws.scratch.pointer,
                       randomness: samples.training.map { LayerRandomness(position: $0, stream: 0) })
        return ShardLoss(lossSum: r.lossSum, correct: r.correct)
    }

    public func evaluate(parameters p: UnsafePointer<Float>, samples: ShardSamples, workspace ws: Workspace) -> ShardLoss {
        var samples = samples
        samples.training = nil
        if samples.count == 0 { return ShardLoss() }
        let r = loss.evaluate(outputs: forward(p, samples, ws), targets: samples.targets, count: samples.count,
                              width: outputWidth, gradient: nil)
        return ShardLoss(lossSum: r.lossSum, correct: r.correct)
    }

    /// Runs the forward pass in evaluation mode (dropout off) and copies the outputs (logits
    /// for cross-entropy) into `into`, `samples.count × outputWidth` floats.
    public func outputs(parameters p: UnsafePointer<Float>, samples: ShardSamples, workspace ws: Workspace,
                        into out: UnsafeMutablePointer<Float>) {
        var samples = samples
        samples.training = nil
        if samples.count == 0 { return }
        out.update(from: forward(p, samples, ws), count: samples.count * outputWidth)
    }
}
