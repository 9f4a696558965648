@testable import Batchwise
import BatchwiseTestSupport
import Testing

/// Layers placed in their input's memory (`LayerPlacement`): where the chain places them, the
/// workspace they save, and that placing them changes no bit of what forward and backward give.
@Suite struct LayerPlacementTests {
    /// `layer` with the protocol's defaults: a buffer of its own, its output read in backward.
    struct OwnBuffer: Layer {
        var layer: any Layer
        var description: String { layer.description }
        mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { try layer.connect(input: input) }
        var parameterTensors: [ParameterTensor] { layer.parameterTensors }
        func scratchCount(samples: Int) -> Int { layer.scratchCount(samples: samples) }
        func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) { layer.forward(x, into: y, pass: pass) }
        func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient: UnsafePointer<Float>,
                      inputGradient: UnsafeMutablePointer<Float>?, pass: LayerPass) {
            layer.backward(input: input, output: output, outputGradient: outputGradient, inputGradient: inputGradient, pass: pass)
        }
    }

    /// A layer written outside Batchwise that asks to go over its input: y = 2x.
    struct Twice: Layer {
        var description: String { "Twice()" }
        mutating func connect(input: TensorShape) throws(ConfigurationError) -> TensorShape { input }
        var placement: LayerPlacement { .overInput }
        var backwardReadsOutput: Bool { false }
        func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, pass: LayerPass) {
            for i in 0..<(pass.count * pass.inputShape.count) { y[i] = 2 * x[i] }
        }
        func backward(input: UnsafePointer<Float>, output: UnsafePointer<Float>, outputGradient dy: UnsafePointer<Float>,
                      inputGradient dx: UnsafeMutablePointer<Float>?, pass: LayerPass) {
            guard let dx else { return }
            for i in 0..<(pass.count * pass.inputShape.count) { dx[i] = 2 * dy[i] }
        }
    }

    @Test func lenetsReLUsGoOverTheirInputsAndFlattenKeepsItsInput() throws {
        let layers: [any Layer] = [
            Conv2D(6, kernel: 5, padding: 2), ReLU(), MaxPool2D(2), Conv2D(16, kernel: 5), ReLU(), MaxPool2D(2),
            Flatten(), Dense(120), ReLU(), Dense(84), ReLU(), Dense(10),
        ]
        let chain = try LayerChain(layers, input: [1, 28, 28])
        #expect(chain.sharesInput == [false, true, false, false, true, false, true, false, true, false, true, false])
        let unplaced = try LayerChain(layers.map { OwnBuffer(layer: $0) }, input: [1, 28, 28])
        #expect(unplaced.sharesInput.allSatisfy { !$0 })
        // Shards of 32: the buffers of the four ReLUs and the flatten (6·28·28 + 16·10·10 + 400
        // + 120 + 84 floats a sample) are gone.
        #expect(unplaced.scratchCount(samples: 32) - chain.scratchCount(samples: 32) == 32 * (4704 + 1600 + 400 + 120 + 84))
    }

    @Test func aLayerGoesOverItsInputOnlyWhereNothingStillNeedsIt() throws {
        let chain = try LayerChain([
            Flatten(),                  // 0: the shard's input is not the chain's to share
            ReLU(),                     // 1: over the flatten's buffer, its own as the first layer's
            Tanh(),                     // 2: a ReLU reads its output in backward
            Dense(6), Sigmoid(),        // 3, 4: over the dense's output
            Reshape(2, 3), Flatten(),   // 5, 6: same values, same memory
            LeakyReLU(slope: -0.5),     // 7: a negative slope needs the input's sign
            Dense(5), LeakyReLU(),      // 8, 9
            Dense(4), Twice(),         // 10, 11: a user's layer, over the dense's output
            GELU(), ReLU(),             // 12, 13: GELU does not read its output
        ], input: [2, 3, 2])
        #expect(chain.sharesInput == [false, true, false, false, true, true, true, false, false, true, false, true, false, true])
        let tanhAfterTwice = try LayerChain([Dense(3), Twice(), Tanh(), ReLU()], input: [4])
        #expect(tanhAfterTwice.sharesInput == [false, true, false, false], "Twice shares its buffer, so Tanh gets its own")
    }

    /// Forward and backward through `layers`, placed as the chain decides, against the same
    /// layers each in a buffer of its own: the same bits, outputs, input gradient and
    /// parameter gradient, with garbage in the scratch.
    @Test(arguments: [
        ("conv", [1, 7, 7]),
        ("dense", [10]),
        ("residual", [2, 5, 5]),
    ])
    func placementChangesNoBit(kind: String, input: [Int]) throws {
        let layers: [any Layer]
        switch kind {
        case "conv":
            layers = [Conv2D(3, kernel: 3, padding: 1), ReLU(), MaxPool2D(2), Conv2D(4, kernel: 2), LeakyReLU(slope: 0.1),
                      Flatten(), Dense(5), Tanh(), Dense(3), Sigmoid()]
        case "dense":
            layers = [Dense(8), ReLU(), Reshape(2, 4), Flatten(), Dense(6), Twice(), Tanh(), LeakyReLU(slope: 0.1), Dense(4), GELU(), Dense(3)]
        default:
            layers = [Conv2D(2, kernel: 3, padding: 1), ReLU(),
                      Residual([Conv2D(2, kernel: 3, padding: 1), ReLU(), Conv2D(2, kernel: 3, padding: 1)]), ReLU(),
                      GlobalAvgPool(), Dense(3)]
        }
        let placed = try LayerChain(layers, input: TensorShape(input))
        let unplaced = try LayerChain(layers.map { OwnBuffer(layer: $0) }, input: TensorShape(input))
        #expect(placed.sharesInput.contains(true), "the case places at least one layer")
        var values = TestValues(seed: 41)
        let count = 5, capacity = 7
        let theta = values.normal(placed.parameterCount).map { $0 * 0.5 }
        let x = values.normal(count * placed.shapes[0].count)
        let dy = values.normal(count * placed.outputShape.count)
        let a = Self.run(placed, theta: theta, x: x, dy: dy, count: count, capacity: capacity)
        let b = Self.run(unplaced, theta: theta, x: x, dy: dy, count: count, capacity: capacity)
        #expect(a.y.map(\.bitPattern) == b.y.map(\.bitPattern))
        #expect(a.dx.map(\.bitPattern) == b.dx.map(\.bitPattern))
        #expect(a.gradient.map(\.bitPattern) == b.gradient.map(\.bitPattern))
        #expect(a.y.allSatisfy(\.isFinite) && a.dx.allSatisfy(\.isFinite) && a.gradient.contains { $0 != 0 })
    }

    static func run(_ chain: LayerChain, theta: [Float], x: [Float], dy: [Float], count: Int, capacity: Int)
        -> (y: [Float], dx: [Float], gradient: [Float]) {
        let scratch = FloatBuffer(count: chain.scratchCount(samples: capacity), topology: Fixture.topology)
        scratch.fill(.nan)
        var gradient = [Float](repeating: 0, count: theta.count)
        var dx = [Float](repeating: .nan, count: x.count)
        var y: [Float] = []
        theta.withUnsafeBufferPointer { p in x.withUnsafeBufferPointer { x in dy.withUnsafeBufferPointer { dy in
            gradient.withUnsafeMutableBufferPointer { g in dx.withUnsafeMutableBufferPointer { dx in
                let out = chain.forward(parameters: p.baseAddress!, input: x.baseAddress!, count: count, capacity: capacity,
                                        scratch: scratch.pointer, randomness: nil)
                y = Array(UnsafeBufferPointer(start: out, count: count * chain.outputShape.count))
                chain.backward(parameters: p.baseAddress!, gradient: g.baseAddress!, input: x.baseAddress!,
                               outputGradient: dy.baseAddress!, inputGradient: dx.baseAddress!,
                               count: count, capacity: capacity, scratch: scratch.pointer, randomness: nil)
            } }
        } } }
        return (y, dx, gradient)
    }
}
