@testable import Batchwise
import BatchwiseTestSupport

/// One layer run alone through the engine's own `LayerChain` (the path `Sequential` takes),
/// with its scratch sized for `capacity` samples.
struct LayerHarness {
    let chain: LayerChain
    var layer: any Layer { chain.layers[0] }
    var input: TensorShape { chain.shapes[0] }
    var output: TensorShape { chain.shapes[1] }

    init(_ layer: any Layer, input: TensorShape) throws {
        chain = try LayerChain([layer], input: input)
    }

    /// The randomness the chain hands its only layer for `position`.
    func layerRandomness(_ position: TrainingPosition?) -> LayerRandomness? {
        position.map { LayerRandomness(position: $0, stream: LayerChain.stream(0, 0)) }
    }

    /// Forward then backward over `count` samples: the outputs, ∂ℓ/∂x (nil unless asked
    /// for) and the parameter gradient for ∂ℓ/∂y = `dy`.
    func run(theta: [Float], x: [Float], count: Int, capacity: Int, dy: [Float], position: TrainingPosition?,
             inputGradient: Bool = true) -> (y: [Float], dx: [Float]?, gradient: [Float]) {
        precondition(theta.count == chain.parameterCount && x.count == count * input.count && dy.count == count * output.count)
        let scratch = FloatBuffer(count: chain.scratchCount(samples: capacity), topology: Fixture.topology)
        // Garbage in the scratch: a layer must not rely on it starting at 0.
        scratch.fill(.nan)
        var gradient = [Float](repeating: 0, count: theta.count)
        var dx = [Float](repeating: .nan, count: x.count)
        var y: [Float] = []
        let randomness = position.map { LayerRandomness(position: $0, stream: 0) }
        theta.withUnsafeBufferPointer { p in x.withUnsafeBufferPointer { x in dy.withUnsafeBufferPointer { dy in
            gradient.withUnsafeMutableBufferPointer { g in dx.withUnsafeMutableBufferPointer { dx in
                let out = chain.forward(parameters: p.baseAddress!, input: x.baseAddress!, count: count, capacity: capacity,
                                        scratch: scratch.pointer, randomness: randomness)
                y = Array(UnsafeBufferPointer(start: out, count: count * output.count))
                chain.backward(parameters: p.baseAddress!, gradient: g.baseAddress!, input: x.baseAddress!,
                               outputGradient: dy.baseAddress!, inputGradient: inputGradient ? dx.baseAddress! : nil,
                               count: count, capacity: capacity, scratch: scratch.pointer, randomness: randomness)
            } }
        } } }
        return (y, inputGradient ? dx : nil, gradient)
    }
}

/// Seeded test values.
struct TestValues {
    var random: RandomStream

    init(seed: UInt64) { random = RandomStream(seed: seed, purpose: .synthetic) }

    mutating func normal(_ count: Int) -> [Float] { (0..<count).map { _ in random.nextNormal() } }
    mutating func uniform(_ count: Int) -> [Float] { (0..<count).map { _ in 2 * random.nextUnitFloat() - 1 } }
}
