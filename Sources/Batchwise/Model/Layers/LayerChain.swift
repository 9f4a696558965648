/// Layers connected one after another, with the parameter layout and the scratch layout they
/// share: what `Sequential` runs, and what a `Residual` block runs inside itself.
///
/// Parameters: each layer's tensors in order, each on the next 64-byte boundary, so a chain's
/// block is laid exactly as the flat list `tensors` would be. Scratch, for a capacity of c
/// samples, in this order: the layers' outputs (c × the output width of each layer with a
/// buffer of its own; a layer placed in its input's memory, `sharesInput`, has none), two
/// buffers for the gradients between layers (c × the widest such gradient), then every
/// layer's own scratch.
struct LayerChain: Sendable {
    let layers: [any Layer]
    /// `shapes[0]` is the input; `shapes[i + 1]` layer i's output.
    let shapes: [TensorShape]
    /// Every layer's tensors, named `i.name` by the layer's position from 0.
    let tensors: [ParameterTensor]
    /// Each layer's first parameter, from the chain's first; the last entry is the chain's
    /// float count.
    let blockStarts: [Int]
    /// Each layer's tensor offsets from its block, one layer after another; layer i's start
    /// at `offsetStarts[i]`.
    let tensorOffsets: [Int]
    let offsetStarts: [Int]
    /// The widest gradient between two layers, per sample (0 for one layer).
    let innerWidth: Int
    /// Whether layer i's output lives in its input's memory (`LayerPlacement`): never for the
    /// first layer, whose input is the shard's; `.sameAsInput` layers always after it;
    /// `.overInput` ones where the layer before has a buffer of its own and does not read its
    /// output in backward. Those sharing one buffer all have the same output width.
    let sharesInput: [Bool]

    /// Connects `layers` to `input` in turn.
    ///
    /// - Throws: `ConfigurationError` naming the first layer that does not fit — its position
    ///   (from 1), the layer as `spelling` writes it and its input shape — and why.
    init(_ layers: [any Layer], input: TensorShape, spelling: LayerSpelling = .swift) throws(ConfigurationError) {
        var connected: [any Layer] = []
        var shapes = [input]
        var tensors: [ParameterTensor] = []
        var blockStarts: [Int] = [], tensorOffsets: [Int] = [], offsetStarts: [Int] = []
        var block = 0
        for (i, original) in layers.enumerated() {
            var layer = original
            let output: TensorShape
            do {
                output = try layer.connect(input: shapes[i])
            } catch {
                throw ConfigurationError("layer \(i + 1), \(spelling.name(original)), cannot take input \(shapes[i]): \(error.text)")
            }
            guard output.rank >= 1 && output.dimensions.allSatisfy({ $0 >= 1 }) else {
                throw ConfigurationError("layer \(i + 1), \(spelling.name(original)), maps input \(shapes[i]) to the empty shape \(output)")
            }
            let own = layer.parameterTensors
            let (offsets, count) = ParameterTensor.layout(own)
            blockStarts.append(block)
            offsetStarts.append(tensorOffsets.count)
            tensorOffsets += offsets
            tensors += own.map { ParameterTensor("\(i).\($0.name)", shape: $0.shape, initializer: $0.initializer) }
            block += count
            connected.append(layer)
            shapes.append(output)
        }
        blockStarts.append(block)
        offsetStarts.append(tensorOffsets.count)
        self.layers = connected
        self.shapes = shapes
        self.tensors = tensors
        self.blockStarts = blockStarts
        self.tensorOffsets = tensorOffsets
        self.offsetStarts = offsetStarts
        innerWidth = shapes.dropFirst().dropLast().map(\.count).max() ?? 0
        var shares: [Bool] = []
        for (i, layer) in connected.enumerated() {
            switch layer.placement {
            case .ownBuffer: shares.append(false)
            case .sameAsInput: shares.append(i > 0)
            case .overInput: shares.append(i > 0 && !shares[i - 1] && !connected[i - 1].backwardReadsOutput)
            }
            if shares[i] {
                precondition(shapes[i + 1].count == shapes[i].count,
                             "layer \(i + 1), \(spelling.name(connected[i])), is placed in its input's memory but changes its size")
            }
        }
        sharesInput = shares
    }

    var parameterCount: Int { blockStarts[layers.count] }
    var outputShape: TensorShape { shapes[layers.count] }

    private static func aligned(_ n: Int) -> Int { ParameterTensor.aligned(n) }

    /// Floats the layers' outputs take for `capacity` samples.
    private func outputsCount(capacity: Int) -> Int {
        var total = 0
        for i in layers.indices where !sharesInput[i] { total += Self.aligned(capacity * shapes[i + 1].count) }
        return total
    }

    /// Floats of scratch for `samples` samples (see the layout above).
    func scratchCount(samples capacity: Int) -> Int {
        var total = outputsCount(capacity: capacity) + 2 * Self.aligned(capacity * innerWidth)
        for layer in layers { total += Self.aligned(layer.scratchCount(samples: capacity)) }
        return total
    }

    /// Layer i's random stream under a chain whose own stream is `parent` (0 for a model).
    @inline(__always)
    static func stream(_ parent: UInt32, _ i: Int) -> UInt32 { parent &* 0x9E37_79B9 &+ UInt32(truncatingIfNeeded: i + 1) }

    @inline(__always)
    private func pass(_ i: Int, count: Int, capacity: Int, scratch: UnsafeMutablePointer<Float>,
                      parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>?,
                      offsets: UnsafeBufferPointer<Int>, randomness: LayerRandomness?) -> LayerPass {
        LayerPass(count: count, capacity: capacity, inputShape: shapes[i], outputShape: shapes[i + 1], scratch: scratch,
                  randomness: randomness.map { LayerRandomness(position: $0.position, stream: Self.stream($0.stream, i)) },
                  parameterBlock: parameters + blockStarts[i], gradientBlock: gradient.map { $0 + blockStarts[i] },
                  tensorOffsets: UnsafeBufferPointer(rebasing: offsets[offsetStarts[i]..<offsetStarts[i + 1]]))
    }

    /// Runs every layer over `count` samples of `input` and returns the last one's output
    /// (inside `scratch`). `randomness` carries the chain's own stream.
    func forward(parameters: UnsafePointer<Float>, input: UnsafePointer<Float>, count: Int, capacity: Int,
                 scratch: UnsafeMutablePointer<Float>, randomness: LayerRandomness?) -> UnsafeMutablePointer<Float> {
        var output = scratch
        var layerScratch = scratch + outputsCount(capacity: capacity) + 2 * Self.aligned(capacity * innerWidth)
        var x = input
        var last = output
        tensorOffsets.withUnsafeBufferPointer { offsets in
            for i in layers.indices {
                let p = pass(i, count: count, capacity: capacity, scratch: layerScratch, parameters: parameters, gradient: nil,
                             offsets: offsets, randomness: randomness)
                // A layer in its input's memory writes over `last`, the buffer of the layer before.
                let y = sharesInput[i] ? last : output
                layers[i].forward(x, into: y, pass: p)
                last = y
                x = UnsafePointer(y)
                if !sharesInput[i] { output += Self.aligned(capacity * shapes[i + 1].count) }
                layerScratch += Self.aligned(layers[i].scratchCount(samples: capacity))
            }
        }
        return last
    }

    /// Runs every layer's backward, last first, after `forward` over the same samples and
    /// scratch: adds the parameter gradients into `gradient` (the chain's block) and writes
    /// ∂ℓ/∂input into `inputGradient` when given.
    func backward(parameters: UnsafePointer<Float>, gradient: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
                  outputGradient: UnsafePointer<Float>, inputGradient: UnsafeMutablePointer<Float>?, count: Int, capacity: Int,
                  scratch: UnsafeMutablePointer<Float>, randomness: LayerRandomness?) {
        let outputsEnd = scratch + outputsCount(capacity: capacity)
        let between = Self.aligned(capacity * innerWidth)
        let buffers = (outputsEnd, outputsEnd + between)
        var outputEnd = outputsEnd
        var scratchEnd = scratch + scratchCount(samples: capacity)
        var dy = outputGradient
        tensorOffsets.withUnsafeBufferPointer { offsets in
            for i in layers.indices.reversed() {
                // Layer i's buffer, or the one it shares with the layers before it (the same size).
                let output = outputEnd - Self.aligned(capacity * shapes[i + 1].count)
                let x = i == 0 ? input : sharesInput[i] ? UnsafePointer(output) : UnsafePointer(output - Self.aligned(capacity * shapes[i].count))
                let layerScratch = scratchEnd - Self.aligned(layers[i].scratchCount(samples: capacity))
                // Layer i writes its input gradient into buffer i mod 2 and reads the one layer
                // i + 1 wrote into the other.
                let dx = i == 0 ? inputGradient : (i % 2 == 0 ? buffers.0 : buffers.1)
                let p = pass(i, count: count, capacity: capacity, scratch: layerScratch, parameters: parameters, gradient: gradient,
                             offsets: offsets, randomness: randomness)
                layers[i].backward(input: x, output: output, outputGradient: dy, inputGradient: dx, pass: p)
                if let dx { dy = UnsafePointer(dx) }
                if !sharesInput[i] { outputEnd = output }
                scratchEnd = layerScratch
            }
        }
    }
}

/// How messages and summaries write a layer: as the Swift code that builds it
/// (`Conv2D(6, kernel: 5)`), or, for a model parsed from a spec, as spec text (`conv2d(6,5)`).
enum LayerSpelling: Sendable {
    case swift, spec

    func name(_ layer: any Layer) -> String {
        switch self {
        case .swift: layer.description
        case .spec: layer.specText ?? layer.description
        }
    }
}
